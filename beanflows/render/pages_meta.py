"""Downloads (every catalog dataset with its files) and Status (every source's health).

Both read only the catalog. Ages are measured against the catalog's built_at, never the clock,
so an unchanged catalog renders to the same bytes.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from markupsafe import Markup, escape

from beanflows import freshness
from beanflows.render import layout as L
from beanflows.render.data import Data, fmt


def _size(n: int | None) -> str:
    if n is None:
        return "–"
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:,.0f} {unit}" if unit == "B" else f"{n:,.1f} {unit}"
        n /= 1024
    return str(n)


def _day(text: Any) -> date | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(str(text).replace("Z", "+00:00")).date()
    except ValueError:
        try:
            return date.fromisoformat(str(text)[:10])
        except ValueError:
            return None


def _links(files: dict[str, Any] | None, tier: str) -> Markup:
    if not files:
        label = "Pro only" if tier == "free" else "–"
        return Markup(f'<span class="pill none">{label}</span>')
    parts = []
    for fmt_ in ("parquet", "csv"):
        f = files.get(fmt_)
        if f:
            cls = ' class="pill pro"' if tier == "pro" else ""
            parts.append(
                f'<a{cls} href="/{escape(f["path"])}" '
                f'aria-label="{tier} {fmt_} file, {_size(f.get("bytes"))}">{fmt_}</a>'
            )
    return Markup(" ".join(parts))


TEXT_TYPES = ("VARCHAR", "TEXT", "STRING", "CHAR")


def read_csv_html(name: str, cols: list[dict[str, Any]], files: dict[str, Any] | None) -> str:
    """How to read the CSV with its text columns kept as text.

    Codes such as CFTC's `083731` or USDA's `029` are text: pandas and others guess numbers and
    drop the leading zeros, after which filtering on the published code finds nothing.
    """
    csv = ((files or {}).get("csv") or {}).get("path")
    text = [c["name"] for c in cols if str(c.get("type") or "").upper().startswith(TEXT_TYPES)]
    if not csv or not text:
        return ""
    pandas_types = ", ".join(f'"{c}": "string"' for c in text)
    duck_types = ", ".join(f"'{c}': 'VARCHAR'" for c in text)
    code = (
        f"import pandas as pd\n"
        f'df = pd.read_csv("https://SITE/{csv}",\n'
        f"                 dtype={{{pandas_types}}})\n\n"
        f"-- DuckDB\nSELECT * FROM read_csv('https://SITE/{csv}',\n"
        f"                       types = {{{duck_types}}});"
    )
    return (
        '<details class="data"><summary>Read the CSV with codes kept as text</summary>'
        f"<p>Text columns ({escape(', '.join(text))}) can hold codes with leading zeros; "
        "declare them as text, or read the Parquet file, which keeps every type. "
        "<code>SITE</code> is this site's address.</p>"
        f'<pre tabindex="0" role="region" aria-label="Reading {escape(name)}, code">'
        f"<code>{escape(code)}</code></pre></details>"
    )


def terms_html(name: str, meta: dict[str, Any], sources: dict[str, Any]) -> str:
    """Each source's licence and citation for a dataset, and the link to its trail (every
    row's raw_sha256 -> raw files -> upstream URLs, on the methodology page)."""
    parts = []
    for s in meta.get("sources") or [meta.get("source")]:
        src = sources.get(s) or {}
        lic = src.get("license") or {}
        if not lic.get("name"):
            continue
        parts.append(
            f"<li><strong>{escape(src.get('title') or s)}</strong> · licence "
            f'<a href="{escape(lic.get("url") or "")}">{escape(lic["name"])}</a>'
            f"{' · ' + escape(lic['notes']) if lic.get('notes') else ''}"
            f"<br>Cite: {escape(src.get('citation') or '–')}</li>"
        )
    trail = (
        f'<a href="/methodology/datasets/{escape(name)}/">lineage</a>: every row names its raw '
        "files in <code>raw_sha256</code>; the methodology page follows them to upstream."
    )
    listed = f'<p class="note">Licence and citation</p><ul>{"".join(parts)}</ul>' if parts else ""
    return f'<div class="terms">{listed}<p class="note">{trail}</p></div>'


