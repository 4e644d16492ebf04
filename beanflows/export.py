"""Export the serving models as the published datasets and write catalog.json.

Each dataset is written as Parquet and CSV twice: `pro/` (full history) and `free/` (the most
recent N years of its time column). Rows are sorted by the dataset's grain and written by DuckDB
from the warehouse opened read-only, so the same warehouse always gives the same bytes.
A dataset whose source failed this build is not touched: its last good files stay and the
catalog marks it stale, with since when and why.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import duckdb

from beanflows import export_lineage, layout
from beanflows.errors import checkpoint
from ingest import provenance

DEMO_LABEL = "DEMO DATA (invented numbers from the project's fixtures, not real markets):"
UNIT = re.compile(r"\s*\[([^\]]+)\]\s*$")


def split_unit(text: str) -> tuple[str, str | None]:
    """'Value [1000 60 kg bags]' -> ('Value', '1000 60 kg bags')."""
    m = UNIT.search(text or "")
    return (text[: m.start()].strip(), m.group(1).strip()) if m else ((text or "").strip(), None)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _quote(ident: str) -> str:
    return '"' + ident.replace('"', '""') + '"'


def _write(con: duckdb.DuckDBPyConnection, query: str, base: Path, demo: bool) -> dict[str, Any]:
    """Write query results to base.parquet and base.csv atomically; return file facts."""
    base.parent.mkdir(parents=True, exist_ok=True)
    facts: dict[str, Any] = {}
    kv = ", KV_METADATA {beanflows_demo: 'true'}" if demo else ""
    options = {
        "parquet": f"FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 100000{kv}",
        "csv": "FORMAT csv, HEADER true",
    }
    for fmt, opts in options.items():
        final = base.with_suffix(f".{fmt}")
        tmp = final.with_name(f".{final.name}.tmp")
        rows = con.execute(f"COPY ({query}) TO '{tmp.as_posix()}' ({opts})").fetchone()[0]
        os.replace(tmp, final)
        facts[fmt] = {"rows": rows, "bytes": final.stat().st_size, "sha256": _sha256(final)}
    if facts["parquet"]["rows"] != facts["csv"]["rows"]:  # same query twice: must agree
        raise duckdb.Error(f"{base.name}: parquet and csv row counts differ")
    return facts


KEYS_STATE = "export-keys.json"  # VAR/state: dataset -> {"key", "files"} of its last export


def content_key(
    con: duckdb.DuckDBPyConnection,
    spec: dict[str, Any],
    meta: dict[str, Any],
    models: dict[str, Any],
    raw_files: dict[str, list[dict[str, Any]]],
    demo: bool,
) -> str:
    """A fingerprint of everything a dataset's files and catalog entry are made from: its
    rows (count and the sum of 64-bit row hashes, one scan, no copy), its spec and model
    metadata, its lineage's models, the manifest rows of its sources and their source.toml,
    the demo flag, and the DuckDB version and export code that write the bytes.

    Same key, same bytes: a nightly that only took in a COT week does not rewrite the
    2-million-row balance of 40 commodities (2 x Parquet + 2 x CSV) to get the same files.
    """
    model = ".".join(_quote(p) for p in spec["model"].split("."))
    rows, hashed = con.execute(
        f"SELECT count(*), sum(hash(t)::HUGEINT) FROM {model} AS t"
    ).fetchone()
    types = con.execute(f"DESCRIBE SELECT * FROM {model}").fetchall()  # 1::INT hashes as 1::BIGINT
    lineage = export_lineage.models(spec["model"], models)
    h = hashlib.sha256()
    for source in spec["sources"]:
        toml = layout.INGEST_DIR / source / "source.toml"
        h.update(toml.read_bytes() if toml.is_file() else b"")
    for code in (Path(__file__), Path(export_lineage.__file__), Path(provenance.__file__)):
        h.update(code.read_bytes())
    manifest = {s: raw_files.get(s, []) for s in spec["sources"]}
    facts = [rows, str(hashed), types, spec, meta, {m: models[m] for m in lineage}, manifest, demo]
    facts.append(duckdb.__version__)
    h.update(json.dumps(facts, sort_keys=True, default=str).encode())
    return h.hexdigest()


def _unchanged(
    prev: dict[str, Any] | None, stored: dict[str, Any] | None, key: str, out_dir: Path
) -> bool:
    """The published entry was exported from exactly this content (same key, and the files the
    catalog lists are the ones that export wrote: a build that died between export and
    catalog does not count) and its files are still in place."""
    return (
        bool(prev and stored)
        and stored.get("key") == key
        and stored.get("files") == prev.get("files")
        and _still_published(prev, out_dir)
    )


EXPORT_THREADS = 2  # datasets written at once (DuckDB works outside the GIL; 2 cores)


def export_datasets(
    var_dir: Path,
    out_dir: Path,
    fresh: set[str],
    stale_reasons: dict[str, str],
    raw_files: dict[str, list[dict[str, Any]]],
    demo: bool,
    now: str,
    untouched: set[str] = frozenset(),
    reuse: bool = False,
) -> dict[str, Any]:
    """Write every fresh dataset; carry stale ones over from the previous catalog.

    `untouched` datasets belong to sources outside this build and keep their previous entry.
    `reuse` (the warehouse did not change) keeps fresh entries whose files are still in place.

    Fresh datasets are written two at a time, each on its own cursor of the read-only
    warehouse: most of a small dataset's export is waiting on DuckDB and the file system, not
    on Python (coffee: 25 datasets, 2.0 s one at a time, 1.5 s two at a time).
    """
    previous = _previous(out_dir).get("datasets", {})
    models_file = layout.state_file(var_dir, "models.json")  # absent if SQLMesh never got that far
    models = json.loads(models_file.read_text()) if models_file.exists() else {}
    warehouse = layout.warehouse_file(var_dir)
    # Files are written from a sorted copy in scan order (_export_one): keep that order.
    con = (
        duckdb.connect(str(warehouse), read_only=True, config={"preserve_insertion_order": True})
        if warehouse.exists()
        else None
    )
    keys_file = layout.state_file(var_dir, KEYS_STATE)
    stored = json.loads(keys_file.read_text()) if keys_file.exists() else {}
    keys: dict[str, Any] = {}
    out: dict[str, Any] = {}
    todo: list[str] = []
    cursors: dict[int, duckdb.DuckDBPyConnection] = {}
    lock = threading.Lock()

    def cursor() -> duckdb.DuckDBPyConnection:  # one per export thread
        with lock:
            if threading.get_ident() not in cursors:
                cursors[threading.get_ident()] = con.cursor()
            return cursors[threading.get_ident()]

    specs = layout.dataset_specs()

    def one(name: str) -> tuple[dict[str, Any], dict[str, Any] | None]:
        return _export_fresh(
            cursor(), name, specs[name], models, previous.get(name), stored.get(name), out_dir,
            raw_files, demo, now, reuse,
        )  # fmt: skip

    try:
        for name, spec in specs.items():
            prev = previous.get(name)
            if name in untouched:  # not part of this build (--source): leave as published
                if prev:
                    out[name] = prev
            elif name not in fresh or con is None:
                reason = stale_reasons.get(name, "not built")
                out[name] = _stale_entry(name, spec, prev, reason, now)
            else:
                out[name] = {}  # keeps the catalog in the specs' order
                todo.append(name)
        pool = ThreadPoolExecutor(EXPORT_THREADS, thread_name_prefix="export")
        try:
            for name, (entry, key) in zip(todo, pool.map(one, todo), strict=True):
                out[name] = entry
                if key is not None:
                    keys[name] = key
        finally:  # a broken output folder stops the export: nothing more is started
            pool.shutdown(cancel_futures=True)
    finally:
        for cur in cursors.values():
            cur.close()
        if con is not None:
            con.close()
        keys_file.parent.mkdir(parents=True, exist_ok=True)
        tmp = keys_file.with_name(f".{keys_file.name}.tmp")
        tmp.write_text(json.dumps({**stored, **keys}, indent=1, sort_keys=True) + "\n")
        os.replace(tmp, keys_file)
    return out


def _export_fresh(
    con: duckdb.DuckDBPyConnection,
    name: str,
    spec: dict[str, Any],
    models: dict[str, Any],
    prev: dict[str, Any] | None,
    stored: dict[str, Any] | None,
    out_dir: Path,
    raw_files: dict[str, list[dict[str, Any]]],
    demo: bool,
    now: str,
    reuse: bool,
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """(catalog entry, export key record or None) of one dataset this build refreshes: its
    published files when their content is unchanged, new files, or a stale entry when its
    model cannot be read (a broken output folder raises)."""
    checkpoint("export")
    if reuse and _still_published(prev, out_dir):
        return prev, stored  # warehouse unchanged since prev was written: same bytes
    meta = models.get(spec["model"], {})
    try:
        key = content_key(con, spec, meta, models, raw_files, demo)
        if _unchanged(prev, stored, key, out_dir):
            return prev, stored  # the same rows and facts: the same bytes
        entry = _export_one(con, name, spec, meta, models, out_dir / "data", raw_files, demo)
    except (duckdb.IOException, duckdb.PermissionException):
        raise  # the output folder itself is broken: stop with one clear line
    except duckdb.Error as exc:  # e.g. its model was never built: freeze, don't crash
        reason = f"export failed: {str(exc).splitlines()[0]}"
        return _stale_entry(name, spec, prev, reason, now), None
    same = prev and prev.get("files") == entry["files"]
    entry["updated_at"] = prev.get("updated_at", now) if same else now
    return entry, {"key": key, "files": entry["files"]}


def _still_published(prev: dict[str, Any] | None, out_dir: Path) -> bool:
    """A fresh previous entry whose files all exist with the recorded sizes."""
    if not prev or prev.get("status") not in ("ok", "late", "fresh") or not prev.get("files"):
        return False
    for fmts in prev["files"].values():
        for facts in (fmts or {}).values():
            path = out_dir / facts["path"]
            if not path.is_file() or path.stat().st_size != facts["bytes"]:
                return False
    return True


def _previous(out_dir: Path) -> dict[str, Any]:
    path = out_dir / "data" / "catalog.json"
    return json.loads(path.read_text()) if path.exists() else {}


def _stale_entry(
    name: str, spec: dict[str, Any], prev: dict[str, Any] | None, reason: str, now: str
) -> dict[str, Any]:
    entry = dict(prev) if prev else {"description": "", "columns": [], "files": None}
    entry.update(
        source=spec["sources"][0],
        sources=spec["sources"],
        status="stale",
        stale_reason=reason,
        stale_since=(prev or {}).get("stale_since") or now,
    )
    entry.setdefault("updated_at", None)
    return entry


def _export_one(
    con: duckdb.DuckDBPyConnection,
    name: str,
    spec: dict[str, Any],
    meta: dict[str, Any],
    models: dict[str, Any],
    data_dir: Path,
    raw_files: dict[str, list[dict[str, Any]]],
    demo: bool,
) -> dict[str, Any]:
    model = ".".join(_quote(p) for p in spec["model"].split("."))
    # Read the model once, sorted once: a serving view would otherwise be computed and sorted
    # again for every file and fact below (four files: 1.9 M rows each at 40 commodities).
    # Scans of the copy keep its order (preserve_insertion_order, set where `con` is opened),
    # so each file is written in the published order without sorting again. The copy lives
    # in memory, not in the warehouse.
    order = ", ".join(_quote(c) for c in spec["order_by"])
    con.execute(f"CREATE OR REPLACE TEMP TABLE _dataset AS SELECT * FROM {model} ORDER BY {order}")
    relation = "_dataset"
    described = con.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()
    types = {row[0]: row[1] for row in described}
    pro_query = f"SELECT * FROM {relation}"
    files: dict[str, Any] = {"pro": _write(con, pro_query, data_dir / "pro" / name, demo)}
    tcol = spec.get("time_column")
    if spec.get("free_years") and tcol:
        years = int(spec["free_years"])
        t = _quote(tcol)
        if types[tcol].startswith(("INT", "BIGINT", "SMALLINT", "HUGEINT")):
            cut = f"(SELECT MAX({t}) FROM {relation}) - {years}"
        else:
            cut = f"(SELECT MAX({t}) FROM {relation}) - INTERVAL {years} YEAR"
        free_where = f"{t} > {cut}"
        free_query = f"SELECT * FROM {relation} WHERE {free_where}"
        files["free"] = _write(con, free_query, data_dir / "free" / name, demo)
        free_window = f"most recent {years} years of {tcol}"
    else:
        files["free"] = None
        free_window = free_where = None
    for tier, fmts in files.items():
        for fmt, facts in (fmts or {}).items():
            facts["path"] = f"data/{tier}/{name}.{fmt}"
    columns = []
    for col, ctype in types.items():
        meaning, unit = split_unit(meta.get("columns", {}).get(col, ""))
        columns.append({"name": col, "type": ctype, "unit": unit, "description": meaning})
    as_of = (
        con.execute(f"SELECT CAST(MAX({_quote(tcol)}) AS VARCHAR) FROM {relation}").fetchone()[0]
        if tcol
        else None
    )
    releases: list[str] = []
    if "release" in types:
        releases = [
            r[0]
            for r in con.execute(
                f"SELECT DISTINCT CAST(release AS VARCHAR) FROM {relation} ORDER BY 1"
            ).fetchall()
        ]
    lineage = export_lineage.models(spec["model"], models)
    description = spec.get("description") or meta.get("description", "")
    if demo:
        description = f"{DEMO_LABEL} {description}"
    return {
        "description": description,
        "source": spec["sources"][0],
        "sources": spec["sources"],
        "family": spec["family"],
        "model": spec["model"],
        "grain": spec["order_by"],
        "time_column": tcol,
        "free_window": free_window,
        "columns": columns,
        "files": files,
        "releases": releases,
        "as_of": as_of,
        "status": "ok",  # or late: set with the sources' freshness (beanflows.catalog)
        "stale_since": None,
        "stale_reason": None,
        "lineage": lineage,
        "audits": sorted({a for m in lineage for a in models[m]["audits"]}),
        "raw_files": export_lineage.raw_files(
            con, relation, types, free_where, spec["sources"], raw_files
        ),
    }


def write_catalog(out_dir: Path, catalog: dict[str, Any]) -> bool:
    """Write catalog.json only if its content changed (keeps rebuilds byte-identical)."""
    path = out_dir / "data" / "catalog.json"
    previous = _previous(out_dir)
    if previous and _without_time(previous) == _without_time(catalog):
        catalog["built_at"] = previous.get("built_at", catalog["built_at"])
        for name, entry in catalog.get("sources", {}).items():
            entry["last_success"] = previous["sources"][name].get("last_success")
    text = json.dumps(catalog, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return False
    tmp = path.with_name(".catalog.json.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return True


def _without_time(catalog: dict[str, Any]) -> dict[str, Any]:
    """The catalog without per-run times: a night that changed nothing else rewrites nothing
    (no upload), and `last_success` then keeps its value (runs.jsonl has every run)."""
    sources = {
        name: {k: v for k, v in entry.items() if k != "last_success"}
        for name, entry in catalog.get("sources", {}).items()
    }
    return {k: v for k, v in catalog.items() if k != "built_at"} | {"sources": sources}
