"""The price sources over real HTTP (tests/httpserver.py on 127.0.0.1): fetch, sniff, land.

Every request goes through ingest.run.ingest_source -> ingest.http (httpx), exactly as in the
nightly build; the server injects the faults (HTML pages, empty bodies, moved links).
"""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from ingest import worldbank, yahoo_prices
from ingest.archive import load_manifest
from ingest.errors import SourceError
from ingest.run import ingest_source
from tests import prices_fixtures as fx

TODAY = date(2022, 1, 21)
HTTP = {"retries": 1, "backoff_seconds": 0, "timeout_seconds": 5}
FIXTURES = Path(yahoo_prices.__file__).parents[1]


def landed(var: Path, source: str, table: str) -> list[dict]:
    out = []
    for path in sorted((var / "landing" / source / table).glob("*.parquet")):
        out += pq.read_table(path).to_pylist()
    return out


def _yahoo_root(root: Path) -> None:
    chart = root / "v8/finance/chart"
    chart.mkdir(parents=True)
    at = datetime(2022, 1, 20, 18, tzinfo=UTC)
    kc = [(date(2022, 1, 18), (148.4, 150.1, 147.9, 149.3, 20903)), (date(2022, 1, 19), None)]
    rc = [(date(2022, 1, 18), (2204.0, 2210.0, 2190.0, 2204.62, 9000))]
    (chart / "KC=F").write_bytes(fx.chart_json("KC=F", kc, at))
    (chart / "RC=F").write_bytes(fx.chart_json("RC=F", rc, at))


def test_yahoo_requests_full_history_first_then_a_lookback() -> None:
    cfg = {
        "symbols": ["KC=F", "RC=F"],
        "format": "chart",
        "history_start": "2000-01-01",
        "lookback_days": 30,
        "chart_url": "http://h/c/{symbol}?p1={period1}&p2={period2}",
    }
    first = yahoo_prices.requests(cfg, TODAY, set())
    assert [r.url for r in first] == [
        "http://h/c/KC=F?p1=946684800&p2=1642809600",  # 2000-01-01 .. 2022-01-22 (exclusive)
        "http://h/c/RC=F?p1=946684800&p2=1642809600",
    ]
    again = yahoo_prices.requests(cfg, TODAY, {first[0].url})
    lookback = int(datetime(2021, 12, 22, tzinfo=UTC).timestamp())
    assert again[0].url == f"http://h/c/KC=F?p1={lookback}&p2=1642809600"
    assert again[1].url == first[1].url  # RC=F has no history yet
    csv_cfg = {**cfg, "format": "csv", "csv_url": "http://h/d/{symbol}?a={period1}&b={period2}"}
    [req, _] = yahoo_prices.requests(csv_cfg, TODAY, set())
    assert (req.kind, req.name, req.fmt) == ("csv", "KC=F.csv", "csv")


def test_yahoo_over_http_and_an_html_page_for_one_symbol(
    upstream, http_root: Path, tmp_path: Path
) -> None:
    _yahoo_root(http_root)
    cfg = {"chart_url": upstream.url("v8/finance/chart/{symbol}?period1={period1}"
                                     "&period2={period2}&interval=1d")}  # fmt: skip
    var = tmp_path / "var"
    upstream.faults["/v8/finance/chart/RC=F"] = {
        "body": b"<!DOCTYPE html><html><title>Yahoo! - 502</title></html>",
        "type": "text/html",
    }
    res = ingest_source("yahoo_prices", var, cfg, HTTP, None, TODAY)
    # each symbol asked once (the requests of a host go out in parallel: any order)
    assert sorted(p for p, _ in upstream.hits) == [
        "/v8/finance/chart/KC=F",
        "/v8/finance/chart/RC=F",
    ]
    assert len(res.errors) == 1 and "/v8/finance/chart/RC=F" in res.errors[0]
    assert "HTML page was served instead of json" in res.errors[0]
    bars = landed(var, "yahoo_prices", "bars")
    assert [(b["symbol"], b["date"], b["close"]) for b in bars] == [
        ("KC=F", date(2022, 1, 18), 149.3)
    ]  # the good symbol landed; the holiday (null) bar was dropped and counted
    assert landed(var, "yahoo_prices", "files")[0]["holiday_rows"] == 1
    assert len(list((var / "rejected").rglob("*"))) > 0  # the HTML kept apart, with its reason
    # upstream recovers: the next run lands RC=F and leaves KC=F unchanged (conditional GET)
    del upstream.faults["/v8/finance/chart/RC=F"]
    res = ingest_source("yahoo_prices", var, cfg, HTTP, None, TODAY)
    assert res.ok and res.files_new == 1
    rc = [b for b in landed(var, "yahoo_prices", "bars") if b["symbol"] == "RC=F"]
    assert rc[0]["close"] == 2204.62 and rc[0]["quote_unit"] == "USD/t"


