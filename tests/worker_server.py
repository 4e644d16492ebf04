"""The Cloudflare Worker in the real workerd runtime, for tests and bench/bench_worker.py.

    from tests.worker_server import demo_release, worker_server

    @pytest.fixture(scope="module")
    def worker():
        with worker_server(demo_release(), vars={...}, secrets={...}) as server:
            yield server

`worker_server` spawns `node workers/test/serve.mjs` (Miniflare JS API from the pinned
wrangler, bindings from workers/wrangler.toml) in its own process group on 127.0.0.1 port 0,
preloads the R2 bucket with the given objects and kills the whole group on exit. It runs
`npm ci` first when workers/node_modules is missing or stale, and raises WorkerUnavailable
(tests turn it into a skip) when node is absent.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

WORKERS_DIR = Path(__file__).resolve().parents[1] / "workers"
START_TIMEOUT = 60.0
QUIET_ENV = {"WRANGLER_SEND_METRICS": "false", "CLOUDFLARE_CF_FETCH_ENABLED": "false"}


class WorkerUnavailable(RuntimeError):
    """node (or its packages) is missing: the Worker cannot run on this machine."""


@dataclass(frozen=True)
class WorkerServer:
    url: str  # "http://127.0.0.1:PORT/"
    control: str  # test-only bucket control: PUT/DELETE /<key>

    def put(self, key: str, data: bytes, content_type: str | None = None) -> None:
        """Write one object into the running Worker's R2 bucket."""
        headers = {"Content-Type": content_type} if content_type else {}
        httpx.put(self.control + key, content=data, headers=headers).raise_for_status()

    def delete(self, key: str) -> None:
        httpx.delete(self.control + key).raise_for_status()

    def get(self, key: str) -> bytes | None:
        """One object of the running Worker's R2 bucket (None when absent)."""
        r = httpx.get(self.control + key)
        if r.status_code == 404:
            return None
        r.raise_for_status()
        return r.content

    def put_all(self, objects: Mapping[str, bytes]) -> None:
        """Objects first and live.json last: the same order publish.py uses."""
        for key in sorted(objects, key=lambda k: k.endswith("live.json")):
            self.put(key, objects[key])


def _content_type(path: str) -> str:
    ext = path.rsplit(".", 1)[-1]
    return {
        "html": "text/html; charset=utf-8",
        "csv": "text/csv; charset=utf-8",
        "json": "application/json",
        "parquet": "application/vnd.apache.parquet",
        "js": "text/javascript; charset=utf-8",
        "xml": "application/xml",
        "css": "text/css; charset=utf-8",
        "svg": "image/svg+xml",
    }.get(ext, "application/octet-stream")


def release_objects(
    files: Mapping[str, bytes],
    release_id: str = "r1",
    prefix: str = "",
    encodings: Mapping[str, str] | None = None,
) -> dict[str, bytes]:
    """Bucket objects of one release in the CONTRACT layout: objects/, releases/, live.json."""
    objects: dict[str, bytes] = {}
    manifest = {}
    for path, data in sorted(files.items()):
        sha = hashlib.sha256(data).hexdigest()
        objects[f"{prefix}objects/{sha}"] = data
        immutable = path.startswith("assets/")
        manifest[path] = {
            "key": f"objects/{sha}",
            "sha256": sha,
            "size": len(data),
            "content_type": _content_type(path),
            "cache_control": "public, max-age=31536000, immutable"
            if immutable
            else "public, max-age=60",
            "content_encoding": (encodings or {}).get(path),
        }
    doc = {"release": release_id, "created_at": "2026-11-29T03:00:00Z", "files": manifest}
    objects[f"{prefix}releases/{release_id}.json"] = json.dumps(doc, indent=1).encode()
    pointer = {"release": release_id, "manifest": f"releases/{release_id}.json"}
    objects[f"{prefix}live.json"] = json.dumps(pointer).encode()
    return objects


PRO_MARKER = b"PRO-ONLY-"


def demo_files() -> dict[str, bytes]:
    """A small site; every gated file carries PRO_MARKER so a leak is easy to spot."""
    pro_rows = b"".join(b"%d,PRO-ONLY-%06d,%.3f\n" % (i, i, i * 1.5) for i in range(6000))
    return {
        "index.html": b"<!doctype html><title>BeanFlows</title><h1>Coffee</h1>",
        "404.html": b"<!doctype html><title>Not found</title><h1>404</h1>",
        "supply/index.html": b"<!doctype html><h1>Supply</h1>",
        "methodology/index.html": b"<!doctype html><h1>Methodology</h1>",
        "assets/app.3f2a91c0.js": b"console.log('beanflows');",
        "data/catalog.json": b'{"catalog_version": 1, "datasets": {}}',
        "data/free/psd_coffee.csv": b"year,value\n2024,1\n2025,2\n",
        "data/free/big.csv": pro_rows.replace(PRO_MARKER, b"FREE-ROW-"),
        "data/pro/psd_coffee.csv": b"year,value\n" + pro_rows,
        "data/pro/vectors.csv": b"PRO-ONLY-vectors\n1,2,3\n",
        "data/pro/other.csv": b"PRO-ONLY-other\n",
    }


