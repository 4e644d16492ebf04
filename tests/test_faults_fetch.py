"""The fault suite, fetch side: the same broken files served over real HTTP meet the same door.

A file refused on import (tests/test_faults.py) is refused with the same reason when fetched
(httpx against tests/httpserver.py on 127.0.0.1), and a file accepted on import (a BOM) is
accepted when fetched. Year rollover: a new year's file not yet published is a note, not an
error.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from ingest import archive
from ingest.run import ingest_source
from tests.fault_cases import CASES, COT_LEGACY, FRED, ICE_XLS, PINK, PSD_ZIP, REPO, Case, fixture
from tests.httpserver import Server

FAST = {"retries": 1, "backoff_seconds": 0.01, "timeout_seconds": 5}
TODAY = date(2025, 12, 30)


def _serve(root: Path, rel: str, data: bytes) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def _usda(up: Server, case: Case, data: bytes) -> dict[str, Any]:
    _serve(up.root, f"psd/{PSD_ZIP}", data)
    return {"current_url": up.url(f"psd/{PSD_ZIP}"), "archive_start": ""}


def _fred(up: Server, case: Case, data: bytes) -> dict[str, Any]:
    for name in ("PCOFFOTMUSDM.csv", "PCOFFROBUSDM.csv"):
        _serve(up.root, f"fred/{name}", data if name == case.name else fixture("fred", name))
    return {"series_url": up.base_url + "/fred/{series}.csv"}


def _yahoo(up: Server, case: Case, data: bytes) -> dict[str, Any]:
    for name in ("KC=F.csv", "RC=F.csv"):
        _serve(up.root, f"y/{name}", data if name == case.name else fixture("yahoo_prices", name))
    return {"format": "csv", "csv_url": up.base_url + "/y/{symbol}.csv?a={period1}&b={period2}"}


def _worldbank(up: Server, case: Case, data: bytes) -> dict[str, Any]:
    _serve(up.root, f"wb/{PINK}", data)
    return {"xlsx_url": up.url(f"wb/{PINK}")}


def _ico(up: Server, case: Case, data: bytes) -> dict[str, Any]:
    _serve(up.root, f"ico/{case.name}", data)
    return {"table_urls": [up.url(f"ico/{case.name}")]}


def _ice(up: Server, case: Case, data: bytes) -> dict[str, Any]:
    _serve(up.root, f"ice/{ICE_XLS}", data)
    return {"report_url": up.base_url + "/ice/coffee_cert_stock_{date}.xls",
            "report_lookback_days": 0}  # fmt: skip


# source -> (which cases can be served as that source's request, how)
FETCHABLE: dict[
    str, tuple[Callable[[Case], bool], Callable[[Server, Case, bytes], dict[str, Any]]]
] = {
    "usda_psd": (lambda c: c.name == PSD_ZIP, _usda),
    "fred": (lambda c: c.name in (FRED, "PCOFFROBUSDM.csv"), _fred),
    "yahoo_prices": (lambda c: c.name.endswith("=F.csv"), _yahoo),
    "worldbank": (lambda c: c.name == PINK, _worldbank),
    "ico": (lambda c: True, _ico),
    "ice_stocks": (lambda c: c.name == ICE_XLS, _ice),
}
FETCH_CASES = [c for c in CASES if c.source in FETCHABLE and FETCHABLE[c.source][0](c)]


def test_fetch_cases_cover_six_sources() -> None:
    assert {c.source for c in FETCH_CASES} == set(FETCHABLE) and len(FETCH_CASES) >= 25


@pytest.mark.parametrize("case", FETCH_CASES, ids=lambda c: c.id)
def test_fetched_fault(case: Case, upstream: Server, tmp_path: Path) -> None:
    data = case.make()  # once: a rebuilt xlsx carries a new timestamp
    cfg = FETCHABLE[case.source][1](upstream, case, data)
    var = tmp_path / "var"
    res = ingest_source(case.source, var, cfg, FAST, None, TODAY)
    digest = archive.sha256(data)
    stored = {r["sha256"] for r in archive.load_manifest(var / "raw")}
    if case.outcome == "accepted":
        assert res.ok and digest in stored, res.errors
        return
    assert len(res.errors) == 1, res.errors
    err = res.errors[0]
    assert f"[{case.source}]" in err and case.name in err and case.expect in err, err
    assert upstream.base_url in err  # fetched: the URL is the file's name
    assert digest not in stored
    assert (var / "rejected/objects" / digest[:2] / digest).is_file()


# ---- year rollover: the new year's file is not there yet --------------------------------------


def test_rollover_cot_new_year_zip_missing_is_a_note(upstream: Server, tmp_path: Path) -> None:
    _serve(upstream.root, f"dea/{COT_LEGACY}", fixture("cftc_cot", COT_LEGACY))
    spec = {"first_year": 2025, "year_url": upstream.base_url + "/dea/deacot{year}.zip"}
    cfg = {"fetch": ["legacy_futures_only"], "fetch_week_file": False,
           "reports": {"legacy_futures_only": spec}}  # fmt: skip
    res = ingest_source("cftc_cot", tmp_path / "var", cfg, FAST, None, date(2026, 1, 5))
    assert res.ok and res.files_new == 1, res.errors
    assert res.notes == [f"not published yet: {upstream.url('dea/deacot2026.zip')}"]
    # after the grace window, the same missing file is an error naming it
    late = ingest_source("cftc_cot", tmp_path / "var", cfg, FAST, None, date(2026, 3, 2))
    assert len(late.errors) == 1 and "deacot2026.zip" in late.errors[0] and "404" in late.errors[0]


def test_rollover_usda_month_not_archived_is_a_note(upstream: Server, tmp_path: Path) -> None:
    _serve(upstream.root, f"psd/{PSD_ZIP}", fixture("usda_psd", PSD_ZIP))
    cfg = {
        "current_url": upstream.url(f"psd/{PSD_ZIP}"),
        "archive_start": "2025-12",
        "archive_url": upstream.base_url + "/archive/{year}/{month:02d}/psd_coffee_csv.zip",
    }
    res = ingest_source("usda_psd", tmp_path / "var", cfg, FAST, None, date(2026, 1, 5))
    assert res.ok and res.files_new == 1, res.errors
    assert res.notes == [f"not published yet: {upstream.url('archive/2025/12/psd_coffee_csv.zip')}"]


def test_rollover_ice_new_year_days_are_notes(upstream: Server, tmp_path: Path) -> None:
    (upstream.root / "ice").mkdir()
    shutil.copy(REPO / "ingest/ice_stocks/fixtures" / ICE_XLS, upstream.root / "ice")
    cfg = {"report_url": upstream.base_url + "/ice/coffee_cert_stock_{date}.xls",
           "report_lookback_days": 3}  # fmt: skip
    res = ingest_source("ice_stocks", tmp_path / "var", cfg, FAST, None, date(2026, 1, 2))
    assert res.ok and res.files_new == 1, res.errors
    missing = ["20251231", "20260101", "20260102"]  # 1 January: no report; 2nd: not yet
    assert res.notes == [
        f"not published yet: {upstream.url(f'ice/coffee_cert_stock_{d}.xls')}" for d in missing
    ]
