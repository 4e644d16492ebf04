"""Parse one CFTC COT text file (yearly, history or current week): the configured markets only.

A year of all markets is ~300 markets x 53 weeks x 191 columns (~24 MB); a build configures a
few of them. So the file is read in two passes, both in Arrow's C++ (no per-row Python):

1. every line as bytes, and of each line only its first four fields (name, the two report
   dates, the contract market code) by one regular expression. On every line: the report
   date is a real date equal to its YYMMDD twin (the file's release is the newest date, so
   every date counts), and the market code is not empty (a row we cannot attribute might be
   a configured market's). Lines of other markets are not read further: their numbers,
   field counts or encoding no longer matter.
2. the configured markets' lines, parsed as CSV with every column as text (the quoted
   `Contract_Units` "(CONTRACTS OF 37,500 POUNDS)", CRLF and LF): a wrong field count, a
   non-UTF-8 byte, a Combined row in a futures-only file, the same week twice with different
   numbers or a number that is not one is an error naming the file and the line.

Lines are physical lines (each COT row is one line), so a landed row's `_line` is its line
in the file. Every check runs before anything is kept, so a bad file lands nothing.
"""

from __future__ import annotations

import csv
import io
import zipfile

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from ingest.cftc_cot.layout import SCHEMAS, Report, slug
from ingest.errors import SourceError
from ingest.sniff import read_member

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
            return read_member(SOURCE, name, zf, names[0]), f"{name}!{names[0]}"
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


def _fail(file: str, line: int | None, message: str) -> SourceError:
    return SourceError(SOURCE, file, message, line=line)


# One CSV field (quoted, with "" inside, or bare); the code's surrounding blanks and quotes
# stay outside its group, so it compares as published ('.' and '' are "no code").
_FIELD = r'(?:"(?:[^"]|"")*"|[^,]*)'
_TRIMMED = r'[ "]*(?P<{}>[^,"]*?)[ "]*'
_PREFIX = (rf"^{_FIELD},{_TRIMMED.format('ymd')},{_TRIMMED.format('date')},"
           rf"{_TRIMMED.format('code')}(?:,|$)")  # fmt: skip


def _physical_lines(text: bytes, file: str) -> pa.Array:
    """Every line of the file as bytes, line endings (LF, CRLF) removed: row i is line i + 1.

    Arrow's CSV reader with no quoting and a delimiter that text files do not hold is a fast
    line splitter (~20 ms for 24 MB); a line holding that byte is refused."""
    try:
        table = pacsv.read_csv(
            pa.BufferReader(text),
            read_options=pacsv.ReadOptions(column_names=["line"]),
            parse_options=pacsv.ParseOptions(
                delimiter="\x1f", quote_char=False, escape_char=False, ignore_empty_lines=False
            ),
            convert_options=pacsv.ConvertOptions(column_types={"line": pa.binary()}),
        )
    except pa.ArrowInvalid as exc:
        raise SourceError(SOURCE, file, f"unreadable text: {exc}") from exc
    return table["line"].combine_chunks()


def _index(lines: pa.Array, first: int, file: str, markets: list[str]) -> tuple[str, pa.Array]:
    """Whole-file checks on each line's first four fields; (release, indices of the lines of
    the configured markets). `first`: index of the first data line (1 after a header)."""
    data = lines.slice(first)
    fields = pc.extract_regex(data, _PREFIX)
    unreadable = pc.and_(pc.is_null(fields), pc.greater(pc.binary_length(data), 0))
    if pc.any(unreadable).as_py():
        i = pc.index(unreadable, True).as_py()
        raise _fail(file, first + i + 1, "malformed row: fewer than 4 fields, or unreadable")
    ymd, day, code = (fields.field(k) for k in ("ymd", "date", "code"))
    valid = pc.is_valid(fields)
    if not pc.any(valid).as_py():
        raise SourceError(SOURCE, file, "no data rows")
    iso = pc.match_substring_regex(day, r"^\d{4}-\d{2}-\d{2}$")
    parsed = pc.strptime(pc.if_else(iso, day, pa.scalar(b"", pa.binary())).cast(pa.string()),
                         "%Y-%m-%d", "s", error_is_null=True)  # fmt: skip
    twin = pc.equal(pc.strftime(parsed, "%y%m%d").cast(pa.binary()), ymd)
    bad = pc.and_(valid, pc.invert(pc.fill_null(twin, False)))
    if pc.any(bad).as_py():
        i = pc.index(bad, True).as_py()
        shown = (
            day[i].as_py().decode("utf-8", "replace"),
            ymd[i].as_py().decode("utf-8", "replace"),
        )
        raise _fail(file, first + i + 1, f"report date {shown[0]!r} (YYMMDD {shown[1]!r}) is not"
                    " a valid date, or the two date columns disagree")  # fmt: skip
    empty = pc.and_(valid, pc.is_in(code, pa.array([b"", b"."], pa.binary())))
    if pc.any(empty).as_py():
        raise _fail(
            file, first + pc.index(empty, True).as_py() + 1, "empty CFTC contract market code"
        )
    release = pc.max(parsed).as_py().date().isoformat()
    wanted = pc.is_in(code, pa.array([m.encode() for m in markets], pa.binary()))
    return release, pc.add(pc.indices_nonzero(pc.fill_null(wanted, False)), first)


