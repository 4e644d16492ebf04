"""When ingest rebuilds a landing folder (ingest.run.prepare_landing), and when it must not."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from ingest.run import extract_version, ingest_source, load_source, prepare_landing

TODAY = date(2026, 12, 1)


def test_schema_files_made_before_ingest_are_not_wiped(tmp_path: Path) -> None:
    """The build makes the landing globs before ingest so SQLMesh can plan meanwhile; ingest
    must not delete those files under the plan (nothing had landed: nothing to rebuild)."""
    mod, cfg = load_source("ico")
    prepare_landing(tmp_path, mod)  # the transform's call: schema files, no version
    schema_files = sorted((tmp_path / "landing" / "ico").rglob("_empty.parquet"))
    inodes = {p: p.stat().st_ino for p in schema_files}
    assert schema_files
    prepare_landing(tmp_path, mod, cfg)
    assert {p: p.stat().st_ino for p in schema_files} == inodes
    assert (tmp_path / "landing/ico/VERSION").read_text().strip() == extract_version(mod, cfg)


def test_a_landed_folder_without_version_is_rebuilt(tmp_path: Path) -> None:
    """Rows landed by an extractor whose version is unknown are not trusted: rebuilt."""
    mod, cfg = load_source("ico")
    prepare_landing(tmp_path, mod, cfg)
    root = tmp_path / "landing" / "ico"
    (root / "landed.json").write_text("{}\n")
    (root / "VERSION").unlink()
    stray = root / "flows" / "old.parquet"
    stray.parent.mkdir(parents=True, exist_ok=True)
    stray.write_bytes(b"PAR1")
    assert ingest_source("ico", tmp_path, {}, {}, [], TODAY).ok
    assert not stray.exists()
    assert (root / "VERSION").read_text().strip() == extract_version(mod, cfg)
