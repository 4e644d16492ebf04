"""Parse Yahoo Finance daily bars: the CSV download and the v8 chart JSON.

Quirks handled (../shared/data/PROVENANCE.md):
  - all-`null` rows are exchange holidays Yahoo emits: dropped and counted (`files` table);
  - a row with prices but no close is a bar still forming: dropped and counted;
  - the last bar of a download may be provisional (a later download corrects it): every bar
    carries `last_in_file`, and SQL keeps, per (symbol, date), the bar of the newest file;
  - no newline after the last CSV row, floats with 6 decimals, zero volume (kept as is);
  - the chart JSON may come wrapped in a test-recorder envelope (`response.bodyJson`);
  - chart timestamps are the exchange's local midnight: dates come from the exchange time
    zone named in `meta` (`exchangeTimezoneName`), never from UTC.

Structural faults raise SourceError naming the file and line (CSV) or bar position (JSON):
a renamed or missing column, a date that is not YYYY-MM-DD, a non-numeric value, arrays of
unequal length, the same date twice with different values, a negative or zero price.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pyarrow as pa

from ingest.errors import SourceError
from ingest.fields import data_rows, iso_date
from ingest.sniff import decode_text

SOURCE = "yahoo_prices"
LINEAGE = [
    ("_line", pa.int64()),
    ("_raw_sha256", pa.string()),
    ("_release", pa.string()),
    ("_period", pa.date32()),
]
BARS = pa.schema(
    [("symbol", pa.string()), ("date", pa.date32()), ("open", pa.float64()),
     ("high", pa.float64()), ("low", pa.float64()), ("close", pa.float64()),
     ("adj_close", pa.float64()), ("volume", pa.int64()), ("quote_unit", pa.string()),
     ("configured", pa.bool_()), ("exchange_timezone", pa.string()), ("format", pa.string()),
     ("last_in_file", pa.bool_())] + LINEAGE
)  # fmt: skip
FILES = pa.schema(
    [("symbol", pa.string()), ("format", pa.string()), ("rows_read", pa.int64()),
     ("bars", pa.int64()), ("holiday_rows", pa.int64()), ("incomplete_rows", pa.int64()),
     ("duplicate_rows", pa.int64()), ("first_date", pa.date32()), ("last_date", pa.date32())]
    + LINEAGE
)  # fmt: skip
BAR_KEYS = ("open", "high", "low", "close", "adjclose", "volume")  # a chart's per-bar arrays
CSV_COLUMNS = ["Date", "Open", "High", "Low", "Close", "Adj Close", "Volume"]
CSV_REQUIRED = ["Date", "Open", "High", "Low", "Close", "Volume"]  # Adj Close may be absent
SYMBOL_IN_NAME = re.compile(r"^(?:chart[_-])?([A-Za-z0-9.=^-]+?)(?:_[^/]*)?\.(?:csv|json)$")


def table(columns: dict[str, list], schema: pa.Schema) -> pa.Table:
    """Build a landing table from Python lists (pa.table(dict) would import pandas: ~1 s)."""
    arrays = [pa.array(columns[f.name], type=f.type) for f in schema]
    return pa.Table.from_arrays(arrays, schema=schema)


@dataclass
class Bar:
    """One row of a file; `where` is how an error names it ("line 7", "bar 3")."""

    line: int
    where: str
    day: date
    open: float | None
    high: float | None
    low: float | None
    close: float | None
    adj_close: float | None
    volume: int | None

    def values(self) -> tuple:
        return (self.open, self.high, self.low, self.close, self.adj_close, self.volume)


def symbol_from_name(name: str) -> str:
    """'KC=F.csv', 'chart_KC=F.json', 'KC=F_2024-05-01.csv' -> 'KC=F' (CSV has no symbol)."""
    m = SYMBOL_IN_NAME.match(name.rsplit("/", 1)[-1])
    if not m:
        raise SourceError(SOURCE, name, "cannot tell the symbol from the file name")
    return m.group(1).upper()


def _number(text: str, file: str, line: int, column: str) -> float | None:
    text = text.strip()
    if text in ("", "null"):
        return None
    try:
        return float(text)
    except ValueError:
        raise SourceError(SOURCE, file, f"{column} {text!r} is not a number", line) from None


def parse_csv(data: bytes, name: str) -> tuple[str, list[Bar]]:
    """(symbol, rows) of a Yahoo 'Download' CSV."""
    symbol = symbol_from_name(name)
    text = decode_text(SOURCE, name, data)
    if not text.strip():
        raise SourceError(SOURCE, name, "empty file")
    rows = list(csv.reader(io.StringIO(text)))
    header = [h.strip() for h in rows[0]]
    missing = [c for c in CSV_REQUIRED if c not in header]
    extra = [c for c in header if c not in CSV_COLUMNS]
    if missing or extra:
        raise SourceError(
            SOURCE, name, f"header changed: missing {missing}, unexpected {extra}", line=1
        )
    col = {c: header.index(c) for c in header}
    bars = []
    for line, row in data_rows(rows):
        if len(row) != len(header):
            raise SourceError(SOURCE, name, f"{len(row)} fields, header has {len(header)}", line)
        day = iso_date(SOURCE, name, row[col["Date"]].strip(), line)
        nums = {c: _number(row[col[c]], name, line, c) for c in header if c != "Date"}
        volume = nums["Volume"]
        bars.append(
            Bar(line, f"line {line}", day, nums["Open"], nums["High"], nums["Low"],
                nums["Close"], nums.get("Adj Close"), None if volume is None else int(volume))
        )  # fmt: skip
    return symbol, bars


def _zone(meta: dict) -> tuple[tzinfo, str]:
    """The exchange's time zone: by name (DST-aware), else the fixed gmtoffset, else UTC."""
    tz_name = meta.get("exchangeTimezoneName")
    if isinstance(tz_name, str) and tz_name:
        try:
            return ZoneInfo(tz_name), tz_name
        except (ZoneInfoNotFoundError, ValueError):
            pass
    offset = meta.get("gmtoffset")
    if isinstance(offset, int):
        return timezone(timedelta(seconds=offset)), f"UTC{offset / 3600:+g}"
    return UTC, "UTC"