def test_fred_over_http_an_empty_body_fails_only_that_series(
    upstream, http_root: Path, tmp_path: Path
) -> None:
    (http_root / "fred").mkdir()
    shutil.copy(FIXTURES / "fred/fixtures/PCOFFOTMUSDM.csv", http_root / "fred/PCOFFOTMUSDM.csv")
    (http_root / "fred/PCOFFROBUSDM.csv").write_bytes(b"")
    var = tmp_path / "var"
    cfg = {"series_url": upstream.url("fred/{series}.csv")}
    res = ingest_source("fred", var, cfg, HTTP, None, TODAY)
    assert len(res.errors) == 1 and "PCOFFROBUSDM.csv: empty body" in res.errors[0]
    obs = landed(var, "fred", "observations")
    assert len(obs) == 44 and {o["series_id"] for o in obs} == {"PCOFFOTMUSDM"}
    assert {o["_release"] for o in obs} == {"2022-09"}
    [row] = [r for r in load_manifest(var / "raw") if r["source"] == "fred"]
    assert row["url"].endswith("/fred/PCOFFOTMUSDM.csv") and row["release"] == "2022-09"


def test_pinksheet_link_is_discovered_from_the_page(
    upstream, http_root: Path, tmp_path: Path
) -> None:
    page = http_root / "en/research/commodity-markets"
    page.parent.mkdir(parents=True)
    xlsx = FIXTURES / "worldbank/fixtures/CMO-Historical-Data-Monthly.xlsx"
    for release in ("5d903e84", "18675f1d"):
        target = http_root / "en/doc" / release / "related/CMO-Historical-Data-Monthly.xlsx"
        target.parent.mkdir(parents=True)
        shutil.copy(xlsx, target)
    var = tmp_path / "var"
    cfg = {"page_url": upstream.url("en/research/commodity-markets")}
    page.write_text('<a href="/en/doc/5d903e84/related/CMO-Historical-Data-Monthly.xlsx">x</a>')
    res = ingest_source("worldbank", var, cfg, HTTP, None, TODAY)
    assert res.ok and res.files_new == 1, res.errors
    assert [p for p, _ in upstream.hits] == [
        "/en/research/commodity-markets",
        "/en/doc/5d903e84/related/CMO-Historical-Data-Monthly.xlsx",
    ]
    assert len(landed(var, "worldbank", "monthly")) == 88
    # next month the link carries another hash: followed; same bytes are stored once
    page.write_text("<a href='../doc/18675f1d/related/CMO-Historical-Data-Monthly.xlsx'>x</a>")
    res = ingest_source("worldbank", var, cfg, HTTP, None, TODAY)
    assert res.ok and res.files_new == 0 and res.files_unchanged == 1
    assert upstream.hits[-1][0] == "/en/doc/18675f1d/related/CMO-Historical-Data-Monthly.xlsx"
    # the workbook URL answers an HTML page: refused, named, nothing landed from it
    upstream.faults["/en/doc/18675f1d/related/CMO-Historical-Data-Monthly.xlsx"] = {
        "body": b"<html><body>Access denied</body></html>"
    }
    res = ingest_source("worldbank", var, cfg, HTTP, None, TODAY + timedelta(days=1))
    assert len(res.errors) == 1 and "18675f1d" in res.errors[0] and "HTML" in res.errors[0]
    assert len(landed(var, "worldbank", "monthly")) == 88  # the good release is still there


def test_pinksheet_page_without_the_link_is_a_clear_error(upstream, http_root: Path) -> None:
    (http_root / "markets.html").write_text("<html><body>We moved.</body></html>")
    cfg = {"page_url": upstream.url("markets.html"), "link_pattern": r"CMO-.*\.xlsx"}
    with pytest.raises(SourceError) as err:
        worldbank.requests(cfg, TODAY, set())
    assert err.value.file.endswith("/markets.html") and "set xlsx_url" in str(err.value)
    direct = worldbank.requests({**cfg, "xlsx_url": "http://h/x.xlsx"}, TODAY, set())
    assert [r.url for r in direct] == ["http://h/x.xlsx"]  # discovery skipped


def test_pinksheet_page_unreachable(upstream) -> None:
    upstream.faults["/down"] = {"status": 503}
    cfg = {"page_url": upstream.url("down"), "http": HTTP}
    with pytest.raises(SourceError, match="HTTP 503 after retries"):
        worldbank.requests(cfg, TODAY, set())
