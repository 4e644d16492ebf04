"""The whole chain on the real upstream files: build -> publish.py -> S3 -> Worker -> readers.

`beanflows build --raw-from ../shared/data`, then the real publish.py uploads dist/ to a local
S3-compatible server (moto), the bucket's objects are copied into the Worker's local R2
bucket (Miniflare has no S3 API), and HTTP requests through the real workerd runtime check
that anonymous, free, starter and pro readers get exactly what their plan allows.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from beanflows import tokens
from tests.conftest import REPO, run_cli
from tests.s3_server import make_bucket, s3_server
from tests.worker_server import node_or_skip, worker_server

pytestmark = pytest.mark.worker
SECRET = "e2e-secret-for-tests"


def test_build_publish_serve_by_plan(shared_data: Path, tmp_path: Path) -> None:
    node_or_skip()
    res = run_cli("build", "--raw-from", str(shared_data), "--var", str(tmp_path / "var"),
                  "--out", str(tmp_path / "dist"), cwd=tmp_path)  # fmt: skip
    assert res.returncode == 0, res.stderr[-3000:]
    dist = tmp_path / "dist"
    catalog = json.loads((dist / "data/catalog.json").read_text())
    assert not catalog["demo"] and (dist / "index.html").is_file()

    with s3_server() as s3:
        bucket = make_bucket(s3)
        cmd = [sys.executable, str(REPO / "publish.py"), str(dist), "--bucket", bucket,
               "--endpoint-url", s3.endpoint_url, "--quiet"]  # fmt: skip
        done = subprocess.run(cmd, env=s3.env(), capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr[-3000:]
        client = s3.client()
        keys = [
            o["Key"]
            for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket)
            for o in page.get("Contents", [])
        ]
        objects = {k: client.get_object(Bucket=bucket, Key=k)["Body"].read() for k in keys}

    ds = catalog["datasets"]["coffee_balance"]
    pro_path = "/" + ds["files"]["pro"]["parquet"]["path"]
    free_path = "/" + ds["files"]["free"]["csv"]["path"]
    pro_bytes = (dist / pro_path.lstrip("/")).read_bytes()
    with (
        worker_server(objects, {"LIVE_TTL_SECONDS": "0"}, {"TOKEN_SECRET": SECRET}) as worker,
        httpx.Client(base_url=worker.url, timeout=30) as c,
    ):
        home = c.get("/")
        assert home.status_code == 200 and home.content == (dist / "index.html").read_bytes()
        assert c.get("/downloads/").status_code == 200
        assert c.get(free_path).content == (dist / free_path.lstrip("/")).read_bytes()
        assert c.get("/data/catalog.json").status_code == 200

        # anonymous: public site and free files, never pro files
        anon = c.get(pro_path)
        assert anon.status_code == 401 and pro_bytes not in anon.content
        # free plan: a valid token, but not a paying plan
        free = {"Authorization": f"Bearer {tokens.mint_token(SECRET, 'reader1', 'free', ttl=300)}"}
        assert c.get(pro_path, headers=free).status_code == 403
        assert c.get(free_path, headers=free).status_code == 200
        # starter and pro: the full-history file, private and uncacheable
        for plan in ("starter", "pro"):
            auth = {
                "Authorization": f"Bearer {tokens.mint_token(SECRET, 'sub-' + plan, plan, ttl=300)}"
            }
            got = c.get(pro_path, headers=auth)
            assert got.status_code == 200 and got.content == pro_bytes, plan
            assert got.headers["cache-control"] == "private, no-store"
        # a per-file signed URL works for that file only
        signed = tokens.sign_url(SECRET, pro_path, "sub-pro", "pro", ttl=300)
        assert c.get(signed).content == pro_bytes
        other = "/" + catalog["datasets"]["psd_coffee"]["files"]["pro"]["csv"]["path"]
        assert c.get(other + "?" + signed.split("?", 1)[1]).status_code == 403
        # every pro file of the catalog is gated
        for name, entry in catalog["datasets"].items():
            for facts in (entry["files"] or {}).get("pro", {}).values():
                assert c.head("/" + facts["path"]).status_code == 401, name
