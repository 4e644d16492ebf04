"""Which periods a newly landed file adds or corrects: what the transform must restate.

A re-delivered year-to-date file repeats every earlier week: only the weeks it adds or
corrects must be restated, so that a nightly build touches only those intervals. The rows
are compared with every landed file of the same table (set difference on every column but
lineage) — but a landed file that cannot hold any of the new rows is not read at all: its
Parquet footer says so when, for some column, its values and the new rows' values lie in
disjoint ranges (another futures symbol, another COT year). A full build of 40 price files
then compares each file with none instead of with all earlier ones.
"""

from __future__ import annotations

import functools
import os
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

LINEAGE = ("_raw_sha256", "_release", "_line")  # differ between deliveries of the same rows


@functools.cache
def _scratch():  # noqa: ANN202 - duckdb is imported only when something new arrives
    """One in-memory DuckDB for the process: opening a connection costs ~20 ms."""
    import duckdb

    return duckdb.connect()


def _prunable(field: pa.Field) -> bool:
    """Columns whose ranges can prove two rows differ: not floats (NaN has no place in a
    range), not lineage."""
    t = field.type
    usable = pa.types.is_string(t) or pa.types.is_integer(t) or pa.types.is_date(t)
    return usable and field.name not in LINEAGE


@functools.lru_cache(maxsize=1024)
def _footer(path: str, size: int, mtime_ns: int) -> pq.FileMetaData:
    """A landed file's Parquet footer, read once per process: each file of a full build is
    looked at by every later file of its table (size and mtime key out a rewritten file)."""
    del size, mtime_ns
    return pq.read_metadata(path)


def _column_range(meta: pq.FileMetaData, index: int) -> tuple[Any, Any, bool] | None:
    """(min, max, has nulls) of one column over a Parquet file's row groups, from its footer;
    None when a row group has no statistics for it."""
    lo = hi = None
    nulls = False
    for g in range(meta.num_row_groups):
        stats = meta.row_group(g).column(index).statistics
        if stats is None or not stats.has_min_max or not stats.has_null_count:
            return None
        lo = stats.min if lo is None else min(lo, stats.min)
        hi = stats.max if hi is None else max(hi, stats.max)
        nulls = nulls or stats.null_count > 0
    return (lo, hi, nulls) if lo is not None else None


def _may_share_rows(path: str, table: pa.Table, ranges: dict[str, Any]) -> bool:
    """False only when some column proves that no row of `table` equals a row of the file:
    value ranges that do not meet, and NULLs (which EXCEPT takes as equal) on one side only.
    Columns are tried in order and the first proof ends the look (a COT year: its third)."""
    try:
        st = os.stat(path)
        meta = _footer(path, st.st_size, st.st_mtime_ns)
    except (OSError, pa.ArrowException):
        return True  # unreadable here: compared (and reported) as before
    position = {meta.schema.column(i).path: i for i in range(meta.num_columns)}
    for field in table.schema:
        if field.name not in position or not _prunable(field):
            continue
        if field.name not in ranges:
            col = table[field.name]
            bounds = pc.min_max(col).as_py()
            ranges[field.name] = (bounds["min"], bounds["max"], col.null_count > 0)
        lo, hi, nulls = ranges[field.name]
        theirs = _column_range(meta, position[field.name])
        if lo is None or theirs is None or (nulls and theirs[2]) or type(lo) is not type(theirs[0]):
            continue
        if hi < theirs[0] or lo > theirs[1]:
            return False
    return True


def new_periods(folder: Path, table: pa.Table, digest: str) -> list[date]:
    """[min, max] of `_period` over rows of `table` whose content is not landed yet in
    `folder` (or [] if none). The file's own landing (left by a build killed before it saved
    its index) is not "landed yet"."""
    ranges: dict[str, Any] = {}
    existing = [
        str(p)
        for p in sorted(folder.glob("*.parquet"))
        if p.stem not in ("_empty", digest) and _may_share_rows(str(p), table, ranges)
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
