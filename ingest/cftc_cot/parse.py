"""Parse one CFTC COT text file (yearly, history or current week) with DuckDB's CSV reader.

Why DuckDB: a year of all markets is ~10k rows x 191 columns (15 MB); the reader is as fast
as it gets and handles the quoted `Contract_Units` ("(CONTRACTS OF 37,500 POUNDS)"), CRLF and
LF. Everything is read as text with an explicit column list and strict mode, so nothing is
guessed; rows with a wrong field count land in DuckDB's reject table with their line number
and become a SourceError naming file and line. Then, in SQL: trim, `.` -> NULL, check report
dates, duplicates and the report type, keep the configured markets, type the columns.
Every check runs on the whole file before anything is kept, so a bad file lands nothing.
"""

from __future__ import annotations

import csv
import io
import os
import re
import tempfile
import zipfile

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from ingest.cftc_cot.layout import SCHEMAS, Report, slug
from ingest.errors import SourceError
from ingest.sniff import decode_text

SOURCE = "cftc_cot"


def member(report: Report, data: bytes, name: str) -> tuple[bytes, str]:
    """(inner text, file label) of a yearly/history zip; exactly one known member expected."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = [n for n in zf.namelist() if not n.endswith("/")]
            wanted = {m.lower() for m in report.members}
            if len(names) != 1 or names[0].lower() not in wanted:
                raise SourceError(
                    SOURCE,
                    name,
                    f"inner file is {names or 'missing'}, expected one of {list(report.members)}",
                )
            return zf.read(names[0]), f"{name}!{names[0]}"
    except zipfile.BadZipFile as exc:
        raise SourceError(SOURCE, name, f"corrupt zip: {exc}") from exc


def _first_line(text: bytes) -> str:
    end = text.find(b"\n")
    line = text[: end if end >= 0 else len(text)].rstrip(b"\r")
    return line.decode("utf-8", "replace").lstrip("\ufeff")


def check_header(report: Report, text: bytes, file: str, headerless: bool) -> bool:
    """True if line 1 is a header (validated exactly); False for a headerless week file."""
    first = _first_line(text)
    if headerless and not first.startswith(f'"{report.header[0]}"'):
        return False
    got = next(csv.reader([first]), [])
    if tuple(got) == report.header:
        return True
    missing = [c for c in report.header if c not in got]
    unexpected = [c for c in got if c not in report.header]
    if missing or unexpected:
        parts = [f"missing column {c!r}" for c in missing]
        parts += [f"unexpected column {c!r}" for c in unexpected]
        raise SourceError(SOURCE, file, "header changed: " + "; ".join(parts), line=1)
    raise SourceError(SOURCE, file, "header columns are in a different order", line=1)


def _col(i: int) -> str:
    return f"c{i:03d}"


def _clean(i: int) -> str:
    """Trimmed text, '.' (not applicable) and empty -> NULL."""
    return f"NULLIF(NULLIF(TRIM({_col(i)}), '.'), '')"


def _fail(file: str, line: int, message: str) -> SourceError:
    return SourceError(SOURCE, file, message, line=line)


def _read(con: duckdb.DuckDBPyConnection, path: str, report: Report, skip: int, file: str) -> None:
    """Load every row as text; a row with the wrong field count is an error naming its line."""
    n = len(report.header)
    cols = {_col(i): "VARCHAR" for i in range(n)}
    try:
        # Row numbers are the table's rowids (rows are stored in file order: insertion order
        # is preserved), not a row_number() window, which doubles the cost of the read.
        con.execute(
            "CREATE TEMP TABLE lines AS SELECT * FROM read_csv(?,"
            " columns = ?, header = false, skip = ?, delim = ',', quote = '\"', escape = '\"',"
            " auto_detect = false, strict_mode = true, null_padding = false)",
            [path, cols, skip],
        )
        con.execute("CREATE TEMP VIEW src AS SELECT rowid + 1 AS rn, * FROM lines")
    except duckdb.InvalidInputException as exc:
        msg = str(exc)
        line = re.search(r"Line: (\d+)", msg)
        found = re.search(r"Expected Number of Columns: \d+ Found: (\d+)", msg)
        what = f"{found.group(1)} fields" if found else msg.split("\n")[0]
        hint = " (a broken quote?)" if found and int(found.group(1)) > n else ""
        raise SourceError(
            SOURCE,
            file,
            f"malformed row: {what}, expected {n}{hint}",
            line=int(line.group(1)) if line else None,
        ) from exc


def _validate(con: duckdb.DuckDBPyConnection, report: Report, file: str, offset: int) -> str:
    """Whole-file checks; returns the release (max report date, ISO)."""
    if con.execute("SELECT count(*) FROM src").fetchone()[0] == 0:
        raise SourceError(SOURCE, file, "no data rows")
    d, ymd, code = _clean(report.date_index), _clean(1), _clean(report.code_index)
    bad = con.execute(
        f"SELECT rn, {_col(report.date_index)}, {_col(1)} FROM src"
        f" WHERE TRY_CAST({d} AS DATE) IS NULL"
        f" OR strftime(TRY_CAST({d} AS DATE), '%y%m%d') IS DISTINCT FROM {ymd}"
        " ORDER BY rn LIMIT 1"
    ).fetchone()
    if bad:
        raise _fail(file, bad[0] + offset, f"report date {bad[1]!r} (YYMMDD {bad[2]!r}) is not"
                    " a valid date, or the two date columns disagree")  # fmt: skip
    rn = con.execute(f"SELECT min(rn) FROM src WHERE {code} IS NULL").fetchone()[0]
    if rn is not None:
        raise _fail(file, rn + offset, "empty CFTC contract market code")
    if report.futonly_value is not None:
        idx = report.header.index("FutOnly_or_Combined")
        wrong = con.execute(
            f"SELECT rn, {_clean(idx)} FROM src WHERE {_clean(idx)} IS DISTINCT FROM ?"
            " ORDER BY rn LIMIT 1",
            [report.futonly_value],
        ).fetchone()
        if wrong:
            raise _fail(file, wrong[0] + offset, f"FutOnly_or_Combined is {wrong[1]!r}, this"
                        f" file should hold {report.futonly_value!r} rows only")  # fmt: skip
    row = "hash(*COLUMNS(* EXCLUDE (rn, k, d)))"
    dup = con.execute(
        f"WITH keys AS (SELECT {code} AS k, {d} AS d FROM src GROUP BY ALL HAVING count(*) > 1)"
        f" SELECT k, d, list(rn ORDER BY rn), count(DISTINCT {row}) FROM src"
        f" JOIN keys ON {code} = k AND {d} = d GROUP BY k, d ORDER BY min(rn) LIMIT 1"
    ).fetchone()
    if dup and dup[3] > 1:
        lines = [r + offset for r in dup[2]]
        raise _fail(file, lines[1], f"market {dup[0]} week {dup[1]} appears on lines {lines}"
                    " with different numbers")  # fmt: skip
    return str(con.execute(f"SELECT max(CAST({d} AS DATE)) FROM src").fetchone()[0])


def _kept(con: duckdb.DuckDBPyConnection, report: Report, markets: list[str]) -> pa.Table:
    """Rows of the configured markets, still raw text (first of exact duplicates only)."""
    code, d = _clean(report.code_index), _clean(report.date_index)
    keep = ", ".join("'" + m.replace("'", "") + "'" for m in markets) or "NULL"
    res = con.execute(
        f"SELECT * FROM src WHERE {code} IN ({keep})"
        f" QUALIFY row_number() OVER (PARTITION BY {code}, {d} ORDER BY rn) = 1 ORDER BY rn"
    ).arrow()
    return res.read_all() if hasattr(res, "read_all") else res


def _blank_to_null(arr: pa.Array) -> pa.Array:
    """Trim; '.' (not applicable) and '' -> NULL."""
    arr = pc.utf8_trim_whitespace(arr)
    return pc.if_else(pc.is_in(arr, pa.array([".", ""])), pa.scalar(None, pa.string()), arr)


def _typed(
    report: Report, raw: pa.Table, file: str, offset: int, digest: str, release: str
) -> pa.Table:
    """Landing rows: trimmed, typed columns (a bad number names line and column), lineage."""
    schema = SCHEMAS[report.table]
    n = raw.num_rows
    lines = pc.add(raw["rn"], offset).cast(pa.int64())
    cols: dict[str, pa.Array] = {"report_type": pa.array([report.report_type] * n, pa.string())}
    for i, name in enumerate(report.header):
        text = _blank_to_null(raw[_col(i)].combine_chunks())
        target = schema.field(slug(name)).type
        try:
            cols[slug(name)] = text.cast(target)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            for value, line in zip(text.to_pylist(), lines.to_pylist(), strict=True):
                try:
                    pa.array([value], pa.string()).cast(target)
                except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
                    msg = f"column {name!r}: {value!r} is not a {target}"
                    raise _fail(file, line, msg) from exc
            raise
    cols["_line"] = lines
    cols["_raw_sha256"] = pa.array([digest] * n, pa.string())
    cols["_release"] = pa.array([release] * n, pa.string())
    cols["_period"] = cols[slug(report.header[report.date_index])]
    return pa.table(cols, schema=schema)


def parse(
    report: Report, text: bytes, file: str, digest: str, markets: list[str], headerless: bool
) -> tuple[str, pa.Table]:
    """(release = newest report date in the file, landing rows of the configured markets)."""
    decode_text(SOURCE, file, text)  # a Latin-1 byte is named with its line, not as a CSV error
    has_header = check_header(report, text, file, headerless)
    offset = 1 if has_header else 0  # line of a row = its row number + header line
    with tempfile.TemporaryDirectory(prefix="cot-") as tmp:
        path = os.path.join(tmp, "data.txt")
        with open(path, "wb") as fh:
            fh.write(text)
        con = duckdb.connect(config={"threads": max(1, min(4, os.cpu_count() or 1))})
        try:
            _read(con, path, report, offset, file)
            release = _validate(con, report, file, offset)
            raw = _kept(con, report, markets)
        except duckdb.Error as exc:
            raise SourceError(SOURCE, file, f"unreadable text: {exc}") from exc
        finally:
            con.close()
    return release, _typed(report, raw, file, offset, digest, release)
