"""USDA PSD past releases: every archived month is a vintage, fetched once, over real HTTP."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from ingest import archive
from ingest.run import ingest_source
from tests.usda_fixtures import bulk_csv, bulk_zip

FAST = {"retries": 1, "backoff_seconds": 0.01, "timeout_seconds": 5}


def test_archived_releases_are_fetched_once_each(upstream, http_root: Path, tmp_path: Path) -> None:
    (http_root / "current").mkdir()
    (http_root / "current/psd_coffee_csv.zip").write_bytes(bulk_zip(bulk_csv(release="2025-06")))
    for year, month in ((2025, 1), (2025, 3)):  # February was never archived: a 404
        folder = http_root / f"archives/{year}/{month:02d}"
        folder.mkdir(parents=True)
        csv = bulk_csv(release=f"{year}-{month:02d}", bump=month * 10)
        (folder / "psd_coffee_csv.zip").write_bytes(bulk_zip(csv))
    cfg = {
        "current_url": upstream.url("current/psd_coffee_csv.zip"),
        "archive_url": upstream.base_url + "/archives/{year}/{month:02d}/psd_coffee_csv.zip",
        "archive_start": "2025-01",
    }
    var = tmp_path / "var"
    res = ingest_source("usda_psd", var, cfg, FAST, None, date(2025, 4, 15))
    assert res.ok, res.errors
    assert res.files_new == 3  # current + January + March
    assert any("archives/2025/02" in n for n in res.notes)  # not published: a note, no error
    releases = sorted(r["release"] for r in archive.load_manifest(var / "raw"))
    assert releases == ["2025-01", "2025-03", "2025-06"]

    upstream.hits.clear()
    again = ingest_source("usda_psd", var, cfg, FAST, None, date(2025, 4, 16))
    assert again.ok and again.files_new == 0
    fetched = [p for p, _ in upstream.hits]
    assert "/archives/2025/01/psd_coffee_csv.zip" not in fetched  # stored: never refetched
    assert "/archives/2025/02/psd_coffee_csv.zip" in fetched  # still missing: asked again
    current = [h for p, h in upstream.hits if p == "/current/psd_coffee_csv.zip"]
    assert current and current[0].get("If-None-Match")  # conditional request for the current
