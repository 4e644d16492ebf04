"""Two nightly builds fetching from 127.0.0.1: a broken ICE report and a broken ICO table leave
their last good datasets published (marked stale, with the reason) while the weather updates.

Everything goes through the real CLI, the real HTTP client and tests/httpserver.py.
"""

from __future__ import annotations

import json
import shutil
import time
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from tests.conftest import run_cli

REPO = Path(__file__).resolve().parents[1]
ICE_FIX = REPO / "ingest/ice_stocks/fixtures"
METEO_FIX = REPO / "ingest/open_meteo/fixtures"
ICO_FIX = REPO / "ingest/ico/fixtures"


def _forecast(issued: date) -> bytes:
    """A daily forecast response for South Minas Gerais issued on `issued` (16 days)."""
    days = [issued + timedelta(days=i) for i in range(16)]
    doc = {
        "latitude": -21.75, "longitude": -45.375, "generationtime_ms": 0.2,
        "utc_offset_seconds": -10800, "timezone": "America/Sao_Paulo",
        "timezone_abbreviation": "GMT-3", "elevation": 930.0,
        "daily_units": {"time": "iso8601", "temperature_2m_min": "°C",
                        "temperature_2m_max": "°C", "precipitation_sum": "mm"},
        "daily": {"time": [d.isoformat() for d in days],
                  "temperature_2m_min": [17.0 + i / 10 for i in range(16)],
                  "temperature_2m_max": [29.0] * 16, "precipitation_sum": [4.0] * 16},
    }  # fmt: skip
    return json.dumps(doc).encode()


SOURCES = ("ice_stocks", "ico", "open_meteo")
FAST_HTTP = "retries = 1\nbackoff_seconds = 0.01\ntimeout_seconds = 5"


def write_config(
    root: Path,
    ice: str,
    ico: str,
    meteo: str,
    http: str = FAST_HTTP,
    ico_tables: tuple[str, ...] = ("Coffee_production.csv",),
) -> Path:
    """beanflows.toml pointing ICE, ICO and Open-Meteo at these base URLs (also used by
    tests/test_outages_build.py)."""
    tables = ", ".join(f'"{ico}/ico/{t}"' for t in ico_tables)
    path = root / "beanflows.toml"
    path.write_text(f"""
[http]
{http}
[sources.ice_stocks]
report_url = "{ice}/ice/coffee_cert_stock_{{date}}.xls"
report_lookback_days = 2
[sources.ico]
table_urls = [{tables}]
[sources.open_meteo]
archive_url = "{meteo}/v1/archive"
forecast_url = "{meteo}/v1/forecast"
archive_start_year = 2025
[sources.open_meteo.regions.south_minas]
name = "South Minas Gerais"
country = "BR"
coffee = "arabica"
latitude = -21.72
longitude = -45.39
timezone = "America/Sao_Paulo"
""")
    return path


def build_sources(root: Path, cfg: Path, today: str) -> dict:
    """One nightly build of the three sources through the CLI: exit code, stderr, catalog and
    wall-clock seconds."""
    t0 = time.monotonic()
    res = run_cli("build", "--config", str(cfg), "--var", str(root / "var"),
                  "--out", str(root / "dist"), "--today", today,
                  *[a for s in SOURCES for a in ("--source", s)], cwd=root)  # fmt: skip
    catalog = json.loads((root / "dist/data/catalog.json").read_text())
    return {"rc": res.returncode, "stderr": res.stderr, "catalog": catalog,
            "seconds": time.monotonic() - t0}  # fmt: skip


