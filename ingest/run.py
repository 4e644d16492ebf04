"""Run the ingest step of one source: fetch or import, sniff, parse, archive, land.

A file goes through the same path whether it was fetched (httpx) or imported (--raw-from):
sniff the content, parse it with the source's extractor, and only then store it in the raw
archive and write its landing Parquet. A file that fails is kept apart (var/rejected) with the
reason and never reaches the warehouse; the source is marked failed for this build while its
other files, and every other source, go on.
"""

from __future__ import annotations

import functools
import importlib
import json
import shutil
import tomllib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ingest import archive, http, sniff
from ingest.errors import NotPublishedYet, SourceError

INGEST_DIR = Path(__file__).parent


@dataclass
class SourceResult:
    """What happened to one source in this build (feeds the summary and the catalog)."""

    source: str
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    files_new: int = 0
    files_unchanged: int = 0
    rows_landed: int = 0
    periods: list[date] = field(default_factory=list)  # min/max _period of newly landed rows

    @property
    def ok(self) -> bool:
        return not self.errors


def source_names() -> list[str]:
    """Every source: a folder of ingest/ with a source.toml."""
    return sorted(p.parent.name for p in INGEST_DIR.glob("*/source.toml"))


def load_source(name: str) -> tuple[ModuleType, dict[str, Any]]:
    mod = importlib.import_module(f"ingest.{name}")
    with (INGEST_DIR / name / "source.toml").open("rb") as fh:
        return mod, tomllib.load(fh)


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _landing_dir(var_dir: Path, source: str) -> Path:
    return var_dir / "landing" / source


