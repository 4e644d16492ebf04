"""Yahoo Finance daily bars of the coffee futures: Coffee C (KC=F) and Robusta (RC=F).

Two upstream formats feed the same landing table `bars`:
  - csv: the v7 "Download" CSV (`Date,Open,High,Low,Close,Adj Close,Volume`); the symbol is
    not in the file, so it comes from the file name (`KC=F.csv`);
  - chart: the v8 chart JSON (`chart.result[0].timestamp` + `indicators.quote[0]`), also
    accepted inside a recorder envelope (`response.bodyJson`).
A second landing table `files` counts, per file, the bars kept and the rows dropped.

The quotation unit of each symbol comes from source.toml `[units]` or from the commodity that
lists it (commodities.toml `symbols`) and is stamped on every row (`quote_unit`). Symbols of
source.toml `symbols` land with `configured = true` (the coffee prices datasets); the other
commodities' symbols are fetched too and reach commodity_prices_daily through the commodity
configuration. The extract version hashes units and symbols, so editing them re-lands every
archived file.

Release (as-of) of a file: for chart JSON the day of `meta.regularMarketTime` in the exchange
time zone; for CSV the last date in the file. Per (symbol, date) the bar of the file with the
newest release wins, so a provisional last bar is replaced by a later download.
"""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pyarrow as pa

from ingest.errors import SourceError
from ingest.http import Request
from ingest.yahoo_prices import parse

SOURCE = "yahoo_prices"
_CONFIG = tomllib.loads(Path(__file__).with_name("source.toml").read_text(encoding="utf-8"))


def units(cfg: dict[str, Any]) -> dict[str, str]:
    """Quotation unit per symbol: source.toml `[units]`, then the configured commodities'."""
    merged = {**cfg.get("units", {}), **cfg.get("commodity_symbols", {})}
    return {k.upper(): v for k, v in merged.items()}


def published(cfg: dict[str, Any]) -> list[str]:
    """Symbols of the coffee prices datasets (source.toml `symbols`), upper case."""
    return [s.upper() for s in cfg.get("symbols", [])]


def fetched(cfg: dict[str, Any]) -> list[str]:
    """Symbols fetched nightly: the published ones, then the configured commodities'."""
    symbols = [*cfg.get("symbols", []), *cfg.get("commodity_symbols", {})]
    return list(dict.fromkeys(s.upper() for s in symbols))


def extract_version(cfg: dict[str, Any] | None = None) -> str:
    """Units and published symbols are stamped on landed rows: a change re-lands the archive."""
    cfg = _CONFIG if cfg is None else cfg
    stamp = json.dumps([units(cfg), published(cfg)], sort_keys=True).encode()
    return "1." + hashlib.sha256(stamp).hexdigest()[:8]


LANDING: dict[str, pa.Schema] = {"bars": parse.BARS, "files": parse.FILES}
FORMATS = {"csv": "csv", "chart": "json"}
# Symbol-named downloads (`KC=F.csv`, `KC=F.json`) and chart exports are ours by name.
CLAIMS = {"*=f.csv": "csv", "*=f.json": "chart", "chart[-_]*.json": "chart"}
PLACES = ("yahoo*",)


def _epoch(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())


def requests(cfg: dict[str, Any], today: date, stored_urls: set[str]) -> list[Request]:
    """One request per configured symbol: full history the first time, then a lookback."""
    fmt = cfg.get("format", "chart")
    template = cfg["chart_url"] if fmt == "chart" else cfg["csv_url"]
    start = date.fromisoformat(cfg.get("history_start", "2000-01-01"))
    lookback = timedelta(days=int(cfg.get("lookback_days", 30)))
    reqs = []
    for symbol in fetched(cfg):
        sym = quote(symbol, safe="=^.")
        prefix = template.split("{period1}")[0].format(symbol=sym)
        first = start if not any(u.startswith(prefix) for u in stored_urls) else today - lookback
        url = template.format(
            symbol=sym, period1=_epoch(first), period2=_epoch(today + timedelta(days=1))
        )
        ext = "json" if fmt == "chart" else "csv"
        reqs.append(Request(url, fmt, f"{symbol}.{ext}", FORMATS[fmt]))
    return reqs


def recognise(name: str, head: bytes) -> str | None:
    """Which kind of Yahoo file this is, by name and content; None if not ours."""
    lower = name.lower()
    if lower.endswith(".csv"):
        first = head.lstrip(b"\xef\xbb\xbf").split(b"\n", 1)[0].strip()
        if first.startswith(b"Date,Open,High,Low,Close"):
            return "csv"
    if lower.endswith(".json") and (b'"chart"' in head or b"/v8/finance/chart/" in head):
        return "chart"
    return None


