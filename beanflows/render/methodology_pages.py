"""The methodology's generated pages: one per dataset, source, model, and the audits page.

Every page is markdown built from catalog.json (fields, files, raw files, licences) and the
project's layout (model files and their dependencies), so the methodology cannot drift from
what is published. A dataset page shows its trail as links, the way a reader checks a number:

    dataset -> serving model (its .sql file) -> cleaned -> staging -> raw models
            -> raw files (sha256, named by each row's raw_sha256) -> upstream URL

and every model page links both ways (what it reads, what reads it).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from beanflows import commodities as commodity_config
from beanflows import layout
from beanflows.render import client_docs


def _md(text: Any) -> str:
    """Table-cell safe text."""
    return str(text if text is not None else "").replace("|", "\\|").replace("\n", " ")


def model_files() -> dict[str, Path]:
    """SQLMesh model name -> its .sql file (the same scan the build selects models with)."""
    return {name: m.path for name, m in layout.models().items()}


def _header(sql: str) -> str:
    lines = []
    for line in sql.splitlines():
        if not line.startswith("--"):
            break
        lines.append(line[2:].strip())
    return "\n".join(lines)


def _model_link(name: str, models: dict[str, Path]) -> str:
    return f"[`{name}`](../models/{name}.md)" if name in models else f"`{name}`"


def _rel(path: Path) -> str:
    """models/models/<family>/<file>.sql, also for a project copied elsewhere (tests)."""
    return path.relative_to(path.parents[2].parent).as_posix()


def trail(meta: dict[str, Any], models: dict[str, Path]) -> list[str]:
    """The dataset's trail as nested markdown lists: each model with its file, then what it
    reads (a model met twice is named, not repeated), ending in the raw files."""
    deps = {m.name: sorted(m.depends_on) for m in layout.models().values()}
    lineage = meta.get("lineage") or []
    out: list[str] = []
    shown: set[str] = set()

    def walk(name: str, depth: int) -> None:
        pad = "    " * depth
        layer = name.split(".", 1)[0]
        path = models.get(name)
        where = f" · file `{_rel(path)}`" if path else ""
        if name in shown:
            out.append(f"{pad}- {layer} {_model_link(name, models)} (above)")
            return
        shown.add(name)
        out.append(f"{pad}- {layer} {_model_link(name, models)}{where}")
        for dep in deps.get(name, []):
            walk(dep, depth + 1)
        if layer == "raw":
            family = path.parent.name if path else "?"
            out.append(f"{pad}    - reads the landed rows of `{family}` raw files (below)")

    if lineage:
        walk(lineage[0], 0)
    return out


def _raw_files(meta: dict[str, Any]) -> list[str]:
    raw = meta.get("raw_files") or []
    if not raw:
        return ["No raw files: the dataset has no rows yet."]
    out = [
        f"{len(raw)} raw file(s), exactly those named by the rows' `raw_sha256` (the archive "
        "keeps each under its sha256). Tiers: which published files hold rows from it.",
        "",
        "| File | Source | Release | sha256 | Tiers | Upstream URL |",
        "|---|---|---|---|---|---|",
    ]
    for f in raw:
        url = f.get("url") or ""
        link = f"[{_md(url)}]({url})" if url.startswith("http") else _md(url or "–")
        out.append(
            f"| {_md(f.get('name'))} | [{_md(f.get('source'))}](../sources/{f.get('source')}.md)"
            f" | {_md(f.get('release'))} | `{str(f.get('sha256') or '')}` | "
            f"{_md(', '.join(f.get('tiers') or []))} | {link} |"
        )
    return out


def _terms(meta: dict[str, Any], sources: dict[str, Any]) -> list[str]:
    out = []
    for s in meta.get("sources") or [meta.get("source")]:
        src = sources.get(s) or {}
        lic = src.get("license") or {}
        name = lic.get("name") or "not stated"
        link = f"[{_md(name)}]({lic['url']})" if lic.get("url") else _md(name)
        out += [
            f"- **{_md(src.get('title') or s)}** ({_md(src.get('publisher') or '–')}): "
            f"licence {link}. {_md(lic.get('notes') or '')}",
            f"    - Cite: {_md(src.get('citation') or '–')}",
        ]
    return out or ["- Not stated."]


def dataset_page(
    name: str, meta: dict[str, Any], models: dict[str, Path], sources: dict[str, Any]
) -> str:
    out = [f"# {name}", "", meta.get("description") or "", ""]
    files = meta.get("files") or {}
    model = meta.get("model", "")
    facts = [
        (
            "Source(s)",
            ", ".join(
                f"[{s}](../sources/{s}.md)"
                for s in meta.get("sources") or [meta.get("source")]
                if s
            ),
        ),
        ("Model", _model_link(model, models) if model else "–"),
        ("Grain", ", ".join(f"`{g}`" for g in meta.get("grain") or [])),
        ("Time column", f"`{meta.get('time_column') or '–'}`"),
        ("Free window", meta.get("free_window") or "none: Pro only"),
        ("Rows (free / pro)", f"{_rows(files.get('free'))} / {_rows(files.get('pro'))}"),
        ("As of", meta.get("as_of") or "–"),
        ("Releases", ", ".join(meta.get("releases") or []) or "–"),
        ("Status", meta.get("status") or "–"),
        (
            "Files",
            " · ".join(
                f"[{tier} {fmt}](/{f['path']})"
                for tier in ("free", "pro")
                for fmt, f in sorted((files.get(tier) or {}).items())
            )
            or "–",
        ),
    ]
    out += ["| Property | Value |", "|---|---|"] + [f"| {k} | {_md(v)} |" for k, v in facts] + [""]
    out += ["## Licence and citation", ""] + _terms(meta, sources) + [""]
    out += ["## Fields", "", "| Field | Type | Unit | Meaning |", "|---|---|---|---|"]
    for c in meta.get("columns") or []:
        out.append(
            f"| `{c['name']}` | {_md(c.get('type'))} | {_md(c.get('unit') or '')} | "
            f"{_md(c.get('description') or '')} |"
        )
    out += [
        "",
        "## Lineage",
        "",
        f"Every row of `{name}` names the raw file(s) it comes from in `raw_sha256` (its "
        "meaning above says whether one file or a list, and which rows a list covers). The "
        "trail from the published dataset down to upstream:",
        "",
        f"- dataset `{name}` ([catalog entry](/data/catalog.json))",
    ]
    out += ["    " + line for line in trail(meta, models)]
    out += ["", "### Raw files and upstream URLs", ""] + _raw_files(meta)
    out += ["", "## Audits", ""]
    audits = meta.get("audits") or []
    out += [f"- [`{a}`](../audits.md#{a.replace('_', '-')})" for a in audits] or ["None."]
    return "\n".join(out) + "\n"


def _rows(tier: dict[str, Any] | None) -> str:
    rows = ((tier or {}).get("parquet") or {}).get("rows")
    return f"{rows:,}" if isinstance(rows, int) else "–"


def source_page(name: str, meta: dict[str, Any]) -> str:
    toml = layout.INGEST_DIR / name / "source.toml"
    quirks = []
    if toml.is_file():
        for line in toml.read_text(encoding="utf-8").splitlines():
            if line.startswith("#"):
                quirks.append(line.lstrip("# ").rstrip())
            elif (
                "#" in line
                and "=" in line
                and not line.lstrip().startswith(
                    ("citation", "license", "canonical_urls", "publisher")
                )
            ):
                key, _, comment = line.partition("#")
                quirks.append(f"`{key.split('=')[0].strip()}`: {comment.strip()}")
    urls = meta.get("urls") or ([meta["url"]] if meta.get("url") else [])
    lic = meta.get("license") or {}
    licence = f"[{_md(lic['name'])}]({lic['url']})" if lic.get("name") else "–"
    out = [
        f"# {meta.get('title') or name}",
        "",
        "| Property | Value |",
        "|---|---|",
        f"| Source id | `{name}` |",
        f"| Publisher | {_md(meta.get('publisher') or '–')} |",
        f"| Homepage | {_md(meta.get('homepage') or '–')} |",
        f"| Licence / terms | {licence} |",
        f"| Schedule | {_md(meta.get('schedule') or '–')} |",
        f"| Stale after | {_md(meta.get('stale_after_days') or '–')} days |",
        f"| Last success | {_md(meta.get('last_success') or 'never')} |",
        f"| Latest release / as of | {_md(meta.get('release') or '–')} |",
        f"| Status | {_md(meta.get('status') or '–')} |",
        "",
        "## Licence and citation",
        "",
        _md(lic.get("notes") or ""),
        "",
        f"Cite as: {_md(meta.get('citation') or '–')}",
        "",
        "## Upstream URLs",
        "",
    ]
    out += [f"- `{u}`" for u in urls] or ["- (imported files only)"]
    out += ["", "## Notes and quirks", ""]
    out += [f"- {q}" for q in quirks if q] or ["- None recorded."]
    return "\n".join(out) + "\n"


def model_page(name: str, path: Path) -> str:
    """A model's header comment, where it sits, what it reads and what reads it, its SQL."""
    sql = path.read_text(encoding="utf-8")
    found = layout.models()
    models = {n: m.path for n, m in found.items()}
    reads = sorted(found[name].depends_on) if name in found else []
    read_by = sorted(n for n, m in found.items() if name in m.depends_on)
    links = [
        f"Reads: {', '.join(_model_link(n, models) for n in reads) or 'landed raw files'}",
        f"Read by: {', '.join(_model_link(n, models) for n in read_by) or 'published as is'}",
    ]
    return (
        f"# {name}\n\n{_header(sql)}\n\nFile: `{_rel(path)}`\n\n"
        + "\n\n".join(links)
        + f"\n\n```sql\n{sql.rstrip()}\n```\n"
    )


