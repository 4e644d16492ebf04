"""FRED monthly series (fredgraph.csv): the IMF global coffee prices, every vintage kept.

Format: two columns, `DATE,<SERIES_ID>` in older downloads and `observation_date,<SERIES_ID>`
in newer ones (both accepted); dates are the first of each month; values carry full float
noise (`75.8299865722656`) and are kept exactly; `.` or an empty cell means "no value".

Vintage (the file's release, `_release`, YYYY-MM): FRED's CSV says nothing about when it was
made, so it is read from the file name when it contains `fred_vintage_YYYY-MM` (an archive
folder), otherwise it is the month after the last observation (a monthly series is published
in the following month). Two different files with the same vintage are both archived and
landed; SQL keeps the one with the higher sha256 (arbitrary, but the same on every build).

Series metadata (coffee type, unit) comes from source.toml `[series]`; EXTRACT_VERSION
includes a hash of it, so editing it re-lands every archived file.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import tomllib
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa

from ingest.errors import SourceError
from ingest.fields import data_rows, iso_date
from ingest.http import Request
from ingest.sniff import decode_text

SOURCE = "fred"
_CONFIG = tomllib.loads(Path(__file__).with_name("source.toml").read_text(encoding="utf-8"))
SERIES: dict[str, dict[str, str]] = _CONFIG.get("series", {})
EXTRACT_VERSION = "1." + hashlib.sha256(json.dumps(SERIES, sort_keys=True).encode()).hexdigest()[:8]
SCHEMA = pa.schema(
    [("series_id", pa.string()), ("date", pa.date32()), ("value", pa.float64()),
     ("coffee_type", pa.string()), ("unit", pa.string()), ("configured", pa.bool_()),
     ("date_header", pa.string()), ("_line", pa.int64()), ("_raw_sha256", pa.string()),
     ("_release", pa.string()), ("_period", pa.date32())]
)  # fmt: skip
LANDING: dict[str, pa.Schema] = {"observations": SCHEMA}
FORMATS = {"series": "csv"}
# fredgraph downloads are named after their series; archived vintages after the vintage.
CLAIMS = {
    "fred_vintage_*.csv": "series",
    **{f"{s.lower()}*.csv": "series" for s in _CONFIG.get("series", {})},
}
PLACES = ("fred*",)
HEADER = re.compile(r"^(DATE|observation_date),([A-Z0-9_]+)$")
VINTAGE_IN_NAME = re.compile(r"fred_vintage_(\d{4}-\d{2})")
SERIES_NAME = re.compile(r"^([A-Z0-9_]+)(?:[_.-][^/]*)?\.csv$")


def requests(cfg: dict[str, Any], today: date, stored_urls: set[str]) -> list[Request]:
    """One fredgraph.csv per configured series (conditional GETs keep refetches cheap)."""
    return [
        Request(cfg["series_url"].format(series=s), "series", f"{s}.csv", "csv")
        for s in cfg.get("series", {})
    ]


def recognise(name: str, head: bytes) -> str | None:
    """A FRED CSV: `DATE,<ID>` or `observation_date,<ID>` as the first line."""
    if not name.lower().endswith(".csv"):
        return None
    first = head.lstrip(b"\xef\xbb\xbf").split(b"\n", 1)[0].strip().decode("utf-8", "replace")
    return "series" if HEADER.match(first) else None


def _vintage(name: str, last: date) -> str:
    m = VINTAGE_IN_NAME.search(name)
    if m:
        return m.group(1)
    year, month = (last.year + 1, 1) if last.month == 12 else (last.year, last.month + 1)
    return f"{year}-{month:02d}"


def _rows(text: str, name: str) -> tuple[str, str, list[tuple[int, date, float | None]]]:
    """(series id, date header, [(line, date, value)]) with structural checks."""
    rows = list(csv.reader(io.StringIO(text)))
    header = [h.strip() for h in rows[0]]
    m = HEADER.match(",".join(header))
    if not m:
        raise SourceError(
            SOURCE, name, f"header {','.join(header)!r} is not DATE|observation_date,<SERIES>", 1
        )
    date_header, series = m.groups()
    in_name = SERIES_NAME.match(name.rsplit("/", 1)[-1])
    if in_name and in_name.group(1) != series and in_name.group(1) in SERIES:
        raise SourceError(SOURCE, name, f"file is named {in_name.group(1)} but holds {series}", 1)
    out: list[tuple[int, date, float | None]] = []
    seen: dict[date, tuple[int, float | None]] = {}
    for line, row in data_rows(rows):
        if len(row) != 2:
            raise SourceError(SOURCE, name, f"{len(row)} fields, expected 2", line)
        raw_day, raw_value = row[0].strip(), row[1].strip()
        day = iso_date(SOURCE, name, raw_day, line)
        if series in SERIES and day.day != 1:
            raise SourceError(SOURCE, name, f"date {raw_day} is not the first of a month", line)
        value: float | None = None
        if raw_value not in ("", "."):
            try:
                value = float(raw_value)
            except ValueError:
                raise SourceError(
                    SOURCE, name, f"value {raw_value!r} is not a number", line
                ) from None
            if series in SERIES and value <= 0:
                raise SourceError(SOURCE, name, f"price {raw_value} is not positive", line)
        if day in seen:
            if seen[day][1] != value:
                raise SourceError(
                    SOURCE, name,
                    f"{raw_day} appears twice with different values "
                    f"(lines {seen[day][0]} and {line})",
                    line,
                )  # fmt: skip
            continue
        seen[day] = (line, value)
        out.append((line, day, value))
    if not out:
        raise SourceError(SOURCE, name, "header only, no observations")
    return series, date_header, out


def canonical_url(
    cfg: dict[str, Any], kind: str | None, name: str, release: str | None
) -> str | None:
    """fredgraph.csv of the series a file is named after (ingest.provenance); None for
    other names (e.g. fred_vintage_*.csv), which then point at FRED itself."""
    m = SERIES_NAME.match(name.rsplit("/", 1)[-1])
    if not m or m.group(1).lower().startswith("fred"):
        return None
    return cfg["series_url"].format(series=m.group(1))


def extract(kind: str, data: bytes, name: str, digest: str) -> tuple[str, dict[str, pa.Table]]:
    """Parse one fredgraph.csv: (vintage YYYY-MM, landing tables); SourceError if bad."""
    if kind != "series":
        raise ValueError(f"unknown kind {kind}")
    text = decode_text(SOURCE, name, data)
    if not text.strip():
        raise SourceError(SOURCE, name, "empty file")
    series, date_header, rows = _rows(text, name)
    release = _vintage(name, max(r[1] for r in rows))
    meta = SERIES.get(series, {})
    n = len(rows)
    cols: dict[str, list] = {
        "series_id": [series] * n,
        "date": [r[1] for r in rows],
        "value": [r[2] for r in rows],
        "coffee_type": [meta.get("coffee_type")] * n,
        "unit": [meta.get("unit")] * n,
        "configured": [bool(meta)] * n,
        "date_header": [date_header] * n,
        "_line": [r[0] for r in rows],
        "_raw_sha256": [digest] * n,
        "_release": [release] * n,
        "_period": [r[1] for r in rows],
    }
    arrays = [pa.array(cols[f.name], type=f.type) for f in SCHEMA]
    return release, {"observations": pa.Table.from_arrays(arrays, schema=SCHEMA)}
