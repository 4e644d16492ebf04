"""Shared fixtures: the real upstream samples, a local HTTP server, running the build."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import httpx
import pytest

from tests.auth_service import attack_stack  # noqa: F401 - the `stack` fixture of auth suites
from tests.httpserver import serve

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"

os.environ.setdefault("SQLMESH__DISABLE_ANONYMIZED_ANALYTICS", "1")
# Builds in tests share the generated Vega bundle instead of regenerating it per output folder.
os.environ.setdefault("BEANFLOWS_CACHE_DIR", str(REPO / ".cache" / "assets"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """../shared/data (real upstream files); tests using it skip cleanly when absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real upstream samples not found at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture
def http_root(tmp_path: Path) -> Path:
    root = tmp_path / "upstream"
    root.mkdir()
    return root


@pytest.fixture
def upstream(http_root: Path):
    """A real HTTP server on 127.0.0.1 serving files put under `http_root`."""
    with serve(http_root) as server:
        yield server


@pytest.fixture(scope="module")
def client(worker):
    """An HTTP client on the module's own `worker` fixture (the Worker suites); a module that
    defines its own `client` fixture overrides this one."""
    with httpx.Client(base_url=worker.url, timeout=10) as c:
        yield c


def run_cli(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    """Run `beanflows ...` in a subprocess (the real entry point, its own process state)."""
    full_env = {**os.environ, "SQLMESH__DISABLE_ANONYMIZED_ANALYTICS": "1", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "beanflows", *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def extract_real(mod: ModuleType, path: Path, kind: str, digest: str = "x") -> tuple[str, dict]:
    """A real upstream file through its source as an import takes it: recognised as `kind` by
    its name and first 4 KB, then extracted; returns (release, landing tables)."""
    data = path.read_bytes()
    assert mod.recognise(path.name, data[:4096]) == kind
    return mod.extract(kind, data, path.name, digest)
