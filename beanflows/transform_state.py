"""What the transform has done, kept in VAR/state/transform.json, advanced only after success.

    fingerprint      what the last complete build (transform, export, render) read; null
                     when a later step failed, so the next build never mistakes a half-done
                     build for "no change"
    models           fingerprint of the model files of the last full plan
    partial_plans    --source selections planned since then
    landed           per source, the landed files the warehouse has taken in
                     ("<extract version>:<sha256>")
    pending_restate  ranges a crashed transform owes
    failed, gate     models that failed, and the audit gate (beanflows.gate)

Restatements are derived from `landed`: a landed file the warehouse has not taken in yet is
owed its periods (kept in each landing index entry), however the build that landed it ended.
"""

from __future__ import annotations

import hashlib
import json
import os
from datetime import date
from pathlib import Path
from typing import Any

from beanflows import layout


def path(var_dir: Path) -> Path:
    return layout.state_file(var_dir, "transform.json")


def load(var_dir: Path) -> dict[str, Any]:
    p = path(var_dir)
    return json.loads(p.read_text()) if p.exists() else {}


def save(var_dir: Path, state: dict[str, Any]) -> None:
    """Write atomically: a build killed while saving keeps the previous state."""
    p = path(var_dir)
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.with_name(".transform.json.tmp")
    tmp.write_text(json.dumps(state, indent=1, sort_keys=True))
    os.replace(tmp, p)


def _index(var_dir: Path, source: str) -> tuple[str, dict[str, Any]]:
    root = layout.landing_dir(var_dir, source)
    version = (root / "VERSION").read_text().strip() if (root / "VERSION").exists() else ""
    idx = root / "landed.json"
    return version, (json.loads(idx.read_text()) if idx.exists() else {})


def landed_keys(var_dir: Path, source: str) -> list[str]:
    version, index = _index(var_dir, source)
    return sorted(f"{version}:{digest}" for digest in index)


def owed(
    var_dir: Path, sources: list[str], previous: dict[str, Any]
) -> dict[tuple[str, str | None], tuple[date, date]]:
    """(source, landing table) -> (first, last) period of landed files the warehouse has not
    taken in yet; table None: an index entry that does not say which tables it wrote.

    Nothing is owed before the first transform: a new warehouse backfills everything.
    """
    if not previous:
        return {}
    done = {k for keys in previous.get("landed", {}).values() for k in keys}
    out: dict[tuple[str, str | None], tuple[date, date]] = {}
    for source in sources:
        version, index = _index(var_dir, source)
        for digest, entry in index.items():
            if f"{version}:{digest}" in done or not entry.get("periods"):
                continue
            lo, hi = (date.fromisoformat(d) for d in entry["periods"])
            counts = entry.get("tables")
            for table in [None] if counts is None else [t for t, n in counts.items() if n]:
                key = (source, table)
                first, last = out.get(key, (lo, hi))
                out[key] = (min(lo, first), max(hi, last))
    return out


def models_fingerprint(
    commodities_file: Path | None = None, models_dir: Path = layout.MODELS_DIR
) -> str:
    """Hash of the SQLMesh project files and the commodities it is configured with (the
    `commodities` variable): a change needs a plan."""
    h = hashlib.sha256()
    if commodities_file is not None:
        h.update(b"commodities|" + commodities_file.read_bytes())
    for p in sorted(models_dir.rglob("*")):
        if p.is_file() and not {".cache", "logs", "__pycache__"} & set(p.parts):
            h.update(p.relative_to(models_dir).as_posix().encode() + p.read_bytes())
    return h.hexdigest()


def inputs_fingerprint(var_dir: Path, sources: list[str], models: str, built: list[str]) -> str:
    """Hash of everything the transform reads: landed files, model files, sources built."""
    h = hashlib.sha256((models + "|" + ",".join(sorted(built))).encode())
    for s in sources:
        idx = layout.landing_dir(var_dir, s) / "landed.json"
        h.update(s.encode() + (idx.read_bytes() if idx.exists() else b"-"))
    return h.hexdigest()
