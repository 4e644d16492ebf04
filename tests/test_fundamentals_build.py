"""End to end on the real files: ICE stocks, Open-Meteo, ICO and price vs fundamentals.

One module-scoped `beanflows build --raw-from ../shared/data` (the real CLI, SQLMesh and
export); every test then compares the published Parquet with values recomputed here from the
raw upstream files, independently of the SQL.
"""

from __future__ import annotations

import csv
import json
import math
from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import duckdb
import pytest

from tests.conftest import run_cli

SOURCES = ["ice_stocks", "open_meteo", "ico", "usda_psd", "yahoo_prices"]
DATASETS = [
    "ice_certified_stocks", "ice_certified_stocks_by_port", "ice_certified_stocks_by_origin",
    "ice_certified_stocks_indicators", "ice_certified_stocks_reconciliation", "weather_daily",
    "weather_alerts", "ico_trade", "fundamentals_monthly",
]  # fmt: skip


@pytest.fixture(scope="module")
def built(shared_data: Path, tmp_path_factory) -> tuple[Path, dict]:
    """The whole nightly build (every source) over every real file: ~1 minute."""
    root = tmp_path_factory.mktemp("fundamentals")
    res = run_cli("build", "--raw-from", str(shared_data), "--var", str(root / "var"),
                  "--out", str(root / "dist"), cwd=root)  # fmt: skip
    path = root / "dist/data/catalog.json"
    assert path.exists(), res.stderr[-4000:]
    catalog = json.loads(path.read_text())
    for source in SOURCES:
        assert catalog["sources"][source]["status"] == "ok", res.stderr[-4000:]
    for name in DATASETS:
        assert catalog["datasets"][name]["status"] in ("ok", "late"), (name, res.stderr[-4000:])
    return root, catalog


def _rows(root: Path, dataset: str, where: str = "", order: str = "") -> list[dict]:
    rel = duckdb.sql(f"FROM '{root}/dist/data/pro/{dataset}.parquet' {where} {order}")
    cols = rel.columns
    return [dict(zip(cols, r, strict=True)) for r in rel.fetchall()]


def _half_up(x: float, digits: int) -> float:
    """SQL ROUND (half away from zero), unlike Python's round (half to even)."""
    q = Decimal(1).scaleb(-digits)
    return float(Decimal(repr(x)).quantize(q, rounding=ROUND_HALF_UP))


def _csv_series(shared_data: Path) -> dict[date, int]:
    lines = (shared_data / "ice_stocks/arabica_stocks.csv").read_text().splitlines()[2:]
    out = {}
    for line in lines:
        d, v = line.split(";")
        out[datetime.strptime(d, "%d.%m.%Y").date()] = int(v)
    return out


def _json_series(shared_data: Path) -> dict[date, dict]:
    path = shared_data / "ice_stocks/certified_stocks_arabica_deep_2020-2024.json"
    doc = json.loads(path.read_text())
    return {date.fromisoformat(s["date"]): s for s in doc["snapshots"]}


# --- ICE certified stocks ------------------------------------------------------------------


def test_certified_stocks_hold_the_published_values(built, shared_data: Path) -> None:
    root, catalog = built
    rows = {r["date"]: r for r in _rows(root, "ice_certified_stocks")}
    csv_s, json_s = _csv_series(shared_data), _json_series(shared_data)
    assert set(rows) == set(csv_s) | set(json_s)
    assert rows[date(2025, 12, 26)]["bags"] == 456477  # in the CSV and in ICE's own .xls
    assert rows[date(2025, 12, 26)]["source"] == "ice_report_xls"
    for d, bags in csv_s.items():
        assert rows[d]["bags"] == bags, d
    for d, snap in json_s.items():
        if d not in csv_s:
            assert (rows[d]["bags"], rows[d]["source"]) == (snap["total_bags"], "ports_json")
    cols = {c["name"]: c for c in catalog["datasets"]["ice_certified_stocks"]["columns"]}
    assert cols["bags"]["unit"] == "bags of 60 kg"
    assert catalog["datasets"]["ice_certified_stocks"]["files"]["free"] is not None


def test_reconciliation_flags_exactly_the_real_disagreements(built, shared_data: Path) -> None:
    root, _ = built
    csv_s, json_s = _csv_series(shared_data), _json_series(shared_data)
    expected = sorted(
        (d, csv_s[d], json_s[d]["total_bags"])
        for d in csv_s.keys() & json_s.keys()
        if csv_s[d] != json_s[d]["total_bags"]
    )
    flags = _rows(root, "ice_certified_stocks_reconciliation", order="ORDER BY date")
    got = [(r["date"], r["bags_series_csv"], r["bags_ports_json"], r["canonical_source"])
           for r in flags]  # fmt: skip
    assert [g[:3] for g in got] == expected
    assert [g[0] for g in got] == [date(2023, 7, d) for d in (17, 18, 19, 20)]
    assert {g[3] for g in got} == {"series_csv"}


