"""A planned, empty warehouse per project version: a fresh var/ starts from it, unplanned.

Planning a fresh warehouse (SQLMesh creates every model's table and view and records the
snapshots in its state) costs about 6 s of a coffee full build, on its critical path, and what
it makes depends only on the project: the model files, the commodities the project is
configured with, the landing tables' schemas, the landing root, and the SQLMesh and DuckDB
versions. So after planning a fresh var/ the transform keeps a copy of the warehouse as the
plan left it under BEANFLOWS_CACHE_DIR, named by the hash of all that, and the next fresh var/
of the same project starts from the copy and runs at once (like SQLMesh's own models/.cache,
or the drawing cache: derived, machine-level, safe to delete).

The copy holds no data: its tables are empty and SQLMesh's state records no interval as done,
so the run computes every number as it would after its own plan. Only full builds on the
DuckDB gateway use it (a `--source` build plans a selection; Spark keeps its tables elsewhere).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import time
from importlib.metadata import version
from pathlib import Path
from typing import Any

from beanflows import commodities, transform_state

WAREHOUSE = "warehouse.duckdb"  # models/config.py: relative to var/
KEEP = 4  # planned warehouses kept (one per project version: checkouts, branches)


def _folder() -> Path | None:
    root = os.environ.get("BEANFLOWS_CACHE_DIR")
    return Path(root) / "plans" if root else None


def key(models_dir: Path, var_dir: Path) -> str | None:
    """The hash of everything a plan of a fresh warehouse depends on; None when no planned
    warehouse can stand in (no cache folder, another gateway than DuckDB)."""
    if _folder() is None or (os.environ.get("BEANFLOWS_GATEWAY") or "local") != "local":
        return None
    h = hashlib.sha256()
    settings = {
        "sqlmesh": version("sqlmesh"),
        "duckdb": version("duckdb"),
        "landing_root": os.environ.get("BEANFLOWS_LANDING") or "landing",
        "commodities": commodities.sql_rows(commodities.load()),
        "psd_mass_units": commodities.PSD_MASS_UNITS,
    }
    h.update(json.dumps(settings, sort_keys=True).encode())
    h.update(transform_state.models_fingerprint(models_dir=models_dir).encode())
    # the schema files every landing table has (ingest.run.prepare_landing): the types the
    # plan's empty tables take from the raw views
    landing = var_dir / settings["landing_root"]
    for path in sorted(landing.glob("*/*/_empty.parquet")):
        h.update(b"\0landing\0" + path.relative_to(landing).as_posix().encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:32]


def fresh(var_dir: Path) -> bool:
    """No warehouse yet: the only case a planned copy may stand in for the plan."""
    return not any((var_dir / f"{WAREHOUSE}{suffix}").exists() for suffix in ("", ".wal"))


def restore(plan_key: str | None, var_dir: Path) -> bool:
    """Put the planned warehouse of `plan_key` in a fresh var/; True when there was one."""
    folder = _folder()
    if plan_key is None or folder is None or not fresh(var_dir):
        return False
    src = folder / f"{plan_key}.duckdb"
    tmp = var_dir / f".{WAREHOUSE}.{os.getpid()}.tmp"
    try:
        shutil.copyfile(src, tmp)
        os.replace(tmp, var_dir / WAREHOUSE)
        os.utime(src)  # still in use: pruning keeps it
    except OSError:  # none yet, or removed meanwhile: plan as usual
        tmp.unlink(missing_ok=True)
        return False
    return True


def save(ctx: Any, plan_key: str | None, var_dir: Path) -> None:  # ctx: sqlmesh Context
    """Keep the warehouse as the plan of a fresh var/ left it (before anything ran)."""
    folder = _folder()
    if plan_key is None or folder is None:
        return
    ctx.engine_adapter.execute("CHECKPOINT")  # everything in the file, nothing in the WAL
    dest = folder / f"{plan_key}.duckdb"
    tmp = folder / f".{plan_key}.{os.getpid()}.tmp"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(var_dir / WAREHOUSE, tmp)
        os.replace(tmp, dest)
    except OSError:  # a read-only cache: the next fresh var/ plans again
        tmp.unlink(missing_ok=True)
        return
    prune(folder)


def prune(folder: Path, now: float | None = None) -> None:
    """Keep the KEEP newest plans; drop copies a killed save left behind (`.*.tmp`, older
    than an hour: a younger one may be another build's save under way)."""
    kept = sorted(folder.glob("*.duckdb"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in kept[KEEP:]:
        old.unlink(missing_ok=True)
    stale = (now or time.time()) - 3600
    for tmp in folder.glob(".*.tmp"):
        with contextlib.suppress(OSError):  # gone meanwhile (another build pruned it)
            if tmp.stat().st_mtime < stale:
                tmp.unlink()
