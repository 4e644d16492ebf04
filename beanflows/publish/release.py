"""Site releases on the bucket: publish, rollback and prune.

Order is what makes a release atomic: every object first, then the immutable release
manifest (If-None-Match: *), then one conditional write of the small pointer `live.json`
(If-Match: the ETag read at the start). A run killed anywhere before that last write
leaves the old release live; two runs racing for the pointer cannot both win.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from beanflows.publish import plan
from beanflows.publish.content import IMMUTABLE
from beanflows.publish.r2 import (
    POINTER_KEY,
    PointerConflict,
    PublishError,
    Target,
    delete_keys,
    get_json,
    list_objects,
    put_json,
    put_pointer,
)
from beanflows.publish.upload import Upload, hold_before_switch, note_write, upload_all
from beanflows.publish.verify import verify_dist

SHA = re.compile(r"^[0-9a-f]{64}$")


@dataclass
class Outcome:
    """What a run did, for the summary line and for tests."""

    release: str | None = None
    previous: str | None = None
    files: int = 0
    objects: int = 0
    uploaded: int = 0
    uploaded_bytes: int = 0
    changed: bool = False
    dry_run: bool = False
    pruned_releases: list[str] = field(default_factory=list)
    pruned_objects: int = 0


def manifest_rel(rid: str) -> str:
    return f"releases/{rid}.json"


def remote_objects(target: Target) -> dict[str, plan.RemoteObject]:
    """Content-addressed objects by sha256 (anything else under objects/ is ignored)."""
    return {k: v for k, v in list_objects(target, "objects/").items() if SHA.match(k)}


def release_ids(target: Target) -> list[str]:
    names = list_objects(target, "releases/")
    return sorted(n[: -len(".json")] for n in names if n.endswith(".json") and "/" not in n)


def load_manifest(target: Target, rid: str | None) -> dict | None:
    if not rid:
        return None
    manifest, _ = get_json(target, manifest_rel(rid))
    return manifest


def publish(
    target: Target,
    dist: Path,
    *,
    dry_run: bool = False,
    keep: int = 5,
    grace: timedelta = timedelta(hours=48),
    jobs: int = 8,
    quiet: bool = True,
    now: datetime | None = None,
    before_switch: Callable[[], None] | None = None,
) -> Outcome:
    """Publish DIST as a new release unless it equals the live one; then prune."""
    now = now or datetime.now(UTC)
    files = plan.scan_dist(dist)
    if not files:
        raise PublishError(f"{dist} has no files: refusing to publish an empty site")
    verify_dist(dist, files)  # before any request: a refused DIST leaves the bucket untouched
    out = Outcome(files=len(files), dry_run=dry_run)
    mfiles = plan.manifest_files(files)
    out.objects = len(plan.unique_objects(files))

    pointer, etag = get_json(target, POINTER_KEY)
    live_id = pointer.get("release") if pointer else None
    live = load_manifest(target, live_id)
    if pointer and live is None:
        raise PublishError(f"{target.key(POINTER_KEY)} points at a missing release {live_id}")
    if live is not None and live.get("files") == mfiles:
        out.release, out.previous = live_id, pointer.get("previous")
        if not dry_run:
            out.pruned_releases, out.pruned_objects = prune(target, keep, grace, now)
        return out

    previous = load_manifest(target, pointer.get("previous")) if pointer else None
    safe = plan.referenced([m for m in (live, previous) if m])
    needed = plan.to_upload(files, remote_objects(target), safe, now, grace)
    manifest = plan.build_manifest(mfiles, now, release_ids(target))
    out.release, out.previous, out.changed = manifest["release"], live_id, True
    out.uploaded = len(needed)
    out.uploaded_bytes = sum(f.size for f in needed)
    if dry_run:
        return out

    items = [
        Upload(plan.object_key(f.sha256), f.source, f.sha256, f.size, headers(f)) for f in needed
    ]
    out.uploaded_bytes = upload_all(target, items, jobs, "uploading", quiet)
    write_manifest(target, manifest)
    (before_switch or hold_before_switch)()
    new_pointer = {
        "release": manifest["release"],
        "manifest": manifest_rel(manifest["release"]),
        "previous": live_id,
    }
    try:
        put_pointer(target, new_pointer, etag)
    except PointerConflict as exc:
        raise PointerConflict(
            f"another publish or rollback switched {target.key(POINTER_KEY)} while this one ran; "
            f"release {manifest['release']} was uploaded but is NOT live. Check what is live, "
            "then rerun publish if this build should win."
        ) from exc
    out.pruned_releases, out.pruned_objects = prune(target, keep, grace, now)
    return out


def headers(f: plan.LocalFile) -> dict:
    return {
        "content_type": f.content_type,
        "cache_control": f.cache_control,
        "content_encoding": f.content_encoding,
    }


def write_manifest(target: Target, manifest: dict) -> None:
    """Create the immutable manifest; an identical one already there is fine (a rerun)."""
    rel = manifest_rel(manifest["release"])
    try:
        put_json(target, rel, manifest, IMMUTABLE, if_none_match=True)
    except PointerConflict as exc:
        existing, _ = get_json(target, rel)
        if not existing or existing.get("files") != manifest["files"]:
            raise PointerConflict(
                f"{target.key(rel)} already exists with other content (a concurrent publish?)"
            ) from exc
        return
    note_write()


def rollback(target: Target, to: str | None = None, dry_run: bool = False) -> Outcome:
    """Make the previous release (or `to`) live again, with the same conditional switch."""
    pointer, etag = get_json(target, POINTER_KEY)
    if not pointer:
        raise PublishError(f"nothing is live: {target.key(POINTER_KEY)} does not exist")
    current = pointer.get("release")
    wanted = to or pointer.get("previous")
    if not wanted:
        raise PublishError(f"live release {current} has no previous release to roll back to")
    if wanted == current:
        raise PublishError(f"{wanted} is already live")
    manifest = load_manifest(target, wanted)
    if manifest is None:
        raise PublishError(f"release {wanted} no longer exists (pruned?)")
    have = remote_objects(target)
    missing = sorted({e["sha256"] for e in manifest["files"].values()} - set(have))
    if missing:
        raise PublishError(
            f"release {wanted} lacks {len(missing)} objects (pruned?); not switching"
        )
    older = [r for r in release_ids(target) if r < wanted]
    out = Outcome(release=wanted, previous=older[-1] if older else None, dry_run=dry_run)
    out.files, out.changed = len(manifest["files"]), True
    if dry_run:
        return out
    new_pointer = {"release": wanted, "manifest": manifest_rel(wanted), "previous": out.previous}
    try:
        put_pointer(target, new_pointer, etag)
    except PointerConflict as exc:
        raise PointerConflict(
            f"{target.key(POINTER_KEY)} changed while rolling back; nothing switched, look again"
        ) from exc
    return out


def prune(
    target: Target, keep: int, grace: timedelta, now: datetime, dry_run: bool = False
) -> tuple[list[str], int]:
    """Delete releases beyond the kept ones, then objects no kept release references.

    Runs only where a pointer exists (so never before a first switch); an object younger
    than the grace period is never deleted, which protects uploads of a run still going.
    """
    pointer, _ = get_json(target, POINTER_KEY)
    if not pointer:
        return [], 0
    ids = release_ids(target)
    kept = plan.releases_to_keep(
        ids, pointer.get("release"), pointer.get("previous"), keep, now, grace
    )
    manifests = []
    for rid in sorted(kept):
        manifest = load_manifest(target, rid)
        if manifest is None:
            if rid == pointer.get("release"):
                raise PublishError(f"live release {rid} has no manifest; not pruning")
            continue
        manifests.append(manifest)
    dropped = [r for r in ids if r not in kept]
    refs = plan.referenced(manifests)
    doomed = plan.prunable_objects(remote_objects(target), refs, now, grace)
    if not dry_run:
        delete_keys(target, [manifest_rel(r) for r in dropped])
        delete_keys(target, [plan.object_key(sha) for sha in doomed])
    return dropped, len(doomed)
