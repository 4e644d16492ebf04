"""`beanflows brief`: write one week's brief (site page, archive index, feed, brief.eml).

Reads OUT's published datasets only; writes OUT/briefs/ and VAR/briefs/<week>/brief.eml.
Files are written whole (temporary file + rename) and only when their bytes change.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from beanflows.brief import charts as charts_mod
from beanflows.brief import message, pages, select, weeks
from beanflows.errors import UsageError

LIST_ID = "BeanFlows Coffee Data Brief <brief.beanflows>"


def write(path: Path, data: bytes) -> bool:
    """Write atomically when the bytes differ; True when the file changed."""
    if path.is_file() and path.read_bytes() == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
    return True


def archive(out_dir: Path) -> list[dict[str, Any]]:
    """Every brief on the site (OUT/briefs/<week>/brief.json), newest first."""
    found = []
    for path in sorted((out_dir / "briefs").glob("*-W*/brief.json"), reverse=True):
        found.append(json.loads(path.read_text()))
    return found


def make(out_dir: Path, var_dir: Path, week: str, site_url: str, account_url: str) -> dict:
    """Write the brief of `week`; returns {'week', 'page', 'eml', 'bytes', 'charts', 'seconds'}."""
    t0 = time.perf_counter()
    weeks.parse(week)
    if not (out_dir / "data" / "catalog.json").is_file():
        raise UsageError(f"{out_dir}: no data/catalog.json; run `beanflows build` first")
    brief = select.select(out_dir, week)
    charts = charts_mod.charts(out_dir, brief)
    folder = out_dir / "briefs" / week
    for name, png, _ in charts:
        write(folder / f"{name}.png", png)
    for stale in folder.glob("*.png"):  # a chart that has no data any more
        if stale.stem not in {c[0] for c in charts}:
            stale.unlink()
    write(folder / "index.html", pages.site_page(out_dir, brief, charts, account_url).encode())
    entry = {"week": week, "title": pages.title(brief), "start": brief["start"],
             "end": brief["end"], "updated": f"{brief['end']}T23:59:59Z",
             "summary": pages.summary(brief)}  # fmt: skip
    write(folder / "brief.json", (json.dumps(entry, indent=1, sort_keys=True) + "\n").encode())
    listing = archive(out_dir)
    write(
        out_dir / "briefs" / "index.html", pages.index_page(out_dir, listing, account_url).encode()
    )
    write(out_dir / "briefs" / "feed.xml", pages.feed(listing, site_url).encode())
    text, html = pages.mail_bodies(
        brief, charts, site_url, account_url, message.UNSUBSCRIBE_PLACEHOLDER
    )
    images = [message.image_part(f"{name}@{pages.CID_DOMAIN}", png) for name, png, _ in charts]
    data = message.as_bytes(message.assemble(pages.title(brief), text, html, images, LIST_ID))
    if len(data) > message.MAX_MESSAGE_BYTES:
        raise RuntimeError(f"brief {week}: message is {len(data):,} bytes, over the budget")
    eml = var_dir / "briefs" / week / "brief.eml"
    write(eml, data)
    return {"week": week, "page": folder / "index.html", "eml": eml, "bytes": len(data),
            "charts": len(charts), "seconds": round(time.perf_counter() - t0, 3)}  # fmt: skip


def refresh_site(out_dir: Path, site_url: str | None = None) -> bool:
    """Render what lists the briefs again, so the home page links the newest brief and
    sitemap.xml lists the briefs (the nightly writes the brief after the site's render). Only
    those: the other pages and the methodology do not show briefs, and the build just rendered
    them. False when OUT holds no rendered site."""
    if not (out_dir / "index.html").is_file():
        return False
    from beanflows import render

    catalog = json.loads((out_dir / "data" / "catalog.json").read_text())
    for problem in render.refresh_briefs(out_dir, catalog, site_url=site_url).get("errors") or []:
        # a page that cannot render is the build's failure, reported there; the brief stands
        print(f"beanflows: brief: site page not refreshed: {problem}", file=sys.stderr)
    return True
