"""Run the ingest step of one source: fetch or import, sniff, parse, archive, land.

A file goes through the same door whether it was fetched (httpx) or imported (--raw-from,
--demo): sniff the content, parse it with the source's extractor, and only then store it in
the raw archive and write its landing Parquet. A file that fails is kept apart (var/rejected)
with the reason and never reaches the warehouse; the source is marked failed for this build
while its other files, and every other source, go on.
"""

from __future__ import annotations

import functools
import importlib
import json
import shutil
import tomllib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path, PurePosixPath
from types import ModuleType
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from beanflows import layout
from ingest import archive, http, provenance, sniff
from ingest.errors import NotPublishedYet, SourceError
from ingest.route import ImportItem, owners, unpack

# One row per landed raw file, for every source: which file, when it was delivered and its
# place in the append-only raw manifest (`seq`: delivery order, also within one import), so
# models can let the later delivery of the same release win (a correction).
DELIVERIES = "_deliveries"
DELIVERY_SCHEMA = pa.schema(
    [("raw_sha256", pa.string()), ("name", pa.string()), ("kind", pa.string()),
     ("release", pa.string()), ("delivered_at", pa.string()), ("seq", pa.int64())]
)  # fmt: skip


@dataclass
class SourceResult:
    """What happened to one source in this build (feeds the summary and the catalog)."""

    source: str
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)  # files refused this build (by name)
    files_new: int = 0
    files_unchanged: int = 0
    rows_landed: int = 0
    periods: list[date] = field(default_factory=list)  # min/max _period of the files landed
    # commodity slug -> errors of files that serve only that commodity (ingest.run.fail)
    commodity_errors: dict[str, list[str]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """The source as a whole is usable: a commodity's own failed file does not count."""
        return not self.errors


def fail(mod: ModuleType, cfg: dict[str, Any], res: SourceResult, name: str, err: str) -> None:
    """Record a failed file: the source's error, or, when the file serves only commodities
    other than the source's own (the module's `commodities_of`: Yahoo's sugar symbol, USDA's
    all-commodities file), those commodities' errors. One of 40 symbols answering 404 must not
    freeze coffee's prices: nothing of that commodity landed, so its rows stay as last landed
    and it is marked stale on its own."""
    slugs = mod.commodities_of(cfg, name) if hasattr(mod, "commodities_of") else []
    for slug in slugs:
        res.commodity_errors.setdefault(slug, []).append(err)
    if not slugs:
        res.errors.append(err)


source_names = layout.source_names


def load_source(name: str) -> tuple[ModuleType, dict[str, Any]]:
    mod = importlib.import_module(f"ingest.{name}")
    with (layout.INGEST_DIR / name / "source.toml").open("rb") as fh:
        return mod, tomllib.load(fh)


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _landing_dir(var_dir: Path, source: str) -> Path:
    return layout.landing_dir(var_dir, source)


def _write_parquet(table: pa.Table, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    pq.write_table(table, tmp, compression="zstd")
    tmp.replace(path)


def extract_version(mod: ModuleType, cfg: dict[str, Any]) -> str:
    """The version of a source's landing: sources whose landing depends on their settings
    (which markets, symbols, commodity codes to keep) say so with `extract_version(cfg)`."""
    return mod.extract_version(cfg) if hasattr(mod, "extract_version") else mod.EXTRACT_VERSION


def extract(
    mod: ModuleType, cfg: dict[str, Any], kind: str, data: bytes, name: str, digest: str
) -> tuple[str, dict[str, pa.Table]]:
    """Parse one raw file with the source's extractor (given its settings when it uses them)."""
    if hasattr(mod, "extract_version"):
        return mod.extract(kind, data, name, digest, cfg)
    return mod.extract(kind, data, name, digest)


def prepare_landing(
    var_dir: Path, mod: ModuleType, cfg: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Make the landing folder current for this extractor version; return the landed index.

    When the extractor version changes, landing is rebuilt from the raw archive (landing is
    derived data; the archive is the truth). Every landing table gets an empty schema file so
    SQL globs always match. Without `cfg` (the transform, which only needs the globs) nothing
    is wiped: only ingest, which knows the settings, decides that landing is out of date. A
    folder with schema files but no version and nothing landed (the transform made the globs
    first) is not wiped: a plan may be reading those schema files at that moment.
    """
    root = _landing_dir(var_dir, mod.SOURCE)
    if cfg is not None:
        if landing_outdated(var_dir, mod, cfg):
            shutil.rmtree(root)
        root.mkdir(parents=True, exist_ok=True)
        (root / "VERSION").write_text(extract_version(mod, cfg) + "\n")
    for table, schema in {**mod.LANDING, DELIVERIES: DELIVERY_SCHEMA}.items():
        empty = root / table / "_empty.parquet"
        if not empty.exists():
            _write_parquet(pa.table([pa.nulls(0, f.type) for f in schema], schema=schema), empty)
    index_file = root / "landed.json"
    return json.loads(index_file.read_text()) if index_file.exists() else {}


def landing_outdated(var_dir: Path, mod: ModuleType, cfg: dict[str, Any]) -> bool:
    """True when ingest will rebuild this source's landing (`prepare_landing`): it was made
    by another extractor version or settings, or holds landed rows of an unknown version."""
    root = _landing_dir(var_dir, mod.SOURCE)
    version_file = root / "VERSION"
    if version_file.exists():
        return version_file.read_text().strip() != extract_version(mod, cfg)
    return (root / "landed.json").exists()


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
    delivery: dict[str, Any],
) -> dict[str, Any]:
    """Write one raw file's landing tables; return its landed-index entry.

    The entry keeps the [first, last] `_period` of the file's rows: the transform restates
    all of it (a build that stops before its transform finishes still owes it). All, not only
    the days whose rows are new: which landed row a model publishes depends on every file
    that delivered that day (the newest release wins and names its file), so a file that
    repeats, corrects or reverts earlier figures re-decides each of its days, exactly as a
    fresh build from the same files decides them (tests/test_incremental_builds.py).
    """
    counts, periods = {}, []
    for name, table in tables.items():
        folder = _landing_dir(var_dir, mod.SOURCE) / name
        if table.num_rows and "_period" in table.column_names:
            bounds = pc.min_max(table["_period"]).as_py()
            periods += [bounds["min"], bounds["max"]]
        _write_parquet(table, folder / f"{digest}.parquet")
        counts[name] = table.num_rows
        res.rows_landed += table.num_rows
    res.periods += periods
    record = {"raw_sha256": digest, "kind": kind, "release": release, **delivery}
    table = pa.Table.from_pylist([record], schema=DELIVERY_SCHEMA)
    _write_parquet(table, _landing_dir(var_dir, mod.SOURCE) / DELIVERIES / f"{digest}.parquet")
    counts[DELIVERIES] = 1  # a landing table like the others: what reads it is restated too
    entry: dict[str, Any] = {"kind": kind, "release": release, "tables": counts}
    if periods:
        entry["periods"] = [min(periods).isoformat(), max(periods).isoformat()]
    return entry


def take_file(
    var_dir: Path,
    mod: ModuleType,
    cfg: dict[str, Any],
    manifest: list[dict[str, Any]],
    index: dict[str, Any],
    res: SourceResult,
    data: bytes,
    kind: str | None,
    name: str,
    **meta: Any,
) -> None:
    """Sniff, parse, archive and land one upstream file (fetched or imported).

    kind None: a file its folder says is this source's but that no extractor recognises; it
    is refused whatever its content (sniffing names the usual reasons: HTML, empty, truncated).
    """
    raw_dir = layout.raw_dir(var_dir)
    where = meta.get("url") or meta.get("place") or name  # never a local absolute path
    digest = archive.sha256(data)
    known = next((r for r in manifest if r["sha256"] == digest and r["source"] == mod.SOURCE), None)
    if known and digest in index:
        res.files_unchanged += 1
        return
    fmt = mod.FORMATS[kind] if kind else sniff.EXTENSIONS.get(PurePosixPath(name).suffix, "text")
    try:
        sniff.check(mod.SOURCE, where, data, fmt)
        if kind is None:
            first = sniff.payload(data, fmt)[:80].split(b"\n", 1)[0].decode("utf-8", "replace")
            raise SourceError(
                mod.SOURCE, where, f"not a {mod.SOURCE} file this version can read (its folder "
                f"says it is one); it starts {first.strip()!r}",
            )  # fmt: skip
        release, tables = extract(mod, cfg, kind, sniff.payload(data, fmt), name, digest)
    except SourceError as exc:
        archive.reject(var_dir, data, str(exc), source=mod.SOURCE, name=name, at=_now(), **meta)
        fail(mod, cfg, res, name, str(exc) if where in str(exc) else f"{exc} (from {where})")
        res.rejected.append(where)
        if meta.get("url"):
            _explain(mod, cfg, meta["url"], exc.reason, res)
        return
    if not meta.get("url"):  # imported: the URL the source would fetch it from (provenance)
        url = provenance.canonical_url(
            mod, kind, name, release, provenance.source_config(mod.SOURCE)
        )
        meta = {**meta, "url": url, "url_derived": True}
    row, new = archive.store(
        raw_dir, manifest, data, source=mod.SOURCE, kind=kind, name=name, release=release, **meta
    )
    res.files_new += int(new)
    res.files_unchanged += int(not new)
    delivery = {"name": name, "delivered_at": meta.get("fetched_at"), "seq": manifest.index(row)}
    index[digest] = _land(var_dir, mod, digest, release, kind, tables, res, delivery)


def reland_archive(
    var_dir: Path,
    mod: ModuleType,
    cfg: dict[str, Any],
    manifest: list[dict[str, Any]],
    index: dict[str, Any],
    res: SourceResult,
) -> None:
    """Land archived files that have no landing yet (new extractor version, wiped landing)."""
    for seq, row in enumerate(manifest):
        if row["source"] != mod.SOURCE or row["sha256"] in index:
            continue
        raw = archive.read(layout.raw_dir(var_dir), row["sha256"])
        data = sniff.payload(raw, mod.FORMATS[row["kind"]])
        try:
            release, tables = extract(mod, cfg, row["kind"], data, row["name"], row["sha256"])
        except SourceError as exc:
            res.errors.append(f"archived file no longer parses: {exc}")
            continue
        delivery = {"name": row["name"], "delivered_at": row.get("fetched_at"), "seq": seq}
        index[row["sha256"]] = _land(
            var_dir, mod, row["sha256"], release, row["kind"], tables, res, delivery
        )


def ingest_source(
    name: str,
    var_dir: Path,
    cfg: dict[str, Any],
    http_settings: dict[str, Any],
    import_files: list[Path | ImportItem] | None,
    today: date,
    guard: http.Guard | None = None,
) -> SourceResult:
    """Fetch (import_files is None) or import the given files for one source, then land.

    Imported items (`ingest.route.import_files`, `demo_files`, or bare paths) go through the
    import door, `ingest.route.owners`: this source takes the files it recognises, and the
    files it claims by name or folder, which then pass or fail the same checks as a fetch.
    `guard` is the build's shared fetch state (host breakers, budgets; fresh when None).
    """
    mod, defaults = load_source(name)
    cfg = {**defaults, **cfg}
    res = SourceResult(name)
    manifest = archive.load_manifest(layout.raw_dir(var_dir))
    index = prepare_landing(var_dir, mod, cfg)
    reland_archive(var_dir, mod, cfg, manifest, index, res)
    if import_files is not None:
        for item in import_files:
            path, fname, meta = unpack(item)
            taken = owners((path, fname, meta))
            if mod.SOURCE not in taken:
                continue
            extra = {k: meta.get(k) for k in ("url", "url_derived", "etag", "last_modified")}
            take_file(var_dir, mod, cfg, manifest, index, res, path.read_bytes(), taken[mod.SOURCE],
                      fname, place=meta.get("place"), fetched_at=meta.get("fetched_at") or _now(),
                      import_path=meta.get("import_path") or str(path), **extra)  # fmt: skip
    else:
        guard = guard or http.Guard(http_settings)
        stored = {  # URLs fetched before (a derived URL of an imported file was never fetched)
            r["url"] for r in manifest if r["source"] == name and archive.fetched_from(r)
        }
        try:  # a source may fetch to know what to fetch (World Bank's page): same guard
            reqs = mod.requests({**cfg, "http": http_settings, "http_guard": guard}, today, stored)
        except SourceError as exc:
            res.errors.append(str(exc))
            reqs = []
        missing = 0
        with http.make_client(http_settings) as client:
            previous = functools.partial(_previous, manifest)
            for req, got in http.fetch_all(client, name, reqs, previous, http_settings, guard):
                if isinstance(got, NotPublishedYet):
                    res.notes.append(f"not published yet: {got}")
                    missing += 1
                    continue
                if isinstance(got, SourceError):
                    fail(mod, cfg, res, req.name if req else "", str(got))
                    if not isinstance(got, http.Unreachable):  # an outage: nothing moved
                        _explain(mod, cfg, req.url, got.reason, res)
                    continue
                if got.data is None:
                    res.files_unchanged += 1
                    continue
                take_file(
                    var_dir,
                    mod,
                    cfg,
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
    # Arrow's allocator keeps freed pages for reuse: hand them back now, or a source's parse
    # (~1 GB for USDA's all-commodities file) stays resident through transform and export.
    pa.default_memory_pool().release_unused()
    return res


def _previous(manifest: list[dict[str, Any]], req: http.Request) -> dict[str, Any] | None:
    """The stored row a request is conditional on (ETag / Last-Modified), if any."""
    return archive.latest_for_url(manifest, req.url)


def _explain(
    mod: ModuleType, cfg: dict[str, Any], url: str, problem: str, res: SourceResult
) -> None:
    """Add the source's own operator guidance (e.g. where ICE moved its report), if it has any."""
    if hasattr(mod, "explain"):
        res.notes.append(mod.explain(cfg, url, problem))