def _write_parquet(table: pa.Table, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    pq.write_table(table, tmp, compression="zstd")
    tmp.replace(path)


def prepare_landing(var_dir: Path, mod: ModuleType) -> dict[str, Any]:
    """Make the landing folder current for this extractor version; return the landed index.

    When the extractor version changes, landing is rebuilt from the raw archive (landing is
    derived data; the archive is the truth). Every landing table gets an empty schema file so
    SQL globs always match.
    """
    root = _landing_dir(var_dir, mod.SOURCE)
    version_file = root / "VERSION"
    if root.exists() and (
        not version_file.exists() or version_file.read_text().strip() != mod.EXTRACT_VERSION
    ):
        shutil.rmtree(root)
    root.mkdir(parents=True, exist_ok=True)
    version_file.write_text(mod.EXTRACT_VERSION + "\n")
    for table, schema in mod.LANDING.items():
        empty = root / table / "_empty.parquet"
        if not empty.exists():
            _write_parquet(pa.table([pa.nulls(0, f.type) for f in schema], schema=schema), empty)
    index_file = root / "landed.json"
    return json.loads(index_file.read_text()) if index_file.exists() else {}


def _save_index(var_dir: Path, source: str, index: dict[str, Any]) -> None:
    path = _landing_dir(var_dir, source) / "landed.json"
    path.write_text(json.dumps(index, indent=1, sort_keys=True) + "\n")


def _land(
    var_dir: Path,
    mod: ModuleType,
    digest: str,
    release: str,
    kind: str,
    tables: dict[str, pa.Table],
    res: SourceResult,
) -> dict[str, Any]:
    """Write one raw file's landing tables; return its landed-index entry.

    The entry keeps the [first, last] `_period` of the rows this file adds or changes, so a
    build that stops before its transform finishes still owes (and later restates) them.
    """
    counts, periods = {}, []
    for name, table in tables.items():
        folder = _landing_dir(var_dir, mod.SOURCE) / name
        if table.num_rows and "_period" in table.column_names:
            periods += _new_periods(folder, table, digest)
        _write_parquet(table, folder / f"{digest}.parquet")
        counts[name] = table.num_rows
        res.rows_landed += table.num_rows
    res.periods += periods
    entry: dict[str, Any] = {"kind": kind, "release": release, "tables": counts}
    if periods:
        entry["periods"] = [min(periods).isoformat(), max(periods).isoformat()]
    return entry


LINEAGE = ("_raw_sha256", "_release", "_line")


@functools.cache
def _scratch():  # noqa: ANN202 - duckdb is imported only when something new arrives
    """One in-memory DuckDB for the process: opening a connection costs ~20 ms."""
    import duckdb

    return duckdb.connect()


def _new_periods(folder: Path, table: pa.Table, digest: str) -> list[date]:
    """[min, max] of `_period` over rows whose content is not landed yet (or [] if none).

    A re-delivered year-to-date file repeats every earlier week: only the weeks it adds or
    corrects must be restated, so that a nightly build touches only those intervals. The
    file's own landing (left by a build killed before it saved its index) is not "landed yet".
    """
    existing = [
        str(p) for p in sorted(folder.glob("*.parquet")) if p.stem not in ("_empty", digest)
    ]
    if not existing:
        bounds = pc.min_max(table["_period"]).as_py()
        return [bounds["min"], bounds["max"]]
    cols = ", ".join(f'"{c}"' for c in table.column_names if c not in LINEAGE)
    con = _scratch()
    con.register("incoming", table)
    try:
        lo, hi = con.execute(
            f"SELECT MIN(_period), MAX(_period) FROM (SELECT {cols} FROM incoming "
            f"EXCEPT SELECT {cols} FROM read_parquet(?, union_by_name = true))",
            [existing],
        ).fetchone()
    finally:
        con.unregister("incoming")
    return [lo, hi] if lo is not None else []


def take_file(
    var_dir: Path,
    mod: ModuleType,
    manifest: list[dict[str, Any]],
    index: dict[str, Any],
    res: SourceResult,
    data: bytes,
    kind: str,
    name: str,
    **meta: Any,
) -> None:
    """Sniff, parse, archive and land one upstream file (fetched or imported)."""
    raw_dir = var_dir / "raw"
    where = meta.get("url") or meta.get("import_path") or name
    digest = archive.sha256(data)
    known = next((r for r in manifest if r["sha256"] == digest and r["source"] == mod.SOURCE), None)
    if known and digest in index:
        res.files_unchanged += 1
        return
    try:
        sniff.check(mod.SOURCE, where, data, mod.FORMATS[kind])
        release, tables = mod.extract(kind, data, name, digest)
    except SourceError as exc:
        archive.reject(var_dir, data, str(exc), source=mod.SOURCE, name=name, at=_now(), **meta)
        res.errors.append(str(exc) if where in str(exc) else f"{exc} (from {where})")
        if meta.get("url"):
            _explain(mod, load_source(mod.SOURCE)[1], meta["url"], exc.reason, res)
        return
    row, new = archive.store(
        raw_dir, manifest, data, source=mod.SOURCE, kind=kind, name=name, release=release, **meta
    )
    res.files_new += int(new)
    res.files_unchanged += int(not new)
    index[digest] = _land(var_dir, mod, digest, release, kind, tables, res)


def reland_archive(
    var_dir: Path,
    mod: ModuleType,
    manifest: list[dict[str, Any]],
    index: dict[str, Any],
    res: SourceResult,
) -> None:
    """Land archived files that have no landing yet (new extractor version, wiped landing)."""
    for row in manifest:
        if row["source"] != mod.SOURCE or row["sha256"] in index:
            continue
        data = archive.read(var_dir / "raw", row["sha256"])
        try:
            release, tables = mod.extract(row["kind"], data, row["name"], row["sha256"])
        except SourceError as exc:
            res.errors.append(f"archived file no longer parses: {exc}")
            continue
        index[row["sha256"]] = _land(var_dir, mod, row["sha256"], release, row["kind"], tables, res)


def ingest_source(
    name: str,
    var_dir: Path,
    cfg: dict[str, Any],
    http_settings: dict[str, Any],
    import_files: list[Path | tuple[Path, str, dict[str, Any]]] | None,
    today: date,
) -> SourceResult:
    """Fetch (import_files is None) or import the given files for one source, then land.

    Imported items are paths (recognised by file name and content) or (path, original name,
    manifest metadata) for files coming from another raw archive.
    """
    mod, defaults = load_source(name)
    cfg = {**defaults, **cfg}
    res = SourceResult(name)
    manifest = archive.load_manifest(var_dir / "raw")
    index = prepare_landing(var_dir, mod)
    reland_archive(var_dir, mod, manifest, index, res)
    if import_files is not None:
        for item in import_files:
            path, fname, meta = item if isinstance(item, tuple) else (item, item.name, {})
            if meta.get("source") not in (None, mod.SOURCE):
                continue
            with path.open("rb") as fh:
                kind = mod.recognise(fname, fh.read(4096))
            if kind:
                extra = {k: meta.get(k) for k in ("url", "etag", "last_modified")}
                take_file(var_dir, mod, manifest, index, res, path.read_bytes(), kind, fname,
                          import_path=meta.get("import_path") or str(path),
                          fetched_at=meta.get("fetched_at") or _now(), **extra)  # fmt: skip
    else:
        stored = {r["url"] for r in manifest if r["source"] == name and r.get("url")}
        reqs = mod.requests(cfg, today, stored)
        missing = 0
        with http.make_client(http_settings) as client:
            for req in reqs:
                previous = archive.latest_for_url(manifest, req.url)
                try:
                    got = http.fetch(client, name, req, previous, http_settings)
                except NotPublishedYet:
                    res.notes.append(f"not published yet: {req.url}")
                    missing += 1
                    continue
                except SourceError as exc:
                    res.errors.append(str(exc))
                    _explain(mod, cfg, req.url, exc.reason, res)
                    continue
                if got.data is None:
                    res.files_unchanged += 1
                    continue
                take_file(
                    var_dir,
                    mod,
                    manifest,
                    index,
                    res,
                    got.data,
                    req.kind,
                    req.name,
                    url=req.url,
                    fetched_at=_now(),
                    etag=got.etag,
                    last_modified=got.last_modified,
                )
        if reqs and missing == len(reqs):  # every file of the night is missing: moved?
            _explain(mod, cfg, reqs[0].url, "HTTP 404 for every requested file", res)
    _save_index(var_dir, name, index)
    return res


def _explain(
    mod: ModuleType, cfg: dict[str, Any], url: str, problem: str, res: SourceResult
) -> None:
    """Add the source's own operator guidance (e.g. where ICE moved its report), if it has any."""
    if hasattr(mod, "explain"):
        res.notes.append(mod.explain(cfg, url, problem))
