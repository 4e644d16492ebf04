"""A small synthetic dist/data tree (Parquet + catalog.json) in the exact catalog contract.

For the site's tests and benchmark when no real build is at hand: deterministic values
(trigonometric, no randomness), every dataset family the site reads, options to leave a
dataset out, mark one stale, or keep one pro only. Real builds remain the reference; this
only guarantees the render is exercised on every page shape.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import duckdb

COUNTRIES = [
    ("BR", "Brazil", 60000), ("VM", "Vietnam", 29000), ("CO", "Colombia", 12500),
    ("ID", "Indonesia", 10500), ("ET", "Ethiopia", 8000), ("HO", "Honduras", 5500),
    ("US", "United States", 0),
]  # fmt: skip
ATTRS = [
    ("020", "Beginning Stocks", 0.10), ("028", "Production", 1.0),
    ("029", "Arabica Production", 0.7), ("053", "Robusta Production", 0.3),
    ("057", "Imports", 0.02), ("088", "Exports", 0.6), ("125", "Domestic Consumption", 0.35),
    ("176", "Ending Stocks", 0.12),
]  # fmt: skip

_PSD_BASE = """
WITH c(country_code, country, base) AS (VALUES {countries}),
a(attribute_id, attribute, share) AS (VALUES {attrs}),
y AS (SELECT UNNEST(RANGE(2010, 2025)) AS market_year)
SELECT '0711100' AS commodity_code, 'Coffee, Green' AS commodity, country_code, country,
       CAST(market_year AS INTEGER) AS market_year,
       CAST(market_year - 1 AS VARCHAR) || '/' || LPAD(CAST(market_year % 100 AS VARCHAR), 2, '0')
         AS marketing_year,
       attribute_id, attribute, '(1000 60 KG BAGS)' AS unit,
       ROUND(CASE WHEN country_code = 'US' AND attribute_id = '125' THEN 27000
                  WHEN country_code = 'US' AND attribute_id = '057' THEN 28000
                  WHEN country_code = 'US' AND attribute_id = '176' THEN 6000
                  ELSE base * share * (1 + 0.08 * SIN(market_year * 1.7 + LENGTH(country)))
             END) AS value,
       '2024-06' AS release
