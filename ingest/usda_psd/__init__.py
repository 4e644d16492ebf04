"""USDA FAS PSD Online coffee: the bulk CSV releases and the PSD Online report tables.

Two upstream formats feed one family of models:
  - bulk: `psd_coffee_csv.zip` -> `psd_coffee.csv`, the full history as of one monthly release;
  - report_table: the PSD Online report-table CSV exports (title line, 2022/23-style year
    columns, a `Total` world row), imported as a partial vintage of their own.
Each file is one vintage; nothing is ever overwritten, so revisions stay readable.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pyarrow as pa

from ingest.http import Request
from ingest.usda_psd import bulk, tables

SOURCE = "usda_psd"
EXTRACT_VERSION = "2"  # 2: landing records each delivery (corrections)
LANDING: dict[str, pa.Schema] = {"bulk": bulk.SCHEMA, "report_table": tables.SCHEMA}
FORMATS = {"bulk": "zip", "report_table": "csv"}
# Files that are ours by name whatever their content (an HTML page saved under the name is
# rejected, not ignored), and folders whose .zip/.csv files are ours. `Coffee_Production.csv`
# is also an ICO table name: such report tables are claimed by their folder only.
CLAIMS = {
    "psd_coffee*.zip": "bulk",
    "coffee_summary*.csv": "report_table",
    "arabica_coffee_production*.csv": "report_table",
    "robusta_coffee_production*.csv": "report_table",
    "*_coffee_bean_*.csv": "report_table",
    "total_coffee_*.csv": "report_table",
    "soluble_coffee_*.csv": "report_table",
}
PLACES = ("usda", "psd_*")


def requests(cfg: dict[str, Any], today: date, stored_urls: set[str]) -> list[Request]:
    """The current release, plus every archived monthly release not stored yet."""
    reqs = [Request(cfg["current_url"], "bulk", "psd_coffee_csv.zip", "zip")]
    start = cfg.get("archive_start") or ""
    if start:
        year, month = (int(p) for p in start.split("-"))
        while (year, month) < (today.year, today.month):
            url = cfg["archive_url"].format(year=year, month=month)
            if url not in stored_urls:
                name = f"psd_coffee_csv_{year}-{month:02d}.zip"
                reqs.append(Request(url, "bulk", name, "zip", optional=True))
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return reqs


def recognise(name: str, head: bytes) -> str | None:
    """Which kind of PSD file this is, by name and content; None if not ours."""
    lower = name.lower()
    if lower.endswith(".zip") and "psd_coffee" in lower and head.startswith(b"PK"):
        return "bulk"
    if lower.endswith(".csv"):
        first = head.split(b"\n", 1)[0].strip().decode("utf-8", "replace")
        if re.match(r"^(Table \d+[A-Z]? .*Coffee.*|Coffee Summary.*)$", first):
            return "report_table"
    return None


def extract(kind: str, data: bytes, name: str, digest: str) -> tuple[str, dict[str, pa.Table]]:
    """Parse one raw file: (detected release YYYY-MM, landing tables); SourceError if bad."""
    if kind == "bulk":
        release, table = bulk.parse(data, name, digest)
        return release, {"bulk": table}
    if kind == "report_table":
        release, table = tables.parse(data, name, digest)
        return release, {"report_table": table}
    raise ValueError(f"unknown kind {kind}")
