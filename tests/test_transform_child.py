"""The SQLMesh child process of the build (beanflows.transform_child) and model selection."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import duckdb
import pytest

from beanflows import layout, transform, transform_child
from tests.conftest import run_cli

SOURCES = [
    "usda_psd",
    "cftc_cot",
    "yahoo_prices",
    "fred",
    "worldbank",
    "ice_stocks",
    "open_meteo",
    "ico",
]


def test_a_restatement_days_before_the_run_joins_the_new_day_and_an_old_one_does_not() -> None:
    run = date(2026, 1, 2)
    # Friday's nightly takes in Tuesday's COT report: one batch up to the run's day
    assert transform.joined((date(2025, 1, 7), date(2025, 12, 30)), run) == (date(2025, 1, 7), run)
    # a corrected file of an old year re-opens its own days only, not a decade after them
    old = (date(2010, 1, 5), date(2010, 12, 28))
    assert transform.joined(old, run) == old
    # data up to or after the run's day (forecasts) keeps its range
    ahead = (date(2025, 12, 20), date(2026, 1, 16))
    assert transform.joined(ahead, run) == ahead
    assert transform.joined((date(2026, 1, 1), run), run) == (date(2026, 1, 1), run)


def test_models_fed_by_selects_one_family_and_what_it_reads() -> None:
    usda = transform.models_fed_by(["usda_psd"])
    assert "serving.coffee_balance" in usda and "raw.usda_psd_bulk" in usda
    assert all("usda_psd" in m or m.startswith("serving.") for m in usda), usda
    # a reference table without raw input is loaded only for the family that reads it
    assert "cleaned.ice_stocks_ports" not in usda
    assert "cleaned.ice_stocks_ports" in transform.models_fed_by(["ice_stocks"])
    # a cross-source model comes in only when every source it reads is built
    assert "serving.prices_monthly" not in transform.models_fed_by(["yahoo_prices", "fred"])
    assert "serving.prices_monthly" in transform.models_fed_by(
        ["yahoo_prices", "fred", "worldbank"]
    )
    assert set(transform.models_fed_by(SOURCES)) == set(layout.models())


def _broken_project(tmp_path: Path) -> Path:
    project = tmp_path / "models"
    shutil.copytree(layout.MODELS_DIR, project, ignore=shutil.ignore_patterns(".cache", "logs"))
    (project / "models" / "usda_psd" / "staging_broken.sql").write_text(
        "MODEL (name staging.usda_psd_broken, kind FULL);\n"
        "SELECT * FROM raw.usda_psd_bulk WHERE (\n"
    )
    return project


def test_a_project_that_does_not_load_is_a_transform_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = _broken_project(tmp_path)
    result = transform_child.run(tmp_path / "var", {}, date(2024, 12, 1), ["usda_psd"], project)
    assert set(result.failed) == {"transform"}
    assert result.failed["transform"].startswith("SQLMesh failed:")
    assert "staging_broken.sql" in result.failed["transform"]


def test_a_child_stopped_before_its_order_leaves_no_warehouse(tmp_path: Path) -> None:
    child = transform_child.start()
    transform_child.open_project(child, tmp_path / "var", ["usda_psd"])
    transform_child.cancel(child)
    assert child.returncode is not None
    assert not (tmp_path / "var" / "warehouse.duckdb").exists()


def test_a_source_build_after_a_full_build_keeps_every_other_model(tmp_path: Path) -> None:
    """--source loads only its own models; the rest of production must stay as it was."""
    args = ["build", "--demo", "--var", str(tmp_path / "var"), "--out", str(tmp_path / "dist")]
    full = run_cli(*args, cwd=tmp_path)
    assert full.returncode == 0, full.stderr[-3000:]
    catalog_path = tmp_path / "dist" / "data" / "catalog.json"
    before = json.loads(catalog_path.read_text())["datasets"]
    models_json = tmp_path / "var" / "state" / "models.json"
    all_models = set(json.loads(models_json.read_text()))
    assert all_models == set(layout.models())

    (tmp_path / "var" / "state" / "transform.json").unlink()  # force the transform to run
    one = run_cli(*args, "--source", "usda_psd", cwd=tmp_path)
    assert one.returncode == 0, one.stderr[-3000:]
    after = json.loads(catalog_path.read_text())["datasets"]
    assert set(after) == set(before)
    for name in ("cot_positioning", "prices_daily", "weather_daily"):
        assert after[name]["files"] == before[name]["files"], name
    assert set(json.loads(models_json.read_text())) == all_models
    with duckdb.connect(str(tmp_path / "var" / "warehouse.duckdb"), read_only=True) as con:
        for view in ("serving.cot_positioning", "serving.weather_daily", "serving.prices_monthly"):
            assert con.execute(f"SELECT COUNT(*) FROM {view}").fetchone()[0] > 0, view

    again = run_cli(*args, cwd=tmp_path)  # and a full build after it still plans cleanly
    assert again.returncode == 0, again.stderr[-3000:]


def _sqlmesh_log(stderr: str) -> str:
    """The build summary's '(SQLMesh process: ...)' part."""
    return " ".join(stderr.split()).split("SQLMesh process:", 1)[-1]


