"""Reading one Parquet file for a request: columns, a time window, equality filters.

The plan is computed from the file's own footer: row groups whose min/max statistics cannot
match are never read (over HTTP Range requests that means never fetched), only the needed
columns are decoded, and the exact filter then runs on what is left.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

Pred = tuple[str, str, Any]  # (column, ">=" | "<=" | "in", value or list of values)


def _period(value: Any, end: bool) -> dt.date:
    """'2020' / '2020-05' / '2020-05-17' / date / int year -> the first (or last) day."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    parts = text.split("-")
    try:
        year = int(parts[0])
        if len(parts) == 1:
            return dt.date(year, 12, 31) if end else dt.date(year, 1, 1)
        month = int(parts[1])
        if len(parts) == 2:
            last = calendar.monthrange(year, month)[1]
            return dt.date(year, month, last if end else 1)
        return dt.date.fromisoformat(text[:10])
    except (ValueError, IndexError):
        raise ValueError(f"{value!r} is not a date (use 2020, 2020-05 or 2020-05-17)") from None


def bound(value: Any, typ: pa.DataType, end: bool) -> Any:
    """A start/end value in the time column's own type (end bounds are inclusive)."""
    if pa.types.is_date(typ) or pa.types.is_timestamp(typ):
        day = _period(value, end)
        if pa.types.is_timestamp(typ):
            return dt.datetime.combine(day, dt.time.max if end else dt.time.min)
        return day
    if pa.types.is_integer(typ):
        if isinstance(value, dt.date):
            return value.year
        return int(str(value).split("-")[0])
    return str(value)


def coerce(value: Any, typ: pa.DataType, column: str) -> Any:
    """A filter value in the column's type; text codes stay text (never 083731 -> 83731)."""
    if pa.types.is_string(typ) or pa.types.is_large_string(typ):
        return str(value)
    try:
        return pa.scalar(value).cast(typ).as_py()
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, TypeError):
        raise ValueError(f"{column}={value!r}: not a {typ} value") from None


def predicates(
    schema: pa.Schema,
    time_column: str | None,
    start: Any,
    end: Any,
    filters: dict[str, Any],
) -> list[Pred]:
    """The request as (column, op, value) triples in the file's types."""
    preds: list[Pred] = []
    if (start is not None or end is not None) and not time_column:
        raise ValueError("start/end need a dataset with a time column")
    if start is not None:
        preds.append((time_column, ">=", bound(start, schema.field(time_column).type, False)))
    if end is not None:
        preds.append((time_column, "<=", bound(end, schema.field(time_column).type, True)))
    for col, value in filters.items():
        typ = schema.field(col).type
        values = value if isinstance(value, list | tuple | set | frozenset) else [value]
        preds.append((col, "in", [coerce(v, typ, col) for v in values]))
    return preds


def _may_match(stats: Any, op: str, value: Any) -> bool:
    if stats is None or not stats.has_min_max:
        return True
    lo, hi = stats.min, stats.max
    try:
        if op == ">=":
            return hi >= value
        if op == "<=":
            return lo <= value
        return any(lo <= v <= hi for v in value)
    except TypeError:  # statistics of an unexpected type: read the row group
        return True


def row_groups(meta: pq.FileMetaData, preds: list[Pred]) -> list[int]:
    """Row groups whose statistics allow a match for every predicate."""
    index = {meta.schema.column(i).path: i for i in range(meta.num_columns)}
    keep = []
    for rg in range(meta.num_row_groups):
        group = meta.row_group(rg)
        if all(
            _may_match(group.column(index[col]).statistics, op, value)
            for col, op, value in preds
            if col in index
        ):
            keep.append(rg)
    return keep


def expression(preds: list[Pred]) -> pc.Expression | None:
    expr = None
    for col, op, value in preds:
        field = pc.field(col)
        part = field >= value if op == ">=" else field <= value if op == "<=" else field.isin(value)
        expr = part if expr is None else expr & part
    return expr


def read(
    source: Any,
    columns: list[str] | None,
    preds: list[Pred],
    extra: Iterable[str] = (),
) -> tuple[pa.Table, pq.FileMetaData]:
    """Read `columns` (None = all) of the rows matching preds; also `extra` columns if asked.

    Returns the table and the file's metadata (its statistics tell where the file starts).
    """
    pf = pq.ParquetFile(source, pre_buffer=True)
    names = pf.schema_arrow.names
    wanted = list(columns) if columns is not None else names
    needed = list(dict.fromkeys([*wanted, *extra, *(p[0] for p in preds)]))
    keep = row_groups(pf.metadata, preds)
    if keep:
        table = pf.read_row_groups(keep, columns=needed)
    else:
        table = pf.schema_arrow.empty_table().select(needed)
    expr = expression(preds)
    if expr is not None:
        table = table.filter(expr)
    return table.select(list(dict.fromkeys([*wanted, *extra]))), pf.metadata


def column_min(meta: pq.FileMetaData, column: str) -> Any:
    """Smallest value of a column from the footer's statistics (None when unknown)."""
    idx = [meta.schema.column(i).path for i in range(meta.num_columns)]
    if column not in idx or meta.num_rows == 0:
        return None
    lows = []
    for rg in range(meta.num_row_groups):
        stats = meta.row_group(rg).column(idx.index(column)).statistics
        if stats is None or not stats.has_min_max:
            return None
        lows.append(stats.min)
    return min(lows) if lows else None


def latest_versions(table: pa.Table, keys: list[str], version: str) -> pa.Table:
    """For each key, the row of the newest `version` (rows already limited to <= as_of)."""
    if table.num_rows == 0:
        return table
    order = [(k, "ascending") for k in keys] + [(version, "ascending")]
    table = table.sort_by(order)
    last = None
    for k in keys:
        col = table.column(k)
        diff = pc.not_equal(col.slice(0, len(col) - 1), col.slice(1))
        diff = pc.fill_null(diff, True)
        last = diff if last is None else pc.or_(last, diff)
    mask = pa.concat_arrays([c for c in pa.chunked_array(last).chunks] + [pa.array([True])])
    return table.filter(mask)


def version_prefix_le(table: pa.Table, version: str, as_of: str) -> pa.Table:
    """Rows whose version (2023-05, 2022-09-02, ...) is on or before as_of, by its prefix."""
    col = pc.utf8_slice_codeunits(pc.cast(table.column(version), pa.string()), 0, len(as_of))
    return table.filter(pc.less_equal(col, as_of))


def catalog_schema(meta: dict[str, Any]) -> pa.Schema:
    """The Arrow schema the catalog describes (types of the time and filter columns)."""
    types = {
        "DATE": pa.date32(),
        "INTEGER": pa.int32(),
        "BIGINT": pa.int64(),
        "SMALLINT": pa.int16(),
        "DOUBLE": pa.float64(),
        "FLOAT": pa.float32(),
        "BOOLEAN": pa.bool_(),
        "TIMESTAMP": pa.timestamp("us"),
    }
    return pa.schema(
        [(c["name"], types.get(str(c.get("type")).upper(), pa.string())) for c in meta["columns"]]
    )
