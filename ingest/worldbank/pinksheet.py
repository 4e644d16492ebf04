"""The Pink Sheet workbook `CMO-Historical-Data-Monthly.xlsx`, sheet "Monthly Prices".

Layout (../shared/data/PROVENANCE.md): title lines, `Updated on October 04, 2022` in A4,
commodity names on row 5 and units on row 6 (`($/kg)`), then one row per month from row 7
with the month in column A as text (`2022M09`). Missing values are written `…` or `..`.

Columns are found by their header text (whitespace and case folded, footnote stars ignored),
so a moved column still parses and a renamed one is a clear error. The unit row must state
the configured unit: the SQL conversion to US cents/lb depends on it.
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date, datetime
from typing import Any

import pyarrow as pa

from ingest.errors import SourceError

SOURCE = "worldbank"
SCHEMA = pa.schema(
    [("series_id", pa.string()), ("header", pa.string()), ("coffee_type", pa.string()),
     ("unit", pa.string()), ("month_label", pa.string()), ("date", pa.date32()),
     ("value", pa.float64()), ("updated_on", pa.date32()), ("_line", pa.int64()),
     ("_raw_sha256", pa.string()), ("_release", pa.string()), ("_period", pa.date32())]
)  # fmt: skip
MONTH = re.compile(r"^(\d{4})M(\d{2})$")
UPDATED = re.compile(r"Updated on\s+([A-Za-z]+\s+\d{1,2},\s*\d{4})", re.IGNORECASE)
MISSING = {"", "…", "..", "...", "n/a", "na"}
HEADER_SCAN_ROWS = 20


def norm(text: object) -> str:
    """Header text for matching: footnote stars dropped, whitespace and case folded."""
    return re.sub(r"\s+", " ", str(text or "").replace("*", "")).strip().lower()


def _sheet(data: bytes, name: str, sheet: str) -> Any:
    import openpyxl  # imported lazily: ~0.3 s, and only this source needs it

    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise SourceError(SOURCE, name, f"not a readable xlsx workbook: {exc}") from exc
    if sheet not in wb.sheetnames:
        raise SourceError(SOURCE, name, f"no sheet {sheet!r}; sheets are {wb.sheetnames}")
    return wb[sheet]


def _value(cell: object, where: str, line: int, header: str) -> float | None:
    if cell is None or (isinstance(cell, str) and cell.strip().lower() in MISSING):
        return None
    if isinstance(cell, bool) or not isinstance(cell, int | float | str):
        raise SourceError(SOURCE, where, f"{header}: {cell!r} is not a number", line)
    try:
        value = float(cell)
    except ValueError:
        raise SourceError(SOURCE, where, f"{header}: {cell!r} is not a number", line) from None
    if value <= 0:
        raise SourceError(SOURCE, where, f"{header}: price {value} is not positive", line)
    return value


def parse(
    data: bytes, name: str, digest: str, sheet: str, columns: dict[str, dict[str, str]]
) -> tuple[str, pa.Table]:
    """(release YYYY-MM-DD, landing rows) of the configured columns of one workbook."""
    ws = _sheet(data, name, sheet)
    where = f"{name}!{sheet}"
    rows = ws.iter_rows(values_only=True)
    updated: date | None = None
    header_line, found = 0, {}
    wanted = {norm(h): h for h in columns}
    for line, row in enumerate(rows, start=1):
        for cell in row:
            m = UPDATED.search(str(cell)) if isinstance(cell, str) else None
            if m and updated is None:
                updated = datetime.strptime(re.sub(r"\s+", " ", m.group(1)), "%B %d, %Y").date()
        found = {wanted[norm(c)]: i for i, c in enumerate(row) if norm(c) in wanted}
        if found:
            header_line = line
            break
        if line >= HEADER_SCAN_ROWS:
            break
    missing = [h for h in columns if h not in found]
    if missing:
        raise SourceError(SOURCE, where, f"no column headed {missing} in the first rows")
    units_row = next(rows, ())
    for header, col in found.items():
        unit = str(units_row[col] if col < len(units_row) else "").strip()
        if unit != columns[header]["unit"]:
            raise SourceError(
                SOURCE, where,
                f"{header}: unit is {unit!r}, expected {columns[header]['unit']!r}",
                header_line + 1,
            )  # fmt: skip
    out: dict[str, list] = {f.name: [] for f in SCHEMA}
    seen: dict[tuple[str, str], tuple[int, float | None]] = {}
    last_month: date | None = None
    for line, row in enumerate(rows, start=header_line + 2):
        values = {h: row[c] if c < len(row) else None for h, c in found.items()}
        label = row[0] if row else None
        if all(v is None for v in values.values()) and label is None:
            continue
        text = label.strip() if isinstance(label, str) else label
        m = MONTH.match(text) if isinstance(text, str) else None
        if not m:
            if all(_value(v, where, line, h) is None for h, v in values.items()):
                continue  # a footnote line below the table
            raise SourceError(SOURCE, where, f"month {label!r} is not like 2022M09", line)
        month = date(int(m.group(1)), int(m.group(2)), 1) if 1 <= int(m.group(2)) <= 12 else None
        if month is None:
            raise SourceError(SOURCE, where, f"month {label!r} does not exist", line)
        last_month = max(last_month or month, month)
        for header, cell in values.items():
            value = _value(cell, where, line, header)
            key = (header, text)
            if key in seen:
                if seen[key][1] != value:
                    raise SourceError(
                        SOURCE, where,
                        f"{text} appears twice with different {header} values "
                        f"(rows {seen[key][0]} and {line})", line,
                    )  # fmt: skip
                continue
            seen[key] = (line, value)
            meta = columns[header]
            for col, v in (
                ("series_id", meta["series_id"]), ("header", header),
                ("coffee_type", meta["coffee_type"]), ("unit", meta["unit"]),
                ("month_label", text), ("date", month), ("value", value), ("_line", line),
                ("_period", month),
            ):  # fmt: skip
                out[col].append(v)
    if last_month is None:
        raise SourceError(SOURCE, where, "no monthly rows below the header")
    if updated is None:  # no "Updated on" line: the first day of the month after the data
        y, mo = (
            (last_month.year + 1, 1)
            if last_month.month == 12
            else (last_month.year, last_month.month + 1)
        )
        updated = date(y, mo, 1)
    n = len(out["date"])
    out["updated_on"] = [updated] * n
    out["_raw_sha256"] = [digest] * n
    out["_release"] = [updated.isoformat()] * n
    arrays = [pa.array(out[f.name], type=f.type) for f in SCHEMA]
    return updated.isoformat(), pa.Table.from_arrays(arrays, schema=SCHEMA)
