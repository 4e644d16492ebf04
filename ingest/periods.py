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


def _file_ranges(path: str) -> dict[str, tuple[Any, Any, bool]] | None:
    """column -> (min, max, has nulls) over a Parquet file's row groups, from its footer;
    a column without statistics is left out. None if the footer cannot be read."""
    try:
        meta = pq.read_metadata(path)
    except (OSError, pa.ArrowException):
        return None
    out: dict[str, tuple[Any, Any, bool]] = {}
    skip: set[str] = set()
    for g in range(meta.num_row_groups):
        group = meta.row_group(g)
        for c in range(group.num_columns):
            col = group.column(c)
            name, stats = col.path_in_schema, col.statistics
            if name in skip:
                continue
            if stats is None or not stats.has_min_max or not stats.has_null_count:
                skip.add(name)
                out.pop(name, None)
                continue
            lo, hi, nulls = stats.min, stats.max, stats.null_count > 0
            if name in out:
                a, b, n = out[name]
                lo, hi, nulls = min(a, lo), max(b, hi), n or nulls
            out[name] = (lo, hi, nulls)
    return out


def _may_share_rows(path: str, table: pa.Table, ranges: dict[str, Any]) -> bool:
    """False only when some column proves that no row of `table` equals a row of the file:
    value ranges that do not meet, and NULLs (which EXCEPT takes as equal) on one side only."""
    stats = _file_ranges(path)
    if stats is None:
        return True
    for field in table.schema:
        if field.name not in stats or not _prunable(field):
            continue
        if field.name not in ranges:
            col = table[field.name]
            bounds = pc.min_max(col).as_py()
            ranges[field.name] = (bounds["min"], bounds["max"], col.null_count > 0)
        lo, hi, nulls = ranges[field.name]
        f_lo, f_hi, f_nulls = stats[field.name]
        if lo is None or (nulls and f_nulls) or type(lo) is not type(f_lo):
            continue
        if hi < f_lo or lo > f_hi:
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
