"""Render the public site (dist/) from the published datasets and the catalog.

`render_site` is called by the build after export; it reads `data/catalog.json` facts and the
`data/free/` Parquet files only (what any reader may download), writes every page, the shared
content-hashed assets, the methodology (mkdocs-material), sitemap.xml and 404.html. A page whose
data is missing or stale still renders (with "no data yet" or a stale banner); a page builder
that fails is replaced by an explanatory page and reported in the summary, never a blank site.
"""

from __future__ import annotations

import logging
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from beanflows.render import (
    chart_shapes,
    methodology,
    pages_commodities,
    pages_home,
    pages_meta,
    pages_origins,
    pages_positioning,
    pages_prices,
    pages_pro,
    pages_revisions,
    pages_sql,
    pages_supply,
    pages_warehouse,
    pages_weather,
    static_charts,
)
from beanflows.render import layout as L
from beanflows.render.assets import VEGA_PLACEHOLDER, Assets
from beanflows.render.charts import dark_config_json
from beanflows.render.data import Data
from beanflows.render.serve import serve

__all__ = ["refresh_briefs", "render_site", "serve"]

log = logging.getLogger(__name__)

Builder = Callable[[Data], list[dict[str, Any]]]

BUILDERS: list[tuple[str, str, Builder]] = [
    ("", "home", lambda d: [pages_home.build(d)]),
    ("supply", "supply", pages_supply.build),
    ("origins", "origins", pages_origins.build),
    ("revisions", "revisions", pages_revisions.build),
    ("positioning", "positioning", lambda d: [pages_positioning.positioning(d)]),
    ("prices", "prices", lambda d: [pages_prices.prices(d)]),
    ("warehouse", "warehouse", lambda d: [pages_warehouse.warehouse(d)]),
    ("weather", "weather", lambda d: [pages_weather.weather(d)]),
    ("commodities", "commodities", pages_commodities.build),
    ("downloads", "downloads", lambda d: [pages_meta.downloads(d)]),
    ("pro", "downloads", lambda d: [pages_pro.pro(d)]),
    ("status", "status", lambda d: [pages_meta.status(d)]),
]


def _nav(with_sql: bool) -> list[dict[str, str]]:
    """The main navigation; the SQL page sits after Downloads when it is built."""
    if not with_sql:
        return L.NAV
    at = next((i + 1 for i, item in enumerate(L.NAV) if item["key"] == "downloads"), len(L.NAV))
    return [*L.NAV[:at], pages_sql.NAV_ITEM, *L.NAV[at:]]


def _why() -> str:
    """The current exception in one line, or its traceback with --debug."""
    from beanflows.errors import debug

    if debug():
        return traceback.format_exc()
    exc = sys.exc_info()[1]
    return f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"


def _failed_page(slug: str, nav: str, exc: BaseException) -> dict[str, Any]:
    title = nav.capitalize() if nav != "home" else "Pulse"
    return L.page(
        slug,
        nav,
        title,
        f"BeanFlows {title}.",
        takeaway="This page could not be built from the current data; the other pages are "
        "up to date.",
        blocks=[L.empty_block("error", "Not available", f"Render error: {type(exc).__name__}")],
    )


def refresh_briefs(out_dir: Path, catalog: dict[str, Any], site_url: str | None = None) -> dict:
    """After a new weekly brief: render what lists the briefs (the home page and sitemap.xml)
    and nothing else; the whole site when OUT's sitemap is not this render's (`render_site`
    summary)."""
    base_url = L.site_url(site_url)
    slugs = L.sitemap_slugs(Path(out_dir), base_url)
    if slugs is None:
        return render_site(out_dir, catalog, site_url=site_url)
    kept = [s for s in slugs if s != "briefs" and not s.startswith("briefs/")]
    return render_site(out_dir, catalog, site_url=site_url, only=("", kept))


