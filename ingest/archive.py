"""The raw archive: every upstream file kept once, content-addressed, never modified.

Layout under the raw folder (default `var/raw`):
    objects/<sha256[:2]>/<sha256>   the bytes exactly as fetched or imported (read-only)
    manifest.jsonl                  one JSON row per stored file, append-only

Everything downstream can be rebuilt from this folder alone, so it is the one thing that must
never lose data: objects are written to a temporary name and renamed into place, manifest rows
are appended and fsynced, and nothing here ever deletes.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from beanflows import layout

MANIFEST = "manifest.jsonl"
REJECTED = "rejected.jsonl"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def object_path(raw_dir: Path, digest: str) -> Path:
    return raw_dir / "objects" / digest[:2] / digest


def load_manifest(raw_dir: Path, name: str = MANIFEST) -> list[dict[str, Any]]:
    """All manifest rows in the order they were stored (`name`: another JSON-lines log)."""
    path = raw_dir / name
    if not path.exists():
        return []
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            rows.append(json.loads(line))
        except ValueError:  # a row torn by a killed build (never acknowledged): redone later
            continue
    return rows


def read(raw_dir: Path, digest: str) -> bytes:
    data = object_path(raw_dir, digest).read_bytes()
    if sha256(data) != digest:  # bit rot or tampering: never feed it downstream
        raise OSError(f"raw object {digest} does not match its hash")
    return data


def _write_object(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.chmod(tmp, 0o444)
    os.replace(tmp, path)


def _append(path: Path, row: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("ab+") as fh:
        end = fh.seek(0, os.SEEK_END)
        torn = end > 0 and fh.seek(end - 1) >= 0 and fh.read(1) != b"\n"
        # after a torn last row (a killed build) the new row starts on a line of its own
        fh.write((("\n" if torn else "") + json.dumps(row, sort_keys=True) + "\n").encode())
        fh.flush()
        os.fsync(fh.fileno())


def store(
    raw_dir: Path, manifest: list[dict[str, Any]], data: bytes, **meta: Any
) -> tuple[dict[str, Any], bool]:
    """Store `data` once; return (manifest row, True if it was new).

    `meta` holds source, kind, name, url or import_path, fetched_at, etag, last_modified and
    release. Content already in the archive for the same source stores nothing new: the
    existing row is returned, so refetching an unchanged file is free.
    """
    digest = sha256(data)
    for row in manifest:
        if row["sha256"] == digest and row["source"] == meta["source"]:
            return row, False
    path = object_path(raw_dir, digest)
    if not path.exists():
        _write_object(path, data)
    row = {
        "sha256": digest,
        "bytes": len(data),
        "source": meta["source"],
        "kind": meta["kind"],
        "name": meta["name"],
        "url": meta.get("url"),
        "url_derived": bool(meta.get("url_derived")),
        "import_path": meta.get("import_path"),
        "fetched_at": meta.get("fetched_at"),
        "etag": meta.get("etag"),
        "last_modified": meta.get("last_modified"),
        "release": meta.get("release"),
    }
    _append(raw_dir / MANIFEST, row)
    manifest.append(row)
    return row, True


def reject(var_dir: Path, data: bytes, reason: str, **meta: Any) -> str:
    """Keep a refused file apart from good data, for diagnosis; return its hash.

    One row per file and source (the first refusal, with its reason): a bad file left in an
    import folder is refused again on every rebuild without growing the log.
    """
    digest = sha256(data)
    path = layout.rejected_dir(var_dir) / "objects" / digest[:2] / digest
    if not path.exists():
        _write_object(path, data)
    log = layout.rejected_dir(var_dir) / REJECTED
    for row in load_manifest(log.parent, REJECTED):  # same format, same torn-row tolerance
        if row.get("sha256") == digest and row.get("source") == meta.get("source"):
            return digest
    _append(log, {"sha256": digest, "reason": reason, **meta})
    return digest


def fetched_from(row: dict[str, Any]) -> str | None:
    """The URL a stored file was really fetched from; None for an imported file, whose `url`
    is the canonical upstream URL derived from its name (ingest.provenance), never fetched."""
    return None if row.get("url_derived") else row.get("url")


def latest_for_url(manifest: list[dict[str, Any]], url: str) -> dict[str, Any] | None:
    """The most recently stored row fetched from `url` (for conditional requests)."""
    for row in reversed(manifest):
        if fetched_from(row) == url:
            return row
    return None