def test_by_port_from_ice_report_and_json(built, shared_data: Path) -> None:
    root, _ = built
    ports = defaultdict(dict)
    for r in _rows(root, "ice_certified_stocks_by_port"):
        ports[r["date"]][r["port"]] = (r["bags"], r["source"])
    assert ports[date(2025, 12, 26)]["HA/BR"] == (34520, "ice_report_xls")
    assert sum(b for b, _ in ports[date(2025, 12, 26)].values()) == 456477
    json_s = _json_series(shared_data)
    names = {"NYK": "NY", "HAM": "HA/BR", "ANT": "ANT", "MIA": "MIAMI", "VIR": "VA",
             "NOR": "NOLA", "HOU": "HOU", "BAR": "BAR"}  # fmt: skip
    for d, snap in json_s.items():
        want = {names[p]: (b, "ports_json") for p, b in snap["by_port_totals"].items()}
        assert ports[d] == want, d


def test_indicators_recomputed_from_the_published_series(built) -> None:
    root, _ = built
    series = {r["date"]: r["bags"] for r in _rows(root, "ice_certified_stocks")}
    days = sorted(series)
    for r in _rows(root, "ice_certified_stocks_indicators"):
        d = r["date"]
        window = [series[x] for x in days if d - timedelta(days=29) <= x <= d]
        assert r["avg_30d"] == _half_up(sum(window) / len(window), 1), d
        year = [series[x] for x in days if d - timedelta(days=364) <= x <= d]
        assert r["high_52w"] == max(year)
        assert r["drawdown_52w_pct"] == _half_up(100 * (series[d] - max(year)) / max(year), 2)
        base = [x for x in days if d - timedelta(days=13) <= x <= d - timedelta(days=7)]
        if base:
            assert r["change_1w_bags"] == series[d] - series[base[-1]], d
        else:
            assert r["change_1w_bags"] is None


# --- Open-Meteo ------------------------------------------------------------------------------


def test_weather_daily_is_local_days_of_the_hourly_sample(built, shared_data: Path) -> None:
    root, catalog = built
    doc = json.loads((shared_data / "weather/open_meteo/measurements.json").read_text())
    by_day = defaultdict(list)  # local day in Varginha = UTC - 3 h (no DST since 2019)
    for t, temp, rain in zip(doc["hourly"]["time"], doc["hourly"]["temperature_2m"],
                             doc["hourly"]["precipitation"], strict=True):  # fmt: skip
        by_day[(datetime.fromisoformat(t) - timedelta(hours=3)).date()].append((temp, rain))
    complete = {d: v for d, v in by_day.items() if len(v) == 24}
    rows = {r["date"]: r for r in _rows(root, "weather_daily", "WHERE region = 'south_minas'")}
    assert set(rows) == set(complete)  # the two partial edge days are left out
    assert min(rows) == date(2022, 1, 1) and max(rows) == date(2023, 12, 30)
    for d, vals in complete.items():
        r = rows[d]
        assert (r["tmin_c"], r["tmax_c"]) == (min(v[0] for v in vals), max(v[0] for v in vals))
        assert r["precip_mm"] == pytest.approx(sum(v[1] for v in vals), abs=0.006)
        assert (r["day_timezone"], r["is_forecast"], r["basis"]) == (
            "America/Sao_Paulo",
            False,
            "hourly",
        )
    cols = {c["name"]: c["unit"] for c in catalog["datasets"]["weather_daily"]["columns"]}
    assert (cols["tmin_c"], cols["precip_mm"]) == ("°C", "mm")