def render_site(
    out_dir: Path,
    catalog: dict[str, Any],
    mkdocs_proc: Any = None,
    site_url: str | None = None,
    only: tuple[str, list[str]] | None = None,
    drawing: Any = None,
) -> dict[str, Any]:
    """Write the whole site under out_dir; return {'pages', 'charts', 'seconds', 'errors'}.

    `mkdocs_proc` is a methodology build process started ahead (`methodology.prestart()`);
    `site_url` the absolute base of sitemap.xml (default: BEANFLOWS_SITE_URL, else the preview).
    `only` = (a builder's slug, the sitemap's other slugs) renders that builder's pages and the
    sitemap only (`refresh_briefs`): no methodology, SQL page or 404 page. `drawing` is a
    drawing process started ahead (`svg_workers.start()`), handed to the drawer.
    """
    t0 = time.perf_counter()
    base_url = L.site_url(site_url)
    out_dir = Path(out_dir)
    errors: list[str] = []
    assets = Assets(out_dir)  # may start bundling Vega in a child process
    mkdocs: methodology.Build | None = None
    try:
        if only is None:
            mkdocs = methodology.Build(out_dir, catalog, mkdocs_proc)
    except Exception as exc:  # noqa: BLE001 - the methodology must not take the site down
        log.error("methodology failed: %s", _why())
        errors.append(f"methodology: {exc!r}")
    data = Data(out_dir, catalog)
    env = L.environment()
    sql = pages_sql.prepare(out_dir)  # None when DuckDB-WASM is not installed (no npm)
    builders = [b for b in BUILDERS if only is None or b[0] == only[0]]
    ctx = {
        "assets": assets.urls,
        "nav": _nav(sql is not None),
        "built_at": str(catalog.get("built_at") or "")[:10],
        "demo": bool(catalog.get("demo")),
        "chart_dark": dark_config_json(),
    }
    html: dict[str, str] = {}
    built: list[dict[str, Any]] = []
    # draws each chart to SVG while the next page is built
    drawer = static_charts.Drawer([drawing] if drawing is not None else [])
    try:
        for slug, nav, build in builders:
            try:
                pages = build(data)
            except Exception as exc:  # noqa: BLE001 - one page's bug must not blank the site
                log.error("render %s failed: %s", nav, _why())
                errors.append(f"{nav}: {exc!r}")
                pages = [_failed_page(slug, nav, exc)]
            for pg in pages:
                static_charts.submit_page(drawer, pg)
            built.extend(pages)
    finally:
        data.close()
        for pg in built:
            static_charts.finish_page(pg)
        drawer.close()
        chart_shapes.prune()
    charts = 0
    for pg in built:
        html[pg["slug"]] = L.render_page(env, pg, ctx)
        charts += sum(b["type"] == "chart" for b in pg["blocks"])
    if only is not None:
        pass  # the SQL page is as the full render left it
    elif sql is not None:
        try:
            html["sql"] = pages_sql.render(env, catalog, sql, ctx)
        except Exception as exc:  # noqa: BLE001 - like any page: never blank the site
            log.error("render sql failed: %s", _why())
            errors.append(f"sql: {exc!r}")
            html["sql"] = L.render_page(env, _failed_page("sql", "sql", exc), ctx)
    else:
        L.page_path(out_dir, "sql").unlink(missing_ok=True)
    vega = assets.finish()
    for slug, text in html.items():
        L.write_if_changed(L.page_path(out_dir, slug), text.replace(VEGA_PLACEHOLDER, vega))
    if only is None:
        not_found = L.render_404(env, ctx)
        L.write_if_changed(out_dir / "404.html", not_found.replace(VEGA_PLACEHOLDER, vega))
    slugs = list(html) + (only[1] if only is not None else [])
    if mkdocs is not None:
        try:
            mkdocs.finish()
            slugs.extend(L.methodology_slugs(out_dir))
        except Exception as exc:  # noqa: BLE001
            log.error("methodology failed: %s", _why())
            errors.append(f"methodology: {exc!r}")
    L.write_sitemap(out_dir, slugs + L.brief_slugs(out_dir), ctx["built_at"], base_url)
    return {
        "pages": len(slugs),
        "charts": charts,
        "errors": errors,
        "seconds": round(time.perf_counter() - t0, 3),
    }
