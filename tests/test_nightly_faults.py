"""The nightly as an operator runs it: one build at a time, killed anywhere and recovered at
once, a failed step redone (never taken for "no change"), one-line errors, no local paths in
public files. Every case runs the real `beanflows build` command on the demo fixtures.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from beanflows import errors
from beanflows.lock import build_lock
from tests.conftest import REPO, run_cli

FIXTURES = sorted(p for p in (REPO / "ingest").glob("*/fixtures/**/*") if p.is_file())
LATE_FILE = "Coffee_import.csv"  # ICO: arrives one night later in the "new data" cases


def _copy_fixtures(dest: Path, skip: str | None = None) -> Path:
    for path in FIXTURES:
        if path.name == skip or path.suffix == ".py":
            continue
        target = dest / path.relative_to(REPO / "ingest")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)
    return dest


def _build(root: Path, raw: Path) -> subprocess.CompletedProcess:
    return run_cli("build", "--raw-from", str(raw), "--var", str(root / "var"),
                   "--out", str(root / "dist"), "--today", "2026-01-15", cwd=root)  # fmt: skip


def _dataset_hashes(dist: Path) -> dict[str, str]:
    """sha256 of every published data file (the bytes readers download)."""
    return {
        p.relative_to(dist).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted((dist / "data").rglob("*"))
        if p.is_file() and p.suffix in (".parquet", ".csv")
    }


def _children_of(pid: int) -> list[int]:
    """Processes started by the build `pid` (the SQLMesh child carries its parent's pid)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            env = (proc / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if f"BEANFLOWS_PARENT_PID={pid}".encode() in env:
            found.append(int(proc.name))
    return found


@pytest.fixture(scope="module")
def raw(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _copy_fixtures(tmp_path_factory.mktemp("raw"))


@pytest.fixture(scope="module")
def baseline(raw: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The datasets of one uninterrupted build: what every recovered build must equal."""
    root = tmp_path_factory.mktemp("baseline")
    res = _build(root, raw)
    assert res.returncode == 0, res.stderr[-3000:]
    return _dataset_hashes(root / "dist")


def test_second_build_on_a_held_lock_exits_at_once_and_writes_nothing(tmp_path: Path) -> None:
    var, out = tmp_path / "var", tmp_path / "dist"
    with build_lock(var):
        t0 = time.monotonic()
        res = run_cli("build", "--demo", "--var", str(var), "--out", str(out), cwd=tmp_path)
        elapsed = time.monotonic() - t0
    assert res.returncode == errors.EXIT_LOCKED == 75
    lines = [line for line in res.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "another build holds" in lines[0] and "build.lock" in lines[0]
    assert f"pid {os.getpid()}" in lines[0]  # who holds it
    assert "Traceback" not in res.stderr
    assert [p.name for p in var.iterdir()] == ["build.lock"] and not out.exists()
    assert elapsed < 30  # it did not wait for the lock (a generous bound on a busy machine)


@pytest.mark.parametrize("why", ["lock held", "unknown source"])
def test_a_build_refused_at_start_leaves_no_sqlmesh_process(why: str, tmp_path: Path) -> None:
    """The SQLMesh child starts before the build's own checks (it imports for seconds): a
    build that stops at them stops it too, and has written nothing."""
    var, out = tmp_path / "var", tmp_path / "dist"
    args = ["build", "--demo", "--var", str(var), "--out", str(out)]
    if why == "unknown source":
        args += ["--source", "no_such_source"]
    env = {**os.environ, "SQLMESH__DISABLE_ANONYMIZED_ANALYTICS": "1"}
    with build_lock(var) if why == "lock held" else contextlib.nullcontext():
        proc = subprocess.Popen(
            [sys.executable, "-m", "beanflows", *args],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        _, err = proc.communicate(timeout=120)
    assert proc.returncode == (errors.EXIT_LOCKED if why == "lock held" else 2), err
    assert "Traceback" not in err
    assert _children_of(proc.pid) == []
    assert not out.exists() and not (var / "warehouse.duckdb").exists()


@pytest.mark.slow
@pytest.mark.parametrize("step", ["ingest:4", "transform", "export:6", "render"])
def test_killed_anywhere_then_an_immediate_rerun_equals_an_uninterrupted_build(
    step: str, raw: Path, baseline: dict[str, str], tmp_path: Path
) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "beanflows", "build", "--raw-from", str(raw), "--var",
         str(tmp_path / "var"), "--out", str(tmp_path / "dist"), "--today", "2026-01-15"],
        cwd=tmp_path, env={**os.environ, "BEANFLOWS_KILL_AT": step},
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    proc.communicate(timeout=600)
    assert proc.returncode == -signal.SIGKILL, step
    deadline = time.monotonic() + 5
    while _children_of(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _children_of(proc.pid), f"a child outlived the build killed at {step}"
    res = _build(tmp_path, raw)  # at once: no lock, no warehouse held
    assert res.returncode == 0, (step, res.stderr[-3000:])
    assert _dataset_hashes(tmp_path / "dist") == baseline, step
    manifest = (tmp_path / "var/raw/manifest.jsonl").read_text().splitlines()
    shas = [json.loads(line)["sha256"] for line in manifest if line.startswith("{")]
    assert len(shas) == len(set(shas)), "the raw manifest has duplicate rows"


def test_a_failed_export_is_redone_on_the_next_build(tmp_path: Path) -> None:
    first = _copy_fixtures(tmp_path / "night1", skip=LATE_FILE)
    res = _build(tmp_path, first)
    assert res.returncode == 0, res.stderr[-3000:]
    before = json.loads((tmp_path / "dist/data/catalog.json").read_text())
    # night 2: new data arrives, but the output folder cannot be written
    second = _copy_fixtures(tmp_path / "night2")
    pro = tmp_path / "dist/data/pro"
    shutil.move(pro, tmp_path / "pro.saved")
    pro.write_text("not a folder")  # root ignores file modes; a file in the way fails for all
    res = _build(tmp_path, second)
    assert res.returncode == errors.EXIT_ENVIRONMENT, res.stderr[-3000:]
    assert "Traceback" not in res.stderr
    assert res.stderr.strip().splitlines()[-1].startswith("beanflows: ")
    # night 3: the folder is fixed; the same input must now be published, not "no change"
    pro.unlink()
    shutil.move(tmp_path / "pro.saved", pro)
    res = _build(tmp_path, second)
    assert res.returncode == 0, res.stderr[-3000:]
    log = res.stderr.replace("\n", " ")
    assert "transform ran" in log
    after = json.loads((tmp_path / "dist/data/catalog.json").read_text())
    ico_before = {f["name"] for f in before["datasets"]["ico_trade"]["raw_files"]}
    ico_after = {f["name"] for f in after["datasets"]["ico_trade"]["raw_files"]}
    assert ico_after - ico_before == {LATE_FILE}
    assert after["datasets"]["ico_trade"]["files"] != before["datasets"]["ico_trade"]["files"]
    text = (tmp_path / "dist/data/catalog.json").read_text()
    assert str(tmp_path) not in text  # no local paths in public files
    # and a rerun is a no-change build again
    res = _build(tmp_path, second)
    assert res.returncode == 0 and "transform skipped (no change)" in res.stderr.replace("\n", " ")


def test_bad_settings_file_is_one_line_and_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "settings.toml"
    bad.write_text("[http\ntimeout_seconds = ")
    res = run_cli("build", "--demo", "--config", str(bad), "--var", str(tmp_path / "v"),
                  cwd=tmp_path)  # fmt: skip
    assert res.returncode == 2
    assert res.stderr.strip().count("\n") == 0 and "invalid settings file" in res.stderr
    res = run_cli("--debug", "build", "--demo", "--config", str(bad), "--var",
                  str(tmp_path / "v"), cwd=tmp_path)  # fmt: skip
    assert res.returncode == 2 and "Traceback" in res.stderr
    res = run_cli("build", "--demo", "--config", str(tmp_path / "missing.toml"), cwd=tmp_path)
    assert res.returncode == 2 and "cannot read settings file" in res.stderr
    assert "Traceback" not in res.stderr


@pytest.mark.parametrize(
    ("exc", "code", "words"),
    [
        (PermissionError(13, "Permission denied", "/srv/dist/data"), 3, "permission denied"),
        (OSError(28, "No space left on device", "/srv/var/raw/x"), 3, "no space left"),
        (OSError(5, "Input/output error"), 3, "I/O error"),
        (ValueError("boom\nsecond line"), 70, "internal error ValueError: boom"),
    ],
)
def test_environment_errors_are_named_in_one_line(exc: Exception, code: int, words: str) -> None:
    got_code, message = errors.one_line(exc)
    assert got_code == code and words in message and "\n" not in message


def test_public_reasons_lose_local_paths() -> None:
    text = "[usda_psd] /srv/import/2025/psd_coffee_csv.zip: truncated (from /var/lib/x/y.zip)"
    assert errors.without_paths(text) == "[usda_psd] psd_coffee_csv.zip: truncated (from y.zip)"
    assert errors.without_paths("see https://example.org/a/b.csv") == (
        "see https://example.org/a/b.csv"
    )