def demo_release(prefix: str = "") -> dict[str, bytes]:
    return release_objects(demo_files(), prefix=prefix)


def _node_modules_stale() -> bool:
    """True when workers/node_modules is missing or older than package-lock.json."""
    installed = WORKERS_DIR / "node_modules" / ".package-lock.json"
    lock = WORKERS_DIR / "package-lock.json"
    return not installed.is_file() or installed.stat().st_mtime < lock.stat().st_mtime


def ensure_node_modules() -> str:
    """Path of node; `npm ci` in workers/ when node_modules is missing or stale."""
    node = shutil.which("node")
    if node is None:
        raise WorkerUnavailable("node is not installed: the Worker tests need Node 20 + npm")
    if not _node_modules_stale():
        return node
    npm = shutil.which("npm")
    if npm is None:
        raise WorkerUnavailable("npm is not installed: cannot install workers/ packages")
    # one installer at a time (pytest-xdist workers start fixtures in parallel)
    with open(Path(tempfile.gettempdir()) / "beanflows-npm-ci.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _node_modules_stale():
            done = subprocess.run(
                [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
                cwd=WORKERS_DIR,
                capture_output=True,
                text=True,
                timeout=600,
            )
            if done.returncode != 0:
                raise WorkerUnavailable(f"npm ci failed in workers/: {done.stderr[-2000:]}")
    return node


def _read_first_line(proc: subprocess.Popen, timeout: float) -> str | None:
    box: list[str] = []
    reader = threading.Thread(target=lambda: box.append(proc.stdout.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    return box[0] if box else None


def _stop(proc: subprocess.Popen) -> None:
    """SIGTERM the whole process group (node and workerd), SIGKILL if it lingers."""
    for sig, wait in ((signal.SIGTERM, 5), (signal.SIGKILL, 5)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            break
        try:
            proc.wait(wait)
            break
        except subprocess.TimeoutExpired:
            continue


# The Worker's rate-limit windows are fixed and aligned to the epoch: its default hour rolls
# over on the hour, and a test running across it would see a subject's count reset (a limit
# that never comes). Test Workers count in windows of 10^9 s, the next of which starts in 2033,
# unless a test sets RATE_LIMIT_WINDOW_SECONDS itself.
WINDOW_SECONDS = 10**9


@contextmanager
def worker_server(
    objects: Mapping[str, bytes],
    vars: Mapping[str, str] | None = None,
    secrets: Mapping[str, str] | None = None,
) -> Iterator[WorkerServer]:
    """Run the Worker with an R2 bucket preloaded with `objects` (key -> bytes)."""
    vars = {"RATE_LIMIT_WINDOW_SECONDS": str(WINDOW_SECONDS), **(vars or {})}
    node = ensure_node_modules()
    with tempfile.TemporaryDirectory(prefix="bf-worker-") as tmp:
        root = Path(tmp)
        bucket = root / "bucket"
        for key, data in objects.items():
            (bucket / key).parent.mkdir(parents=True, exist_ok=True)
            (bucket / key).write_bytes(data)
        config = {"preload": str(bucket), "vars": dict(vars or {}), "secrets": dict(secrets or {})}
        (root / "config.json").write_text(json.dumps(config))
        log = (root / "worker.log").open("w+")
        proc = subprocess.Popen(
            [node, "test/serve.mjs", str(root / "config.json")],
            cwd=WORKERS_DIR,
            env={**os.environ, **QUIET_ENV},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
            start_new_session=True,
        )
        try:
            line = _read_first_line(proc, START_TIMEOUT)
            if not line:
                log.seek(0)
                raise RuntimeError(f"Worker did not start: {log.read()[-3000:]}")
            ready = json.loads(line)
            yield WorkerServer(url=ready["url"], control=ready["control"])
        finally:
            _stop(proc)
            log.close()


def node_or_skip() -> str:
    """ensure_node_modules(), or skip the test when the Worker's toolchain is unavailable."""
    try:
        return ensure_node_modules()
    except WorkerUnavailable as err:
        pytest.skip(str(err))


@contextmanager
def worker_or_skip(
    objects: Mapping[str, bytes],
    vars: Mapping[str, str] | None = None,
    secrets: Mapping[str, str] | None = None,
) -> Iterator[WorkerServer]:
    """worker_server() for a fixture: the test is skipped when workerd cannot start here."""
    try:
        with worker_server(objects, vars, secrets) as server:
            yield server
    except WorkerUnavailable as err:
        pytest.skip(str(err))