def _chart_body(obj: object, name: str) -> dict:
    """The `chart` object, unwrapping a recorder envelope ({request, response.bodyJson})."""
    if isinstance(obj, dict) and "chart" not in obj:
        body = obj.get("response", {}) if isinstance(obj.get("response"), dict) else {}
        if "bodyJson" in body:
            obj = body["bodyJson"]
    chart = obj.get("chart") if isinstance(obj, dict) else None
    if not isinstance(chart, dict):
        raise SourceError(SOURCE, name, "no 'chart' object: not a Yahoo chart response")
    if chart.get("error"):
        err = chart["error"]
        desc = err.get("description", err) if isinstance(err, dict) else err
        raise SourceError(SOURCE, name, f"Yahoo answered an error: {desc}")
    return chart


def parse_chart(data: bytes, name: str) -> tuple[str, list[Bar], str, date | None]:
    """(symbol, rows, exchange time zone, as-of day of the response) of a v8 chart JSON."""
    try:
        obj = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SourceError(SOURCE, name, f"invalid JSON: {exc}") from exc
    chart = _chart_body(obj, name)
    results = chart.get("result")
    if not isinstance(results, list) or not results or not isinstance(results[0], dict):
        raise SourceError(SOURCE, name, "chart.result is empty")
    res = results[0]
    meta = res.get("meta") if isinstance(res.get("meta"), dict) else {}
    symbol = meta.get("symbol")
    if not isinstance(symbol, str) or not symbol:
        raise SourceError(SOURCE, name, "chart.result[0].meta.symbol is missing")
    zone, zone_name = _zone(meta)
    stamps = res.get("timestamp") or []  # Yahoo omits it when the window holds no bar
    quotes = (res.get("indicators") or {}).get("quote") or [{}]
    quote = quotes[0] if isinstance(quotes[0], dict) else {}
    arrays: dict[str, list] = {"timestamp": stamps}
    for key in ("open", "high", "low", "close", "volume"):
        if key not in quote and stamps:
            raise SourceError(SOURCE, name, f"indicators.quote[0] has no {key!r} array")
        arrays[key] = quote.get(key) or []
    adj = (res.get("indicators") or {}).get("adjclose") or []
    if adj and isinstance(adj[0], dict) and "adjclose" in adj[0]:
        arrays["adjclose"] = adj[0]["adjclose"] or []
    lengths = {k: len(v) if isinstance(v, list) else -1 for k, v in arrays.items()}
    if len(set(lengths.values())) > 1:
        sizes = ", ".join(f"{k} {n}" for k, n in lengths.items())
        raise SourceError(SOURCE, name, f"arrays of unequal length: {sizes}")
    bars = []
    absent = [None] * len(stamps)  # once: a default built per bar made the loop quadratic
    columns = {k: arrays.get(k, absent) for k in BAR_KEYS}
    for i, ts in enumerate(stamps):
        where = f"bar {i + 1}"
        if not isinstance(ts, int) or isinstance(ts, bool):
            raise SourceError(SOURCE, name, f"{where}: timestamp {ts!r} is not Unix seconds")
        vals = {}
        for key, column in columns.items():
            v = column[i]
            if v is not None and (isinstance(v, bool) or not isinstance(v, int | float)):
                raise SourceError(SOURCE, name, f"{where}: {key} {v!r} is not a number")
            vals[key] = v
        day = datetime.fromtimestamp(ts, zone).date()
        volume = None if vals["volume"] is None else int(vals["volume"])
        bars.append(
            Bar(i + 1, where, day, vals["open"], vals["high"], vals["low"], vals["close"],
                vals["adjclose"], volume)
        )  # fmt: skip
    market_time = meta.get("regularMarketTime")
    as_of = (
        datetime.fromtimestamp(market_time, zone).date() if isinstance(market_time, int) else None
    )
    return symbol.upper(), bars, zone_name, as_of