def test_changed_models_are_planned_while_ingest_runs_and_only_then(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # an empty cache: no planned warehouse of an earlier test stands in for the plan
    monkeypatch.setenv("BEANFLOWS_CACHE_DIR", str(tmp_path / "cache"))
    args = ["build", "--demo", "--var", str(tmp_path / "var"), "--out", str(tmp_path / "dist")]
    args += ["--today", "2026-12-01"]
    fresh = run_cli(*args, cwd=tmp_path)
    assert fresh.returncode == 0, fresh.stderr[-3000:]
    assert "plan during ingest" in _sqlmesh_log(fresh.stderr)
    catalog = json.loads((tmp_path / "dist" / "data" / "catalog.json").read_text())
    assert all(d["status"] != "stale" for d in catalog["datasets"].values())

    state_file = tmp_path / "var" / "state" / "transform.json"
    state = json.loads(state_file.read_text())
    state["fingerprint"] = None  # inputs "changed", models did not: run, but no plan
    state_file.write_text(json.dumps(state))
    again = run_cli(*args, cwd=tmp_path)
    assert again.returncode == 0, again.stderr[-3000:]
    assert "transform ran" in again.stderr
    assert "plan during ingest" not in _sqlmesh_log(again.stderr)

    # models changed, but ingest is about to rebuild a landing folder (a new extractor
    # version): the plan waits for the rebuilt files
    state = json.loads(state_file.read_text())
    state["models"] = state["fingerprint"] = None
    state_file.write_text(json.dumps(state))
    (tmp_path / "var" / "landing" / "ico" / "VERSION").write_text("old\n")
    third = run_cli(*args, cwd=tmp_path)
    assert third.returncode == 0, third.stderr[-3000:]
    assert "plan during ingest" not in _sqlmesh_log(third.stderr)
    assert "transform ran" in third.stderr


def test_an_early_plan_that_fails_is_made_again_after_ingest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without its landing schema files the early plan fails; it leaves no failure behind and
    the plan after ingest (landing ready by then) succeeds."""
    from beanflows import transform_step

    var = tmp_path / "var"
    var.mkdir()
    monkeypatch.chdir(var)
    ctx, result, select = transform.open_project(layout.MODELS_DIR, ["fred"])
    try:
        assert transform_child._plan_early(ctx, result, select) is False
        assert not result.failed and not result.skipped
        transform_step.prepare_landings(var)
        transform.execute(ctx, result, select, var, {}, date(2026, 12, 1), models_changed=True)
    finally:
        ctx.close()
    assert not result.failed, result.failed
    with duckdb.connect(str(var / "warehouse.duckdb"), read_only=True) as con:
        assert con.execute("SELECT COUNT(*) FROM staging.fred_observations").fetchone() == (0,)


def test_a_child_killed_during_its_early_plan_leaves_a_warehouse_the_next_build_completes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The build stopped while SQLMesh planned beside ingest: the rebuild plans again and
    publishes everything (nothing half-created is taken for done)."""
    import time

    from beanflows import transform_step

    monkeypatch.setenv("BEANFLOWS_CACHE_DIR", str(tmp_path / "cache"))  # a plan, not a copy

    var = tmp_path / "var"
    transform_step.prepare_landings(var)
    child = transform_child.start()
    transform_child.open_project(child, var, None, plan=True)
    deadline = time.monotonic() + 120
    while not (var / "warehouse.duckdb").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(4)  # past loading (~3 s), into the plan (~6 s): tables and views half made
    transform_child.cancel(child)
    assert (var / "warehouse.duckdb").exists()
    args = ["build", "--demo", "--var", str(var), "--out", str(tmp_path / "dist")]
    res = run_cli(*args, "--today", "2026-12-01", cwd=tmp_path)
    assert res.returncode == 0, res.stderr[-3000:]
    catalog = json.loads((tmp_path / "dist" / "data" / "catalog.json").read_text())
    assert catalog["datasets"] and all(
        d["status"] != "stale" and d["files"] for d in catalog["datasets"].values()
    )


def _transform_children(marker: str) -> list[int]:
    """Live processes of beanflows.transform_child carrying this marker in their environment."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            env = (proc / "environ").read_bytes().split(b"\0")
            cmd = (proc / "cmdline").read_bytes()
        except OSError:
            continue
        if f"BEANFLOWS_TEST_MARK={marker}".encode() in env and b"transform_child" in cmd:
            found.append(int(proc.name))
    return found


def _launchers() -> list[list[str]]:
    """`python -m beanflows`, and the `beanflows` script beside this interpreter (the nightly's
    `./dev.sh build` runs it) when installed."""
    import sys

    script = Path(sys.executable).parent / "beanflows"
    return [[sys.executable, "-m", "beanflows"]] + ([[str(script)]] if script.is_file() else [])


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="needs Linux /proc")
@pytest.mark.parametrize("launcher", _launchers(), ids=lambda cmd: Path(cmd[-1]).name)
@pytest.mark.parametrize(
    ("argv", "code"), [(["build", "--help"], 0), (["build", "--today", "x", "--bogus"], 2)]
)
def test_a_build_starts_sqlmesh_first_and_stops_it_when_no_build_runs(
    tmp_path: Path, launcher: list[str], argv: list[str], code: int
) -> None:
    """A build's command line starts the SQLMesh process before the build's own imports; a
    command line that runs no build (help, a bad option) leaves no such process behind."""
    import os
    import subprocess

    marker = f"{os.getpid()}-{len(launcher)}-{argv[-1]}"
    proc = subprocess.Popen(
        [*launcher, *argv],
        cwd=layout.REPO,
        env={**os.environ, "BEANFLOWS_TEST_MARK": marker},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    seen = []
    while proc.poll() is None:  # the early child exists while the command line is parsed
        seen = seen or _transform_children(marker)
    proc.communicate()
    assert proc.returncode == code
    assert seen, "no SQLMesh process was started ahead"
    assert _transform_children(marker) == []


def test_unchanged_models_run_untyped_and_a_whole_run_types_them_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A transform whose models did not change since their plan loads them without typing
    (`typed=False`) and leaves models.json as that plan wrote it; what needs typed models
    (a whole run, a plan, audit rechecks) loads them again first. Same rows either way."""
    args = ["build", "--demo", "--var", str(tmp_path / "var"), "--out", str(tmp_path / "dist")]
    full = run_cli(*args, cwd=tmp_path)
    assert full.returncode == 0, full.stderr[-3000:]
    var = tmp_path / "var"
    monkeypatch.chdir(var)
    metadata = var / "state" / "models.json"
    written = metadata.read_text()
    query = "SELECT * FROM serving.cot_positioning ORDER BY ALL"

    def rows() -> list[tuple]:
        with duckdb.connect(str(var / "warehouse.duckdb"), read_only=True) as con:
            return con.execute(query).fetchall()

    before = rows()
    assert before
    first, last = before[0][0], before[-1][0]
    restate = {"raw.cftc_cot_legacy": (first, last)}

    def run(typed: bool, run_all: bool) -> object:
        ctx, result, select = transform.open_project(layout.MODELS_DIR, None, typed=typed)
        try:
            loaded_typed = bool(ctx.get_model("serving.cot_positioning").mapping_schema)
            transform.execute(
                ctx, result, select, var, restate, last, False, (), run_all, typed=typed
            )
            assert not result.failed, result.failed
            assert result.restated == ["raw.cftc_cot_legacy"]
            return loaded_typed, bool(ctx.get_model("serving.cot_positioning").mapping_schema)
        finally:
            ctx.close()

    metadata.write_text("{}\n")  # an untyped run keeps what the plan wrote down
    assert run(typed=False, run_all=False) == (False, False)
    assert metadata.read_text() == "{}\n" and rows() == before
    metadata.unlink()  # ... unless there is nothing written down: then it writes it
    assert run(typed=False, run_all=False) == (False, False)
    assert metadata.read_text() == written and rows() == before
    assert run(typed=False, run_all=True) == (False, True)  # a whole run: typed first
    assert metadata.read_text() == written and rows() == before
    assert run(typed=True, run_all=False) == (True, True)
