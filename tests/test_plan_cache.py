"""A fresh var/ starts from the planned warehouse an earlier build kept (beanflows.plan_cache).

The copy must be a pure speed-up: the same files published as after a plan of its own, no
interval taken for done, and never used for another project version or a var/ that has a
warehouse already.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from beanflows import layout, plan_cache
from tests.conftest import run_cli

TODAY = "2026-12-01"


def _data_files(dist: Path) -> dict[str, bytes]:
    """The published data files (catalog.json aside: it carries the build's timestamps)."""
    data = dist / "data"
    return {
        p.relative_to(data).as_posix(): p.read_bytes()
        for p in sorted(data.rglob("*"))
        if p.is_file() and p.suffix in (".parquet", ".csv")
    }


def _sqlmesh_log(stderr: str) -> str:
    return " ".join(stderr.split()).split("SQLMesh process:", 1)[-1]


def test_a_fresh_build_starts_from_the_kept_plan_and_publishes_the_same_files(
    tmp_path: Path,
) -> None:
    env = {"BEANFLOWS_CACHE_DIR": str(tmp_path / "cache")}
    runs = {}
    for name in ("first", "second"):
        var, out = tmp_path / name / "var", tmp_path / name / "dist"
        args = ["build", "--demo", "--var", str(var), "--out", str(out), "--today", TODAY]
        res = run_cli(*args, cwd=tmp_path, env=env)
        assert res.returncode == 0, res.stderr[-3000:]
        runs[name] = (_sqlmesh_log(res.stderr), _data_files(out))
    first, second = runs["first"], runs["second"]
    assert "plan during ingest" in first[0] and "plan restored" not in first[0]
    assert "plan restored" in second[0] and "plan during ingest" not in second[0]
    assert len(first[1]) > 20, "the demo publishes its datasets"
    assert second[1] == first[1]

    # what was kept is a plan, not data: empty tables, no interval done
    (kept,) = (tmp_path / "cache" / "plans").glob("*.duckdb")
    with duckdb.connect(str(kept), read_only=True) as con:
        assert con.execute("SELECT COUNT(*) FROM sqlmesh._intervals").fetchone() == (0,)
        tables = con.execute(
            "SELECT schema_name, table_name FROM duckdb_tables() "
            "WHERE schema_name LIKE 'sqlmesh__%'"
        ).fetchall()
        assert len(tables) > 20
        for schema, table in tables:
            rows = con.execute(f'SELECT COUNT(*) FROM "{schema}"."{table}"').fetchone()
            assert rows == (0,), f"{schema}.{table}"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """A copy of the models and a var/ with the landing schema files; a cache folder."""
    from beanflows import transform_step

    models = tmp_path / "models"
    shutil.copytree(layout.MODELS_DIR, models, ignore=shutil.ignore_patterns(".cache", "logs"))
    var = tmp_path / "var"
    transform_step.prepare_landings(var)
    monkeypatch.setenv("BEANFLOWS_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("BEANFLOWS_GATEWAY", raising=False)
    return models, var


def test_the_key_changes_with_everything_a_plan_depends_on(
    project: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    models, var = project
    base = plan_cache.key(models, var)
    assert base is not None and base == plan_cache.key(models, var)

    model = next(models.glob("models/cftc_cot/*.sql"))
    text = model.read_text()
    model.write_text(text + "\n-- a comment is a change of the model file\n")
    assert plan_cache.key(models, var) != base
    model.write_text(text)

    schema = next(var.glob("landing/*/*/_empty.parquet"))
    saved = schema.read_bytes()
    schema.write_bytes(saved + b"\0")
    assert plan_cache.key(models, var) != base
    schema.write_bytes(saved)

    other = tmp_path / "commodities.toml"
    other.write_text('[coffee]\nname = "Coffee"\ncot_markets = ["083731"]\n')
    monkeypatch.setenv("BEANFLOWS_COMMODITIES", str(other))
    assert plan_cache.key(models, var) != base
    monkeypatch.delenv("BEANFLOWS_COMMODITIES")

    monkeypatch.setenv("BEANFLOWS_LANDING", "s3a://bucket/landing")
    assert plan_cache.key(models, var) != base
    monkeypatch.delenv("BEANFLOWS_LANDING")
    assert plan_cache.key(models, var) == base

    monkeypatch.setenv("BEANFLOWS_GATEWAY", "spark")  # its tables live in Spark, not here
    assert plan_cache.key(models, var) is None


def test_a_kept_plan_never_replaces_a_warehouse(project: tuple[Path, Path]) -> None:
    models, var = project
    key = plan_cache.key(models, var)
    folder = Path(plan_cache._folder())
    folder.mkdir(parents=True)
    (folder / f"{key}.duckdb").write_bytes(b"kept")
    assert not plan_cache.restore("0" * 32, var)  # another project version: nothing kept
    assert not (var / "warehouse.duckdb").exists()

    (var / "warehouse.duckdb").write_bytes(b"the build's own")
    assert not plan_cache.fresh(var)
    assert not plan_cache.restore(key, var)
    assert (var / "warehouse.duckdb").read_bytes() == b"the build's own"

    (var / "warehouse.duckdb").unlink()
    assert plan_cache.restore(key, var)
    assert (var / "warehouse.duckdb").read_bytes() == b"kept"
    assert [p.name for p in var.glob(".warehouse*")] == []


def test_pruning_keeps_the_newest_plans_and_drops_stale_leftovers(tmp_path: Path) -> None:
    """A save killed between its copy and its rename leaves a `.tmp`; an hour later it goes.
    A younger one may be another build's save under way and stays."""
    import os
    import time

    now = time.time()
    for i in range(plan_cache.KEEP + 2):  # oldest first
        plan = tmp_path / f"{i:032x}.duckdb"
        plan.write_bytes(b"plan")
        os.utime(plan, (now - 1000 + i, now - 1000 + i))
    stale, young = tmp_path / ".aa.123.tmp", tmp_path / ".bb.456.tmp"
    for path, age in ((stale, 7200), (young, 60)):
        path.write_bytes(b"half a copy")
        os.utime(path, (now - age, now - age))
    plan_cache.prune(tmp_path, now)
    left = sorted(p.name for p in tmp_path.glob("*.duckdb"))
    assert left == [f"{i:032x}.duckdb" for i in range(2, plan_cache.KEEP + 2)]
    assert not stale.exists() and young.exists()