def clean(bars: list[Bar], name: str) -> tuple[list[Bar], dict[str, int]]:
    """Drop holiday and incomplete rows, refuse impossible values; (kept bars, counts)."""
    counts = {"holiday_rows": 0, "incomplete_rows": 0, "duplicate_rows": 0}
    seen: dict[date, Bar] = {}
    for bar in bars:
        if all(v is None for v in bar.values()):
            counts["holiday_rows"] += 1
            continue
        if bar.close is None:
            counts["incomplete_rows"] += 1
            continue
        line = bar.line if bar.where.startswith("line") else None
        prefix = "" if line else f"{bar.where}: "
        for label, v in (("open", bar.open), ("high", bar.high), ("low", bar.low),
                         ("close", bar.close), ("adj close", bar.adj_close)):  # fmt: skip
            if v is not None and v <= 0:
                raise SourceError(
                    SOURCE, name, f"{prefix}{label} {v} is not a positive price", line
                )
        if bar.volume is not None and bar.volume < 0:
            raise SourceError(SOURCE, name, f"{prefix}negative volume {bar.volume}", line)
        if bar.high is not None and bar.low is not None and bar.high < bar.low:
            raise SourceError(SOURCE, name, f"{prefix}high {bar.high} < low {bar.low}", line)
        if bar.day in seen:
            first = seen[bar.day]
            if first.values() != bar.values():
                raise SourceError(
                    SOURCE, name,
                    f"{prefix}{bar.day} appears twice with different values "
                    f"({first.where} and {bar.where})", line,
                )  # fmt: skip
            counts["duplicate_rows"] += 1
            continue
        seen[bar.day] = bar
    return sorted(seen.values(), key=lambda b: b.day), counts
