"""The `beanflows` wheel: built from client/, installed alone into a fresh venv, used there.

Checks the packaging decision end to end: the wheel holds only beanflows/__init__.py and
beanflows/client/, its dependencies are httpx and pyarrow (pandas/polars as extras), a venv
with it has none of the pipeline's packages, `import beanflows` loads neither httpx nor
pyarrow, and the installed client reads a locally served demo build without a token.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from email.parser import Parser
from pathlib import Path

import pyarrow.parquet as pq
import pytest

import beanflows.client
from tests.conftest import REPO
from tests.demo_site import demo_dist
from tests.site_server import background
from tests.worker_server import WorkerUnavailable, release_objects, worker_server

PIPELINE_ONLY = {"duckdb", "sqlmesh", "mkdocs", "mkdocs-material", "jinja2", "altair", "boto3"}

SCRIPT = r"""
import json, os, sys
import beanflows
heavy = sorted(m for m in ("httpx", "pyarrow", "pandas", "duckdb") if m in sys.modules)
names = [d["name"] for d in beanflows.datasets()]
t = beanflows.get("cot_positioning", market_code="083731", columns=["report_date", "mm_net"])
try:
    beanflows.get("cot_revisions")
    plan = "no error"
except beanflows.PlanRequired as exc:
    plan = str(exc)
print(json.dumps({"heavy_at_import": heavy, "names": names, "rows": t.num_rows,
                  "columns": t.column_names, "plan": plan, "file": beanflows.__file__}))
"""

PRO_SCRIPT = r"""
import json, beanflows
t = beanflows.get("cot_revisions")  # pro only: needs the token, through the Worker
b = beanflows.get("coffee_balance")
print(json.dumps({"revisions_columns": t.column_names, "balance_rows": b.num_rows}))
"""


def _uv() -> list[str]:
    """uv on PATH, else through the base interpreter (where ./dev.sh's pip puts it)."""
    if shutil.which("uv"):
        return [shutil.which("uv")]
    base = Path(sys.base_prefix) / "bin" / "python3"
    if subprocess.run([base, "-m", "uv", "--version"], capture_output=True).returncode == 0:
        return [str(base), "-m", "uv"]
    pytest.skip("uv is not installed (./dev.sh installs it)")


def run(*args: str, **kw) -> subprocess.CompletedProcess:
    done = subprocess.run(args, capture_output=True, text=True, timeout=600, **kw)
    assert done.returncode == 0, f"{args}: {done.stderr[-2000:]}"
    return done


def test_wheel_installs_alone_and_reads_a_served_demo_build(tmp_path: Path, tmp_path_factory):
    uv = _uv()
    env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never"}
    run(*uv, "build", "--wheel", "client", "--out-dir", str(tmp_path / "wheel"), cwd=REPO, env=env)
    (wheel,) = (tmp_path / "wheel").glob("beanflows-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        metadata = next(n for n in names if n.endswith(".dist-info/METADATA"))
        meta = Parser().parsestr(zf.read(metadata).decode())
    code = sorted(n for n in names if ".dist-info/" not in n)
    client_files = sorted(p.name for p in (REPO / "beanflows/client").glob("*.py"))
    assert code == ["beanflows/__init__.py"] + [f"beanflows/client/{n}" for n in client_files]
    assert meta["Name"] == "beanflows" and meta["Version"] == beanflows.client.__version__
    requires = meta.get_all("Requires-Dist")
    assert {r.split(">")[0].split(";")[0].strip() for r in requires if "extra" not in r} == {
        "httpx", "pyarrow"}  # fmt: skip
    assert {"pandas", "polars"} <= set(meta.get_all("Provides-Extra"))

    venv = tmp_path / "venv"
    run(*uv, "venv", "--quiet", str(venv), env=env)
    python = venv / "bin" / "python"
    pins = tmp_path / "constraints.txt"  # the lock's versions: same wheels as the dev venv
    run(*uv, "export", "--frozen", "--no-hashes", "--no-emit-project", "--quiet", "-o",
        str(pins), cwd=REPO, env=env)  # fmt: skip
    run(*uv, "pip", "install", "--quiet", "--python", str(python), "-c", str(pins), str(wheel),
        env=env)  # fmt: skip
    listed = run(*uv, "pip", "list", "--format", "json", "--python", str(python), env=env)
    installed = {p["name"].lower() for p in json.loads(listed.stdout)}
    assert {"beanflows", "httpx", "pyarrow"} <= installed
    assert not installed & PIPELINE_ONLY, installed & PIPELINE_ONLY

    dist = demo_dist(tmp_path_factory)
    server, url = background(dist)
    try:
        client_env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "BEANFLOWS_URL": url,
                      "BEANFLOWS_DATA_CACHE": str(tmp_path / "cache")}  # fmt: skip
        out = run(str(python), "-c", SCRIPT, cwd=tmp_path, env=client_env)
    finally:
        server.shutdown()
        server.server_close()
    got = json.loads(out.stdout)
    _pro_through_the_worker(python, dist, tmp_path)
    assert got["heavy_at_import"] == []
    assert got["file"].startswith(str(venv))  # the installed copy, not the repository's
    catalog = json.loads((dist / "data/catalog.json").read_text())
    assert got["names"] == sorted(catalog["datasets"])
    free = dist / catalog["datasets"]["cot_positioning"]["files"]["free"]["parquet"]["path"]
    coffee_c = pq.read_table(free, filters=[("market_code", "=", "083731")]).num_rows
    assert got["rows"] == coffee_c > 0  # the filter: Coffee C's rows of every market's file
    assert got["columns"] == ["report_date", "mm_net"]
    assert "paid plans only" in got["plan"]


def _pro_through_the_worker(python: Path, dist: Path, tmp_path: Path) -> None:
    """The installed client with a token reads pro files through the Worker (workerd)."""
    from beanflows.tokens import mint_token

    files = {p.relative_to(dist).as_posix(): p.read_bytes()
             for p in (dist / "data").rglob("*") if p.is_file()}  # fmt: skip
    try:
        with worker_server(release_objects(files), secrets={"TOKEN_SECRET": "wheel-test"}) as w:
            env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path),
                   "BEANFLOWS_URL": w.url, "BEANFLOWS_DATA_CACHE": str(tmp_path / "pro-cache"),
                   "BEANFLOWS_TOKEN": mint_token("wheel-test", "cust_wheel", "pro")}  # fmt: skip
            out = run(str(python), "-c", PRO_SCRIPT, cwd=tmp_path, env=env)
    except WorkerUnavailable as exc:
        print(f"pro part skipped: {exc}")
        return
    got = json.loads(out.stdout)
    catalog = json.loads((dist / "data/catalog.json").read_text())
    assert got["balance_rows"] == catalog["datasets"]["coffee_balance"]["files"]["pro"][
        "parquet"]["rows"]  # fmt: skip
    assert "new_value" in got["revisions_columns"]