def downloads(data: Data) -> dict[str, Any]:
    ds_all = data.catalog.get("datasets", {})
    blocks = []
    n_free = 0
    for name, meta in sorted(ds_all.items()):
        files = meta.get("files") or {}
        pro, free = files.get("pro"), files.get("free")
        n_free += bool(free)
        rows_pro = ((pro or {}).get("parquet") or {}).get("rows")
        rows_free = ((free or {}).get("parquet") or {}).get("rows")
        size = ((pro or {}).get("parquet") or {}).get("bytes")
        status = meta.get("status") or "?"
        head = (
            f"<p>{escape(meta.get('description') or '')}</p>"
            f'<p class="note">Status <span class="pill {escape(status)}">{escape(status)}</span>'
            f" · updated {escape(str(meta.get('updated_at') or '–')[:10])}"
            f" · as of {escape(str(meta.get('as_of') or '–'))}"
            f" · rows free {fmt(rows_free)} / pro {fmt(rows_pro)}"
            f" · Parquet {_size(size)}"
            f" · free window: {escape(meta.get('free_window') or 'none (Pro only)')}</p>"
            f'<p class="files">Free: {_links(free, "free")} &nbsp; Pro: {_links(pro, "pro")}</p>'
        )
        cols = meta.get("columns") or []
        table_html = (
            '<details class="data"><summary>'
            f'{len(cols)} columns</summary><div class="tablebox"><p class="scroll-hint" '
            'aria-hidden="true">Scroll the table sideways for more columns →</p>'
            '<div class="tablewrap" tabindex="0" role="region" '
            f'aria-label="Columns of {escape(name)}, table"><table><thead><tr>'
            '<th scope="col">Column</th><th scope="col">Type</th><th scope="col">Unit</th>'
            '<th scope="col">Meaning</th></tr></thead><tbody>'
            + "".join(
                f"<tr><td><code>{escape(c['name'])}</code></td><td>{escape(c.get('type') or '')}"
                f"</td><td>{escape(c.get('unit') or '')}</td>"
                f"<td>{escape(c.get('description') or '')}</td></tr>"
                for c in cols
            )
            + "</tbody></table></div></div></details>"
        )
        terms = terms_html(name, meta, data.catalog.get("sources", {}))
        html = head + terms + table_html + read_csv_html(name, cols, free or pro)
        blocks.append(L.html_block(L.slugify(name), name, html, full=True))
    if not blocks:
        blocks.append(L.empty_block("none", "Datasets", "No datasets published yet.", full=True))
    total = len(ds_all)
    return L.page(
        "downloads",
        "downloads",
        "Downloads",
        "Every BeanFlows dataset as Parquet and CSV: free recent files and full-history Pro files.",
        takeaway=f"{total} datasets; {n_free} with a free recent-years file, all with full "
        "history for Pro subscribers.",
        as_of=str(data.catalog.get("built_at") or "")[:10],
        sources=[{"title": "catalog.json", "url": "/data/catalog.json"}],
        tier_note="Pro links (data/pro/…) need a subscriber token; free files are open to all.",
        blocks=blocks,
    )


def status(data: Data) -> dict[str, Any]:
    built = _day(data.catalog.get("built_at"))
    rows, bad = [], 0
    for name, src in sorted(data.catalog.get("sources", {}).items()):
        # One vocabulary (beanflows.freshness): ok / stale / late, decided by the build.
        limit = freshness.allowed_days(src)
        age = (
            freshness.age_days(src.get("data_as_of") or src.get("release"), built)
            if built
            else None
        )
        late = bool(src.get("late"))
        st = src.get("status") or "?"
        bad += st != "ok"
        datasets = [
            n
            for n, m in data.catalog.get("datasets", {}).items()
            if name in (m.get("sources") or [m.get("source")])
        ]
        audits = sorted(
            {a for n in datasets for a in data.catalog["datasets"][n].get("audits", [])}
        )
        failed_ds = [n for n in datasets if data.catalog["datasets"][n].get("failed_audits")]
        rows.append(
            [
                Markup(
                    f"<strong>{escape(src.get('title') or name)}</strong><br><code>{name}</code>"
                ),
                Markup(f'<span class="pill {escape(st)}">{escape(st)}</span>'),
                str(src.get("last_success") or "never")[:10],
                str(src.get("release") or "–"),
                f"{src.get('schedule') or '?'} (late after {limit} d)",
                "–" if age is None else f"{age} d" + (" — late" if late else ""),
                f"{len(audits)} audits "
                + ("passing" if not failed_ds else "blocked: " + ", ".join(failed_ds)),
                str(src.get("error") or ""),
            ]
        )
    ds_rows = [
        [
            n,
            Markup(
                f'<span class="pill {escape(m.get("status") or "?")}">'
                f"{escape(m.get('status') or '?')}</span>"
            ),
            str(m.get("as_of") or "–"),
            str(m.get("updated_at") or "–")[:10],
            str(m.get("stale_since") or "")[:10],
            str(m.get("stale_reason") or ""),
        ]
        for n, m in sorted(data.catalog.get("datasets", {}).items())
    ]
    n = len(rows)
    srcs = list(data.catalog.get("sources", {}).values())
    blocks = [
        L.table_block(
            "sources",
            "Sources",
            L.table(
                [
                    ("Source", False),
                    ("Status", False),
                    ("Last success", False),
                    ("Release / as of", False),
                    ("Schedule", False),
                    ("Data age", True),
                    ("Audits", False),
                    ("Last error", False),
                ],
                rows,
                "Data age: days from the newest release or as-of date to the build "
                f"({data.catalog.get('built_at') or '?'}), against the source's schedule",
            ),
            full=True,
        ),
        L.table_block(
            "datasets",
            "Datasets",
            L.table(
                [
                    ("Dataset", False),
                    ("Status", False),
                    ("As of", False),
                    ("Updated", False),
                    ("Stale since", False),
                    ("Why", False),
                ],
                ds_rows,
            ),
            full=True,
        ),
    ]
    return L.page(
        "status",
        "status",
        "Status",
        "Health of every BeanFlows source: last fetch, release, staleness, audits, build time.",
        takeaway=(
            f"All {n} sources ok."
            if not bad
            else f"{bad} of {n} sources need attention: "
            + ", ".join(
                f"{k} {v}"
                for k, v in (
                    ("stale", sum(r.get("status") == "stale" for r in srcs)),
                    ("late", sum(r.get("status") == "late" for r in srcs)),
                )
                if v
            )
            + ". ok = built from the latest good input; stale = the last good data is kept "
            "because the source or an audit failed; late = the source works but upstream's "
            "newest data is older than its schedule allows."
        ),
        as_of=str(data.catalog.get("built_at") or ""),
        sources=[{"title": "catalog.json", "url": "/data/catalog.json"}],
        blocks=blocks,
    )
