"""The scale benchmark's generated inputs pass the real ingest, as upstream files would.

bench/scale_inputs.py writes full-size files in the exact upstream formats; if a generated file
drifted from the format, the benchmark would measure a build that rejects its inputs. Here a
small universe (2 years, 6 markets, 2 symbols) goes through the same import door as real files.
"""

from __future__ import annotations

import duckdb
import pytest

from bench import scale_inputs
from ingest.run import ingest_source

TODAY = scale_inputs.date(2025, 12, 31)


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    out = tmp_path_factory.mktemp("scale")
    counts = scale_inputs.write_cot(out / "cftc_cot", range(2024, 2026), markets=6)
    bars = scale_inputs.write_yahoo(
        out / "yahoo", ["KC=F", "RC=F"], scale_inputs.date(2024, 1, 1), TODAY
    )
    return out, counts, bars


def test_generated_cot_files_land_every_configured_market(inputs, tmp_path) -> None:
    out, counts, _ = inputs
    files = sorted((out / "cftc_cot").rglob("*.zip"))
    assert len(files) == 4 and counts == {"disaggregated": 6 * 105, "legacy": 6 * 105}
    markets = ["083731"]  # the configured market (others are in the files, not landed)
    res = ingest_source("cftc_cot", tmp_path, {}, {}, files, TODAY)
    assert res.errors == [], res.errors
    con = duckdb.connect()
    for table in ("disaggregated", "legacy"):
        glob = (tmp_path / "landing" / "cftc_cot" / table / "*.parquet").as_posix()
        rows = con.execute(
            f"SELECT cftc_contract_market_code, count(*) FROM '{glob}' GROUP BY 1 ORDER BY 1"
        ).fetchall()
        assert rows == [(m, 105) for m in sorted(markets)], (table, rows)  # 2 years of Tuesdays
    # the categories add up to open interest, as the cot_open_interest_identity audit wants
    land = (tmp_path / "landing" / "cftc_cot").as_posix()
    bad = con.execute(
        f"""SELECT count(*) FROM '{land}/legacy/*.parquet' WHERE noncommercial_positions_long_all
        + noncommercial_positions_spreading_all + commercial_positions_long_all
        + nonreportable_positions_long_all <> open_interest_all
        OR total_reportable_positions_short_all + nonreportable_positions_short_all
        <> open_interest_all"""
    ).fetchone()[0]
    bad += con.execute(
        f"""SELECT count(*) FROM '{land}/disaggregated/*.parquet' WHERE prod_merc_positions_long_all
        + swap_positions_long_all + swap_positions_spread_all + m_money_positions_long_all
        + m_money_positions_spread_all + other_rept_positions_long_all
        + other_rept_positions_spread_all + nonrept_positions_long_all <> open_interest_all"""
    ).fetchone()[0]
    assert bad == 0


def test_generated_yahoo_files_land_every_weekday(inputs, tmp_path) -> None:
    out, _, bars = inputs
    files = sorted((out / "yahoo").glob("*.json"))
    res = ingest_source("yahoo_prices", tmp_path, {}, {}, files, TODAY)
    assert res.errors == [], res.errors
    glob = (tmp_path / "landing" / "yahoo_prices" / "bars" / "*.parquet").as_posix()
    n = duckdb.connect().execute(f"SELECT count(*) FROM read_parquet('{glob}')").fetchone()[0]
    assert n == bars == 2 * (262 + 261)  # weekdays of 2024 and 2025


def test_psd_rows_are_one_per_commodity_country_year_and_attribute() -> None:
    rows = list(scale_inputs.psd_rows(commodities=3, countries=4, years=range(2020, 2022)))
    assert len(rows) == 3 * 4 * 2 * len(scale_inputs.PSD_ATTRIBUTES)
    keys = {(r[0], r[2], r[4], r[7]) for r in rows}
    assert len(keys) == len(rows)
    assert all(len(r) == len(scale_inputs.PSD_HEADER) for r in rows)
    assert rows[0][:2] == ["0711100", "Coffee, Green"]
