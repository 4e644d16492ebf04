"""The brief as HTML and text: the site page, the archive index, the Atom feed, the e-mail body.

All of it comes from templates/brief/ (jinja2). Nothing reads the clock: the dates shown are
the week's and the data's, so the same data gives the same bytes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import css_inline
import jinja2

from beanflows.brief.select import COT_EXTREME_POINTS
from beanflows.render import layout as L
from beanflows.render.assets import STATIC, hashed_name

CID_DOMAIN = "brief.beanflows"


def environment(account_url: str = "") -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(L.TEMPLATES)),
        autoescape=jinja2.select_autoescape(["html", "xml"]),
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    env.globals["account_url"] = account_url  # the site footer's sign-up form posts there
    return env


def fmt(value: Any, digits: int = 0, sign: bool = False) -> str:
    """A number as the brief prints it: thousands separators, fixed decimals, optional sign."""
    if value is None:
        return "n/a"
    return f"{value:{'+' if sign else ''},.{digits}f}"


def text_fact(f: dict[str, Any] | None, digits: int = 0, unit: bool = True, sign=False) -> str:
    if not f or f.get("value") is None:
        return "n/a"
    return fmt(f["value"], digits, sign) + (f" {f['unit']}" if unit and f.get("unit") else "")


def title(brief: dict[str, Any]) -> str:
    return f"BeanFlows Coffee Data Brief, {brief['week']}"


def summary(brief: dict[str, Any]) -> str:
    """One line for the feed and the index: the headline numbers and their changes."""
    parts = []
    for r in brief["changes"]:
        if r["now"] is None:
            parts.append(f"{r['what']}: {r.get('note', '')}")
            continue
        digits = 2 if r["now"]["unit"] == "US cents/lb" else 0
        change = f" ({text_fact(r['change'], digits, False, True)})" if r["change"] else ""
        parts.append(f"{r['what']} {text_fact(r['now'], digits)}{change}")
    return "; ".join(parts) or "No published data yet."


def _links(site_url: str) -> dict[str, Any]:
    def method_url(f: dict[str, Any]) -> str:
        col = f.get("column")
        return f"{site_url}/methodology/datasets/{f['dataset']}/" + ("#fields" if col else "")

    def data_url(name: str) -> str:
        return f"{site_url}/data/free/{name}.csv"

    return {"method_url": method_url, "data_url": data_url, "fmt": fmt, "t": text_fact,
            "extreme": COT_EXTREME_POINTS}  # fmt: skip


def _chart_refs(charts: list[tuple[str, bytes, str]], mail: bool) -> list[dict[str, Any]]:
    from beanflows.brief.charts import HEIGHT_PX, WIDTH_PX

    out = []
    for name, png, alt in charts:
        height = int.from_bytes(png[20:24], "big") // 2  # IHDR height at 2x scale
        src = f"cid:{name}@{CID_DOMAIN}" if mail else f"{name}.png"
        out.append({"name": name, "src": src, "alt": alt, "width": WIDTH_PX,
                    "height": height or HEIGHT_PX})  # fmt: skip
    return out


def _site_ctx(out_dir: Path) -> dict[str, Any]:
    """What the site's base template needs, exactly as the render computes it."""
    from beanflows.render import _nav

    catalog = {}
    path = out_dir / "data" / "catalog.json"
    if path.is_file():
        catalog = json.loads(path.read_text())
    assets = {
        key: "/assets/" + hashed_name(stem, ext, (STATIC / name).read_bytes())
        for key, (stem, ext, name) in {
            "css": ("site", "css", "site.css"),
            "js": ("site", "js", "site.js"),
            "icon": ("icon", "svg", "icon.svg"),
        }.items()
    }
    return {
        "assets": assets,
        "nav": _nav((out_dir / "sql" / "index.html").is_file()),
        "built_at": str(catalog.get("built_at") or "")[:10],
        "demo": bool(catalog.get("demo")),
        "chart_dark": "{}",
    }


def site_page(out_dir: Path, brief: dict[str, Any], charts: list, account_url: str) -> str:
    """OUT/briefs/<week>/index.html (site-relative links; charts as PNG files beside it)."""
    env = environment(account_url)
    page = {"slug": f"briefs/{brief['week']}", "nav": "", "title": title(brief),
            "description": f"The week {brief['start']} to {brief['end']} in coffee-market data.",
            "charts": False}  # fmt: skip
    return env.get_template("brief/page.html").render(
        page=page, brief=brief, charts=_chart_refs(charts, mail=False), mail=False,
        **_links(""), **_site_ctx(out_dir),
    )  # fmt: skip


def index_page(out_dir: Path, briefs: list[dict[str, Any]], account_url: str) -> str:
    env = environment(account_url)
    page = {"slug": "briefs", "nav": "", "title": "Coffee Data Briefs",
            "description": "Every weekly BeanFlows Coffee Data Brief, newest first.",
            "charts": False}  # fmt: skip
    return env.get_template("brief/index.html").render(
        page=page, briefs=briefs, **_site_ctx(out_dir)
    )


def feed(briefs: list[dict[str, Any]], site_url: str) -> str:
    """OUT/briefs/feed.xml (Atom): an entry per brief, updated = the day after its week."""
    updated = max((b["updated"] for b in briefs), default="1970-01-01T00:00:00Z")
    return (
        environment()
        .get_template("brief/feed.xml")
        .render(briefs=briefs, site_url=site_url, updated=updated)
    )


def mail_bodies(
    brief: dict[str, Any], charts: list, site_url: str, account_url: str, unsubscribe_url: str
) -> tuple[str, str]:
    """(plain text, HTML with inlined CSS) of the e-mail; images referenced by Content-ID."""
    env = environment(account_url)
    ctx = {"brief": brief, "title": title(brief), "site_url": site_url,
           "page_url": f"{site_url}/briefs/{brief['week']}/", "account_url": account_url,
           "unsubscribe_url": unsubscribe_url, "charts": _chart_refs(charts, mail=True),
           "mail": True, **_links(site_url)}  # fmt: skip
    html = env.get_template("brief/email.html").render(**ctx)
    text = env.get_template("brief/email.txt").render(**ctx)
    return text, css_inline.inline(html)