def upstream_files(www: Path, ico_tables: tuple[str, ...] = ("Coffee_production.csv",)) -> None:
    """The three sources' upstream files under `www` as write_config's URLs expect them: an
    ICE report, ICO tables, the 2025 weather archive and a forecast issued on 2025-12-31."""
    for sub in ("ice", "ico", "v1"):
        (www / sub).mkdir(parents=True)
    shutil.copy(ICE_FIX / "coffee_cert_stock_20251230.xls", www / "ice")
    for name in ico_tables:
        shutil.copy(ICO_FIX / name, www / "ico")
    shutil.copy(METEO_FIX / "south_minas_archive_2025.json", www / "v1/archive")
    (www / "v1/forecast").write_bytes(_forecast(date(2025, 12, 31)))


@pytest.fixture(scope="module")
def two_builds(tmp_path_factory):
    from tests.httpserver import serve

    root = tmp_path_factory.mktemp("isolation")
    www = root / "www"
    upstream_files(www)
    with serve(www) as server:
        cfg = write_config(root, server.base_url, server.base_url, server.base_url)
        first = build_sources(root, cfg, "2025-12-31")
        pro = root / "dist/data/pro"
        before = {p.name: p.read_bytes() for p in pro.glob("*.parquet")}
        # next night: ICE answers with an HTML page, ICO renamed a column, weather moves on
        server.faults["/ice/coffee_cert_stock_20260102.xls"] = {
            "body": b"<!DOCTYPE html><html><title>Page moved</title></html>",
            "type": "text/html",
        }
        prod = (www / "ico/Coffee_production.csv").read_bytes()
        (www / "ico/Coffee_production.csv").write_bytes(prod.replace(b"Country,", b"Nation,", 1))
        (www / "v1/forecast").write_bytes(_forecast(date(2026, 1, 2)))
        second = build_sources(root, cfg, "2026-01-02")
    return root, first, before, second


def test_first_build_publishes_all_three(two_builds) -> None:
    _, first, _, _ = two_builds
    assert first["rc"] == 0, first["stderr"][-3000:]
    datasets = first["catalog"]["datasets"]
    for name in ("ice_certified_stocks", "weather_daily", "ico_trade"):
        assert datasets[name]["status"] in ("ok", "late"), name


def test_failed_sources_keep_last_good_files_marked_stale(two_builds) -> None:
    root, _, before, second = two_builds
    assert second["rc"] != 0  # cron notices
    catalog = second["catalog"]
    sources = catalog["sources"]
    assert sources["ice_stocks"]["status"] == "stale"
    assert "coffee_cert_stock_20260102.xls" in sources["ice_stocks"]["error"]
    assert "HTML page" in sources["ice_stocks"]["error"]
    assert sources["ico"]["status"] == "stale"
    assert "Coffee_production.csv, line 1: first column is 'Nation'" in sources["ico"]["error"]
    for name in ("ice_certified_stocks", "ice_certified_stocks_indicators", "ico_trade"):
        ds = catalog["datasets"][name]
        assert ds["status"] == "stale", name
        assert ds["stale_reason"], name
        assert (root / "dist/data/pro" / f"{name}.parquet").read_bytes() == before[
            f"{name}.parquet"
        ]


def test_weather_updated_despite_the_other_failures(two_builds) -> None:
    root, _, before, second = two_builds
    assert second["catalog"]["sources"]["open_meteo"]["status"] == "ok"
    assert second["catalog"]["datasets"]["weather_daily"]["status"] in ("ok", "late")
    path = root / "dist/data/pro/weather_daily.parquet"
    assert path.read_bytes() != before["weather_daily.parquet"]
    rows = duckdb.sql(
        f"SELECT date, forecast_issued, tmin_c FROM '{path}' WHERE is_forecast ORDER BY 1"
    ).fetchall()
    # days both forecasts cover come from the newer one; the older keeps only its first two days
    assert [r[1] for r in rows] == [date(2025, 12, 31)] * 2 + [date(2026, 1, 2)] * 16
    assert rows[2] == (date(2026, 1, 2), date(2026, 1, 2), 17.0)  # not the older 17.2
    observed = duckdb.sql(f"SELECT COUNT(*) FROM '{path}' WHERE NOT is_forecast").fetchone()
    assert observed == (123,)
