"""A file only one commodity needs fails: that commodity goes stale, nothing else does.

At 40 commodities one futures symbol answering 404, or USDA's all-commodities file arriving
truncated, must not freeze coffee's prices or balance. Nothing of that commodity lands, so its
rows stay as last landed; the catalog, its page, the run record and the exit code say so.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow.parquet as pq

from beanflows import commodities, status
from ingest import usda_psd, yahoo_prices
from ingest.run import ingest_source
from tests import prices_fixtures as fx
from tests.demo_site import imported_builds

TODAY = date(2022, 1, 21)
HTTP = {"retries": 1, "backoff_seconds": 0, "timeout_seconds": 5}
HTML = b"<!DOCTYPE html><html><title>Yahoo! - 404 Not Found</title></html>"


def _symbols(var: Path) -> set[str]:
    files = (var / "landing/yahoo_prices/bars").glob("*.parquet")
    return {s for p in files for s in pq.read_table(p, columns=["symbol"])["symbol"].to_pylist()}


def test_a_failed_symbol_of_one_commodity_is_that_commodity_s_error(
    upstream, http_root: Path, tmp_path: Path
) -> None:
    chart = http_root / "v8/finance/chart"
    chart.mkdir(parents=True)
    at = datetime(2022, 1, 20, 18, tzinfo=UTC)
    for symbol, close in (("KC=F", 149.3), ("RC=F", 2204.6), ("CC=F", 2500.0)):
        bars = [(date(2022, 1, 18), (close, close, close, close, 100))]
        (chart / symbol).write_bytes(fx.chart_json(symbol, bars, at))
    cfg = {
        "chart_url": upstream.url("v8/finance/chart/{symbol}?period1={period1}&period2={period2}"),
        **commodities.source_settings(commodities.load())["yahoo_prices"],
    }
    var = tmp_path / "var"
    res = ingest_source("yahoo_prices", var, cfg, HTTP, None, TODAY)  # SB=F, ZW=F: 404
    assert res.ok, res.errors  # the source itself is fine: coffee's prices land
    assert set(res.commodity_errors) == {"sugar", "wheat"}
    assert "SB=F" in res.commodity_errors["sugar"][0] and "404" in res.commodity_errors["sugar"][0]
    assert _symbols(var) == {"KC=F", "RC=F", "CC=F"}

    upstream.faults["/v8/finance/chart/RC=F"] = {"body": HTML, "type": "text/html"}
    res = ingest_source("yahoo_prices", var, cfg, HTTP, None, TODAY)
    assert not res.ok and "RC=F" in res.errors[0]  # a coffee symbol: the source's failure


def test_which_commodities_a_file_alone_serves() -> None:
    wanted = commodities.source_settings(commodities.load())
    yahoo = {**yahoo_prices._CONFIG, **wanted["yahoo_prices"]}
    assert yahoo_prices.commodities_of(yahoo, "SB=F.csv") == ["sugar"]
    assert yahoo_prices.commodities_of(yahoo, "chart-ZW=F-2020-01-01-to-2020-02-01.json") == [
        "wheat"
    ]
    assert yahoo_prices.commodities_of(yahoo, "KC=F.json") == []  # coffee: the source's own
    assert yahoo_prices.commodities_of(yahoo, "GC=F.json") == []  # nobody's: the source's
    psd = wanted["usda_psd"]
    assert usda_psd.commodities_of(psd, "psd_alldata_csv.zip") == ["sugar", "wheat"]
    assert usda_psd.commodities_of(psd, "psd_coffee_csv.zip") == []


def test_a_broken_sugar_file_marks_sugar_stale_and_publishes_everything_else(
    tmp_path: Path,
) -> None:
    """Imported files, three builds: good; a broken SB=F file (exit 1, sugar stale, coffee and
    the generic datasets refreshed as usual); the same again (stale since the first)."""
    root, build = imported_builds(tmp_path)  # the demo's files, imported
    var, out = tmp_path / "var", tmp_path / "dist"
    code, log, before = build("2025-08-10")
    assert code == 0, log[-3000:]
    assert {c["slug"]: c["status"] for c in before["commodities"]} == dict.fromkeys(
        ["coffee", "cocoa", "sugar", "wheat"], "ok"
    )
    (root / "yahoo_prices" / "new").mkdir()
    (root / "yahoo_prices" / "new" / "SB=F.csv").write_bytes(HTML)
    since = None
    for today in ("2025-08-11", "2025-08-12"):
        code, log, after = build(today)
        assert code == 1, (today, log[-3000:])
        assert "SB=F.csv" in log and "only sugar needs this file" in log, log[-3000:]
        sugar = next(c for c in after["commodities"] if c["slug"] == "sugar")
        assert sugar["status"] == "stale" and "SB=F.csv" in sugar["stale_reason"]
        assert sugar["stale_reason"].startswith("yahoo_prices: ")
        since = since or sugar["stale_since"]
        assert sugar["stale_since"] == since  # since the first failing build
        others = [c["status"] for c in after["commodities"] if c["slug"] != "sugar"]
        assert others == ["ok", "ok", "ok"]
        assert after["sources"]["yahoo_prices"]["status"] != "stale"
        for name in ("prices_daily", "commodity_prices_daily", "price_indicators"):
            assert after["datasets"][name]["status"] != "stale", name
        page = (out / "commodities/sugar/index.html").read_text()
        assert "Stale data:" in page and "SB=F.csv" in page
        assert "Stale data:" not in (out / "commodities/coffee/index.html").read_text()
        assert (
            '<span class="pill stale">stale</span>' in (out / "commodities/index.html").read_text()
        )
        incidents = status.incidents(after, [])
        assert "commodity:sugar:stale" in incidents and "source:yahoo_prices:stale" not in incidents
    run = json.loads((var / "runs.jsonl").read_text().splitlines()[-1])
    assert run["sources"]["yahoo_prices"]["outcome"] == "partial"
    assert "sugar" in run["sources"]["yahoo_prices"]["error"]


def test_a_build_of_other_sources_keeps_a_commodity_s_problem() -> None:
    """`--source cftc_cot` did not look at Yahoo again: sugar's Yahoo problem stands; a
    build that fetched Yahoo without a problem clears it."""
    from beanflows import catalog

    config = commodities.load()
    first = catalog.commodity_entries(
        config, {"sugar": ["yahoo_prices: SB=F.csv: HTTP 404"]}, None, "2026-12-01T00:00:00Z"
    )
    assert [c["status"] for c in first] == ["ok", "ok", "stale", "ok"]
    cot_only = catalog.commodity_entries(config, {}, first, "2026-12-02T00:00:00Z", ["cftc_cot"])
    sugar = cot_only[2]
    assert (sugar["status"], sugar["stale_since"]) == ("stale", "2026-12-01T00:00:00Z")
    assert sugar["stale_reason"] == "yahoo_prices: SB=F.csv: HTTP 404"
    every = catalog.commodity_entries(
        config, {}, cot_only, "2026-12-03T00:00:00Z", ["yahoo_prices"]
    )
    assert [c["status"] for c in every] == ["ok"] * 4
