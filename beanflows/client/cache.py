"""The client's disk cache: files by sha256, catalogs by site, nothing else.

    <cache>/objects/<sha256>                 a published file, verified against the catalog
    <cache>/ranges/<sha256>/<start>-<len>    byte ranges of large files read in part
    <cache>/catalogs/<site key>/catalog.json  the last catalog of a site, with
    <cache>/catalogs/<site key>/validators.json  its ETag / Last-Modified for revalidation

Files are addressed by content, so a file unchanged between two builds (same sha256) is never
downloaded twice, and two sites (or tiers) publishing identical bytes share one copy. The
location is BEANFLOWS_DATA_CACHE, else the platform's user cache folder + "beanflows".
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any

CACHE_ENV = "BEANFLOWS_DATA_CACHE"


def cache_dir() -> Path:
    """Where the client caches (BEANFLOWS_DATA_CACHE, else the user cache folder)."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV]).expanduser()
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches"
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "beanflows"


def object_path(root: Path, sha256: str) -> Path:
    return root / "objects" / sha256


def ranges_path(root: Path, sha256: str) -> Path:
    return root / "ranges" / sha256


def _site_dir(root: Path, base_url: str) -> Path:
    return root / "catalogs" / hashlib.sha256(base_url.encode()).hexdigest()[:16]


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.part")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def load_catalog(root: Path, base_url: str) -> tuple[dict[str, Any] | None, dict[str, str]]:
    """(catalog, validators) last stored for base_url; (None, {}) when absent or unreadable."""
    site = _site_dir(root, base_url)
    try:
        catalog = json.loads((site / "catalog.json").read_bytes())
        validators = json.loads((site / "validators.json").read_bytes())
    except (OSError, ValueError):
        return None, {}
    return catalog, validators


def store_catalog(root: Path, base_url: str, body: bytes, validators: dict[str, str]) -> None:
    site = _site_dir(root, base_url)
    _write_atomic(site / "catalog.json", body)
    _write_atomic(site / "validators.json", json.dumps({**validators, "url": base_url}).encode())


def referenced(catalog: dict[str, Any]) -> set[str]:
    """sha256 of every file a catalog lists."""
    out = set()
    for meta in (catalog.get("datasets") or {}).values():
        for tier in (meta.get("files") or {}).values():
            for facts in (tier or {}).values():
                if facts.get("sha256"):
                    out.add(facts["sha256"])
    return out


def prune(root: Path | None = None) -> dict[str, int]:
    """Delete cached files no cached catalog lists any more; return {'files', 'bytes'} freed.

    Old versions pile up as builds publish new data; this keeps what the latest catalog of
    every site in the cache can still use (offline use keeps working).
    """
    root = root or cache_dir()
    keep: set[str] = set()
    for path in (root / "catalogs").glob("*/catalog.json"):
        try:
            keep |= referenced(json.loads(path.read_bytes()))
        except (OSError, ValueError):
            continue
    files = freed = 0
    for obj in (root / "objects").glob("*"):
        if obj.name not in keep:
            freed += obj.stat().st_size
            obj.unlink(missing_ok=True)
            files += 1
    for rng in (root / "ranges").glob("*"):
        if rng.name not in keep or object_path(root, rng.name).is_file():
            freed += sum(p.stat().st_size for p in rng.glob("*"))
            shutil.rmtree(rng, ignore_errors=True)
            files += 1
    return {"files": files, "bytes": freed}
