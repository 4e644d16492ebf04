"""Open-Meteo and ICO over real HTTP (tests/httpserver.py): bad bodies are refused with the file
named, the good responses of the same night still land."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import pyarrow.parquet as pq

from ingest.run import ingest_source

REPO = Path(__file__).resolve().parents[1]
FAST = {"retries": 1, "backoff_seconds": 0.01, "timeout_seconds": 5}
REGIONS = {
    "south_minas": {"name": "South Minas Gerais", "country": "BR", "coffee": "arabica",
                    "latitude": -21.72, "longitude": -45.39, "timezone": "America/Sao_Paulo"},
    "huila": {"name": "Huila", "country": "CO", "coffee": "arabica", "latitude": 1.85,
              "longitude": -76.05, "timezone": "America/Bogota"},
}  # fmt: skip


def _meteo_cfg(upstream) -> dict:
    return {"archive_url": upstream.url("archive"), "forecast_url": upstream.url("forecast"),
            "archive_start_year": 2025, "regions": REGIONS}  # fmt: skip


def _rows(var: Path, table: str) -> int:
    return sum(pq.read_table(p).num_rows for p in (var / "landing" / table).glob("*.parquet"))


def test_weather_bad_bodies_refused_good_ones_land(upstream, http_root, tmp_path) -> None:
    """archive (both regions share the path here) is good; the forecast is an HTML page."""
    shutil.copy(REPO / "ingest/open_meteo/fixtures/south_minas_archive_2025.json",
                http_root / "archive")  # fmt: skip
    upstream.faults["/forecast"] = {"body": b"<html><body>502 Bad Gateway</body></html>",
                                    "type": "text/html"}  # fmt: skip
    var = tmp_path / "var"
    res = ingest_source("open_meteo", var, _meteo_cfg(upstream), FAST, None, date(2025, 9, 1))
    errors = "\n".join(res.errors)
    assert errors.count("an HTML page was served instead of json") == 2, errors
    assert "/forecast?latitude=-21.72" in errors
    assert _rows(var, "open_meteo/daily") == 123  # south_minas archive landed
    # huila's request got the same bytes back: content-addressed, it lands once, by grid cell
    regions = {r for p in (var / "landing/open_meteo/daily").glob("*.parquet")
               for r in pq.read_table(p)["region"].to_pylist()}  # fmt: skip
    assert regions == {"south_minas"}


def test_weather_unequal_arrays_and_empty_body(upstream, http_root, tmp_path) -> None:
    doc = json.loads((REPO / "ingest/open_meteo/fixtures/south_minas_archive_2025.json")
                     .read_text())  # fmt: skip
    doc["daily"]["precipitation_sum"] = doc["daily"]["precipitation_sum"][:-3]
    (http_root / "archive").write_text(json.dumps(doc))
    upstream.faults["/forecast"] = {"body": b"", "type": "application/json"}
    cfg = {**_meteo_cfg(upstream), "regions": {"south_minas": REGIONS["south_minas"]}}
    res = ingest_source("open_meteo", tmp_path / "var", cfg, FAST, None, date(2025, 9, 1))
    errors = "\n".join(res.errors)
    assert "south_minas_archive_2025.json: arrays of unequal length in `daily`: time has 123, " \
           "precipitation_sum has 120" in errors  # fmt: skip
    assert "/forecast?" in errors and "empty body" in errors
    assert _rows(tmp_path / "var", "open_meteo/daily") == 0


def test_ico_html_and_renamed_column_refused(upstream, http_root, tmp_path) -> None:
    fixtures = REPO / "ingest/ico/fixtures"
    shutil.copy(fixtures / "Coffee_production.csv", http_root)
    bad = (fixtures / "Coffee_import.csv").read_bytes().replace(b"Country,", b"Nation,")
    (http_root / "Coffee_import.csv").write_bytes(bad)
    upstream.faults["/Coffee_export.csv"] = {"body": b"<!doctype html><p>moved</p>"}
    urls = [upstream.url(n) for n in ("Coffee_production.csv", "Coffee_import.csv",
                                      "Coffee_export.csv")]  # fmt: skip
    res = ingest_source("ico", tmp_path / "var", {"table_urls": urls}, FAST, None, date.today())
    errors = "\n".join(res.errors)
    assert "Coffee_import.csv, line 1: first column is 'Nation', expected 'Country'" in errors
    assert "Coffee_export.csv: an HTML page was served instead of csv" in errors
    assert _rows(tmp_path / "var", "ico/flows") == 15  # production: 3 countries x 5 years
