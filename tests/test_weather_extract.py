"""Open-Meteo extractor: time zones, region matching, hourly/daily shapes, bad bodies."""

from __future__ import annotations

import copy
import json
from datetime import date, datetime
from pathlib import Path

import pytest

from ingest import open_meteo
from ingest.errors import SourceError
from ingest.open_meteo import extract, recognise, regions, requests
from ingest.run import load_source
from tests.conftest import extract_real

FIXTURES = Path(__file__).resolve().parents[1] / "ingest" / "open_meteo" / "fixtures"


def _daily(**over: object) -> dict:
    doc = json.loads((FIXTURES / "south_minas_archive_2025.json").read_text())
    doc.update(over)
    return doc


def _extract(doc: dict, name: str = "response.json", kind: str = "archive"):
    return extract(kind, json.dumps(doc).encode(), name, "w" * 64)


def test_real_hourly_sample_is_south_minas_in_local_days(shared_data: Path) -> None:
    path = shared_data / "weather" / "open_meteo" / "measurements.json"
    release, tables = extract_real(open_meteo, path, "archive")
    hourly = tables["hourly"]
    assert set(tables) == {"hourly"}
    assert hourly.num_rows == 17520
    assert set(hourly["region"].to_pylist()) == {"south_minas"}  # matched by grid cell only
    first = hourly.slice(0, 1).to_pylist()[0]
    # "2022-01-01T00:00" in GMT is 21:00 on 31 Dec 2021 in Varginha (UTC-3)
    assert first["time_published"] == "2022-01-01T00:00"
    assert first["time_utc"] == datetime(2022, 1, 1, 0, 0)
    assert first["local_date"] == date(2021, 12, 31)
    assert first["temperature_2m"] == 18.0
    last = hourly.slice(hourly.num_rows - 1, 1).to_pylist()[0]
    assert (last["local_date"], last["temperature_2m"], last["precipitation"]) == (
        date(2023, 12, 31),
        22.7,
        3.2,
    )
    assert release == "2023-12-31"


def test_daily_response_dates_are_the_responses_zone() -> None:
    release, tables = _extract(_daily(), "south_minas_archive_2025.json")
    daily = tables["daily"]
    assert release == "2025-08-31"
    row = daily.slice(0, 1).to_pylist()[0]
    assert (row["date"], row["timezone"], row["region_timezone"]) == (
        date(2025, 5, 1),
        "America/Sao_Paulo",
        "America/Sao_Paulo",
    )


def test_hourly_offset_fallback_and_region_zone() -> None:
    """An unknown zone name falls back to utc_offset_seconds; days are the region's."""
    doc = json.loads((FIXTURES / "huila_measurements.json").read_text())
    doc["timezone"], doc["utc_offset_seconds"] = "Etc/Unknown", 3600
    _, tables = _extract(doc)
    row = tables["hourly"].slice(0, 1).to_pylist()[0]
    assert row["region"] == "huila"
    assert row["time_utc"] == datetime(2025, 11, 30, 23, 0)  # 00:00 at UTC+1
    assert row["local_date"] == date(2025, 11, 30)  # 18:00 in Bogota (UTC-5)
    assert row["local_day_hours"] == 24


def test_forecast_period_is_the_day_before_the_issue_day() -> None:
    name = "central_highlands_forecast_20251229.json"
    data = (FIXTURES / name).read_bytes()
    assert recognise(name, data[:4096]) == "forecast"
    release, tables = extract("forecast", data, name, "f")
    daily = tables["daily"]
    assert release == "2025-12-29"
    assert set(daily["_period"].to_pylist()) == {date(2025, 12, 28)}  # a closed interval tonight
    assert daily["precipitation_sum"].to_pylist()[-1] is None  # nulls are kept as NULL


def test_every_configured_region_matches_itself_and_the_list_is_complete() -> None:
    keys = {r.key for r in regions.all_regions()}
    assert {"south_minas", "cerrado_mineiro", "mogiana", "espirito_santo", "central_highlands",
            "huila", "sidama"} <= keys  # fmt: skip
    for r in regions.all_regions():
        assert regions.match(r.latitude + 0.1, r.longitude - 0.1, "x.json").key == r.key


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.update(latitude=-30.0), "not within 0.25 degrees of any configured region"),
        (lambda d: d["daily"].pop("precipitation_sum"), "lacks ['precipitation_sum']"),
        (lambda d: d["daily"]["temperature_2m_min"].pop(), "arrays of unequal length"),
        (lambda d: d["daily"]["time"].__setitem__(3, "05/04/2025"), "time[3] = '05/04/2025'"),
        (lambda d: d["daily_units"].update(temperature_2m_min="°F"), "expected '°C'"),
        (lambda d: d["daily"]["temperature_2m_max"].__setitem__(0, "hot"), "is not a number"),
        (lambda d: d.update(daily={"time": [], "temperature_2m_min": [],
                                   "temperature_2m_max": [], "precipitation_sum": []}),
         "no time steps"),
        (lambda d: (d["daily"]["time"].__setitem__(1, d["daily"]["time"][0])),
         "appears twice with different values"),
    ],
)  # fmt: skip
def test_bad_daily_responses(change, message: str) -> None:
    doc = copy.deepcopy(_daily())
    change(doc)
    with pytest.raises(SourceError, match="response.json") as exc:
        _extract(doc)
    assert message in str(exc.value)


def test_api_error_body_and_foreign_json() -> None:
    with pytest.raises(SourceError, match="Open-Meteo error response: 'Latitude must be"):
        _extract({"error": True, "reason": "Latitude must be in range of -90 to 90°."})
    with pytest.raises(SourceError, match="not Open-Meteo"):
        _extract({"chart": {"result": []}})


def test_name_must_agree_with_coordinates() -> None:
    with pytest.raises(SourceError, match="named for region huila"):
        _extract(_daily(), "huila_archive_2025.json")


def test_requests_use_region_time_zones_and_skip_stored_years() -> None:
    _, cfg = load_source("open_meteo")
    today = date(2026, 3, 10)
    reqs = requests(cfg, today, set())
    sm = [r for r in reqs if r.name.startswith("south_minas_")]
    assert [r.name for r in sm] == [
        *(f"south_minas_archive_{y}.json" for y in range(2020, 2027)),
        "south_minas_forecast_20260310.json",
    ]
    assert "timezone=America/Sao_Paulo" in sm[0].url and "end_date=2020-12-31" in sm[0].url
    assert "end_date=2026-03-09" in sm[-2].url  # this year to yesterday
    again = requests(cfg, today, {r.url for r in reqs})
    assert not any(r.name.endswith("_2020.json") for r in again)  # past years fetched once
    assert any(r.name == "south_minas_archive_2026.json" for r in again)  # this year refreshed
