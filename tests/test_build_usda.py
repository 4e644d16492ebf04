"""End to end on the real USDA files: `beanflows build --raw-from ../shared/data`."""

from __future__ import annotations

import csv
import io
import json
import shutil
import zipfile
from pathlib import Path

import duckdb
import pytest

from tests.conftest import run_cli


def _build(shared_data: Path, root: Path) -> dict:
    root.mkdir(parents=True, exist_ok=True)
    res = run_cli("build", "--raw-from", str(shared_data), "--var", str(root / "var"),
                  "--out", str(root / "dist"), "--source", "usda_psd", cwd=root)  # fmt: skip
    assert res.returncode == 0, res.stderr[-3000:]
    return json.loads((root / "dist/data/catalog.json").read_text())


@pytest.fixture(scope="module")
def built(shared_data: Path, tmp_path_factory) -> tuple[Path, dict]:
    root = tmp_path_factory.mktemp("usda")
    return root, _build(shared_data, root)


def test_psd_coffee_equals_the_usda_bulk_file(built, shared_data: Path) -> None:
    root, _ = built
    with zipfile.ZipFile(shared_data / "usda_psd/psd_coffee_csv.zip") as zf:
        rows = list(csv.DictReader(io.TextIOWrapper(zf.open("psd_coffee.csv"), "utf-8")))
    published = {
        (r[0], r[1], r[2]): r[3]
        for r in duckdb.sql(
            f"SELECT country_code, market_year, attribute_id, value "
            f"FROM '{root}/dist/data/pro/psd_coffee.parquet'"
        ).fetchall()
    }
    assert len(published) == len(rows) == 77957
    for r in rows:
        key = (r["Country_Code"], int(r["Market_Year"]), r["Attribute_ID"])
        assert published[key] == float(r["Value"]), key


def test_coffee_balance_and_world_rows(built) -> None:
    root, _ = built
    q = f"FROM '{root}/dist/data/pro/coffee_balance.parquet'"
    br = duckdb.sql(f"SELECT production, marketing_year, total_supply {q} "
                    "WHERE country_code = 'BR' AND market_year = 2023").fetchone()  # fmt: skip
    assert br == (62600.0, "2022/23", 63215.0)
    world, summed = duckdb.sql(
        f"SELECT (SELECT production {q} WHERE country_code='WORLD' AND market_year=2023),"
        f" (SELECT SUM(production) {q} WHERE country_code<>'WORLD' AND market_year=2023)"
    ).fetchone()
    assert world == summed == 172750.0
    stu = duckdb.sql(f"SELECT ending_stocks, domestic_consumption, stock_to_use {q} "
                     "WHERE country_code = 'WORLD' AND market_year = 2023").fetchone()  # fmt: skip
    assert stu[2] == round(100 * stu[0] / stu[1], 2)


def test_vintages_hold_every_release(built) -> None:
    root, catalog = built
    got = duckdb.sql(
        "SELECT release, release_type, value "
        f"FROM '{root}/dist/data/pro/psd_coffee_vintages.parquet'"
        " WHERE country_code = 'BR' AND market_year = 2023 AND attribute_id = '028' ORDER BY 1"
    ).fetchall()
    assert got == [("2022-12", "bulk", 62600.0), ("2024-06", "report_table", 62600.0)]
    assert catalog["datasets"]["psd_coffee_vintages"]["free_window"].startswith("most recent 5")
    assert catalog["datasets"]["psd_coffee_vintages"]["releases"] == ["2022-12", "2024-06"]


def test_free_files_hold_the_last_five_market_years(built) -> None:
    root, catalog = built
    lo, hi = duckdb.sql(
        f"SELECT MIN(market_year), MAX(market_year) FROM '{root}/dist/data/free/psd_coffee.parquet'"
    ).fetchone()
    assert (lo, hi) == (2019, 2023)
    assert catalog["datasets"]["psd_coffee"]["free_window"] == "most recent 5 years of market_year"


def test_catalog_describes_every_column_and_file(built) -> None:
    root, catalog = built
    for name in ("psd_coffee", "psd_coffee_vintages", "coffee_balance"):
        ds = catalog["datasets"][name]
        assert ds["status"] in ("ok", "late") and ds["description"]
        assert all(c["description"] and c["type"] for c in ds["columns"]), name
        for tier in ("pro", "free"):
            for facts in (ds["files"][tier] or {}).values():
                path = root / "dist" / facts["path"]
                import hashlib

                assert hashlib.sha256(path.read_bytes()).hexdigest() == facts["sha256"]
        assert ds["lineage"][-1].startswith("raw.") and ds["audits"]
    units = {c["name"]: c["unit"] for c in catalog["datasets"]["coffee_balance"]["columns"]}
    assert units["production"] == "1000 60 kg bags" and units["stock_to_use"] == "%"
    src = catalog["sources"]["usda_psd"]
    assert src["status"] == "late" and src["files"] == 16  # 2022 data, built in 2026


def test_rebuilds_are_byte_identical(built, shared_data: Path, tmp_path: Path) -> None:
    root, catalog = built
    before = (root / "dist/data/catalog.json").read_bytes()
    res = run_cli("build", "--raw-from", str(shared_data), "--var", str(root / "var"),
                  "--out", str(root / "dist"), "--source", "usda_psd", cwd=root)  # fmt: skip
    assert res.returncode == 0
    assert "transform skipped (no change)" in res.stderr.replace("\n", " ")
    assert (root / "dist/data/catalog.json").read_bytes() == before
    # a fresh var from the same raw files: same bytes for every dataset file
    other = _build(shared_data, tmp_path)
    for name, ds in catalog["datasets"].items():
        assert other["datasets"][name]["files"] == ds["files"], name
    # and from the raw archive alone (var/raw copied elsewhere) as well
    shutil.copytree(root / "var/raw", tmp_path / "archive")
    third = _build(tmp_path / "archive", tmp_path / "third")
    assert (
        third["datasets"]["coffee_balance"]["files"]
        == catalog["datasets"]["coffee_balance"]["files"]
    )