def _utf8_error(lines: pa.Array, kept: pa.Array, file: str) -> SourceError | None:
    """The first non-UTF-8 byte in the kept lines, named with its line (rare path: Python)."""
    for i in kept.to_pylist():
        raw = lines[i].as_py()
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            return _fail(file, i + 1, f"non-UTF-8 byte 0x{raw[exc.start]:02x} at column"
                         f" {exc.start + 1}")  # fmt: skip
    return None


def _parse_kept(report: Report, lines: pa.Array, kept: pa.Array, file: str) -> pa.Table:
    """The kept lines parsed as CSV, every column text; a wrong field count names its line."""
    n = len(report.header)
    names = [_col(i) for i in range(n)]
    if not len(kept):
        return pa.table({c: pa.array([], pa.string()) for c in names})
    block = pc.binary_join(pa.ListArray.from_arrays([0, len(kept)], lines.take(kept)), b"\n")
    bad: list[tuple[int | None, int]] = []

    def invalid(row: pacsv.InvalidRow) -> str:
        bad.append((row.number, row.actual_columns))
        return "skip"

    try:
        table = pacsv.read_csv(
            pa.BufferReader(block[0].as_buffer()),
            read_options=pacsv.ReadOptions(column_names=names, use_threads=False),
            parse_options=pacsv.ParseOptions(
                quote_char='"', double_quote=True, escape_char=False, invalid_row_handler=invalid
            ),
            convert_options=pacsv.ConvertOptions(column_types=dict.fromkeys(names, pa.string())),
        )
    except pa.ArrowInvalid as exc:
        if "UTF8" in str(exc) and (err := _utf8_error(lines, kept, file)):
            raise err from exc
        raise SourceError(SOURCE, file, f"malformed rows: {exc}") from exc
    if bad:  # rows before the first bad one are one line each: its number maps to its line
        number, found = bad[0]
        line = kept[number - 1].as_py() + 1 if number else None
        hint = " (a broken quote?)" if found > n else ""
        raise _fail(file, line, f"malformed row: {found} fields, expected {n}{hint}")
    if table.num_rows != len(kept):
        raise SourceError(SOURCE, file, "malformed rows: a quote spans lines")
    return table


def _dedupe(report: Report, raw: pa.Table, lines: pa.Array, file: str) -> pa.Array:
    """Positions of the rows to keep: one per market and week. The same week twice with
    different numbers is an error naming the lines; an exact repeat is kept once."""
    keys = pa.table({
        "k": pc.utf8_trim_whitespace(raw[_col(report.code_index)]),
        "d": pc.utf8_trim_whitespace(raw[_col(report.date_index)]),
        "i": pa.array(range(raw.num_rows), pa.int64()),
    })  # fmt: skip
    groups = keys.group_by(["k", "d"], use_threads=False).aggregate([("i", "list")])
    repeated = groups.filter(pc.greater(pc.list_value_length(groups["i_list"]), 1))
    for k, d, rows in sorted(
        zip(*repeated.to_pydict().values(), strict=True), key=lambda g: g[2][0]
    ):
        values = {tuple(r.values()) for r in raw.take(rows).to_pylist()}
        if len(values) > 1:
            at = [lines[r].as_py() for r in rows]
            raise _fail(file, at[1], f"market {k} week {d} appears on lines {at} with"
                        " different numbers")  # fmt: skip
    first = pc.list_element(groups["i_list"], 0)
    return pc.take(first, pc.sort_indices(first))