def test_weather_alerts_follow_the_documented_thresholds(built) -> None:
    root, catalog = built
    daily = _rows(root, "weather_daily", "WHERE region = 'south_minas'", "ORDER BY date")
    frost = [r["date"] for r in daily if 5 <= r["date"].month <= 9 and r["tmin_c"] <= 3.0]
    spells, run = [], []
    for r in daily:
        dry = r["precip_mm"] < 1.0
        if dry and run and r["date"] == run[-1] + timedelta(days=1):
            run.append(r["date"])
            continue
        if len(run) >= 14:
            spells.append((run[0], run[-1], len(run)))
        run = [r["date"]] if dry else []
    if len(run) >= 14:
        spells.append((run[0], run[-1], len(run)))
    alerts = _rows(root, "weather_alerts", order="ORDER BY alert_type, start_date")
    assert [a["start_date"] for a in alerts if a["alert_type"] == "frost_risk"] == frost
    assert [(a["start_date"], a["end_date"], a["days"]) for a in alerts
            if a["alert_type"] == "dry_spell"] == spells  # fmt: skip
    assert frost and spells  # the real sample has both (May 2022 frost, winter dry spells)
    cols = {c["name"]: c["unit"] for c in catalog["datasets"]["weather_alerts"]["columns"]}
    assert cols["threshold_tmin_c"] == "°C"
    assert {a["threshold_tmin_c"] for a in alerts} == {3.0}


# --- ICO -------------------------------------------------------------------------------------


def test_ico_trade_is_every_cell_divided_by_60(built, shared_data: Path) -> None:
    root, _ = built
    rows = {(r["flow"], r["country"], r["year_label"]): r for r in _rows(root, "ico_trade")}
    flows = {"production": "Coffee_production.csv", "imports": "Coffee_import.csv",
             "inventories": "Coffee_green_coffee_inventorie.csv"}  # fmt: skip
    for flow, name in flows.items():
        table = list(csv.reader((shared_data / "ico" / name).read_text().splitlines()))
        header = table[0]
        start = 2 if header[1] == "Coffee type" else 1
        for line in table[1:]:
            for label, cell in zip(header[start:-1], line[start:-1], strict=True):
                r = rows[(flow, line[0].strip(), label)]
                assert r["value"] == round(float(cell) / 60, 3)
                assert r["is_sub_member"] == line[0].startswith(" ")
                assert r["unit"] == "1000 60 kg bags"
    assert len(rows) == 8640  # 55x30x3 + 35x30x3 + 18x30: no Total_* column among them
    assert rows[("production", "Brazil", "2019/20")]["value"] == 58211.0


# --- Price vs fundamentals -------------------------------------------------------------------


def _pearson(xs: list[float], ys: list[float]) -> float:
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    cov = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    vx = sum((x - mx) ** 2 for x in xs)
    vy = sum((y - my) ** 2 for y in ys)
    return cov / math.sqrt(vx * vy)


def test_fundamentals_reproduce_from_the_published_inputs(built) -> None:
    root, catalog = built
    prices = defaultdict(list)
    for r in _rows(root, "prices_daily", "WHERE symbol = 'KC=F' AND close IS NOT NULL"):
        prices[r["date"].replace(day=1)].append(r["close"])
    stocks = defaultdict(list)
    for r in _rows(root, "ice_certified_stocks"):
        stocks[r["date"].replace(day=1)].append(r["bags"])
    stu = {r["market_year"]: r["stock_to_use"]
           for r in _rows(root, "coffee_balance", "WHERE country_code = 'WORLD'")}  # fmt: skip
    out = {r["month"]: r for r in _rows(root, "fundamentals_monthly")}
    assert set(out) == set(prices) | set(stocks)
    for m, r in out.items():
        if m in prices:
            assert r["kc_close_avg"] == pytest.approx(sum(prices[m]) / len(prices[m]), abs=1e-4)
        if m in stocks:
            assert r["certified_bags_avg"] == _half_up(sum(stocks[m]) / len(stocks[m]), 1)
        my = m.year + 1 if m.month >= 10 else m.year
        assert r["world_stock_to_use"] == stu.get(my)
    checked = 0
    for m, r in sorted(out.items()):
        months = []
        y, mo = m.year, m.month
        for _ in range(36):
            months.append(date(y, mo, 1))
            y, mo = (y - 1, 12) if mo == 1 else (y, mo - 1)
        window = [out.get(x) for x in months]
        pairs = [(w["kc_close_avg"], w["certified_bags_avg"]) for w in window if w]
        pairs = [p for p in pairs if None not in p]
        if len(pairs) == 36:
            want = _pearson([p[0] for p in pairs], [p[1] for p in pairs])
            assert r["corr_price_certified_36m"] == pytest.approx(want, abs=1e-4), m
            checked += 1
        else:
            assert r["corr_price_certified_36m"] is None
    assert checked > 12  # KC=F and certified stocks overlap for several years
    cols = {c["name"]: c["unit"] for c in catalog["datasets"]["fundamentals_monthly"]["columns"]}
    assert cols["kc_close_avg"] == "US cents/lb"
