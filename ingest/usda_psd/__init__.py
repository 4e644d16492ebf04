"""USDA FAS PSD Online: the coffee bulk CSV releases, the PSD Online report tables, and the
all-commodities bulk file for the other configured commodities.

Three upstream formats feed one family of models:
  - bulk: `psd_coffee_csv.zip` -> `psd_coffee.csv`, the full history as of one monthly release;
  - alldata: `psd_alldata_csv.zip` -> `psd_alldata.csv`, the same columns for every commodity
    (~2 M rows); only the commodity codes of commodities.toml land (commodity_balance), and
    it is fetched only when a configured commodity needs a code other than coffee's;
  - report_table: the PSD Online report-table CSV exports (title line, 2022/23-style year
    columns, a `Total` world row), imported as a partial vintage of their own.
Each file is one vintage; nothing is ever overwritten, so revisions stay readable.
"""

from __future__ import annotations

import hashlib
import re
from datetime import date
from typing import Any

import pyarrow as pa

from ingest.http import Request
from ingest.usda_psd import bulk, tables

SOURCE = "usda_psd"
LANDING: dict[str, pa.Schema] = {
    "bulk": bulk.SCHEMA,
    "report_table": tables.SCHEMA,
    "alldata": bulk.SCHEMA,
}
FORMATS = {"bulk": "zip", "report_table": "csv", "alldata": "zip"}


def commodity_codes(cfg: dict[str, Any]) -> set[str]:
    """PSD commodity codes the configured commodities read from the all-commodities file."""
    return set(cfg.get("commodity_codes") or {})


def extract_version(cfg: dict[str, Any] | None = None) -> str:
    """2: landing records each delivery (corrections); + the codes the all-commodities file
    lands (a new commodity re-lands the archived files)."""
    codes = ",".join(sorted(commodity_codes(cfg or {})))
    return "2" if not codes else "2+" + hashlib.sha256(codes.encode()).hexdigest()[:8]


# Files that are ours by name whatever their content (an HTML page saved under the name is
# rejected, not ignored), and folders whose .zip/.csv files are ours. `Coffee_Production.csv`
# is also an ICO table name: such report tables are claimed by their folder only.
CLAIMS = {
    "psd_coffee*.zip": "bulk",
    "psd_alldata*.zip": "alldata",
    "coffee_summary*.csv": "report_table",
    "arabica_coffee_production*.csv": "report_table",
    "robusta_coffee_production*.csv": "report_table",
    "*_coffee_bean_*.csv": "report_table",
    "total_coffee_*.csv": "report_table",
    "soluble_coffee_*.csv": "report_table",
}
PLACES = ("usda", "psd_*")


def commodities_of(cfg: dict[str, Any], name: str) -> list[str]:
    """The commodities a file alone serves (ingest.run.fail): the all-commodities file serves
    those configured with a code other than coffee's (coffee has its own file); a coffee file
    serves the source's own datasets, so its failure is the whole source's."""
    if "psd_alldata" not in name.lower():
        return []
    codes = cfg.get("code_commodities", {})
    return sorted({s for code, slugs in codes.items() if code != bulk.COFFEE_CODE for s in slugs})


def requests(cfg: dict[str, Any], today: date, stored_urls: set[str]) -> list[Request]:
    """The current release, plus every archived monthly release not stored yet; the current
    all-commodities file when a configured commodity needs it (conditional: ~30 MB once a
    month, a 304 otherwise)."""
    reqs = [Request(cfg["current_url"], "bulk", "psd_coffee_csv.zip", "zip")]
    if commodity_codes(cfg) - {bulk.COFFEE_CODE} and cfg.get("alldata_url"):
        reqs.append(Request(cfg["alldata_url"], "alldata", "psd_alldata_csv.zip", "zip"))
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
    if lower.endswith(".zip") and "psd_alldata" in lower and head.startswith(b"PK"):
        return "alldata"
    if lower.endswith(".csv"):
        first = head.split(b"\n", 1)[0].strip().decode("utf-8", "replace")
        if re.match(r"^(Table \d+[A-Z]? .*Coffee.*|Coffee Summary.*)$", first):
            return "report_table"
    return None


def extract(
    kind: str, data: bytes, name: str, digest: str, cfg: dict[str, Any] | None = None
) -> tuple[str, dict[str, pa.Table]]:
    """Parse one raw file: (detected release YYYY-MM, landing tables); SourceError if bad.
    `cfg` (the source's settings) says which commodities of the all-commodities file land."""
    if kind == "alldata":
        release, table = bulk.parse_alldata(data, name, digest, commodity_codes(cfg or {}))
        return release, {"alldata": table}
    if kind == "bulk":
        release, table = bulk.parse(data, name, digest)
        return release, {"bulk": table}
    if kind == "report_table":
        release, table = tables.parse(data, name, digest)
        return release, {"report_table": table}
    raise ValueError(f"unknown kind {kind}")
