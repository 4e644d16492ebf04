"""What a publish has to do, computed without touching the network.

Pure functions over local files and listings: scanning DIST into a release manifest,
naming the release, deciding which objects need uploading, and which releases and objects
a prune may delete. Keeping them pure is what lets the tests check the rules directly.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from beanflows.publish.content import headers_for

CHUNK = 1 << 20
ID_TIME_FORMAT = "%Y%m%dT%H%M%SZ"


@dataclass(frozen=True)
class LocalFile:
    """One file of DIST: where it is, what it hashes to, how it is served."""

    path: str  # relative to DIST, forward slashes
    source: Path
    sha256: str
    size: int
    content_type: str
    cache_control: str
    content_encoding: str | None


@dataclass(frozen=True)
class RemoteObject:
    """One stored object from a listing (only what the decisions need)."""

    size: int
    last_modified: datetime


def hash_file(path: Path) -> tuple[str, int, bytes]:
    """sha256, size and the first bytes of a file, read once in 1 MiB chunks."""
    digest = hashlib.sha256()
    size = 0
    head = b""
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            if not head:
                head = chunk[:16]
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size, head


def scan_dist(dist: Path) -> list[LocalFile]:
    """Every regular file under DIST, sorted by path (symlinked folders are not followed)."""
    files = []
    for root, dirs, names in os.walk(dist):
        dirs.sort()
        for name in names:
            source = Path(root) / name
            if not source.is_file():
                continue
            rel = source.relative_to(dist).as_posix()
            sha, size, head = hash_file(source)
            files.append(LocalFile(rel, source, sha, size, **headers_for(rel, head)))
    return sorted(files, key=lambda f: f.path)


def object_key(sha256: str) -> str:
    """Key of a content-addressed object, relative to the prefix."""
    return f"objects/{sha256}"


def manifest_files(files: list[LocalFile]) -> dict[str, dict]:
    """The `files` member of a release manifest (the Worker reads exactly these fields)."""
    return {
        f.path: {
            "key": object_key(f.sha256),
            "sha256": f.sha256,
            "size": f.size,
            "content_type": f.content_type,
            "cache_control": f.cache_control,
            "content_encoding": f.content_encoding,
        }
        for f in files
    }


def canonical(data: object) -> bytes:
    """Stable JSON bytes: the same manifest always hashes the same."""
    return json.dumps(data, sort_keys=True, separators=(",", ":")).encode()


def release_id(files: dict[str, dict], now: datetime) -> str:
    """`<UTC timestamp>-<8 hex of the files' hash>`: sortable by time, tied to content."""
    digest = hashlib.sha256(canonical(files)).hexdigest()[:8]
    return f"{now.astimezone(UTC).strftime(ID_TIME_FORMAT)}-{digest}"


def release_time(rid: str) -> datetime | None:
    """When a release was created, read back from its id (None for a foreign name)."""
    try:
        return datetime.strptime(rid.split("-", 1)[0], ID_TIME_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return None


def release_stamp(now: datetime, existing: list[str]) -> datetime:
    """`now`, or one second after the newest existing release if that is not earlier.

    Release ids sort in publish order even for two publishes within one second or a
    publishing machine whose clock is behind: rollback and prune rely on that order.
    """
    now = now.astimezone(UTC).replace(microsecond=0)
    times = [t for t in map(release_time, existing) if t is not None]
    if times and max(times) >= now:
        return max(times) + timedelta(seconds=1)
    return now


def build_manifest(files: dict[str, dict], now: datetime, existing: list[str] = ()) -> dict:
    """A release manifest as stored under `releases/<id>.json`, newer than `existing`."""
    stamp = release_stamp(now, list(existing))
    return {
        "release": release_id(files, stamp),
        "created_at": stamp.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "files": files,
    }


def unique_objects(files: list[LocalFile]) -> dict[str, LocalFile]:
    """One local file per distinct sha256 (the first path wins the object's own headers)."""
    chosen: dict[str, LocalFile] = {}
    for f in files:
        chosen.setdefault(f.sha256, f)
    return chosen


def to_upload(
    files: list[LocalFile],
    remote: dict[str, RemoteObject],
    safe: set[str],
    now: datetime,
    grace: timedelta,
) -> list[LocalFile]:
    """The objects this publish must upload.

    An existing object is reused only when a prune cannot remove it before the pointer
    switch: it belongs to the live release or its predecessor (`safe`, never pruned while
    the pointer is unchanged), or it was written less than half the grace period ago (a
    killed run's uploads). Anything else is uploaded again, which also renews its age.
    """
    needed = []
    for sha, f in unique_objects(files).items():
        have = remote.get(sha)
        fresh = have is not None and now - have.last_modified < grace / 2
        if have is not None and have.size == f.size and (sha in safe or fresh):
            continue
        needed.append(f)
    return needed


def referenced(manifests: list[dict]) -> set[str]:
    """sha256 of every object the given release manifests point at."""
    return {entry["sha256"] for m in manifests for entry in m.get("files", {}).values()}


def releases_to_keep(
    release_ids: list[str],
    live: str | None,
    previous: str | None,
    keep: int,
    now: datetime,
    grace: timedelta,
) -> set[str]:
    """Releases a prune must keep.

    The newest `keep` releases, the live one and its predecessor (what --rollback needs),
    and any release that was superseded less than `grace` ago: a reader that fetched the
    pointer just before a switch may still be reading that release's files.
    """
    ordered = sorted(release_ids)
    kept = set(ordered[-keep:]) if keep > 0 else set()
    kept |= {r for r in (live, previous) if r}
    for older, newer in zip(ordered, ordered[1:], strict=False):
        superseded = release_time(newer)
        if superseded is None or now - superseded < grace:
            kept.add(older)
    return kept & set(ordered) | ({live} if live else set())


def prunable_objects(
    remote: dict[str, RemoteObject], keep_refs: set[str], now: datetime, grace: timedelta
) -> list[str]:
    """Objects no kept release references and older than the grace period."""
    return sorted(
        sha
        for sha, obj in remote.items()
        if sha not in keep_refs and now - obj.last_modified >= grace
    )
