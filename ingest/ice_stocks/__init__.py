"""ICE Coffee "C" (Arabica) certified stocks, from three upstream forms.

  - daily_report: ICE's own daily .xls (`coffee_cert_stock_YYYYMMDD.xls`), fetched for the last
    few weekdays; bags by origin x port for several blocks (certified, transition, pending
    grading). The day's `Total in Bags` x `Total` is the certified total.
  - series_csv: a daily certified-bags series export (`Date;Certified_Stocks`, `;Close`).
  - ports_json: per-port daily totals derived from ICE's reports by a third party.

A day's report is not published on exchange holidays, and is published around midday New
York time, so a 404 for a recent day is normal (optional request). When every recent day 404s,
or ICE answers with an HTML page, the URL has most likely moved: `explain()` turns the error into
guidance naming where to look; the source keeps its last good data (nothing is overwritten).
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pyarrow as pa

from ingest.http import Request
from ingest.ice_stocks import report, series

SOURCE = "ice_stocks"
EXTRACT_VERSION = "1"
LANDING: dict[str, pa.Schema] = {
    "totals": series.TOTALS,
    "ports": series.PORTS,
    "report_cells": report.CELLS,
}
FORMATS = {"daily_report": "xls", "series_csv": "csv", "ports_json": "json"}
CLAIMS = {
    "*cert_stock*.xls": "daily_report",
    "arabica_stocks*.csv": "series_csv",
    "certified_stocks*.csv": "series_csv",
    "certified_stocks*.json": "ports_json",
}
PLACES = ("ice", "ice_*")
REPORT_NAME = re.compile(r"coffee_cert_stock_\d{8}\.xls$", re.IGNORECASE)


def requests(cfg: dict[str, Any], today: date, stored_urls: set[str]) -> list[Request]:
    """ICE's daily report for each weekday of the last `report_lookback_days`, not yet stored.

    Past reports never change, so a stored URL is never fetched again (the ICE host
    rate-limits bulk downloads).
    """
    reqs = []
    for back in range(int(cfg.get("report_lookback_days", 7)), -1, -1):
        day = today - timedelta(days=back)
        if day.weekday() >= 5:
            continue
        url = cfg["report_url"].format(date=day.strftime("%Y%m%d"))
        if url not in stored_urls:
            name = f"coffee_cert_stock_{day:%Y%m%d}.xls"
            reqs.append(Request(url, "daily_report", name, "xls", optional=True))
    return reqs


def recognise(name: str, head: bytes) -> str | None:
    """Which form this file is, by name and first bytes; None if not ours."""
    lower = name.lower()
    if REPORT_NAME.search(lower) or (lower.endswith(".xls") and "cert_stock" in lower):
        return "daily_report"
    text = head.lstrip(b"\xef\xbb\xbf").decode("utf-8", "replace")
    if lower.endswith(".csv") and text.split("\n", 1)[0].strip().startswith("Date;Certified"):
        return "series_csv"
    if lower.endswith(".json") and '"snapshots"' in text and '"total_bags"' in text:
        return "ports_json"
    return None


def extract(kind: str, data: bytes, name: str, digest: str) -> tuple[str, dict[str, pa.Table]]:
    """Parse one raw file: (as-of date YYYY-MM-DD, landing tables); SourceError if bad."""
    if kind == "series_csv":
        release, totals = series.parse_csv(data, name, digest)
        return release, {"totals": totals}
    if kind == "ports_json":
        return series.parse_json(data, name, digest)
    if kind == "daily_report":
        release, cells = report.parse(data, name, digest)
        return release, {"report_cells": cells}
    raise ValueError(f"unknown kind {kind}")


def explain(cfg: dict[str, Any], url: str, problem: str) -> str:
    """Guidance for an operator when ICE's daily report URL stops answering with a report.

    `problem` is the fetch or sniff error ('HTTP 404', 'an HTML page was served ...').
    """
    index = cfg.get("report_index_url", "https://www.ice.com/report-center")
    return (
        f"ICE daily certified-stock report not available at {url} ({problem}). If this lasts "
        f"more than one trading day ICE has probably moved the file: find the current link of "
        f"the Coffee C certified stock report at {index} and set `report_url` in "
        f"ingest/ice_stocks/source.toml (keep the {{date}} placeholder, YYYYMMDD). The last good "
        f"certified-stock data stays published, marked stale."
    )
