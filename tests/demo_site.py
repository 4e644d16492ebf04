"""One `beanflows build --demo` per test session, shared by the client, notebook and SQL tests.

The build takes ~30 s, so it is made once: under pytest-xdist every worker waits on a lock in
the session's common temporary folder and the first one builds. Tests must not modify it.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

import pytest

from tests.conftest import run_cli


def demo_dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """dist/ of a demo build (fixtures of every source), built once per test session."""
    base = tmp_path_factory.getbasetemp()
    root = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    out = root / "demo-build"
    with open(root / "demo-build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (out / "done").is_file():
            res = run_cli("build", "--demo", "--var", str(out / "var"), "--out",
                          str(out / "dist"), cwd=root)  # fmt: skip
            if res.returncode != 0:
                raise RuntimeError(f"demo build failed:\n{res.stderr[-3000:]}")
            (out / "done").write_text("ok")
    return out / "dist"
