"""End to end: a reader becomes a subscriber and downloads at the edge, then cancels.

Real parts only: SMTP (aiosmtpd), `beanflows auth serve` (its own process), a local Paddle
API, signed webhooks built from Paddle's real payloads, publish.py and the service's key list
on a local S3 server (moto), and the Worker in workerd. Miniflare has no S3 API, so the test
copies the bucket's objects into the Worker's R2 bucket, as R2 would simply share them.

sign up -> admitted -> magic link from the captured mail -> signed in ->
subscription.created -> API key -> pro Parquet 200 through the Worker ->
subscription.canceled -> the same key refused within 60 s.
"""

from __future__ import annotations

import io
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from beanflows.auth import keys
from tests.auth_service import (
    ADMIN,
    PADDLE_DIR,
    Client,
    create_key,
    deliver,
    settings_env,
    smtp_server,
    subscription_event,
)
from tests.dists import write_catalog
from tests.paddle_api import paddle_api
from tests.s3_server import free_port, make_bucket, s3_server
from tests.worker_server import node_or_skip, worker_server

pytestmark = [
    pytest.mark.worker,
    pytest.mark.slow,
    pytest.mark.skipif(not PADDLE_DIR.is_dir(), reason=f"no Paddle payloads in {PADDLE_DIR}"),
]
ROOT = Path(__file__).resolve().parents[1]
SITE = "https://site.beanflows.test"
LIST_KEY = "site/" + keys.LIST_OBJECT


def parquet_bytes() -> bytes:
    buf = io.BytesIO()
    pq.write_table(pa.table({"year": [1990, 2025], "value": [1.5, 2.5]}), buf)
    return buf.getvalue()


def write_dist(dist: Path) -> bytes:
    pro = parquet_bytes()
    files = {
        "index.html": b"<h1>BeanFlows</h1>",
        "404.html": b"<h1>404</h1>",
        "data/catalog.json": b'{"catalog_version": 1}',
        "data/free/psd_coffee.parquet": pro,
        "data/pro/psd_coffee.parquet": pro,
    }
    for rel, data in files.items():
        (dist / rel).parent.mkdir(parents=True, exist_ok=True)
        (dist / rel).write_bytes(data)
    write_catalog(dist)  # publish ships only a dist that agrees with its catalog
    return pro


def bucket_objects(s3, bucket: str) -> dict[str, bytes]:
    client = s3.client()
    listed = client.list_objects_v2(Bucket=bucket).get("Contents", [])
    return {o["Key"]: client.get_object(Bucket=bucket, Key=o["Key"])["Body"].read() for o in listed}


def start_service(env: dict[str, str], port: int) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "beanflows", "auth", "serve", "--host", "127.0.0.1",
           "--port", str(port)]  # fmt: skip
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)  # fmt: skip
    deadline = time.monotonic() + 30
    while True:
        assert proc.poll() is None, proc.stderr.read()[-3000:]
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline, "service did not start"
        time.sleep(0.1)


def test_subscriber_downloads_then_cancels(tmp_path: Path) -> None:
    node_or_skip()
    dist = tmp_path / "dist"
    pro = write_dist(dist)
    with s3_server() as s3, smtp_server() as (smtp_url, box), paddle_api() as api:
        bucket = make_bucket(s3)
        cmd = [sys.executable, str(ROOT / "publish.py"), str(dist), "--bucket", bucket,
               "--endpoint-url", s3.endpoint_url, "--prefix", "site", "--quiet"]  # fmt: skip
        done = subprocess.run(cmd, env=s3.env(), capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr[-3000:]

        port = free_port()
        env = s3.env(**settings_env(tmp_path, smtp_url, api.url))
        env |= {"BEANFLOWS_BASE_URL": f"http://127.0.0.1:{port}", "BEANFLOWS_SITE_URL": SITE,
                "BEANFLOWS_R2_ENDPOINT_URL": s3.endpoint_url, "BEANFLOWS_KEYS_BUCKET": bucket,
                "BEANFLOWS_KEYS_PREFIX": "site"}  # fmt: skip
        env.pop("TEST_MODE", None)
        service = start_service(env, port)
        try:
            objects = bucket_objects(s3, bucket)
            assert LIST_KEY in objects  # published at start
            with worker_server(objects, {"R2_PREFIX": "site"}, {"TOKEN_SECRET": "e2e"}) as edge:
                run_path(s3, bucket, box, api, port, edge, pro)
        finally:
            service.terminate()
            service.wait(10)


def synced_list(s3, bucket: str, edge, last: bytes | None) -> bytes:
    """Copy the service's key list from the S3 server into the Worker's bucket if it changed."""
    body = s3.client().get_object(Bucket=bucket, Key=LIST_KEY)["Body"].read()
    if body != last:
        edge.put(LIST_KEY, body, "application/json")
    return body


def run_path(s3, bucket, box, api, port, edge, pro: bytes) -> None:
    base = f"http://127.0.0.1:{port}"
    user = "reader@example.com"
    reader = Client(base, origin=SITE)
    assert reader.post("/signup", data={"email": user, "website": ""}).status_code == 200
    assert "waitlist" in reader.get(box.link(user)).text

    admin = Client(base)
    admin.post_form("/signup", {"email": ADMIN}, "/signup")
    admin.get(box.link(ADMIN))
    assert admin.get(box.link(ADMIN, 2)).status_code == 303
    uid = re.search(r'action="/admin/accounts/(\d+)/admit"', admin.get("/admin").text).group(1)
    assert admin.post_form(f"/admin/accounts/{uid}/admit", {}, "/admin").status_code == 303

    r = reader.get(box.link(user, 2))  # admission mails the magic link
    assert (r.status_code, r.headers["location"]) == (303, "/account")
    assert reader.post_form("/checkout", {"plan": "pro"}, "/pricing").status_code == 303
    (txn,) = api.transactions.values()
    ref = txn["custom_data"]["beanflows_account"]  # what Paddle echoes back in events
    hook = httpx.Client(base_url=base, timeout=10)
    r = deliver(hook, subscription_event("subscription.created", ref=ref))
    assert r.json() == {"ok": True, "outcome": "applied"}
    key = create_key(reader, "e2e")

    url = edge.url.rstrip("/") + "/data/pro/psd_coffee.parquet"
    auth = {"Authorization": f"Bearer {key}"}
    last, deadline = None, time.monotonic() + 30
    while True:  # the service uploads within a second or two of the change
        last = synced_list(s3, bucket, edge, last)
        r = httpx.get(url, headers=auth, timeout=10)
        if r.status_code == 200 or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert r.status_code == 200, r.text
    assert r.content == pro and r.content[:4] == b"PAR1"
    assert httpx.get(url, timeout=10).status_code == 401

    canceled_at = time.monotonic()
    r = deliver(hook, subscription_event("subscription.canceled", ref=ref))
    assert r.json()["outcome"] == "applied"
    while True:
        last = synced_list(s3, bucket, edge, last)
        r = httpx.get(url, headers=auth, timeout=10)
        if r.status_code != 200 or time.monotonic() - canceled_at > 70:
            break
        time.sleep(1)
    took = time.monotonic() - canceled_at
    assert (r.status_code, r.text.strip()) == (403, "403 plan"), r.text
    assert took < 60, f"the canceled key still worked {took:.0f} s later"
