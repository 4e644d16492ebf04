"""World Bank Pink Sheet: monthly coffee prices (Arabica, Robusta) in $/kg, every release kept.

The workbook's URL changes with every release (a hash in the path), so `requests` first reads
the commodity-markets page (source.toml `page_url`) and takes the first link matching
`link_pattern`; `xlsx_url` skips the discovery. Release of a file: the `Updated on ...` date
of the sheet (YYYY-MM-DD), else the first day of the month after its last month.

Column metadata (series id, coffee type, unit) comes from source.toml `[columns]`;
EXTRACT_VERSION includes a hash of it, so editing it re-lands every archived file.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
import tomllib
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import pyarrow as pa

from ingest import http
from ingest.errors import SourceError
from ingest.http import Request
from ingest.worldbank import pinksheet

SOURCE = "worldbank"
_CONFIG = tomllib.loads(Path(__file__).with_name("source.toml").read_text(encoding="utf-8"))
COLUMNS: dict[str, dict[str, str]] = _CONFIG["columns"]
SHEET: str = _CONFIG.get("sheet", "Monthly Prices")
_STAMP = json.dumps([COLUMNS, SHEET], sort_keys=True).encode()
EXTRACT_VERSION = "1." + hashlib.sha256(_STAMP).hexdigest()[:8]
LANDING: dict[str, pa.Schema] = {"monthly": pinksheet.SCHEMA}
FORMATS = {"pinksheet": "xlsx"}
CLAIMS = {"cmo-historical-data-monthly*.xlsx": "pinksheet"}
PLACES = ("worldbank*", "pinksheet*", "pink_sheet*")
FILE_NAME = "CMO-Historical-Data-Monthly.xlsx"
HREF = re.compile(r"""href\s*=\s*["']([^"']+)["']""", re.IGNORECASE)


def discover(page: bytes, page_url: str, pattern: str) -> str:
    """The absolute URL of the first link on the page matching `pattern`."""
    text = page.decode("utf-8", "replace")
    for href in HREF.findall(text):
        url = html.unescape(href).strip()
        if re.search(pattern, url):
            return urljoin(page_url, url)
    raise SourceError(
        SOURCE, page_url,
        f"no link matching {pattern!r} on the page: the page moved or changed; "
        "set xlsx_url in ingest/worldbank/source.toml to fetch the workbook directly",
    )  # fmt: skip


def requests(cfg: dict[str, Any], today: date, stored_urls: set[str]) -> list[Request]:
    """The monthly workbook, its URL read from the commodity-markets page (a real GET)."""
    if cfg.get("xlsx_url"):
        return [Request(cfg["xlsx_url"], "pinksheet", FILE_NAME, "xlsx")]
    page_url = cfg["page_url"]
    settings = cfg.get("http", {})
    with http.make_client(settings) as client:
        page = Request(page_url, "page", "page.html", "text")
        got = http.fetch(client, SOURCE, page, None, settings, cfg.get("http_guard"))
    url = discover(got.data or b"", page_url, cfg.get("link_pattern", re.escape(FILE_NAME)))
    return [Request(url, "pinksheet", FILE_NAME, "xlsx")]


def recognise(name: str, head: bytes) -> str | None:
    """The Pink Sheet monthly workbook, by name (an xlsx is a zip: the head says little)."""
    lower = name.lower().rsplit("/", 1)[-1]
    if lower.endswith(".xlsx") and "cmo-historical-data-monthly" in lower and head[:2] == b"PK":
        return "pinksheet"
    return None


def extract(kind: str, data: bytes, name: str, digest: str) -> tuple[str, dict[str, pa.Table]]:
    """Parse one workbook: (release YYYY-MM-DD, landing tables); SourceError if bad."""
    if kind != "pinksheet":
        raise ValueError(f"unknown kind {kind}")
    release, table = pinksheet.parse(data, name, digest, SHEET, COLUMNS)
    return release, {"monthly": table}
