"""publish.py against a real S3-compatible server (moto, 127.0.0.1): layout, headers,
incremental uploads, dry run, conditional pointer switch, rollback and prune."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from beanflows.publish import main
from beanflows.publish.r2 import PointerConflict, PublishError, Target, make_client
from beanflows.publish.release import prune, publish, rollback
from tests.dists import write_catalog
from tests.s3_server import make_bucket, s3_server

ROOT = Path(__file__).resolve().parents[1]
GRACE = timedelta(hours=48)


@pytest.fixture(scope="module")
def s3():
    with s3_server() as server:
        yield server


@pytest.fixture
def env(s3, monkeypatch):
    for key, value in s3.env().items():
        if key.startswith("AWS_"):
            monkeypatch.setenv(key, value)
    return s3


@pytest.fixture
def target(env):
    return Target(make_client(env.endpoint_url), make_bucket(env), "site/")


def make_dist(root: Path, version: str = "v1") -> Path:
    """A small dist tree in the CONTRACT.md layout; `version` varies the pages and data."""
    files = {
        "index.html": f"<!doctype html><h1>BeanFlows {version}</h1>".encode(),
        "supply/index.html": f"<!doctype html><h1>Supply {version}</h1>".encode(),
        "404.html": b"<!doctype html><h1>Not found</h1>",
        "sitemap.xml": b'<?xml version="1.0"?><urlset/>',
        "assets/app.1a2b3c4d.js": b"console.log('app');\n" * 50,
        "assets/style.9f8e7d6c.css": b"body{margin:0}\n",
        "data/catalog.json": json.dumps({"catalog_version": 1, "v": version}).encode(),
        "data/free/x.csv": f"year,value\n2024,{version}\n".encode(),
        "data/free/x.csv.gz": gzip.compress(f"year,value\n2024,{version}\n".encode(), mtime=0),
        "data/pro/x.parquet": b"PAR1" + version.encode() * 1000 + b"PAR1",
    }
    for rel, data in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    write_catalog(root, v=version)  # publish ships only a dist that agrees with its catalog
    return root


def snapshot(t: Target) -> dict[str, tuple[str, str]]:
    """Every key in the bucket with its ETag and modification time."""
    pages = t.client.get_paginator("list_objects_v2").paginate(Bucket=t.bucket)
    return {
        o["Key"]: (o["ETag"], o["LastModified"].isoformat())
        for page in pages
        for o in page.get("Contents", [])
    }


def served(t: Target) -> dict[str, bytes]:
    """What a reader gets, resolved exactly as the Worker does: pointer, manifest, objects."""
    get = t.client.get_object
    pointer = json.loads(get(Bucket=t.bucket, Key=f"{t.prefix}live.json")["Body"].read())
    manifest = json.loads(get(Bucket=t.bucket, Key=t.prefix + pointer["manifest"])["Body"].read())
    assert manifest["release"] == pointer["release"]
    return {
        path: get(Bucket=t.bucket, Key=t.prefix + entry["key"])["Body"].read()
        for path, entry in manifest["files"].items()
    }


def local(dist: Path) -> dict[str, bytes]:
    return {p.relative_to(dist).as_posix(): p.read_bytes() for p in dist.rglob("*") if p.is_file()}


def pointer(t: Target) -> dict:
    return json.loads(
        t.client.get_object(Bucket=t.bucket, Key=f"{t.prefix}live.json")["Body"].read()
    )


def test_first_publish_layout_and_headers(target, tmp_path):
    dist = make_dist(tmp_path / "dist")
    out = publish(target, dist)
    assert out.changed and out.files == 10 and out.uploaded == out.objects == 10
    assert out.uploaded_bytes == sum(len(b) for b in local(dist).values())
    assert served(target) == local(dist)

    c, b = target.client, target.bucket
    live = pointer(target)
    assert live == {"release": out.release, "manifest": f"releases/{out.release}.json",
                    "previous": None}  # fmt: skip
    head = c.head_object(Bucket=b, Key="site/live.json")
    assert head["CacheControl"] == "no-cache"
    assert head["ContentType"].startswith("application/json")
    manifest = json.loads(c.get_object(Bucket=b, Key="site/" + live["manifest"])["Body"].read())
    assert manifest["created_at"].endswith("Z")
    files = manifest["files"]
    expect = {
        "index.html": ("text/html; charset=utf-8", "public, max-age=300", None),
        "assets/app.1a2b3c4d.js": (
            "text/javascript; charset=utf-8", "public, max-age=31536000, immutable", None),
        "data/pro/x.parquet": (
            "application/vnd.apache.parquet", "private, max-age=0, must-revalidate", None),
        "data/free/x.csv.gz": ("text/csv; charset=utf-8", "public, max-age=300", "gzip"),
        "data/catalog.json": ("application/json; charset=utf-8", "public, max-age=300", None),
    }  # fmt: skip
    for path, (ctype, cache, encoding) in expect.items():
        entry = files[path]
        assert (entry["content_type"], entry["cache_control"], entry["content_encoding"]) == (
            ctype, cache, encoding)  # fmt: skip
        obj = c.head_object(Bucket=b, Key="site/" + entry["key"])
        assert obj["ContentType"] == ctype
        assert obj["CacheControl"] == cache
        assert obj.get("ContentEncoding") == encoding
        assert obj["Metadata"]["sha256"] == entry["sha256"]
        assert obj["ContentLength"] == entry["size"]
    assert set(snapshot(target)) == {
        "site/live.json", f"site/releases/{out.release}.json",
        *(f"site/objects/{e['sha256']}" for e in files.values()),
    }  # fmt: skip


def test_no_change_publish_uploads_nothing(target, tmp_path, capsys):
    dist = make_dist(tmp_path / "dist")
    first = publish(target, dist)
    before = snapshot(target)
    again = publish(target, dist)
    assert not again.changed and again.uploaded_bytes == 0 and again.release == first.release
    assert snapshot(target) == before
    argv = [str(dist), "--bucket", target.bucket, "--prefix", "site", "--quiet"]
    assert main([*argv, "--endpoint-url", target.client.meta.endpoint_url]) == 0
    line = capsys.readouterr().out.strip()
    assert line.startswith("no changes:") and "0 objects, 0 bytes" in line, line
    assert snapshot(target) == before


def test_incremental_uploads_only_changed_objects(target, tmp_path):
    dist = make_dist(tmp_path / "dist")
    first = publish(target, dist)
    (dist / "index.html").write_bytes(b"<!doctype html><h1>new front page</h1>")
    (dist / "supply" / "copy.html").write_bytes((dist / "404.html").read_bytes())
    out = publish(target, dist)
    # one new object; copy.html reuses the 404 page's object
    assert out.changed and out.uploaded == 1
    assert out.uploaded_bytes == len(b"<!doctype html><h1>new front page</h1>")
    assert out.previous == first.release
    assert pointer(target)["previous"] == first.release
    assert served(target) == local(dist)


def test_dry_run_writes_nothing(target, tmp_path, capsys):
    dist = make_dist(tmp_path / "dist")
    out = publish(target, dist, dry_run=True)
    assert out.dry_run and out.uploaded == 10 and snapshot(target) == {}
    publish(target, dist)
    before = snapshot(target)
    make_dist(dist, "v2")
    argv = [str(dist), "--bucket", target.bucket, "--prefix", "site/", "--dry-run", "--quiet"]
    assert main([*argv, "--endpoint-url", target.client.meta.endpoint_url]) == 0
    line = capsys.readouterr().out
    assert "dry run: would upload 6 objects" in line, line
    assert snapshot(target) == before


def test_rollback_and_rollback_to(target, tmp_path, capsys):
    one = make_dist(tmp_path / "one", "v1")
    two = make_dist(tmp_path / "two", "v2")
    r1 = publish(target, one).release
    r2 = publish(target, two).release
    assert served(target) == local(two)
    out = rollback(target)
    assert (out.release, out.previous) == (r1, None)
    assert pointer(target) == {"release": r1, "manifest": f"releases/{r1}.json", "previous": None}
    assert served(target) == local(one)
    with pytest.raises(PublishError, match="no previous release"):
        rollback(target)
    argv = ["--rollback-to", r2, "--bucket", target.bucket, "--prefix", "site/"]
    assert main([*argv, "--endpoint-url", target.client.meta.endpoint_url]) == 0
    assert f"release {r2} live" in capsys.readouterr().out
    assert pointer(target)["previous"] == r1 and served(target) == local(two)
    # publishing v1 again after all this is a new release, reusing every object
    again = publish(target, one)
    assert again.changed and again.uploaded == 0 and served(target) == local(one)


def test_rollback_cli_in_a_subprocess(env, tmp_path):
    t = Target(make_client(env.endpoint_url), make_bucket(env), "")
    r1 = publish(t, make_dist(tmp_path / "one", "v1")).release
    publish(t, make_dist(tmp_path / "two", "v2"))
    cmd = [sys.executable, str(ROOT / "publish.py"), "--rollback", "--bucket", t.bucket,
           "--endpoint-url", env.endpoint_url]  # fmt: skip
    done = subprocess.run(cmd, env=env.env(), capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert pointer(t)["release"] == r1
    done = subprocess.run(cmd, env=env.env(), capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and "no previous release" in done.stderr


def test_prune_keeps_releases_and_respects_grace(target, tmp_path):
    dists = [make_dist(tmp_path / f"d{i}", f"v{i}") for i in range(4)]
    ids = [publish(target, d, keep=1).release for d in dists]
    now = datetime.now(UTC)
    # everything was superseded seconds ago: the grace period keeps it all
    assert prune(target, 1, GRACE, now) == ([], 0)
    before = snapshot(target)
    assert prune(target, 1, GRACE, now + timedelta(hours=47)) == ([], 0)
    assert snapshot(target) == before
    # 49 h later: only the live release and its predecessor stay (keep=1)
    dropped, objects = prune(target, 1, GRACE, now + timedelta(hours=49))
    assert dropped == ids[:2]
    # v0 and v1 each had 6 version-specific objects; shared ones stay
    assert objects == 12
    assert served(target) == local(dists[3])
    assert rollback(target).release == ids[2]
    assert served(target) == local(dists[2])
    keys = snapshot(target)
    assert not any(ids[0] in k or ids[1] in k for k in keys)


def test_prune_spares_young_orphans(target, tmp_path):
    """Objects of a publish that has not switched yet (young, unreferenced) survive."""
    publish(target, make_dist(tmp_path / "one", "v1"))
    orphan = "f" * 64
    target.client.put_object(Bucket=target.bucket, Key=f"site/objects/{orphan}", Body=b"x")
    now = datetime.now(UTC)
    assert prune(target, 1, GRACE, now) == ([], 0)
    assert f"site/objects/{orphan}" in snapshot(target)
    sent = []
    target.client.meta.events.register(
        "before-send.s3.DeleteObjects", lambda request, **_: sent.append(request.headers)
    )
    assert prune(target, 1, GRACE, now + timedelta(hours=49)) == ([], 1)
    assert f"site/objects/{orphan}" not in snapshot(target)
    # stores that predate boto3's CRC32 default demand Content-MD5 on DeleteObjects
    assert sent and all("Content-MD5" in h for h in sent)


def test_concurrent_switch_loser_fails(target, tmp_path):
    first = publish(target, make_dist(tmp_path / "base", "base"))
    a, b = make_dist(tmp_path / "a", "a"), make_dist(tmp_path / "b", "b")
    winner = {}

    def other_publish_wins():
        winner["out"] = publish(target, a)

    with pytest.raises(PointerConflict, match="NOT live"):
        publish(target, b, before_switch=other_publish_wins)
    live = pointer(target)
    assert live["release"] == winner["out"].release and live["previous"] == first.release
    assert served(target) == local(a)


def test_concurrent_cli_publishes_exit_3(env, tmp_path):
    t = Target(make_client(env.endpoint_url), make_bucket(env), "")
    publish(t, make_dist(tmp_path / "base", "base"))
    gate = tmp_path / "gate"
    cmd = [sys.executable, str(ROOT / "publish.py"), "--bucket", t.bucket,
           "--endpoint-url", env.endpoint_url, "--quiet"]  # fmt: skip
    slow_env = env.env(BEANFLOWS_PUBLISH_HOLD_BEFORE_SWITCH=str(gate))
    slow = subprocess.Popen([*cmd, str(make_dist(tmp_path / "b", "b"))], env=slow_env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        ready = Path(f"{gate}.ready")
        for _ in range(600):
            if ready.exists() or slow.poll() is not None:
                break
            subprocess.run(["sleep", "0.05"], check=True)
        assert ready.exists(), slow.communicate(timeout=5)
        fast = subprocess.run([*cmd, str(make_dist(tmp_path / "a", "a"))], env=env.env(),
                              capture_output=True, text=True, timeout=60)  # fmt: skip
        assert fast.returncode == 0, fast.stderr
        gate.touch()
        out, err = slow.communicate(timeout=60)
    finally:
        if slow.poll() is None:
            slow.kill()
    assert slow.returncode == 3, (out, err)
    assert "conflict" in err and "NOT live" in err
    assert served(t) == local(tmp_path / "a")


def test_errors_are_clear(env, tmp_path):
    dist = make_dist(tmp_path / "dist")
    cmd = [sys.executable, str(ROOT / "publish.py"), str(dist), "--bucket", "missing-bucket",
           "--endpoint-url", env.endpoint_url]  # fmt: skip
    secrets = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")
    no_creds = {k: v for k, v in env.env().items() if k not in secrets}
    done = subprocess.run(cmd, env=no_creds, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and "AWS_ACCESS_KEY_ID" in done.stderr
    done = subprocess.run(cmd, env=env.env(), capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and "NoSuchBucket" in done.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    t = Target(make_client(env.endpoint_url), make_bucket(env), "")
    with pytest.raises(PublishError, match="empty site"):
        publish(t, empty)
    both = [str(dist), "--rollback", "--bucket", t.bucket, "--endpoint-url", env.endpoint_url]
    assert main(both) == 1
    assert main(["--keep", "0"]) == 2


def test_large_files_go_in_parts(target, tmp_path, monkeypatch):
    from beanflows.publish import upload

    monkeypatch.setattr(upload, "MULTIPART_THRESHOLD", 1 << 20)
    dist = make_dist(tmp_path / "dist")
    big = dist / "data" / "pro" / "big.parquet"
    big.write_bytes(bytes(range(256)) * (3 << 12))  # 3 MiB
    write_catalog(dist)
    out = publish(target, dist, jobs=2)
    assert out.uploaded == 11 and served(target) == local(dist)
    live = pointer(target)
    manifest = json.loads(
        target.client.get_object(Bucket=target.bucket, Key="site/" + live["manifest"])[
            "Body"
        ].read()
    )
    entry = manifest["files"]["data/pro/big.parquet"]
    head = target.client.head_object(Bucket=target.bucket, Key="site/" + entry["key"])
    assert head["Metadata"]["sha256"] == entry["sha256"] and head["ContentLength"] == 3 << 20
    assert head["CacheControl"].startswith("private")
    assert "-" in head["ETag"], "expected a multipart upload (ETag <md5>-<parts>)"