def _check_type(report: Report, raw: pa.Table, lines: pa.Array, file: str) -> None:
    """Disaggregated files state their report type on every row: a Combined row in a
    futures-only file means the wrong file (or a mixed one)."""
    if report.futonly_value is None:
        return
    got = _blank_to_null(raw[_col(report.header.index("FutOnly_or_Combined"))])
    wrong = pc.invert(pc.fill_null(pc.equal(got, report.futonly_value), False))
    if pc.any(wrong).as_py():
        i = pc.index(wrong, True).as_py()
        raise _fail(file, lines[i].as_py(), f"FutOnly_or_Combined is {got[i].as_py()!r}, this"
                    f" file should hold {report.futonly_value!r} rows only")  # fmt: skip


def _blank_to_null(arr: pa.Array) -> pa.Array:
    """Trim; '.' (not applicable) and '' -> NULL."""
    arr = pc.utf8_trim_whitespace(arr)
    return pc.if_else(pc.is_in(arr, pa.array([".", ""])), pa.scalar(None, pa.string()), arr)


def _typed(
    report: Report, raw: pa.Table, lines: pa.Array, file: str, digest: str, release: str
) -> pa.Table:
    """Landing rows: trimmed, typed columns (a bad number names line and column), lineage.

    The columns of one type are cast as one array (a few kernel calls instead of ~800 per
    file); a column that does not cast is then found and named with its line."""
    schema = SCHEMAS[report.table]
    n = raw.num_rows
    cols: dict[str, pa.Array] = {"report_type": pa.array([report.report_type] * n, pa.string())}
    by_type: dict[pa.DataType, list[int]] = {}
    for i, name in enumerate(report.header):
        by_type.setdefault(schema.field(slug(name)).type, []).append(i)
    for target, positions in by_type.items():
        chunks = [raw[_col(i)].combine_chunks() for i in positions]
        try:
            typed = _blank_to_null(pa.concat_arrays(chunks)).cast(target)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            for i, chunk in zip(positions, chunks, strict=True):
                _cast_or_fail(report.header[i], chunk, target, lines, file)
            raise
        for k, i in enumerate(positions):
            cols[slug(report.header[i])] = typed.slice(k * n, n)
    cols = {f.name: cols[f.name] for f in schema if f.name in cols}
    cols["_line"] = lines
    cols["_raw_sha256"] = pa.array([digest] * n, pa.string())
    cols["_release"] = pa.array([release] * n, pa.string())
    cols["_period"] = cols[slug(report.header[report.date_index])]
    return pa.table(cols, schema=schema)


def _cast_or_fail(
    name: str, chunk: pa.Array, target: pa.DataType, lines: pa.Array, file: str
) -> None:
    """Raise naming the line and column of the first value of `chunk` that is not a `target`."""
    text = _blank_to_null(chunk)
    try:
        text.cast(target)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        for value, line in zip(text.to_pylist(), lines.to_pylist(), strict=True):
            try:
                pa.array([value], pa.string()).cast(target)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
                raise _fail(file, line, f"column {name!r}: {value!r} is not a {target}") from exc


def parse(
    report: Report, text: bytes, file: str, digest: str, markets: list[str], headerless: bool
) -> tuple[str, pa.Table]:
    """(release = newest report date in the file, landing rows of the configured markets)."""
    has_header = check_header(report, text, file, headerless)
    lines = _physical_lines(text, file)
    release, kept = _index(lines, int(has_header), file, markets)
    raw = _parse_kept(report, lines, kept, file)
    numbers = pc.add(kept, 1).cast(pa.int64())  # the file's line of each kept row
    _check_type(report, raw, numbers, file)
    rows = _dedupe(report, raw, numbers, file)
    raw, numbers = raw.take(rows), numbers.take(rows)
    return release, _typed(report, raw, numbers, file, digest, release)
