"""Blocking value audits of the ICE, weather and ICO models, on rows that bypassed the extractors.

The extractors refuse negative stocks or °F temperatures already; the SQL audits are the second
line for anything that reaches landing some other way (an extractor bug, a hand-placed file).
Here bad landing Parquet is written directly and the real SQLMesh project runs over it: each
staging model must fail with its audit named, and a clean model of the same source must not.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ingest.ice_stocks import series
from ingest.ico import table
from ingest.open_meteo import response
from ingest.run import ingest_source, source_names

DAY = date(2024, 3, 1)


def _write(var: Path, rel: str, rows: dict, schema: pa.Schema) -> None:
    n = len(next(iter(rows.values())))
    full = {f.name: rows.get(f.name, [None] * n) for f in schema}
    path = var / "landing" / rel / f"{'b' * 64}.parquet"
    pq.write_table(pa.table(full, schema=schema), path)


@pytest.fixture(scope="module")
def failed(tmp_path_factory) -> dict[str, str]:
    from beanflows import transform_child

    var = tmp_path_factory.mktemp("audits") / "var"
    for name in source_names():  # empty landing for every source, so every raw view resolves
        ingest_source(name, var, {}, {}, [], DAY)
    lineage = {"_line": [3], "_raw_sha256": ["b" * 64], "_release": [DAY.isoformat()],
               "_period": [DAY]}  # fmt: skip
    _write(var, "ice_stocks/totals", {"date": [DAY], "bags": [-5], "origin_form": ["series_csv"],
                                       **lineage}, series.TOTALS)  # fmt: skip
    _write(var, "open_meteo/daily", {
        "region": ["south_minas"], "region_name": ["South Minas Gerais"], "country": ["BR"],
        "coffee": ["arabica"], "region_timezone": ["America/Sao_Paulo"], "api_kind": ["archive"],
        "latitude": [-21.75], "longitude": [-45.375], "timezone": ["America/Sao_Paulo"],
        "utc_offset_seconds": [-10800], "time_published": ["2024-03-01"], "date": [DAY],
        "temperature_2m_min": [68.0], "temperature_2m_max": [86.0],  # °F slipped through
        "precipitation_sum": [0.0], **lineage}, response.DAILY)  # fmt: skip
    _write(var, "ico/flows", {
        "flow": ["exports"], "country": ["Brazil"], "is_sub_member": [False],
        "year_label": ["2024"], "year": [2024], "year_type": ["calendar"], "value_raw": [-60.0],
        **lineage}, table.SCHEMA)  # fmt: skip
    return transform_child.run(var, {}, date(2024, 12, 31)).failed


@pytest.mark.parametrize(
    ("model", "audit"),
    [
        ("staging.ice_stocks_observations", "stocks_non_negative"),
        ("staging.open_meteo_daily", "weather_plausible"),
        ("staging.ico_flows", "ico_non_negative"),
    ],
)
def test_bad_values_fail_their_audit(failed: dict[str, str], model: str, audit: str) -> None:
    assert model in failed, sorted(failed)
    assert audit in failed[model]


def test_clean_models_of_the_same_sources_still_run(failed: dict[str, str]) -> None:
    for model in ("staging.ice_stocks_report_cells", "staging.open_meteo_hourly_days"):
        assert model not in failed
