"""Shared layout: the jinja2 environment, navigation, page/block helpers, sitemap and 404.

A page is a plain dict (title, takeaway, as-of, sources, banners, KPIs, blocks) rendered by one
generic template, so every section looks alike and each page module only computes numbers.
Nothing here reads the clock: pages depend on the catalog and the data only (deterministic).
"""

from __future__ import annotations

import json
import os
import re
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

import jinja2
from markupsafe import Markup, escape

from beanflows import drawing_cache
from beanflows.render import chart_text, charts
from beanflows.render.data import Data, Dataset

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"

NAV = [
    {"key": "home", "label": "Pulse", "href": "/"},
    {"key": "supply", "label": "Supply", "href": "/supply/"},
    {"key": "origins", "label": "Origins", "href": "/origins/"},
    {"key": "revisions", "label": "Revisions", "href": "/revisions/"},
    {"key": "positioning", "label": "Positioning", "href": "/positioning/"},
    {"key": "prices", "label": "Prices", "href": "/prices/"},
    {"key": "warehouse", "label": "Warehouse", "href": "/warehouse/"},
    {"key": "weather", "label": "Weather", "href": "/weather/"},
    # one entry however many commodities: the index lists them (render/pages_commodities.py)
    {"key": "commodities", "label": "Commodities", "href": "/commodities/"},
    {"key": "downloads", "label": "Downloads", "href": "/downloads/"},
    {"key": "methodology", "label": "Methodology", "href": "/methodology/"},
    {"key": "status", "label": "Status", "href": "/status/"},
]


def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=jinja2.select_autoescape(["html"]),
        trim_blocks=False,
        lstrip_blocks=False,
        keep_trailing_newline=True,
        bytecode_cache=drawing_cache.jinja_bytecode("jinja-site"),
    )
    env.globals["account_url"] = account_url()
    return env


def account_url() -> str:
    """The accounts service (docs/auth.md): sign-up, sign-in and feedback go there ('' = none)."""
    return os.environ.get("BEANFLOWS_BASE_URL", "").rstrip("/")


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "x"