def _tables(
    symbol: str, fmt: str, zone: str | None, rows_read: int, bars: list[parse.Bar],
    counts: dict[str, int], release: str, digest: str, cfg: dict[str, Any],
) -> dict[str, pa.Table]:  # fmt: skip
    n = len(bars)
    unit = units(cfg).get(symbol)
    configured = symbol in published(cfg) and unit is not None
    cols: dict[str, Any] = {
        "symbol": [symbol] * n,
        "date": [b.day for b in bars],
        "open": [b.open for b in bars],
        "high": [b.high for b in bars],
        "low": [b.low for b in bars],
        "close": [b.close for b in bars],
        "adj_close": [b.adj_close for b in bars],
        "volume": [b.volume for b in bars],
        "quote_unit": [unit] * n,
        "configured": [configured] * n,
        "exchange_timezone": [zone] * n,
        "format": [fmt] * n,
        "last_in_file": [b.day.isoformat() >= release for b in bars],
        "_line": [b.line for b in bars],
        "_raw_sha256": [digest] * n,
        "_release": [release] * n,
        "_period": [b.day for b in bars],
    }
    days = [b.day for b in bars]
    stats = {
        "symbol": [symbol], "format": [fmt], "rows_read": [rows_read], "bars": [n],
        **{k: [v] for k, v in counts.items()},
        "first_date": [min(days) if days else None], "last_date": [max(days) if days else None],
        "_line": [None], "_raw_sha256": [digest], "_release": [release],
        "_period": [date.fromisoformat(release[:10])],
    }  # fmt: skip
    return {"bars": parse.table(cols, parse.BARS), "files": parse.table(stats, parse.FILES)}


def symbol_of(name: str) -> str | None:
    """The symbol a file is named after: `KC=F.csv`, `chart-KC=F-2020-01-01-to-....json`."""
    m = re.match(r"^(?:chart[-_])?([A-Za-z0-9^.]+=[A-Za-z]|[A-Za-z0-9^.]+)", name)
    return m.group(1) if m else None


def commodities_of(cfg: dict[str, Any], name: str) -> list[str]:
    """The commodities a file alone serves (ingest.run.fail): those listing its symbol, unless
    the coffee prices datasets publish it (then a failure is the whole source's)."""
    symbol = (symbol_of(name) or "").upper()
    if not symbol or symbol in published(cfg):
        return []
    return list(cfg.get("symbol_commodities", {}).get(symbol, []))


def canonical_url(
    cfg: dict[str, Any], kind: str | None, name: str, release: str | None
) -> str | None:
    """The download (CSV) or chart API (JSON) URL of the symbol a file is named after
    (`KC=F.csv`, `chart-KC=F-2020-01-01-to-2020-01-03.json`), without its time range."""
    symbol = symbol_of(name)
    if not symbol:
        return None
    base, _, query = cfg["csv_url" if kind == "csv" else "chart_url"].partition("?")
    kept = "&".join(p for p in query.split("&") if not p.startswith(("period1", "period2")))
    return base.format(symbol=quote(symbol, safe="")) + ("?" + kept if kept else "")


def extract(
    kind: str, data: bytes, name: str, digest: str, cfg: dict[str, Any] | None = None
) -> tuple[str, dict[str, pa.Table]]:
    """Parse one raw file: (as-of YYYY-MM-DD, landing tables); SourceError if bad. `cfg`: the
    source's settings (source.toml when None), which give each symbol its unit."""
    if kind == "csv":
        symbol, rows = parse.parse_csv(data, name)
        zone, as_of = None, None
    elif kind == "chart":
        symbol, rows, zone, as_of = parse.parse_chart(data, name)
    else:
        raise ValueError(f"unknown kind {kind}")
    bars, counts = parse.clean(rows, name)
    if not rows and kind == "csv":
        raise SourceError(SOURCE, name, "header only, no data rows")
    last = max((r.day for r in rows), default=None)
    release_day = max((d for d in (as_of, last) if d), default=None)
    if release_day is None:
        raise SourceError(SOURCE, name, "no bars and no as-of time: cannot date the file")
    release = release_day.isoformat()
    return release, _tables(
        symbol,
        kind,
        zone,
        len(rows),
        bars,
        counts,
        release,
        digest,
        _CONFIG if cfg is None else cfg,
    )
