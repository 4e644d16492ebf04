"""Publish ships exactly what the build made: DIST is checked against its own catalog.

`catalog.json` lists every data file with its size and sha256. A file edited, truncated or
swapped after the build (a one-byte edit once went live while the catalog still listed the
old hash), a listed file that is missing, a dataset-shaped file the catalog does not list, or
an internal state file (a dot file) in DIST: each makes publish refuse the whole DIST before
anything is uploaded, so the live release and its pointer stay as they are. Pure: it reads
the hashes `plan.scan_dist` already computed, no second pass over the files.
"""

from __future__ import annotations

import json
from pathlib import Path

from beanflows.publish.plan import LocalFile
from beanflows.publish.r2 import PublishError

CATALOG = "data/catalog.json"
DATA_PREFIXES = ("data/free/", "data/pro/")
DATA_SUFFIXES = (".parquet", ".csv")
SHOWN = 5  # problems listed in the error; the count says how many more


def listed_files(catalog: dict) -> dict[str, dict]:
    """path -> {"bytes", "sha256"} of every data file the catalog lists."""
    out = {}
    for name, ds in sorted((catalog.get("datasets") or {}).items()):
        for tier, fmts in sorted((ds.get("files") or {}).items()):
            for fmt, facts in sorted((fmts or {}).items()):
                path = facts.get("path") or f"data/{tier}/{name}.{fmt}"
                out[path] = facts
    return out


def problems(dist: Path, files: list[LocalFile]) -> list[str]:
    """Every way DIST disagrees with its catalog (empty when it may be published)."""
    found = {f.path: f for f in files}
    out = [
        f"{f.path}: internal file (a dot file) must not be published"
        for f in files
        if any(p.startswith(".") and p != ".well-known" for p in f.path.split("/"))
    ]
    has_data = any(p.startswith(DATA_PREFIXES) for p in found)
    if CATALOG not in found:
        return out + ([f"{CATALOG} is missing but DIST has data files"] if has_data else [])
    try:
        catalog = json.loads((dist / CATALOG).read_bytes())
    except (OSError, ValueError) as exc:
        return [*out, f"{CATALOG} is not readable JSON ({exc})"]
    listed = listed_files(catalog if isinstance(catalog, dict) else {})
    for path, facts in listed.items():
        f = found.get(path)
        if f is None:
            out.append(f"{path}: listed in the catalog but missing")
        elif f.size != facts.get("bytes"):
            out.append(f"{path}: {f.size} bytes, the catalog says {facts.get('bytes')}")
        elif f.sha256 != facts.get("sha256"):
            out.append(f"{path}: sha256 {f.sha256[:12]}…, the catalog says "
                       f"{str(facts.get('sha256'))[:12]}…")  # fmt: skip
    for path in sorted(found):
        if path.startswith(DATA_PREFIXES) and path.endswith(DATA_SUFFIXES) and path not in listed:
            out.append(f"{path}: a data file the catalog does not list")
    return out


def verify_dist(dist: Path, files: list[LocalFile]) -> None:
    """Raise PublishError (one line) when DIST disagrees with its catalog."""
    found = problems(dist, files)
    if found:
        more = f"; and {len(found) - SHOWN} more" if len(found) > SHOWN else ""
        raise PublishError(
            f"refusing to publish {dist}: it disagrees with its catalog, nothing was uploaded "
            f"and the live release is unchanged: {'; '.join(found[:SHOWN])}{more}. Rebuild "
            "(beanflows build) instead of editing DIST."
        )