def page(
    slug: str,
    nav: str,
    title: str,
    description: str,
    *,
    takeaway: str = "",
    as_of: str = "",
    sources: list[dict[str, str]] | None = None,
    banners: list[dict[str, str]] | None = None,
    tier_note: str = "",
    kpis: list[dict[str, Any]] | None = None,
    blocks: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    return {
        "slug": slug,
        "nav": nav,
        "title": title,
        "description": description,
        "takeaway": takeaway,
        "as_of": as_of,
        "sources": sources or [],
        "banners": banners or [],
        "tier_note": tier_note,
        "kpis": kpis or [],
        "blocks": blocks or [],
    }


def chart_block(
    bid: str,
    title: str,
    spec: dict[str, Any],
    aria: str,
    *,
    table: dict[str, Any] | None = None,
    note: str = "",
    full: bool = False,
    range_: list[dict[str, Any]] | None = None,
    dataset: str = "",
) -> dict[str, Any]:
    """A chart with its words: name (the title), a description (what it shows, `aria`, and
    its latest values, read from the spec) and a data table (`table`, else the chart's data).

    `dataset` links the published dataset behind the chart (every row, the table's newest).
    """
    text = json.dumps(spec, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    text = text.replace("</", "<\\/")
    latest = chart_text.latest(spec)
    return {
        "type": "chart",
        "id": bid,
        "title": title,
        "spec_json": Markup(text),
        "spec": spec,  # drawn to SVG at build time (static_charts), then dropped
        "aria": aria,
        "desc": f"{aria} {latest}".strip(),
        "table": table or chart_text.table(spec),
        "key": charts.key(spec),  # the series, named above the drawing (site.js picks one)
        "dataset": dataset,
        "dataset_anchor": slugify(dataset),
        "note": note,
        "full": full,
        "range": range_,
    }


def table_block(
    bid: str, title: str, table: dict[str, Any], *, note: str = "", full: bool = False
) -> dict[str, Any]:
    return {"type": "table", "id": bid, "title": title, "table": table, "note": note, "full": full}


def html_block(bid: str, title: str, html: str, *, full: bool = False) -> dict[str, Any]:
    return {"type": "html", "id": bid, "title": title, "html": Markup(html), "full": full}


def empty_block(bid: str, title: str, text: str, *, full: bool = False) -> dict[str, Any]:
    return {"type": "empty", "id": bid, "title": title, "text": text, "full": full}


def table(
    columns: list[tuple[str, bool]], rows: list[list[Any]], caption: str = ""
) -> dict[str, Any]:
    """columns: (label, numeric) pairs; cells are text (escaped) or Markup."""
    return {
        "caption": caption,
        "columns": [{"label": label, "num": num} for label, num in columns],
        "rows": rows,
    }


def no_data(ds: Dataset) -> str:
    """Why a dataset is not on the page: not built yet, or pro only."""
    meta = ds.meta
    if not meta:
        return f"No data yet: the {ds.name} dataset has not been published."
    if not (meta.get("files") or {}).get("free"):
        return f"{ds.name} is available to Pro subscribers only (see Downloads)."
    return f"No data yet: the {ds.name} file could not be read."


def banners_for(data: Data, names: list[str]) -> list[dict[str, str]]:
    """A stale banner per stale dataset (and per failed source) behind a page."""
    out, seen = [], set()
    for name in names:
        ds = data.get(name)
        if ds.meta and ds.stale:
            out.append(
                {
                    "what": f"the {name} dataset",
                    "since": str(ds.meta.get("stale_since") or ds.meta.get("updated_at") or "?"),
                    "why": str(ds.meta.get("stale_reason") or ""),
                }
            )
        for src in _sources_of(ds):
            info = data.source(src)
            if info.get("status") == "stale" and src not in seen:
                seen.add(src)
                out.append(
                    {
                        "what": f"source {info.get('title') or src}",
                        "since": str(info.get("last_success") or "its first build"),
                        "why": str(info.get("error") or "the latest fetch failed"),
                    }
                )
    return out


def _sources_of(ds: Dataset) -> list[str]:
    src = ds.meta.get("source") or ds.meta.get("sources") or []
    return [src] if isinstance(src, str) else list(src)


def sources_for(data: Data, names: list[str]) -> list[dict[str, str]]:
    out, seen = [], set()
    for name in names:
        for src in _sources_of(data.get(name)):
            if src in seen:
                continue
            seen.add(src)
            info = data.source(src)
            url = info.get("homepage") or info.get("url") or ""
            out.append({"title": info.get("title") or src, "url": url})
    return out


def as_of(data: Data, names: list[str]) -> str:
    """The as-of of each dataset behind a page (from the catalog), readable and de-duplicated.

    USDA market years are shown as crop years ("2022/23 market year"), dates as dates.
    """
    out: list[str] = []
    for n in names:
        ds = data.get(n)
        if not ds.ok:
            continue
        val = str(ds.meta.get("as_of") or "")
        if val.isdigit() and ds.meta.get("time_column") == "market_year":
            y = int(val)
            val = f"{y - 1}/{y % 100:02d} market year"
        if val and val not in out:
            out.append(val[:10] if "T" in val else val)
    return ", ".join(out)


def render_page(env: jinja2.Environment, pg: dict[str, Any], ctx: dict[str, Any]) -> str:
    pg = {**pg, "charts": any(b["type"] == "chart" for b in pg["blocks"])}
    return env.get_template("page.html").render(page=pg, **ctx)


def page_path(out_dir: Path, slug: str) -> Path:
    return out_dir / slug / "index.html" if slug else out_dir / "index.html"


def render_404(env: jinja2.Environment, ctx: dict[str, Any]) -> str:
    pg = page("404", "", "Page not found", "This page does not exist.")
    pg["charts"] = False
    return env.get_template("404.html").render(page=pg, **ctx)


def site_url(explicit: str | None = None) -> str:
    """The site's absolute base URL: the build's `site_url` setting, else BEANFLOWS_SITE_URL,
    else the local preview's (beanflows/config.py)."""
    from beanflows.config import DEFAULT_SITE_URL, checked_site_url

    return checked_site_url(explicit or os.environ.get("BEANFLOWS_SITE_URL") or DEFAULT_SITE_URL)


def methodology_slugs(out_dir: Path) -> list[str]:
    """Every page of the built methodology (mkdocs writes one index.html per page)."""
    root = out_dir / "methodology"
    return [p.parent.relative_to(out_dir).as_posix() for p in root.rglob("index.html")]


def brief_slugs(out_dir: Path) -> list[str]:
    """The weekly briefs' archive and pages (written by `beanflows brief`, beside the site)."""
    pages = sorted(p.parent.name for p in (out_dir / "briefs").glob("*/index.html"))
    return ["briefs", *(f"briefs/{week}" for week in pages)] if pages else []


def sitemap_slugs(out_dir: Path, base_url: str) -> list[str] | None:
    """The slugs OUT's sitemap.xml lists, or None when it has none under `base_url`."""
    path = out_dir / "sitemap.xml"
    if not path.is_file():
        return None
    prefix = f"{base_url}/"
    slugs = []
    for loc in re.findall(r"<loc>([^<]*)</loc>", path.read_text(encoding="utf-8")):
        loc = unescape(loc)
        if not loc.startswith(prefix):
            return None
        slugs.append(unquote(loc[len(prefix) :]).rstrip("/"))
    return slugs or None


def write_sitemap(out_dir: Path, slugs: list[str], lastmod: str, base_url: str) -> None:
    """sitemap.xml: absolute locations (the protocol requires them) under `base_url`."""
    lines = ['<?xml version="1.0" encoding="UTF-8"?>']
    lines.append('<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">')
    for slug in sorted(set(slugs)):
        loc = escape(f"{base_url}/" + (quote(slug) + "/" if slug else ""))
        mod = f"<lastmod>{lastmod}</lastmod>" if lastmod else ""
        lines.append(f"  <url><loc>{loc}</loc>{mod}</url>")
    lines.append("</urlset>")
    write_if_changed(out_dir / "sitemap.xml", "\n".join(lines) + "\n")


def write_if_changed(path: Path, text: str) -> None:
    """Leave unchanged files alone (mtimes too), so publish sees exactly what changed."""
    data = text.encode()
    if path.is_file() and path.read_bytes() == data:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
