"""A catalog.json that agrees with a hand-made dist (publish refuses one that does not)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path


def write_catalog(dist: Path, **extra: object) -> None:
    """data/catalog.json listing every data/{free,pro}/<name>.<parquet|csv> with size and hash."""
    datasets: dict[str, dict] = {}
    for path in sorted((dist / "data").glob("*/*")):
        tier, fmt = path.parent.name, path.suffix.lstrip(".")
        if tier in ("free", "pro") and fmt in ("parquet", "csv"):
            files = datasets.setdefault(path.stem, {"files": {}})["files"]
            files.setdefault(tier, {})[fmt] = {
                "path": path.relative_to(dist).as_posix(),
                "bytes": path.stat().st_size,
                "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
            }
    doc = {"catalog_version": 1, **extra, "datasets": datasets}
    (dist / "data" / "catalog.json").write_text(json.dumps(doc, sort_keys=True))
