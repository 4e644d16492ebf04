"""publish.py -> bucket -> Worker: the real publisher's output served by the real Worker.

Miniflare has no S3 API, so publish.py uploads to a local S3 server (moto) and the test copies
every object of the bucket into the Worker's R2 bucket, then reads the site over HTTP.
"""

from __future__ import annotations

import gzip
import hashlib
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from beanflows import tokens
from tests.dists import write_catalog
from tests.s3_server import make_bucket, s3_server
from tests.worker_server import node_or_skip, worker_server

pytestmark = pytest.mark.worker

ROOT = Path(__file__).resolve().parents[1]
SECRET = "e2e-secret"
PRO = b"PRO-ONLY-e2e\n2020,1\n"


def write_dist(dist: Path, index: bytes) -> None:
    files = {
        "index.html": index,
        "404.html": b"<h1>not here</h1>",
        "supply/index.html": b"<h1>supply</h1>",
        "assets/app.3f2a91c0.js": b"console.log(1)",
        "data/catalog.json": b'{"catalog_version": 1}',
        "data/free/psd.csv": b"year,value\n2024,1\n",
        "data/pro/psd.csv": PRO,
        "data/pro/psd.csv.gz": gzip.compress(PRO, mtime=0),
    }
    for rel, data in files.items():
        (dist / rel).parent.mkdir(parents=True, exist_ok=True)
        (dist / rel).write_bytes(data)
    write_catalog(dist)  # publish ships only a dist that agrees with its catalog


def publish(dist: Path, s3, bucket: str) -> None:
    cmd = [sys.executable, str(ROOT / "publish.py"), str(dist), "--bucket", bucket,
           "--endpoint-url", s3.endpoint_url, "--prefix", "site", "--quiet"]  # fmt: skip
    done = subprocess.run(cmd, env=s3.env(), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]


def bucket_objects(s3, bucket: str) -> dict[str, bytes]:
    client = s3.client()
    keys = [o["Key"] for o in client.list_objects_v2(Bucket=bucket).get("Contents", [])]
    return {k: client.get_object(Bucket=bucket, Key=k)["Body"].read() for k in keys}


def test_published_site_served_by_worker(tmp_path: Path) -> None:
    node_or_skip()
    dist = tmp_path / "dist"
    write_dist(dist, b"<h1>one</h1>")
    with s3_server() as s3:
        bucket = make_bucket(s3)
        publish(dist, s3, bucket)
        first = bucket_objects(s3, bucket)
        assert "site/live.json" in first
        config = {"R2_PREFIX": "site", "LIVE_TTL_SECONDS": "0"}
        with (
            worker_server(first, config, {"TOKEN_SECRET": SECRET}) as worker,
            httpx.Client(base_url=worker.url, timeout=10) as c,
        ):
            assert c.get("/").content == b"<h1>one</h1>"
            assert c.get("/supply").headers["location"] == "/supply/"
            assert c.get("/supply/").content == b"<h1>supply</h1>"
            r = c.get("/missing")
            assert (r.status_code, r.content) == (404, b"<h1>not here</h1>")
            asset = c.get("/assets/app.3f2a91c0.js")
            assert "immutable" in asset.headers["cache-control"]
            assert (
                asset.headers["etag"] == '"' + hashlib.sha256(b"console.log(1)").hexdigest() + '"'
            )

            assert c.get("/data/pro/psd.csv").status_code == 401
            auth = {"Authorization": f"Bearer {tokens.mint_token(SECRET, 'e2e', 'pro', ttl=60)}"}
            r = c.get("/data/pro/psd.csv", headers=auth)
            assert (r.status_code, r.content) == (200, PRO)
            assert r.headers["cache-control"] == "private, no-store"
            r = c.get("/data/pro/psd.csv.gz", headers=auth)
            assert r.status_code == 200
            assert r.headers.get("content-encoding") == "gzip"
            assert r.content == PRO  # decoded once by the client, as a browser would
            assert c.get("/data/pro/psd.csv.gz").status_code == 401

            # a second publish: new objects, then the pointer; the Worker follows the pointer
            write_dist(dist, b"<h1>two</h1>")
            publish(dist, s3, bucket)
            second = bucket_objects(s3, bucket)
            worker.put_all({k: v for k, v in second.items() if first.get(k) != v})
            assert c.get("/").content == b"<h1>two</h1>"
