"""End to end on the real price files: `beanflows build --raw-from` -> published datasets.

One module-scoped build (SQLMesh is slow to start) over ../shared/data/prices plus two files of
ours: a later KC=F chart download that corrects the provisional 2022-01-19 bar (volume 17077,
as later downloads show) and the RC=F demo CSV (USD/t, to check the unit conversion). Every
expected value is recomputed here from the raw files, independently of the SQL.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ingest import fred, yahoo_prices
from ingest.run import load_source, prepare_landing, source_names
from tests import prices_fixtures as fx
from tests.conftest import run_cli

SOURCES = ("yahoo_prices", "fred", "worldbank")
LB_PER_KG = 2.20462


@pytest.fixture(scope="module")
def built(shared_data: Path, tmp_path_factory) -> tuple[Path, dict]:
    root = tmp_path_factory.mktemp("prices")
    raw = root / "import"
    for path in (shared_data / "prices").rglob("*"):
        if path.is_file():
            dest = raw / path.relative_to(shared_data / "prices")
            dest.parent.mkdir(parents=True, exist_ok=True)
            os.symlink(path, dest)
    later = [(date(2022, 1, 18), (239.0, 241.649994, 237.75, 239.600006, 16808)),
             (date(2022, 1, 19), (238.399994, 245.0, 238.350006, 244.449997, 17077))]  # fmt: skip
    at = datetime(2022, 1, 20, 15, tzinfo=UTC)
    (raw / "later").mkdir()
    (raw / "later/chart_KC=F.json").write_bytes(fx.chart_json("KC=F", later, at))
    fixture = Path(yahoo_prices.__file__).parent / "fixtures/RC=F.csv"
    (raw / "later/RC=F.csv").write_bytes(fixture.read_bytes())
    args = [
        "build",
        "--raw-from",
        str(raw),
        "--var",
        str(root / "var"),
        "--out",
        str(root / "dist"),
    ]
    for s in SOURCES:
        args += ["--source", s]
    res = run_cli(*args, cwd=root)
    assert res.returncode == 0, res.stderr[-4000:]
    return root, json.loads((root / "dist/data/catalog.json").read_text())


def q(root: Path, sql: str) -> list[tuple]:
    return duckdb.sql(sql.replace("{pro}", f"{root}/dist/data/pro")).fetchall()


def kc_csv(shared_data: Path) -> list[dict]:
    text = (shared_data / "prices/yahoo/KC=F.csv").read_text()
    return [r for r in csv.DictReader(text.splitlines()) if r["Close"] != "null"]


def test_prices_daily_holds_the_csv_as_published(built, shared_data: Path) -> None:
    root, _ = built
    got = {r[0]: r[1:] for r in q(root, "SELECT date, open, high, low, close, volume, unit, "
                                        "provisional FROM '{pro}/prices_daily.parquet' "
                                        "WHERE symbol = 'KC=F'")}  # fmt: skip
    src = kc_csv(shared_data)
    assert len(got) == len(src) == 5506
    for r in src:
        day = date.fromisoformat(r["Date"])
        volume = 17077 if day == date(2022, 1, 19) else int(r["Volume"])  # corrected later
        assert got[day][:5] == (float(r["Open"]), float(r["High"]), float(r["Low"]),
                                float(r["Close"]), volume), day  # fmt: skip
    assert got[date(2022, 1, 18)][3] == 239.600006
    assert got[date(2022, 1, 19)][5:] == ("US cents/lb", False)  # corrected, no longer provisional
    symbols = q(root, "SELECT DISTINCT symbol FROM '{pro}/prices_daily.parquet' ORDER BY 1")
    assert symbols == [("KC=F",), ("RC=F",)]  # the GC=F gold sample stays out


def test_robusta_is_converted_from_usd_per_tonne(built) -> None:
    root, _ = built
    rows = q(root, "SELECT close, close_quoted, quote_unit, unit FROM '{pro}/prices_daily.parquet'"
                   " WHERE symbol = 'RC=F'")  # fmt: skip
    fixture = Path(yahoo_prices.__file__).parent / "fixtures/RC=F.csv"
    published = [
        r for r in csv.DictReader(fixture.read_text().splitlines()) if r["Close"] != "null"
    ]
    assert len(rows) == len(published)
    for close, quoted, quote_unit, unit in rows:
        assert (quote_unit, unit) == ("USD/t", "US cents/lb")
        assert close == pytest.approx(quoted * 100 / (1000 * LB_PER_KG), rel=1e-12)
    assert sorted(r[1] for r in rows) == sorted(float(r["Close"]) for r in published)


def test_indicators_match_the_documented_formulas(built, shared_data: Path) -> None:
    root, _ = built
    got = {r[0]: r[1:] for r in q(root, "SELECT date, ma_20, ma_50, high_52w, low_52w, "
                                        "daily_return FROM '{pro}/price_indicators.parquet' "
                                        "WHERE symbol = 'KC=F'")}  # fmt: skip
    bars = [(date.fromisoformat(r["Date"]), float(r["Close"]), float(r["High"]), float(r["Low"]))
            for r in kc_csv(shared_data)]  # fmt: skip
    first = bars[0][0]
    for n, (day, close, _, _) in enumerate(bars, start=1):
        closes = [b[1] for b in bars[max(0, n - 50) : n]]
        # windows in time, not rows: null when the N bars span more than N weeks + 7 days
        ma20 = (
            round(sum(closes[-20:]) / 20, 6)
            if n >= 20 and bars[n - 20][0] >= day - timedelta(days=35)
            else None
        )
        ma50 = (
            round(sum(closes) / 50, 6)
            if n >= 50 and bars[n - 50][0] >= day - timedelta(days=77)
            else None
        )
        if first <= day - timedelta(days=364):
            window = [b for b in bars[:n] if b[0] >= day - timedelta(days=364)]
            hi, lo = max(b[2] for b in window), min(b[3] for b in window)
        else:
            hi = lo = None
        recent = n > 1 and bars[n - 2][0] >= day - timedelta(days=10)
        ret = round(100 * (close / bars[n - 2][1] - 1), 6) if recent else None
        exp = (ma20, ma50, hi, lo, ret)
        for g, e in zip(got[day], exp, strict=True):
            assert (g is None and e is None) or g == pytest.approx(e, abs=2e-6), (
                day,
                got[day],
                exp,
            )
    assert got[bars[18][0]][0] is None and got[bars[19][0]][0] is not None  # 20th bar


def test_monthly_prices_newest_vintage_and_every_vintage(built, shared_data: Path) -> None:
    root, _ = built
    fred_sep = q(root, "SELECT price, value_published, vintage FROM '{pro}/prices_monthly.parquet'"
                       " WHERE series_id = 'PCOFFOTMUSDM' AND date = '2024-09-01'")  # fmt: skip
    assert fred_sep == [(278.760476190476, 278.760476190476, "2024-10")]  # x1: already cents/lb
    aug21 = q(root, "SELECT vintage, price FROM '{pro}/prices_monthly_vintages.parquet' WHERE "
                    "series_id = 'PCOFFOTMUSDM' AND date = '2021-08-01' ORDER BY 1")  # fmt: skip
    new = {r[0]: float(r[1]) for r in csv.reader(
        (shared_data / "prices/fred_vintage_2024-10/PCOFFOTMUSDM.csv").read_text().splitlines())
        if r[0] != "DATE"}  # fmt: skip
    assert aug21 == [("2021-09", 220.220257144155), ("2024-10", new["2021-08-01"])]
    current = q(root, "SELECT vintage, price FROM '{pro}/prices_monthly.parquet' WHERE "
                      "series_id = 'PCOFFOTMUSDM' AND date = '2021-08-01'")  # fmt: skip
    assert current == [("2024-10", new["2021-08-01"])]
    counts = q(
        root,
        "SELECT source, series_id, vintage, COUNT(*) FROM "
        "'{pro}/prices_monthly_vintages.parquet' GROUP BY ALL ORDER BY ALL",
    )
    assert counts == [("fred", "PCOFFOTMUSDM", "2021-09", 380),
                      ("fred", "PCOFFOTMUSDM", "2024-10", 417),
                      ("fred", "PCOFFROBUSDM", "2024-10", 417),
                      ("worldbank", "COFFEE_ARABIC", "2022-10-04", 753),
                      ("worldbank", "COFFEE_ROBUS", "2022-10-04", 753)]  # fmt: skip


def test_pinksheet_converted_to_cents_per_lb(built) -> None:
    root, _ = built
    got = q(root, "SELECT series_id, value_published, unit_published, price FROM "
                  "'{pro}/prices_monthly.parquet' WHERE source = 'worldbank' "
                  "AND date = '2022-09-01' ORDER BY 1")  # fmt: skip
    assert got == [
        ("COFFEE_ARABIC", 5.905515594, "($/kg)", pytest.approx(5.905515594 * 100 / LB_PER_KG)),
        ("COFFEE_ROBUS", 2.458592224, "($/kg)", pytest.approx(2.458592224 * 100 / LB_PER_KG)),
    ]
    assert round(got[0][3], 2) == 267.87  # the ICO figure the World Bank converted from


def test_reconciliation_flags_exactly_the_real_disagreements(built, shared_data: Path) -> None:
    root, _ = built
    import openpyxl

    wb = openpyxl.load_workbook(
        shared_data / "prices/worldbank_pinksheet_2022-10/CMO-Historical-Data-Monthly.xlsx",
        read_only=True, data_only=True)["Monthly Prices"]  # fmt: skip
    pink = {}
    for row in wb.iter_rows(min_row=7, values_only=True):
        m = date(int(row[0][:4]), int(row[0][5:7]), 1)
        pink[("arabica", m)], pink[("robusta", m)] = (
            row[12] * 100 / LB_PER_KG,
            row[13] * 100 / LB_PER_KG,
        )
    expected = set()
    for series, kind in (("PCOFFOTMUSDM", "arabica"), ("PCOFFROBUSDM", "robusta")):
        path = shared_data / f"prices/fred_vintage_2024-10/{series}.csv"
        for r in list(csv.reader(path.read_text().splitlines()))[1:]:
            key = (kind, date.fromisoformat(r[0]))
            if key in pink and abs(100 * (float(r[1]) - pink[key]) / pink[key]) > 1.0:
                expected.add(key)
    got = q(root, "SELECT coffee_type, date, flagged, tolerance_pct FROM "
                  "'{pro}/prices_monthly_reconciliation.parquet'")  # fmt: skip
    assert len(got) == 2 * 393
    assert {(r[0], r[1]) for r in got if r[2]} == expected
    assert len(expected) == 38 + 56 and {r[3] for r in got} == {1.0}


def test_catalog_units_and_free_window(built) -> None:
    root, catalog = built
    units = {name: {c["name"]: c["unit"] for c in catalog["datasets"][name]["columns"]}
             for name in ("prices_daily", "price_indicators", "prices_monthly",
                          "prices_monthly_reconciliation")}  # fmt: skip
    assert units["prices_daily"]["close"] == "US cents/lb"
    assert units["price_indicators"]["ma_50"] == "US cents/lb"
    assert units["price_indicators"]["daily_return"] == "%"
    assert units["prices_monthly"]["price"] == "US cents/lb"
    assert units["prices_monthly_reconciliation"]["pct_difference"] == "%"
    for name in ("prices_daily", "price_indicators", "prices_monthly", "prices_monthly_vintages",
                 "prices_monthly_reconciliation"):  # fmt: skip
        ds = catalog["datasets"][name]
        assert ds["status"] in ("ok", "late") and all(c["description"] for c in ds["columns"]), name
        for facts in ds["files"]["pro"].values():
            data = (root / "dist" / facts["path"]).read_bytes()
            assert hashlib.sha256(data).hexdigest() == facts["sha256"]
    lo, hi = q(root, "SELECT MIN(date), MAX(date) FROM "
                     f"'{root}/dist/data/free/prices_daily.parquet'")[0]  # fmt: skip
    assert hi == date(2022, 1, 19) and lo > date(2017, 1, 19) and lo < date(2017, 1, 31)
    assert catalog["sources"]["fred"]["status"] == "late"  # 2022 data, built years later


def test_sqlmesh_unit_tests_pass(built) -> None:
    from sqlmesh import Context

    from beanflows.layout import MODELS_DIR

    ctx = Context(paths=str(MODELS_DIR))
    result = ctx.test(tests=[str(MODELS_DIR / "tests/test_prices.yaml")])
    assert result.testsRun == 4 and result.wasSuccessful(), result.failures + result.errors


def test_negative_price_in_landing_is_stopped_by_a_blocking_audit(tmp_path: Path) -> None:
    """Defence in depth: even a row that bypassed the extractor never reaches the datasets."""
    from beanflows import transform_child

    var = tmp_path / "var"
    for name in source_names():
        prepare_landing(var, load_source(name)[0])
    rows = {"series_id": ["PCOFFOTMUSDM"] * 2, "date": [date(2024, 8, 1), date(2024, 9, 1)],
            "value": [261.4, -278.7], "coffee_type": ["arabica"] * 2, "unit": ["US cents/lb"] * 2,
            "configured": [True] * 2, "date_header": ["DATE"] * 2, "_line": [2, 3],
            "_raw_sha256": ["bad"] * 2, "_release": ["2024-10"] * 2,
            "_period": [date(2024, 8, 1), date(2024, 9, 1)]}  # fmt: skip
    table = pa.Table.from_pydict(rows, schema=fred.SCHEMA)
    pq.write_table(table, var / "landing/fred/observations/bad.parquet")
    result = transform_child.run(var, {}, date(2024, 11, 1))
    assert "staging.fred_observations" in result.failed
    assert "price_positive" in result.failed["staging.fred_observations"]
    assert "serving.prices_monthly" in result.failed or "serving.prices_monthly" in result.skipped