FROM c, a, y
"""

SQL: dict[str, tuple[str, str]] = {
    "psd_coffee": (
        "market_year",
        "SELECT * FROM ({psd}) ORDER BY country_code, market_year, attribute_id",
    ),
    "coffee_balance": (
        "market_year",
        """
        SELECT country_code, country, market_year, marketing_year,
          MAX(CASE WHEN attribute_id = '020' THEN value END) AS beginning_stocks,
          MAX(CASE WHEN attribute_id = '028' THEN value END) AS production,
          MAX(CASE WHEN attribute_id = '057' THEN value END) AS imports,
          MAX(CASE WHEN attribute_id = '028' THEN value END) * 1.12 AS total_supply,
          MAX(CASE WHEN attribute_id = '088' THEN value END) AS exports,
          MAX(CASE WHEN attribute_id = '125' THEN value END) AS domestic_consumption,
          MAX(CASE WHEN attribute_id = '176' THEN value END) AS ending_stocks,
          MAX(CASE WHEN attribute_id = '028' THEN value END) * 1.12 AS total_distribution,
          ROUND(100 * MAX(CASE WHEN attribute_id = '176' THEN value END) / NULLIF(
            MAX(CASE WHEN attribute_id = '125' THEN value END)
            + MAX(CASE WHEN attribute_id = '088' THEN value END), 0), 2) AS stock_to_use
        FROM ({psd}) GROUP BY ALL
        UNION ALL
        SELECT 'WORLD', 'World', market_year, marketing_year,
          SUM(CASE WHEN attribute_id = '020' THEN value END),
          SUM(CASE WHEN attribute_id = '028' THEN value END),
          SUM(CASE WHEN attribute_id = '057' THEN value END),
          SUM(CASE WHEN attribute_id = '028' THEN value END) * 1.12,
          SUM(CASE WHEN attribute_id = '088' THEN value END),
          SUM(CASE WHEN attribute_id = '125' THEN value END),
          SUM(CASE WHEN attribute_id = '176' THEN value END),
          SUM(CASE WHEN attribute_id = '028' THEN value END) * 1.12,
          ROUND(100 * SUM(CASE WHEN attribute_id = '176' THEN value END)
            / SUM(CASE WHEN attribute_id = '125' THEN value END), 2)
        FROM ({psd}) GROUP BY ALL
        ORDER BY country_code, market_year""",
    ),
    "psd_coffee_vintages": (
        "market_year",
        """
        SELECT r.release, r.release_type, country_code, country, market_year, marketing_year,
               attribute_id, attribute,
               ROUND(value * (1 + r.k * SIN(market_year + LENGTH(country)))) AS value
        FROM ({psd}) p,
             (VALUES ('2022-12', 'bulk', 0.03), ('2023-06', 'bulk', 0.015),
                     ('2024-06', 'report_table', 0.0)) r(release, release_type, k)
        WHERE NOT (r.release_type = 'report_table' AND attribute_id NOT IN ('028', '029', '053'))
          AND market_year <= CAST(LEFT(r.release, 4) AS INT) + 1
        ORDER BY release, release_type, country_code, market_year, attribute_id""",
    ),
    "prices_daily": (
        "date",
        """
        SELECT s.symbol, CAST(d AS DATE) AS date,
               ROUND(s.base * (1 + 0.25 * SIN(EPOCH(d) / 8.64e4 / 180.0)
                                 + 0.03 * SIN(EPOCH(d) / 8.64e4 / 7.0)), 2) AS close,
               'US cents/lb' AS unit
        FROM RANGE(DATE '2018-01-01', DATE '2024-11-29', INTERVAL 1 DAY) t(d),
             (VALUES ('KC=F', 180.0), ('RC=F', 110.0)) s(symbol, base)
        WHERE DAYOFWEEK(d) BETWEEN 1 AND 5 ORDER BY symbol, date""",
    ),
    "price_indicators": (
        "date",
        """
        SELECT symbol, date, close,
               ROUND(AVG(close) OVER (PARTITION BY symbol ORDER BY date ROWS 19 PRECEDING), 4)
                 AS ma_20,
               ROUND(AVG(close) OVER (PARTITION BY symbol ORDER BY date ROWS 49 PRECEDING), 4)
                 AS ma_50
        FROM ({prices}) ORDER BY symbol, date""",
    ),
    "prices_monthly": (
        "date",
        """
        SELECT CAST(d AS DATE) AS date, s.series,
               ROUND(s.base * (1 + 0.2 * SIN(EPOCH(d) / 8.64e4 / 200.0)), 3) AS value
        FROM RANGE(DATE '2015-01-01', DATE '2024-11-01', INTERVAL 1 MONTH) t(d),
             (VALUES ('Arabica (World Bank)', 4.1), ('Robusta (World Bank)', 2.4)) s(series, base)
        ORDER BY series, date""",
    ),
    "cot_positioning": (
        "report_date",
        """
        SELECT 'COFFEE C - ICE FUTURES U.S.' AS market, CAST(d AS DATE) AS report_date,
               CAST(ROUND(20000 + 25000 * SIN(EPOCH(d) / 8.64e4 / 120.0)) AS BIGINT) AS mm_net,
               CAST(ROUND(-30000 - 20000 * SIN(EPOCH(d) / 8.64e4 / 120.0)) AS BIGINT)
                 AS commercial_net,
               ROUND(10 + 12 * SIN(EPOCH(d) / 8.64e4 / 120.0), 2) AS mm_net_pct_oi,
               ROUND(50 + 50 * SIN(EPOCH(d) / 8.64e4 / 60.0), 1) AS cot_index_26w,
               ROUND(50 + 45 * SIN(EPOCH(d) / 8.64e4 / 120.0), 1) AS cot_index_52w,
               ROUND(50 + 40 * SIN(EPOCH(d) / 8.64e4 / 300.0), 1) AS cot_index_156w
        FROM RANGE(DATE '2018-01-02', DATE '2024-11-27', INTERVAL 7 DAY) t(d)
        ORDER BY report_date""",
    ),
    "ice_certified_stocks": (
        "date",
        """
        SELECT CAST(d AS DATE) AS date,
               CAST(ROUND(1.2e6 + 6e5 * SIN(EPOCH(d) / 8.64e4 / 250.0)) AS BIGINT) AS bags,
               'ice_report_xls' AS source
        FROM RANGE(DATE '2018-01-01', DATE '2024-11-28', INTERVAL 1 DAY) t(d)
        WHERE DAYOFWEEK(d) BETWEEN 1 AND 5 ORDER BY date""",
    ),
    "ice_certified_stocks_by_port": (
        "date",
        """
        SELECT s.date, p.port, p.port_name, CAST(ROUND(s.bags * p.share) AS BIGINT) AS bags
        FROM ({stocks}) s, (VALUES ('ANT', 'Antwerp', 0.45), ('HA/BR', 'Hamburg/Bremen', 0.3),
                                    ('NY', 'New York', 0.25)) p(port, port_name, share)
        ORDER BY date, port""",
    ),
    "ice_certified_stocks_reconciliation": (
        "date",
        """
        SELECT date, bags AS bags_ice_report, bags + 120 AS bags_series_csv,
               CAST(120 AS BIGINT) AS spread_bags
        FROM ({stocks}) WHERE DAYOFMONTH(date) = 15 ORDER BY date""",
    ),
    "weather_daily": (
        "date",
        """
        SELECT CAST(d AS DATE) AS date, r.region,
               ROUND(r.t + 6 * SIN(EPOCH(d) / 8.64e4 / 58.0), 1) AS tmin,
               ROUND(r.t + 10 + 6 * SIN(EPOCH(d) / 8.64e4 / 58.0), 1) AS tmax,
               ROUND(GREATEST(0, 8 * SIN(EPOCH(d) / 8.64e4 / 3.0 + r.t)), 1) AS precip
        FROM RANGE(DATE '2023-01-01', DATE '2024-11-28', INTERVAL 1 DAY) t(d),
             (VALUES ('Sul de Minas', 12.0), ('Central Highlands', 18.0)) r(region, t)
        ORDER BY region, date""",
    ),
    "weather_alerts": (
        "date",
        """
        SELECT DATE '2024-11-27' AS date, 'Sul de Minas' AS region, 'dry_spell' AS alert_type,
               21 AS days_without_rain
        UNION ALL SELECT DATE '2024-07-10', 'Sul de Minas', 'frost', NULL
        ORDER BY date, region""",
    ),
}

SOURCES = {
    "usda_psd": ("USDA FAS PSD Online", "https://apps.fas.usda.gov/psdonline/", "monthly"),
    "yahoo_prices": ("Coffee futures (Yahoo Finance)", "https://finance.yahoo.com/", "daily"),
    "worldbank": ("World Bank Pink Sheet", "https://www.worldbank.org/", "monthly"),
    "cftc_cot": ("CFTC Commitments of Traders", "https://www.cftc.gov/", "weekly"),
    "ice_stocks": ("ICE certified stocks", "https://www.ice.com/report/41", "daily"),
    "open_meteo": ("Open-Meteo", "https://open-meteo.com/", "daily"),
}  # fmt: skip
SOURCE_OF = {
    "psd_coffee": "usda_psd", "coffee_balance": "usda_psd", "psd_coffee_vintages": "usda_psd",
    "prices_daily": "yahoo_prices", "price_indicators": "yahoo_prices",
    "prices_monthly": "worldbank", "cot_positioning": "cftc_cot",
    "ice_certified_stocks": "ice_stocks", "ice_certified_stocks_by_port": "ice_stocks",
    "ice_certified_stocks_reconciliation": "ice_stocks", "weather_daily": "open_meteo",
    "weather_alerts": "open_meteo",
}  # fmt: skip
UNITS = {"value": "1000 60 kg bags", "close": "US cents/lb", "bags": "bags of 60 kg"}


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_sample(
    out_dir: Path,
    *,
    missing: tuple[str, ...] = (),
    stale: tuple[str, ...] = (),
    pro_only: tuple[str, ...] = (),
    failed_sources: tuple[str, ...] = (),
    built_at: str = "2024-11-29T03:00:00Z",
) -> dict[str, Any]:
    """Write data/{free,pro}/*.parquet|csv and data/catalog.json; return the catalog."""
    con = duckdb.connect(":memory:")
    con.execute("SET threads = 1")
    psd = _PSD_BASE.format(
        countries=", ".join(f"('{c}', '{n}', {b})" for c, n, b in COUNTRIES),
        attrs=", ".join(f"('{a}', '{n}', {s})" for a, n, s in ATTRS),
    )
    parts = {"psd": psd, "prices": SQL["prices_daily"][1], "stocks": SQL["ice_certified_stocks"][1]}
    datasets: dict[str, Any] = {}
    for name, (tcol, tmpl) in SQL.items():
        if name in missing:
            continue
        sql = tmpl.format(**parts)
        con.execute(f'CREATE OR REPLACE TABLE "{name}" AS {sql}')
        types = con.execute(f'DESCRIBE "{name}"').fetchall()
        is_year = tcol == "market_year"
        cut = f'(SELECT MAX({tcol}) FROM "{name}") - ' + ("5" if is_year else "INTERVAL 5 YEAR")
        queries = {"pro": f'SELECT * FROM "{name}"'}
        if name not in pro_only:
            queries["free"] = f'SELECT * FROM "{name}" WHERE {tcol} > {cut}'
        files: dict[str, Any] = {"free": None}
        for tier, q in queries.items():
            files[tier] = {}
            for fmt in ("parquet", "csv"):
                rel = f"data/{tier}/{name}.{fmt}"
                path = out_dir / rel
                path.parent.mkdir(parents=True, exist_ok=True)
                opts = "FORMAT parquet, COMPRESSION zstd" if fmt == "parquet" else "FORMAT csv"
                con.execute(f"COPY ({q}) TO '{path.as_posix()}' ({opts})")
                rows = con.execute(f"SELECT COUNT(*) FROM ({q})").fetchone()[0]
                files[tier][fmt] = {
                    "path": rel,
                    "rows": rows,
                    "bytes": path.stat().st_size,
                    "sha256": _sha(path),
                }
        as_of = con.execute(f'SELECT CAST(MAX({tcol}) AS VARCHAR) FROM "{name}"').fetchone()[0]
        src = SOURCE_OF[name]
        is_stale = name in stale or src in failed_sources
        datasets[name] = {
            "description": f"Sample {name.replace('_', ' ')} (synthetic).",
            "source": src, "sources": [src], "family": src, "model": f"serving.{name}",
            "grain": [tcol], "time_column": tcol,
            "free_window": None if name in pro_only else f"most recent 5 years of {tcol}",
            "columns": [
                {"name": c, "type": t, "unit": UNITS.get(c), "description": f"Sample {c}"}
                for c, t, *_ in types
            ],
            "files": files, "releases": [], "as_of": as_of,
            "status": "stale" if is_stale else "ok",
            "stale_since": "2024-11-20T03:00:00Z" if is_stale else None,
            "stale_reason": "audit price_positive failed" if is_stale else None,
            "updated_at": built_at, "lineage": [f"serving.{name}"], "audits": ["not_null"],
            "raw_files": [],
        }  # fmt: skip
    con.close()
    sources = {
        k: {
            "title": t, "homepage": url, "urls": [url], "schedule": sched,
            "stale_after_days": 45, "last_success": "2024-11-28T03:00:00Z",
            "release": "2024-11-28", "files": 1,
            "data_as_of": "2024-11-28", "late": False,
            "status": "stale" if k in failed_sources else "ok",
            "error": "HTTP 503 from upstream" if k in failed_sources else None,
            "stale_since": "2024-11-20T03:00:00Z" if k in failed_sources else None,
        }
        for k, (t, url, sched) in SOURCES.items()
    }  # fmt: skip
    catalog = {
        "catalog_version": 1, "built_at": built_at, "demo": True,
        "datasets": datasets, "sources": sources,
    }  # fmt: skip
    return catalog
