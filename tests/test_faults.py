"""The fault suite, ingest side: every case of tests/fault_cases.py through the one door.

Each case imports a source's demo fixtures from a folder (as `--raw-from` does), then the same
folder plus one broken file, through `ingest.run.ingest_source` — the code path of the build.
A rejected file must fail its source with a message naming the source and the file (relative
to the imported folder, never a local path), be kept in var/rejected/ once, and never reach the
raw manifest or the landing; the good files stay stored and landed. The full-build side (exit
codes, stale datasets, other sources updated) is tests/test_faults_build.py.
"""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import pytest

from ingest import archive
from ingest.route import import_files
from ingest.run import ingest_source, source_names
from tests.fault_cases import BOM, CASES, HTML, REPO, Case

TODAY = date(2026, 1, 5)


def _stage(root: Path, source: str) -> Path:
    """An import folder holding one source's demo fixtures under `<source>/`."""
    shutil.copytree(REPO / "ingest" / source / "fixtures", root / source,
                    ignore=shutil.ignore_patterns("*.py", "__pycache__"))  # fmt: skip
    return root


def _ingest(source: str, var: Path, root: Path):  # noqa: ANN202 - SourceResult
    return ingest_source(source, var, {}, {}, import_files(root), TODAY)


def _landed(var: Path, source: str) -> dict:
    return json.loads((var / "landing" / source / "landed.json").read_text())


def _rejected_rows(var: Path) -> list[dict]:
    path = var / "rejected" / archive.REJECTED
    return [json.loads(x) for x in path.read_text().splitlines()] if path.exists() else []


def test_the_table_covers_every_source_and_fault() -> None:
    assert len(CASES) >= 40
    assert {c.source for c in CASES} == set(source_names())
    assert len({c.id for c in CASES}) == len(CASES)
    faults = " ".join(c.fault for c in CASES)
    for kind in ("truncated", "HTML", "empty", "BOM", "Latin-1", "renamed", "missing",
                 "duplicate keys", "unit change", "implausible"):  # fmt: skip
        assert kind in faults, kind


def test_docs_list_every_case() -> None:
    """docs/faults.md is the operator's table: a case missing there is a promise unwritten."""
    text = (REPO / "docs" / "faults.md").read_text(encoding="utf-8")
    assert [c.id for c in CASES if f"`test_fault[{c.id}]`" not in text] == []


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_fault(case: Case, tmp_path: Path) -> None:
    root, var = _stage(tmp_path / "in", case.source), tmp_path / "var"
    good = _ingest(case.source, var, root)
    assert good.ok and good.files_new > 0, good.errors
    manifest_before = archive.load_manifest(var / "raw")
    landed_before = _landed(var, case.source)

    bad = root / case.place
    bad.parent.mkdir(parents=True)
    data = case.make()
    bad.write_bytes(data)
    digest = archive.sha256(data)
    res = _ingest(case.source, var, root)
    manifest = archive.load_manifest(var / "raw")
    landed = _landed(var, case.source)

    if case.outcome == "accepted":
        assert res.ok and res.files_new == 1, res.errors
        assert digest in {r["sha256"] for r in manifest} and digest in landed
        assert not _rejected_rows(var)
        return
    # fails its source, naming the source and the file (never a local absolute path)
    assert len(res.errors) == 1, res.errors
    err = res.errors[0]
    assert f"[{case.source}]" in err and case.name in err and case.expect in err, err
    assert str(tmp_path) not in err and case.place in err, err
    assert res.rejected == [case.place]
    # nothing bad stored as good; the last good files stay stored and landed
    assert manifest == manifest_before and digest not in landed
    assert landed == landed_before
    assert not list((var / "landing" / case.source).rglob(f"{digest}.parquet"))
    assert res.files_unchanged == good.files_new and res.files_new == 0
    # kept apart with its reason, once, however often the folder is imported again
    assert archive.sha256((var / "rejected/objects" / digest[:2] / digest).read_bytes()) == digest
    again = _ingest(case.source, var, root)
    assert again.errors == res.errors
    rows = [r for r in _rejected_rows(var) if r["sha256"] == digest]
    assert len(rows) == 1 and rows[0]["source"] == case.source and case.expect in rows[0]["reason"]


def test_files_nobody_claims_are_ignored_not_rejected(tmp_path: Path) -> None:
    """A README, a script, another product's JSON: listed as ignored, no source fails."""
    from ingest.route import ignored

    root = _stage(tmp_path / "in", "ico")
    (root / "README.md").write_text("# notes\n")
    (root / "paddle").mkdir()
    (root / "paddle" / "events.json").write_text('{"data": []}')
    (root / "ico" / "make_table.py").write_text("print(1)\n")
    (root / "misc").mkdir()
    (root / "misc" / "Coffee_Production.csv").write_bytes(HTML)  # ambiguous name, no folder
    items = import_files(root)
    assert ignored(items) == [
        "README.md", "ico/make_table.py", "misc/Coffee_Production.csv", "paddle/events.json"
    ]  # fmt: skip
    for source in source_names():
        assert ingest_source(source, tmp_path / "var", {}, {}, items, TODAY).ok


def test_content_wins_over_folder(tmp_path: Path) -> None:
    """A good FRED file dropped in the ICO folder belongs to FRED; ICO does not reject it."""
    root = _stage(tmp_path / "in", "ico")
    shutil.copy(REPO / "ingest/fred/fixtures/PCOFFOTMUSDM.csv", root / "ico" / "PCOFFOTMUSDM.csv")
    items = import_files(root)
    assert ingest_source("ico", tmp_path / "var", {}, {}, items, TODAY).ok
    fred = ingest_source("fred", tmp_path / "var", {}, {}, items, TODAY)
    assert fred.ok and fred.files_new == 1


def test_bom_in_the_archive_relands_identically(tmp_path: Path) -> None:
    """A BOM file re-landed from the archive (new extractor version) gives the same rows."""
    root = tmp_path / "in" / "ico"
    root.mkdir(parents=True)
    (root / "Coffee_import.csv").write_bytes(BOM + (REPO / "ingest/ico/fixtures/Coffee_import.csv")
                                             .read_bytes())  # fmt: skip
    var = tmp_path / "var"
    assert _ingest("ico", var, tmp_path / "in").ok
    first = {p.name: p.read_bytes() for p in (var / "landing/ico").rglob("*.parquet")}
    (var / "landing/ico/VERSION").write_text("old\n")  # as after an EXTRACT_VERSION bump
    res = ingest_source("ico", var, {}, {}, [], TODAY)
    assert res.ok and res.files_new == 0
    assert {p.name: p.read_bytes() for p in (var / "landing/ico").rglob("*.parquet")} == first
