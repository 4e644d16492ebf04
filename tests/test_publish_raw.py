"""Raw archive backup: incremental, verified against sha256 names, never deleting remotely."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from beanflows.publish import main
from beanflows.publish.r2 import PublishError, Target, make_client
from beanflows.publish.raw import sync_raw
from tests.s3_server import make_bucket, s3_server


@pytest.fixture(scope="module")
def s3():
    with s3_server() as server:
        yield server


@pytest.fixture
def target(s3, monkeypatch):
    for key, value in s3.env().items():
        if key.startswith("AWS_"):
            monkeypatch.setenv(key, value)
    return Target(make_client(s3.endpoint_url), make_bucket(s3), "raw/")


def store(raw: Path, data: bytes, name: str) -> str:
    """Add a file to a raw archive the way ingest/archive.py lays it out."""
    sha = hashlib.sha256(data).hexdigest()
    path = raw / "objects" / sha[:2] / sha
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    row = {"sha256": sha, "bytes": len(data), "source": "usda_psd", "name": name}
    with (raw / "manifest.jsonl").open("a") as fh:
        fh.write(json.dumps(row) + "\n")
    return sha


def keys(t: Target) -> dict[str, bytes]:
    resp = t.client.list_objects_v2(Bucket=t.bucket)
    return {
        o["Key"]: t.client.get_object(Bucket=t.bucket, Key=o["Key"])["Body"].read()
        for o in resp.get("Contents", [])
    }


def test_raw_backup_is_incremental_and_add_only(target, tmp_path):
    raw = tmp_path / "var" / "raw"
    shas = [store(raw, f"file {i}\n".encode() * 100, f"f{i}.csv") for i in range(3)]

    dry = sync_raw(target, raw, dry_run=True)
    assert (dry.uploaded, dry.manifest) == (3, "uploaded") and keys(target) == {}

    out = sync_raw(target, raw)
    assert (out.files, out.uploaded, out.manifest) == (3, 3, "uploaded")
    remote = keys(target)
    assert remote["raw/manifest.jsonl"] == (raw / "manifest.jsonl").read_bytes()
    for sha in shas:
        assert hashlib.sha256(remote[f"raw/objects/{sha[:2]}/{sha}"]).hexdigest() == sha
    head = target.client.head_object(
        Bucket=target.bucket, Key=f"raw/objects/{shas[0][:2]}/{shas[0]}"
    )
    assert head["Metadata"]["sha256"] == shas[0] and head["CacheControl"] == "private, no-store"

    again = sync_raw(target, raw)
    assert (again.uploaded, again.uploaded_bytes, again.manifest) == (0, 0, "unchanged")

    new = store(raw, b"new file\n", "new.csv")
    out = sync_raw(target, raw)
    assert (out.uploaded, out.manifest) == (1, "uploaded")
    assert f"raw/objects/{new[:2]}/{new}" in keys(target)

    # local files disappear and the manifest is rewound: the remote keeps everything
    (raw / "objects" / shas[0][:2] / shas[0]).unlink()
    full = (raw / "manifest.jsonl").read_bytes()
    (raw / "manifest.jsonl").write_bytes(full.splitlines(keepends=True)[0])
    out = sync_raw(target, raw)
    assert out.uploaded == 0 and out.manifest.startswith("diverged:raw/manifest.diverged-")
    remote = keys(target)
    assert remote["raw/manifest.jsonl"] == full
    assert f"raw/objects/{shas[0][:2]}/{shas[0]}" in remote


def test_corrupt_raw_file_is_refused(target, tmp_path):
    raw = tmp_path / "raw"
    sha = store(raw, b"good bytes", "a.csv")
    (raw / "objects" / sha[:2] / sha).write_bytes(b"bit rot")
    with pytest.raises(PublishError, match="does not match its sha256"):
        sync_raw(target, raw)
    assert keys(target) == {}


def test_cli_publishes_site_and_raw_to_separate_buckets(s3, target, tmp_path, capsys):
    raw = tmp_path / "raw"
    store(raw, b"payload", "p.csv")
    dist = tmp_path / "dist"
    dist.mkdir()
    (dist / "index.html").write_text("<h1>hi</h1>")
    raw_bucket = make_bucket(s3)
    argv = [str(dist), "--bucket", target.bucket, "--endpoint-url", s3.endpoint_url,
            "--raw", str(raw), "--raw-bucket", raw_bucket, "--quiet"]  # fmt: skip
    assert main(argv) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("release ") and "uploaded 1 objects" in lines[0]
    assert lines[1].startswith(f"raw backup at s3://{raw_bucket}/raw/")
    assert "uploaded 1 objects" in lines[1] and "manifest uploaded" in lines[1]
    names = [o["Key"] for o in target.client.list_objects_v2(Bucket=raw_bucket)["Contents"]]
    assert "raw/manifest.jsonl" in names and len(names) == 2
    # overlapping prefixes in one bucket are refused before anything is written
    argv = [str(dist), "--bucket", target.bucket, "--endpoint-url", s3.endpoint_url,
            "--raw", str(raw), "--raw-prefix", "", "--quiet"]  # fmt: skip
    assert main(argv) == 1
    assert "overlap" in capsys.readouterr().err
