"""`beanflows restore-raw DEST`: copy the raw archive backup (R2) back to a local folder.

The backup `beanflows publish --raw` keeps (objects/<aa>/<sha256> + manifest.jsonl) is all a
new box needs: `beanflows build --raw-from DEST` on an empty state folder then imports every
file through the same validation as a fetch and reproduces the published datasets byte for
byte. Each object is checked against the sha256 in its name before it is kept; objects
already present (an interrupted restore) are not downloaded again.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
from pathlib import Path

from botocore.exceptions import ClientError

from beanflows.publish.r2 import PublishError, Target, list_objects, make_client, normalise_prefix
from beanflows.publish.raw import SHA


def _download(target: Target, rel: str) -> bytes:
    resp = target.client.get_object(Bucket=target.bucket, Key=target.key(rel))
    return resp["Body"].read()


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def restore_raw(target: Target, dest: Path) -> tuple[int, int, int]:
    """(objects downloaded, bytes downloaded, objects already present) into dest."""
    remote = list_objects(target, "objects/")
    got = got_bytes = present = 0
    for rel in sorted(remote):
        shard, _, sha = rel.partition("/")
        if not SHA.match(sha) or shard != sha[:2]:
            continue  # not an archive object (e.g. a stray upload): never restored
        path = dest / "objects" / rel
        if path.is_file() and path.stat().st_size == remote[rel].size:
            present += 1
            continue
        data = _download(target, f"objects/{rel}")
        if hashlib.sha256(data).hexdigest() != sha:
            raise PublishError(f"backup object objects/{rel} does not match its sha256 name")
        _write(path, data)
        got, got_bytes = got + 1, got_bytes + len(data)
    manifest = _download(target, "manifest.jsonl")
    _write(dest / "manifest.jsonl", manifest)
    return got, got_bytes, present


def cmd_restore_raw(args: argparse.Namespace) -> int:
    if not args.endpoint_url:
        print("restore-raw: --endpoint-url is required", file=sys.stderr)
        return 2
    try:
        target = Target(make_client(args.endpoint_url), args.bucket, normalise_prefix(args.prefix))
        got, size, present = restore_raw(target, args.dest)
    except (PublishError, ClientError) as exc:
        print(f"restore-raw: {exc}", file=sys.stderr)
        return 1
    print(
        f"restored s3://{args.bucket}/{normalise_prefix(args.prefix)} into {args.dest}: "
        f"{got} objects downloaded ({size / 1e6:.1f} MB), {present} already present; "
        f"next: beanflows build --raw-from {args.dest}"
    )
    return 0
