"""Back up the raw archive (`var/raw`) to its own bucket/prefix, incrementally, never deleting.

The raw archive is what every build can be rebuilt from, so the copy is add-only: a file
is uploaded when the bucket lacks it, checked against the sha256 in its name first, and
the append-only manifest is replaced only by a longer version of itself.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from botocore.exceptions import ClientError

from beanflows.publish.plan import hash_file
from beanflows.publish.r2 import PublishError, Target, is_missing, list_objects, put_file
from beanflows.publish.upload import Upload, note_write, upload_all

SHA = re.compile(r"^[0-9a-f]{64}$")
RAW_HEADERS = {
    "content_type": "application/octet-stream",
    "cache_control": "private, no-store",
    "content_encoding": None,
}
MANIFEST_HEADERS = {**RAW_HEADERS, "content_type": "application/x-ndjson"}


@dataclass
class RawOutcome:
    files: int = 0
    uploaded: int = 0
    uploaded_bytes: int = 0
    manifest: str = "unchanged"  # unchanged | uploaded | missing | diverged:<key>
    dry_run: bool = False


def local_objects(raw: Path) -> dict[str, Path]:
    """`objects/<aa>/<sha256>` files by their relative key; other files are refused."""
    found: dict[str, Path] = {}
    root = raw / "objects"
    if not root.is_dir():
        return found
    for path in sorted(root.glob("*/*")):
        if not path.is_file():
            continue
        sha, shard = path.name, path.parent.name
        if not SHA.match(sha) or shard != sha[:2]:
            raise PublishError(f"unexpected file in the raw archive: {path}")
        found[f"objects/{shard}/{sha}"] = path
    return found


def sync_raw(
    target: Target, raw: Path, *, dry_run: bool = False, jobs: int = 8, quiet: bool = True
) -> RawOutcome:
    """Upload raw objects the bucket lacks, then the manifest if it grew."""
    if not raw.is_dir():
        raise PublishError(f"raw archive {raw} does not exist")
    local = local_objects(raw)
    remote = {f"objects/{k}": v for k, v in list_objects(target, "objects/").items()}
    out = RawOutcome(files=len(local), dry_run=dry_run)
    items = []
    for rel, path in local.items():
        have = remote.get(rel)
        size = path.stat().st_size
        if have is not None and have.size == size:
            continue
        sha, size, _ = hash_file(path)
        if sha != path.name:
            raise PublishError(f"raw file {path} does not match its sha256 name (corrupt?)")
        items.append(Upload(rel, path, sha, size, RAW_HEADERS))
    out.uploaded = len(items)
    out.uploaded_bytes = sum(i.size for i in items)
    out.manifest = sync_manifest(target, raw / "manifest.jsonl", dry_run=True)
    if dry_run:
        return out
    out.uploaded_bytes = upload_all(target, items, jobs, "raw backup", quiet)
    out.manifest = sync_manifest(target, raw / "manifest.jsonl", dry_run=False)
    return out


def sync_manifest(target: Target, path: Path, dry_run: bool) -> str:
    """Replace the remote manifest only when it is a prefix of the local one (append-only).

    A local manifest that does not extend the remote one (restored from an old copy?) is
    stored next to it under a dated name instead, so no remote row is ever lost.
    """
    if not path.is_file():
        return "missing"
    body = path.read_bytes()
    try:
        resp = target.client.get_object(Bucket=target.bucket, Key=target.key("manifest.jsonl"))
        remote = resp["Body"].read()
    except ClientError as exc:
        if not is_missing(exc):
            raise
        remote = None
    if remote == body:
        return "unchanged"
    sha = hashlib.sha256(body).hexdigest()
    if remote is None or body.startswith(remote):
        rel, state = "manifest.jsonl", "uploaded"
    else:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        rel = f"manifest.diverged-{stamp}-{sha[:8]}.jsonl"
        state = f"diverged:{target.key(rel)}"
    if not dry_run:
        put_file(target, rel, body, MANIFEST_HEADERS, sha)
        note_write()
    return state
