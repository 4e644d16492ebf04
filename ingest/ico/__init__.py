"""ICO historical coffee statistics (Kaggle repackaging of ico.org tables).

Each file is one flow in wide layout: `Country[,Coffee type],<year>...,Total_<flow>`.
  - production and domestic consumption use crop-year columns (`1990/91`) and a `Coffee type`
    column; trade tables use calendar-year columns (`1990`);
  - a leading space in the country name marks a sub-member of a group (the EU member states in
    the importing-members tables), kept as `is_sub_member`;
  - the `Total_*` column is ICO's row total: it is checked against the sum of the years and then
    dropped (it is not a year);
  - values are ICO's thousand 60-kg bags multiplied by 60 (i.e. tonnes); the models divide by 60
    (checked on the data: every production and trade value is a multiple of 60, and world
    production 2018/19 / 60 = 172.5 million bags, within 2% of USDA PSD's 176.0 million).
"""

from __future__ import annotations

from datetime import date
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import urlsplit

import pyarrow as pa

from ingest.http import Request
from ingest.ico import table

SOURCE = "ico"
EXTRACT_VERSION = "1"
LANDING: dict[str, pa.Schema] = {"flows": table.SCHEMA}
FORMATS = {"table": "csv"}
# ICO table names (`Coffee_production.csv`) are also USDA report names: claimed by folder only.
CLAIMS: dict[str, str] = {}
PLACES = ("ico",)


def requests(cfg: dict[str, Any], today: date, stored_urls: set[str]) -> list[Request]:
    """The configured table URLs (none by default: ICO files are imported)."""
    reqs = []
    for url in cfg.get("table_urls", []):
        name = PurePosixPath(urlsplit(url).path).name or "ico_table.csv"
        reqs.append(Request(url, "table", name, "csv"))
    return reqs


def recognise(name: str, head: bytes) -> str | None:
    """An ICO wide table: header `Country,...,Total_<flow>`; None if not ours."""
    if not name.lower().endswith(".csv"):
        return None
    first = head.lstrip(b"\xef\xbb\xbf").split(b"\n", 1)[0].strip().decode("utf-8", "replace")
    if first.startswith("Country,") and ",Total_" in first:
        return "table"
    return None


def extract(kind: str, data: bytes, name: str, digest: str) -> tuple[str, dict[str, pa.Table]]:
    """Parse one ICO table: (as-of YYYY-12 of its last year, landing `flows`)."""
    if kind != "table":
        raise ValueError(f"unknown kind {kind}")
    release, rows = table.parse(data, name, digest)
    return release, {"flows": rows}
