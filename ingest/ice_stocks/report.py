"""ICE's own daily Coffee "C" certified warehouse stock report (coffee_cert_stock_YYYYMMDD.xls).

One sheet of blocks, each a title line in column A (`TOTAL BAGS CERTIFIED`, `TRANSITION BAGS
CERTIFIED`, `TODAY'S GRADING SUMMARY`, `Pending Grading Report`, `Flagged for Rebagging`),
then optionally a port header row (`ANT BAR HA/BR ... Total`), origin rows, and a
`Total in Bags` row. Positions depend on how many origins each block lists, so nothing here
uses row numbers: the parser finds the titles, then the header, then reads to the total.
An empty block is a sentence (`No Bags Passed Today`), not a table.

The report date exists only as text in A3 (`As of: Dec 26, 2025 12:36:04PM`); it must agree
with the date in the file name when the name carries one. Every table is checked the way ICE
builds it: origin rows sum to `Total in Bags` per port, ports sum to `Total` per row.
"""

from __future__ import annotations

import re
from datetime import date

import pyarrow as pa

from ingest.errors import SourceError

SOURCE = "ice_stocks"
MONTHS = {m: i for i, m in enumerate("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split(), 1)}
# Block titles (case-insensitive) -> block id. The first one is required.
BLOCKS = {
    "TOTAL BAGS CERTIFIED": "certified",
    "TRANSITION BAGS CERTIFIED": "transition",
    "TODAY'S GRADING SUMMARY": "grading_summary",
    "PENDING GRADING REPORT": "pending_grading",
    "FLAGGED FOR REBAGGING": "flagged_rebagging",
}
AS_OF = re.compile(r"As of:\s*([A-Z][a-z]{2})\s+(\d{1,2}),\s*(\d{4})")
NAME_DATE = re.compile(r"(\d{4})(\d{2})(\d{2})")
CELLS = pa.schema(
    [("date", pa.date32()), ("block", pa.string()), ("table_title", pa.string()),
     ("origin", pa.string()), ("port_code", pa.string()), ("bags", pa.int64()),
     ("is_total_row", pa.bool_()), ("_line", pa.int64()), ("_raw_sha256", pa.string()),
     ("_release", pa.string()), ("_period", pa.date32())]
)  # fmt: skip
Grid = list[list[object]]


def grid_from_xls(data: bytes, name: str) -> Grid:
    """The first sheet as rows of cell values (text stripped, numbers as float)."""
    import xlrd

    try:
        book = xlrd.open_workbook(file_contents=data, on_demand=True)
        sheet = book.sheet_by_index(0)
        rows = [
            [v.strip() if isinstance(v, str) else v for v in sheet.row_values(r)]
            for r in range(sheet.nrows)
        ]
    except Exception as exc:  # xlrd raises bare XLRDError/CompDocError/struct.error on bad bytes
        raise SourceError(SOURCE, name, f"not a readable .xls workbook: {exc}") from exc
    return rows


def _texts(row: list[object]) -> list[str]:
    return [v for v in row if isinstance(v, str) and v]


def report_date(grid: Grid, name: str) -> date:
    """The date in A3 ('As of: Dec 26, 2025 ...'), cross-checked with the file name."""
    found = None
    for i, row in enumerate(grid[:10], start=1):
        for text in _texts(row):
            m = AS_OF.search(text)
            if m and m[1] in MONTHS:
                found = (date(int(m[3]), MONTHS[m[1]], int(m[2])), i)
                break
        if found:
            break
    if found is None:
        raise SourceError(SOURCE, name, "no 'As of: Mon D, YYYY' line in the first 10 rows")
    day, line = found
    m = NAME_DATE.search(name)
    if m:
        try:
            named = date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:
            named = None
        if named is not None and named != day:
            raise SourceError(
                SOURCE, name, f"report says As of {day} but the file name says {named}", line
            )
    return day


def _titles(grid: Grid) -> list[tuple[int, str]]:
    found = []
    for i, row in enumerate(grid):
        texts = _texts(row)
        if len(texts) == 1 and texts[0].upper() in BLOCKS:
            found.append((i, BLOCKS[texts[0].upper()]))
    return found


def _is_header(row: list[object]) -> bool:
    texts = _texts(row)
    return len(texts) >= 2 and texts[-1] == "Total" and not isinstance(row[0], float)


def _count(value: object, name: str, line: int, what: str) -> int:
    if isinstance(value, str) and value == "":
        return 0  # ICE writes zeros as 0.0; a blank cell means nothing there either
    if not isinstance(value, float | int) or value != int(value):
        raise SourceError(SOURCE, name, f"{what}: {value!r} is not a whole number of bags", line)
    if value < 0:
        raise SourceError(SOURCE, name, f"{what}: negative stock {int(value)}", line)
    return int(value)


def _table(grid: Grid, start: int, end: int, name: str, block: str, title: str, out: list) -> int:
    """Read one port table whose header is grid[start]; return the row after its total."""
    header = grid[start]
    cols = [(j, v) for j, v in enumerate(header) if isinstance(v, str) and v]
    ports = [(j, v) for j, v in cols if v != "Total"]
    total_col = next(j for j, v in cols if v == "Total")
    sums = {p: 0 for _, p in ports}
    for i in range(start + 1, end):
        row = grid[i] + [""] * (len(header) - len(grid[i]))
        label = row[0].strip() if isinstance(row[0], str) else row[0]
        if not any(isinstance(v, float | int) for v in row[1:]):
            continue  # blank line or a sub-heading inside the table
        if not isinstance(label, str) or not label:
            raise SourceError(SOURCE, name, f"{block}: a row of numbers without an origin", i + 1)
        values = {p: _count(row[j], name, i + 1, f"{block} {label} {p}") for j, p in ports}
        total = _count(row[total_col], name, i + 1, f"{block} {label} Total")
        if sum(values.values()) != total:
            raise SourceError(
                SOURCE, name,
                f"{block} {label}: ports sum to {sum(values.values())} but Total is {total}",
                i + 1,
            )  # fmt: skip
        is_total = label.lower() == "total in bags"
        for p, v in [*values.items(), ("Total", total)]:
            out.append((block, title, label, p, v, is_total, i + 1))
        if is_total:
            for p, v in values.items():
                if sums[p] != v:
                    raise SourceError(
                        SOURCE, name,
                        f"{block} {p}: origins sum to {sums[p]} but Total in Bags says {v}", i + 1,
                    )  # fmt: skip
            return i + 1
        for p, v in values.items():
            sums[p] += v
    raise SourceError(SOURCE, name, f"{block}: no 'Total in Bags' row below the header", start + 1)


def parse_grid(grid: Grid, name: str, digest: str) -> tuple[str, pa.Table]:
    """(report date YYYY-MM-DD, landing `report_cells`) of one daily report sheet."""
    if not grid:
        raise SourceError(SOURCE, name, "the sheet is empty")
    day = report_date(grid, name)
    titles = _titles(grid)
    if "certified" not in {b for _, b in titles}:
        raise SourceError(
            SOURCE, name, "no 'TOTAL BAGS CERTIFIED' block: the report layout changed"
        )
    out: list[tuple] = []
    bounds = [*(i for i, _ in titles[1:]), len(grid)]
    for (start, block), end in zip(titles, bounds, strict=True):
        i, subtitle = start + 1, ""
        while i < end:
            if _is_header(grid[i]):
                i = _table(grid, i, end, name, block, subtitle, out)
                subtitle = ""
                continue
            texts = _texts(grid[i])
            if len(texts) == 1:
                subtitle = texts[0]
            i += 1
    if not any(r[0] == "certified" and r[5] for r in out):
        raise SourceError(SOURCE, name, "'TOTAL BAGS CERTIFIED' has no port table")
    n = len(out)
    release = day.isoformat()
    table = pa.table(
        {"date": [day] * n, "block": [r[0] for r in out], "table_title": [r[1] for r in out],
         "origin": [r[2] for r in out], "port_code": [r[3] for r in out],
         "bags": [r[4] for r in out], "is_total_row": [r[5] for r in out],
         "_line": [r[6] for r in out], "_raw_sha256": [digest] * n, "_release": [release] * n,
         "_period": [day] * n},
        schema=CELLS,
    )  # fmt: skip
    return release, table


def parse(data: bytes, name: str, digest: str) -> tuple[str, pa.Table]:
    return parse_grid(grid_from_xls(data, name), name, digest)