def audits_page() -> str:
    out = [
        "# Audits",
        "",
        "SQLMesh audits run after each model; an audit that returns rows blocks the "
        "model's source and keeps the last good published files (marked stale).",
        "",
        "Built-in audits: `not_null`, `unique_values`, `unique_combination_of_columns`, "
        "`accepted_values` (SQLMesh's standard audits, named in each model).",
        "",
    ]
    for path in sorted((layout.MODELS_DIR / "audits").glob("*.sql")):
        sql = path.read_text(encoding="utf-8")
        out += [f"## {path.stem}", "", _header(sql), "", f"```sql\n{sql.rstrip()}\n```", ""]
    return "\n".join(out) + "\n"


def commodities_page(commodities: list[dict[str, Any]]) -> str:
    """The configured commodities (catalog) and the unit rules of the generic datasets."""
    out = [
        "# Commodities",
        "",
        "Each commodity is configuration (`commodities.toml`): its USDA PSD commodity codes, "
        "CFTC contract markets and futures symbols. They decide what ingest lands and what the "
        "generic datasets [commodity_balance](datasets/commodity_balance.md), "
        "[commodity_positioning](datasets/commodity_positioning.md) and "
        "[commodity_prices_daily](datasets/commodity_prices_daily.md) hold (column "
        "`commodity`). Coffee also keeps its own datasets and pages. A commodity lacking an "
        "input (USDA PSD has no cocoa; a price file not fetched) gets a page showing what "
        "exists and saying what does not.",
        "",
        "| Commodity | USDA PSD codes | PSD mass unit | CFTC markets | Futures (quote unit) |",
        "|---|---|---|---|---|",
    ]
    for c in commodities:
        symbols = ", ".join(f"{s} ({u})" for s, u in (c.get("symbols") or {}).items())
        out.append(
            f"| [{_md(c['name'])}](/commodities/{c['slug']}/) | "
            f"{', '.join(c.get('psd_codes') or []) or 'none'} | {_md(c.get('psd_unit') or '')} "
            f"| {', '.join(c.get('cot_markets') or [])} | {_md(symbols)} |"
        )
    out += [
        "",
        "## Units",
        "",
        "USDA PSD publishes each commodity in its own unit, per row (`unit`); values are in "
        "thousands of it. `commodity_balance` keeps `value` as published and adds "
        "`value_1000t`, the quantity in thousand metric tonnes, for rows in the commodity's "
        "configured mass unit. Areas `(1000 HA)`, yields `(MT/HA)` and other units keep "
        "`value_1000t` null. A row in another mass unit than the configured one means USDA "
        "changed the unit: the `psd_unit_configured` audit stops the release (the last good "
        "files stay published, marked stale).",
        "",
        "| PSD unit | value_1000t = value × |",
        "|---|---|",
    ]
    out += [f"| `{u}` | {f:g} |" for u, f in commodity_config.PSD_MASS_UNITS.items()]
    out += [
        "",
        "The 60 kg bag is 0.06 t; the cotton bale is 480 lb = 217.72 kg. Futures prices stay in "
        "each contract's quotation unit (`quote_unit`: US cents/lb, USD/t, US cents/bu): a "
        "bushel of wheat and a pound of sugar do not compare. Coffee's own `prices_daily` "
        "converts Robusta from USD/t to US cents/lb (÷ 22.0462).",
    ]
    return "\n".join(out) + "\n"


