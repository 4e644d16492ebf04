"""One `beanflows build --demo` per test session, shared by the client, notebook and SQL tests,
and one build from ../shared/data (`real_dist`), shared by the lineage and commodity tests.

Each build takes ~30 s, so it is made once: under pytest-xdist every worker waits on a lock in
the session's common temporary folder and the first one builds. Tests must not modify them.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from beanflows import layout
from tests.conftest import run_cli


def _shared_build(tmp_path_factory: pytest.TempPathFactory, name: str, *args: str) -> Path:
    """dist/ of `beanflows build *args`, made once per test session (var/ beside it)."""
    base = tmp_path_factory.getbasetemp()
    root = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    out = root / name
    with open(root / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (out / "done").is_file():
            res = run_cli("build", *args, "--var", str(out / "var"), "--out",
                          str(out / "dist"), cwd=root)  # fmt: skip
            if res.returncode != 0:
                raise RuntimeError(f"{name} failed:\n{res.stderr[-3000:]}")
            (out / "done").write_text("ok")
    return out / "dist"


def demo_dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """dist/ of a demo build (fixtures of every source), built once per test session."""
    return _shared_build(tmp_path_factory, "demo-build", "--demo")


def real_dist(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> Path:
    """dist/ of a build from the real upstream files (../shared/data, default settings)."""
    return _shared_build(tmp_path_factory, "real-build", "--raw-from", str(shared_data))


def imported_builds(tmp_path: Path) -> tuple[Path, Callable[[str], tuple[int, str, dict]]]:
    """The demo's fixture files copied to tmp_path/in (a test adds or breaks files there) and a
    `build(today)` importing them (`--raw-from`) into one var/ and dist/: (exit code, the log
    on one line, catalog.json)."""
    root, var, out = tmp_path / "in", tmp_path / "var", tmp_path / "dist"
    for folder in sorted(layout.INGEST_DIR.glob("*/fixtures")):
        shutil.copytree(folder, root / folder.parent.name,
                        ignore=shutil.ignore_patterns("*.py", "__pycache__"))  # fmt: skip

    def build(today: str) -> tuple[int, str, dict]:
        res = run_cli("build", "--raw-from", str(root), "--today", today, "--var", str(var),
                      "--out", str(out), cwd=tmp_path)  # fmt: skip
        catalog = json.loads((out / "data/catalog.json").read_text())
        return res.returncode, res.stderr.replace("\n", " "), catalog

    return root, build
