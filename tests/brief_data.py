"""A small published dist for the brief's tests: the datasets the brief reads, in their
contract columns, with values chosen so every section has something to say in 2026-W49
(Monday 2026-11-30 to Sunday 2026-12-06): a USDA release that month, an extreme COT index,
ports that moved, an active dry spell. Deterministic (no clock, no randomness)."""

from __future__ import annotations

from pathlib import Path

import duckdb

from tests.dists import write_catalog

WEEK = "2026-W49"
LAST_DAY = "2026-12-04"  # the Friday of that week: the newest price and stocks day


def _copy(con: duckdb.DuckDBPyConnection, dist: Path, name: str, sql: str) -> None:
    for tier in ("pro", "free"):
        path = dist / "data" / tier / f"{name}.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        con.execute(f"COPY ({sql}) TO '{path}' (FORMAT parquet)")


def write_dist(
    dist: Path,
    last_day: str = LAST_DAY,
    kc_last_close: float | None = None,
    frost: list[tuple[str, str]] = (),
    releases: tuple[str, ...] = ("2026-06", "2026-12"),
    cot_last_index: float = 93.0,
) -> Path:
    """Write dist/data/{pro,free}/*.parquet + catalog.json; returns dist.

    `kc_last_close` replaces Coffee C's close (and high/low) on `last_day`; `frost` adds
    frost_risk alerts (region key, day) to weather_alerts.
    """
    con = duckdb.connect()
    last = f"DATE '{last_day}'"
    kc = "NULL" if kc_last_close is None else repr(float(kc_last_close))
    _copy(con, dist, "prices_daily", f"""
        WITH d AS (SELECT CAST(t AS DATE) AS date, ROW_NUMBER() OVER (ORDER BY t) AS i
                   FROM generate_series(DATE '2025-09-01', {last}, INTERVAL 1 DAY) g(t)
                   WHERE isodow(t) <= 5),
        s(symbol, base, amp) AS (VALUES ('KC=F', 300.0, 40.0), ('RC=F', 190.0, 25.0)),
        c AS (SELECT symbol, date, CASE WHEN symbol = 'KC=F' AND date = {last} AND {kc} IS NOT NULL
                   THEN {kc} ELSE ROUND(base + amp * sin(i / 23.0) + (i % 7) * 0.35, 2) END AS close
              FROM d, s)
        SELECT symbol, date, close - 1.5 AS open, close + 2.25 AS high, close - 2.75 AS low,
               close, CAST(1000 AS BIGINT) AS volume, 'US cents/lb' AS unit,
               CASE symbol WHEN 'KC=F' THEN close ELSE ROUND(close * 22.0462, 1) END
                 AS close_quoted,
               CASE symbol WHEN 'KC=F' THEN 'US cents/lb' ELSE 'USD/t' END AS quote_unit,
               date = {last} AS provisional, CAST({last} AS VARCHAR) AS release
        FROM c ORDER BY symbol, date""")  # fmt: skip
    _copy(con, dist, "cot_positioning", f"""
        WITH d AS (SELECT CAST(t AS DATE) AS report_date, ROW_NUMBER() OVER (ORDER BY t) AS i
                   FROM generate_series(DATE '2025-06-03', {last}, INTERVAL 7 DAY) g(t)),
        v AS (SELECT report_date, i, CAST(20000 + 15000 * sin(i / 9.0) AS BIGINT) AS mm_net
              FROM d)
        SELECT report_date, '083731' AS market_code, 'COFFEE C - ICE FUTURES U.S.' AS market_name,
               'futures_only' AS report_type, CAST(250000 AS BIGINT) AS open_interest,
               mm_net, CAST(mm_net - LAG(mm_net) OVER (ORDER BY report_date) AS BIGINT)
                 AS mm_net_change,
               CASE WHEN report_date = (SELECT MAX(report_date) FROM d) THEN {cot_last_index}
                    ELSE 50.0 END AS cot_index_mm_52w,
               CAST(mm_net + 5000 AS BIGINT) AS noncomm_net,
               CAST(NULL AS BIGINT) AS noncomm_net_change, 40.0 AS cot_index_noncomm_52w
        FROM v UNION ALL
        SELECT report_date, '083731', 'COFFEE C', 'combined', 300000, 1, 1, 1.0, 1, 1, 1.0
        FROM v ORDER BY report_type, report_date""")  # fmt: skip
    _copy(con, dist, "ice_certified_stocks", f"""
        SELECT CAST(t AS DATE) AS date,
               CAST(450000 + 30000 * cos(epoch(t) / 86400 / 40.0) AS BIGINT) AS bags,
               'ice_report_xls' AS source, CAST(1 AS BIGINT) AS forms, FALSE AS disagrees
        FROM generate_series(DATE '2025-09-01', {last}, INTERVAL 1 DAY) g(t)
        WHERE isodow(t) <= 5 ORDER BY date""")  # fmt: skip
    _copy(con, dist, "ice_certified_stocks_by_port", f"""
        WITH p(port, port_name, base, step) AS (VALUES ('ANT', 'Antwerp', 200000, 311),
               ('NY', 'New York', 90000, -127), ('HOU', 'Houston', 30000, 53),
               ('MIAMI', 'Miami', 5000, 0))
        SELECT CAST(t AS DATE) AS date, port, port_name,
               CAST(base + step * (epoch(t) / 86400 - 20700) AS BIGINT) AS bags,
               'ice_report_xls' AS source
        FROM generate_series(DATE '2026-10-01', {last}, INTERVAL 1 DAY) g(t), p
        WHERE isodow(t) <= 5 ORDER BY date, port""")  # fmt: skip
    rel = ", ".join(f"('{r}', {i})" for i, r in enumerate(releases))
    _copy(con, dist, "psd_coffee_vintages", f"""
        WITH r(release, k) AS (VALUES {rel}),
        c(country_code, country, base) AS (VALUES ('BR', 'Brazil', 65000.0),
               ('VM', 'Vietnam', 29000.0), ('CO', 'Colombia', 12000.0)),
        a(attribute_id, attribute, share) AS (VALUES ('028', 'Production', 1.0),
               ('088', 'Exports', 0.6), ('176', 'Ending Stocks', 0.1)),
        y(market_year) AS (VALUES (2026), (2027))
        SELECT release, CASE WHEN k = 0 THEN 'bulk' ELSE 'report_table' END AS release_type,
               country_code, country, market_year,
               CAST(market_year - 1 AS VARCHAR) || '/' || CAST(market_year % 100 AS VARCHAR)
                 AS marketing_year, attribute_id, attribute,
               CAST(ROUND(base * share * (1 + 0.01 * k * (LENGTH(country) + market_year % 3)), 0)
                    AS DOUBLE) AS value
        FROM r, c, a, y ORDER BY ALL""")  # fmt: skip
    frost_rows = " UNION ALL ".join(
        f"SELECT '{region}', '{region}', 'frost_risk', DATE '{day}', DATE '{day}', 1, 1.5, 0.0, "
        "FALSE, 3.0, 1.0, 14"
        for region, day in frost
    )
    _copy(con, dist, "weather_alerts", f"""
        SELECT * FROM (VALUES
          ('south_minas', 'South Minas Gerais', 'dry_spell', DATE '2026-11-18', DATE '2026-12-03',
           16, 17.5::DOUBLE, 0.4::DOUBLE, FALSE, 3.0::DOUBLE, 1.0::DOUBLE, 14),
          ('south_minas', 'South Minas Gerais', 'frost_risk', DATE '2026-07-02',
           DATE '2026-07-02', 1, 1.9::DOUBLE, 0.0::DOUBLE, FALSE, 3.0::DOUBLE, 1.0::DOUBLE, 14)
          {"UNION ALL " + frost_rows if frost_rows else ""})
          t(region, region_name, alert_type, start_date, end_date, days, tmin_c, precip_mm,
            is_forecast, threshold_tmin_c, threshold_precip_mm, threshold_days)
        ORDER BY ALL""")  # fmt: skip
    _copy(con, dist, "weather_daily", f"""
        SELECT 'south_minas' AS region, CAST(t AS DATE) AS date, 14.0 AS tmin_c, 27.0 AS tmax_c,
               0.0 AS precip_mm
        FROM generate_series(DATE '2026-06-01', {last} + 1, INTERVAL 1 DAY) g(t)""")  # fmt: skip
    con.close()
    write_catalog(dist, built_at="2026-12-05T03:00:00Z", demo=False)
    return dist
