"""The Worker serving the live release (public paths) in workerd, over real HTTP."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import subprocess

import httpx
import pytest

from tests.worker_server import (
    QUIET_ENV,
    WORKERS_DIR,
    demo_files,
    demo_release,
    node_or_skip,
    release_objects,
    worker_or_skip,
)

pytestmark = pytest.mark.worker

FILES = demo_files()
SECRETS = {"TOKEN_SECRET": "serve-test-secret"}


@pytest.fixture(scope="module")
def worker():
    # LIVE_TTL_SECONDS=0: every request revalidates live.json, so a pointer switch is immediate.
    with worker_or_skip(demo_release(), {"LIVE_TTL_SECONDS": "0"}, SECRETS) as server:
        yield server


def etag(path: str) -> str:
    return '"' + hashlib.sha256(FILES[path]).hexdigest() + '"'


def test_root_serves_index(client: httpx.Client) -> None:
    r = client.get("/")
    assert r.status_code == 200
    assert r.content == FILES["index.html"]
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    assert r.headers["cache-control"] == "public, max-age=60"
    assert r.headers["etag"] == etag("index.html")
    assert r.headers["accept-ranges"] == "bytes"


def test_pretty_urls(client: httpx.Client) -> None:
    assert client.get("/supply/").content == FILES["supply/index.html"]
    r = client.get("/supply?x=1")
    assert r.status_code == 301
    assert r.headers["location"] == "/supply/?x=1"
    assert client.get("/supply/index.html").content == FILES["supply/index.html"]


def test_manifest_cache_control_and_content_type(client: httpx.Client) -> None:
    r = client.get("/assets/app.3f2a91c0.js")
    assert r.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert r.headers["content-type"].startswith("text/javascript")
    assert client.get("/data/free/psd_coffee.csv").content == FILES["data/free/psd_coffee.csv"]


def test_unknown_path_is_404_with_page(client: httpx.Client) -> None:
    for path in ("/nope", "/nope/", "/supply/missing.html", "/index.htm"):
        r = client.get(path)
        assert r.status_code == 404, path
        assert r.content == FILES["404.html"]
        assert r.headers["content-type"] == "text/html; charset=utf-8"


def test_bucket_internals_are_not_paths(client: httpx.Client) -> None:
    sha = hashlib.sha256(FILES["index.html"]).hexdigest()
    for path in ("/live.json", "/releases/r1.json", f"/objects/{sha}"):
        assert client.get(path).status_code == 404, path


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"])
def test_other_methods_405(client: httpx.Client, method: str) -> None:
    r = client.request(method, "/")
    assert r.status_code == 405
    assert r.headers["allow"] == "GET, HEAD"


def test_head(client: httpx.Client) -> None:
    r = client.head("/data/free/big.csv")
    assert r.status_code == 200
    assert r.content == b""
    assert int(r.headers["content-length"]) == len(FILES["data/free/big.csv"])
    assert r.headers["etag"] == etag("data/free/big.csv")
    assert client.head("/nope").status_code == 404


def test_etag_304(client: httpx.Client) -> None:
    tag = etag("index.html")
    for value in (tag, f"W/{tag}", f'"other", {tag}', "*"):
        r = client.get("/", headers={"If-None-Match": value})
        assert r.status_code == 304, value
        assert r.content == b""
        assert r.headers["etag"] == tag
    assert client.get("/", headers={"If-None-Match": '"other"'}).status_code == 200


BIG = FILES["data/free/big.csv"]


@pytest.mark.parametrize(
    ("header", "start", "end"),
    [
        ("bytes=0-9", 0, 9),
        ("bytes=100-199", 100, 199),
        ("bytes=-5", len(BIG) - 5, len(BIG) - 1),
        (f"bytes={len(BIG) - 3}-", len(BIG) - 3, len(BIG) - 1),
        (f"bytes=10-{len(BIG) + 100}", 10, len(BIG) - 1),
        (f"bytes=-{len(BIG) + 100}", 0, len(BIG) - 1),
    ],
)
def test_range_206(client: httpx.Client, header: str, start: int, end: int) -> None:
    r = client.get("/data/free/big.csv", headers={"Range": header})
    assert r.status_code == 206
    assert r.content == BIG[start : end + 1]
    assert r.headers["content-range"] == f"bytes {start}-{end}/{len(BIG)}"
    assert int(r.headers["content-length"]) == end - start + 1


@pytest.mark.parametrize(
    "header", [f"bytes={len(BIG)}-", f"bytes={len(BIG) + 5}-9999999", "bytes=-0"]
)
def test_range_416(client: httpx.Client, header: str) -> None:
    r = client.get("/data/free/big.csv", headers={"Range": header})
    assert r.status_code == 416
    assert r.headers["content-range"] == f"bytes */{len(BIG)}"
    assert r.content == b""


@pytest.mark.parametrize(
    "header", ["bytes=0-1,5-6", "items=0-5", "bytes=9-2", "bytes=x-y", "bytes=-"]
)
def test_unsupported_or_invalid_range_serves_whole(client: httpx.Client, header: str) -> None:
    r = client.get("/data/free/big.csv", headers={"Range": header})
    assert r.status_code == 200
    assert r.content == BIG


def test_if_range(client: httpx.Client) -> None:
    tag = etag("data/free/big.csv")
    r = client.get("/data/free/big.csv", headers={"Range": "bytes=0-3", "If-Range": tag})
    assert r.status_code == 206
    r = client.get("/data/free/big.csv", headers={"Range": "bytes=0-3", "If-Range": '"stale"'})
    assert r.status_code == 200
    assert r.content == BIG


def test_head_with_range(client: httpx.Client) -> None:
    r = client.head("/data/free/big.csv", headers={"Range": "bytes=0-99"})
    assert r.status_code == 206
    assert r.headers["content-range"] == f"bytes 0-99/{len(BIG)}"
    assert r.content == b""


def test_pointer_switch_and_missing_pointer(worker, client: httpx.Client) -> None:
    """publish.py uploads objects + manifest, then flips live.json: the Worker follows."""
    files = {**FILES, "index.html": b"<h1>release two</h1>"}
    objects = release_objects(files, release_id="r2")
    try:
        worker.put_all({k: v for k, v in objects.items() if k != "live.json"})
        assert client.get("/").content == FILES["index.html"]  # not live yet
        worker.put("live.json", objects["live.json"])
        assert client.get("/").content == b"<h1>release two</h1>"
        worker.delete("live.json")
        assert client.get("/").status_code == 503
    finally:
        worker.put("live.json", demo_release()["live.json"])
    assert client.get("/").content == FILES["index.html"]


def test_gated_404_page_is_private(client: httpx.Client) -> None:
    """Unauthenticated requests for unknown gated paths learn nothing: 401, not 404."""
    assert client.get("/data/pro/does-not-exist.csv").status_code == 401


@pytest.fixture(scope="module")
def prefixed_worker():
    """A bucket shared with other data: the site lives under R2_PREFIX, gzip stored as is."""
    files = {"index.html": b"<h1>prefixed</h1>", "data/free/x.csv": b"a,b\n" * 500}
    encoded = {**files, "data/free/x.csv": gzip.compress(files["data/free/x.csv"], mtime=0)}
    objects = release_objects(encoded, prefix="site/", encodings={"data/free/x.csv": "gzip"})
    objects["live.json"] = json.dumps({"release": "decoy", "manifest": "nope.json"}).encode()
    with worker_or_skip(objects, {"R2_PREFIX": "site"}, SECRETS) as server:
        yield server


def test_prefix_and_content_encoding(prefixed_worker) -> None:
    with httpx.Client(base_url=prefixed_worker.url) as c:
        assert c.get("/").content == b"<h1>prefixed</h1>"
        r = c.get("/data/free/x.csv", headers={"Accept-Encoding": "gzip"})
        assert r.headers["content-encoding"] == "gzip"
        assert r.content == b"a,b\n" * 500  # httpx decoded the stored gzip bytes once


def test_wrangler_dry_run_bundles_the_deploy_config(tmp_path) -> None:
    """`wrangler deploy --dry-run` validates wrangler.toml and bundles src/ without an account."""
    node = node_or_skip()
    cli = WORKERS_DIR / "node_modules" / "wrangler" / "bin" / "wrangler.js"
    done = subprocess.run(
        [node, str(cli), "deploy", "--dry-run", "--outdir", str(tmp_path)],
        cwd=WORKERS_DIR,
        env={**os.environ, **QUIET_ENV, "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    for binding in ("env.SITE", "env.RATE_LIMITER", "env.RATE_LIMIT"):
        assert binding in done.stdout
    assert (tmp_path / "index.js").is_file()
