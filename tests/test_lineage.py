"""The lineage contract (site/docs/lineage.md), walked as a reader would: for every published
dataset of a demo build and of a real build from ../shared/data, take the rows, follow each
row's raw_sha256 to the catalog's raw files, to the raw manifest, to the raw object (the
sha256 of its bytes must match) and to its upstream URL; the methodology shows the trail and
the downloads page every source's licence and citation."""

from __future__ import annotations

import hashlib
import html
import json
from pathlib import Path
from typing import Any

import duckdb
import pytest

from beanflows import layout
from ingest import archive
from tests.demo_site import demo_dist, real_dist

SPECS = layout.dataset_specs()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    dist = demo_dist(tmp_path_factory)
    return dist, dist.parent / "var"


@pytest.fixture(scope="module")
def real(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    dist = real_dist(tmp_path_factory, shared_data)
    return dist, dist.parent / "var"


def _files_of(con: duckdb.DuckDBPyConnection, path: Path, list_type: bool) -> set[str]:
    col = "UNNEST(raw_sha256)" if list_type else "raw_sha256"
    rows = con.execute(f"SELECT DISTINCT {col} FROM read_parquet('{path}')").fetchall()
    return {r[0] for r in rows}


def walk(dist: Path, var: Path) -> dict[str, int]:
    """Every dataset, row to upstream; returns the raw files reached per dataset."""
    catalog = json.loads((dist / "data" / "catalog.json").read_text())
    text = json.dumps(catalog)
    assert "import_path" not in text and str(var) not in text  # local paths never published
    manifest = {r["sha256"]: r for r in archive.load_manifest(layout.raw_dir(var))}
    con = duckdb.connect()
    reached = {}
    for name, spec in SPECS.items():
        entry = catalog["datasets"][name]
        assert entry["status"] != "stale", (name, entry.get("stale_reason"))
        col = next(c for c in entry["columns"] if c["name"] == "raw_sha256")
        list_type = col["type"] == "VARCHAR[]"
        assert list_type or col["type"] == "VARCHAR", (name, col["type"])
        assert ("(a list)" in col["description"]) == list_type, (name, col["description"])
        pro = dist / entry["files"]["pro"]["parquet"]["path"]
        bad = con.execute(
            f"SELECT COUNT(*) FROM read_parquet('{pro}') WHERE raw_sha256 IS NULL OR "
            + ("len(raw_sha256) = 0 OR raw_sha256 <> list_sort(list_distinct(raw_sha256))"
               if list_type else "raw_sha256 = ''")
        ).fetchone()[0]  # fmt: skip
        assert bad == 0, f"{name}: {bad} rows without a sorted, distinct raw_sha256"
        listed = {f["sha256"]: f for f in entry["raw_files"]}
        assert [f["sha256"] for f in entry["raw_files"]] == sorted(listed)
        assert _files_of(con, pro, list_type) == set(listed), f"{name}: rows and catalog differ"
        free = (entry["files"].get("free") or {}).get("parquet")
        in_free = _files_of(con, dist / free["path"], list_type) if free else set()
        assert in_free == {s for s, f in listed.items() if "free" in f["tiers"]}, name
        for digest, f in listed.items():
            row = manifest[digest]  # the archive's own record of the file
            assert row["source"] in spec["sources"] and f["source"] == row["source"], name
            assert (f["name"], f["release"], f["url"]) == (row["name"], row["release"], row["url"])
            assert f["url"] and f["url"].startswith("https://"), (name, f)
            data = archive.object_path(layout.raw_dir(var), digest).read_bytes()
            assert hashlib.sha256(data).hexdigest() == digest
            assert "pro" in f["tiers"]
        reached[name] = len(listed)
    return reached


def check_pages(dist: Path) -> None:
    """Methodology: each dataset's trail as links; downloads: licence and citation."""
    catalog = json.loads((dist / "data" / "catalog.json").read_text())
    downloads = html.unescape((dist / "downloads" / "index.html").read_text())
    for name, spec in SPECS.items():
        entry = catalog["datasets"][name]
        page = (dist / "methodology" / "datasets" / name / "index.html").read_text()
        assert spec["model_file"] in page, name  # serving_<name>.sql
        for model in entry["lineage"]:
            assert f'href="../../models/{model}/"' in page, (name, model)
        for f in entry["raw_files"]:
            assert f["sha256"] in page and f'href="{html.escape(f["url"])}"' in page, name
        for source in spec["sources"]:
            src = catalog["sources"][source]
            for text in (src["license"]["name"], src["citation"]):
                assert text in html.unescape(page), (name, source)
                assert text in downloads, (name, source)
    model = (dist / "methodology" / "models" / "serving.psd_coffee" / "index.html").read_text()
    assert "Reads:" in model and "cleaned.usda_psd_vintages" in model


def test_demo_build_lineage(demo: tuple[Path, Path]) -> None:
    reached = walk(*demo)
    assert sum(1 for n in reached.values() if n) >= len(SPECS) - 1  # cot_revisions may be empty
    check_pages(demo[0])


def test_real_build_lineage(real: tuple[Path, Path]) -> None:
    reached = walk(*real)
    assert reached["psd_coffee"] == 1  # the bulk file only, not the 15 report tables
    assert reached["psd_coffee_vintages"] > 1
    check_pages(real[0])


def test_manifest_keeps_upstream_urls_of_imported_files(real: tuple[Path, Path]) -> None:
    """Every imported file has its canonical upstream URL in the manifest itself, and the
    local path it was imported from kept apart."""
    rows: list[dict[str, Any]] = archive.load_manifest(layout.raw_dir(real[1]))
    assert rows
    for row in rows:
        assert row["url"].startswith("https://") and row["url_derived"] is True, row
        assert row["import_path"]
    by_name = {r["name"]: r["url"] for r in rows}
    assert by_name["psd_coffee_csv.zip"].endswith("/archives/2022/12/psd_coffee_csv.zip")
    assert by_name["fut_disagg_txt_2023.zip"].endswith("/history/fut_disagg_txt_2023.zip")