def generate(docs: Path, catalog: dict[str, Any], client_reference: bool = True) -> list[Any]:
    """Write the generated pages into docs/ and return the mkdocs nav. Without
    `client_reference` the mkdocs process writes that page (importing the client costs the
    render about a second; the prestarted process does it while SQLMesh runs)."""
    models = model_files()
    datasets = catalog.get("datasets", {})
    sources = catalog.get("sources", {})
    nav_ds, nav_src, nav_models = [], [], []
    for sub in ("datasets", "sources", "models"):
        (docs / sub).mkdir(parents=True, exist_ok=True)
    for name, meta in sorted(datasets.items()):
        page = dataset_page(name, meta, models, sources)
        (docs / "datasets" / f"{name}.md").write_text(page)
        nav_ds.append({name: f"datasets/{name}.md"})
    for name, meta in sorted(sources.items()):
        (docs / "sources" / f"{name}.md").write_text(source_page(name, meta))
        nav_src.append({meta.get("title") or name: f"sources/{name}.md"})
    for name in sorted(models):  # every model: the trail links both ways
        (docs / "models" / f"{name}.md").write_text(model_page(name, models[name]))
        nav_models.append({name: f"models/{name}.md"})
    (docs / "audits.md").write_text(audits_page())
    (docs / "commodities.md").write_text(commodities_page(catalog.get("commodities") or []))
    if client_reference:
        (docs / "client-reference.md").write_text(client_docs.reference())
    return [
        {"Overview": "index.md"},
        {"Formulas": "formulas.md"},
        {"Lineage": "lineage.md"},
        {"Commodities": "commodities.md"},
        {"Python client": [{"Guide": "client.md"}, {"Reference": "client-reference.md"}]},
        {"Datasets": nav_ds or [{"None yet": "index.md"}]},
        {"Sources": nav_src or [{"None yet": "index.md"}]},
        {"Models": nav_models or [{"None yet": "index.md"}]},
        {"Audits": "audits.md"},
        {"Back to the site": "/"},
    ]
