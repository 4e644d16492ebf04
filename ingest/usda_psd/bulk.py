"""The PSD bulk CSVs: coffee (`psd_coffee_csv.zip` -> `psd_coffee.csv`) and every commodity
(`psd_alldata_csv.zip` -> `psd_alldata.csv`, the same columns).

Quirks handled (../shared/data/PROVENANCE.md): CRLF line endings, quoted text with a comma
inside an attribute name ("Rst,Ground Dom. Consum"), codes with leading zeros that must stay
strings, and Calendar_Year/Month being a "last updated" stamp rather than a period. Values stay
text here; typing and checks happen in SQL (staging) and audits.
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from ingest.errors import SourceError
from ingest.sniff import decode_text, read_member

SOURCE = "usda_psd"
MEMBER = "psd_coffee.csv"
ALLDATA_MEMBER = "psd_alldata.csv"
UNIT = "(1000 60 KG BAGS)"
COFFEE_CODE = "0711100"  # the one commodity of psd_coffee.csv
COLUMNS = [
    "Commodity_Code", "Commodity_Description", "Country_Code", "Country_Name", "Market_Year",
    "Calendar_Year", "Month", "Attribute_ID", "Attribute_Description", "Unit_ID",
    "Unit_Description", "Value",
]  # fmt: skip
SCHEMA = pa.schema(
    [(c.lower(), pa.string()) for c in COLUMNS]
    + [("_line", pa.int64()), ("_raw_sha256", pa.string()), ("_release", pa.string()),
       ("_period", pa.date32())]
)  # fmt: skip


def _member(data: bytes, name: str, member: str = MEMBER) -> bytes:
    """The CSV inside the zip; exactly one .csv member, named `member`, is expected."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            csvs = [n for n in zf.namelist() if n.lower().endswith(".csv")]
            if len(csvs) != 1:
                raise SourceError(SOURCE, name, f"expected one CSV member, found {csvs or 'none'}")
            if csvs[0] != member:
                raise SourceError(SOURCE, name, f"inner file is {csvs[0]!r}, expected {member!r}")
            return read_member(SOURCE, name, zf, csvs[0])
    except zipfile.BadZipFile as exc:
        raise SourceError(SOURCE, name, f"corrupt zip: {exc}") from exc


def _read(data: bytes, name: str, member: str = MEMBER) -> tuple[pa.Table, str]:
    """(rows as text, the inner file's name for messages): header, CSV shape, non-empty.

    The ~150 MB all-commodities text is not decoded in Python: Arrow checks the UTF-8 of
    every value as it parses, and only a file it refuses is decoded, to name the bad byte."""
    inner = _member(data, name, member)
    file = f"{name}!{member}"
    if not inner or inner.isspace():  # not strip(): a copy of ~150 MB
        raise SourceError(SOURCE, file, "empty file")
    end = inner.find(b"\n")
    header = decode_text(SOURCE, file, inner[: end if end >= 0 else len(inner)]).rstrip("\r")
    got = [h.strip().strip('"') for h in header.split(",")]
    missing = [c for c in COLUMNS if c not in got]
    extra = [c for c in got if c not in COLUMNS]
    if missing or extra:
        raise SourceError(
            SOURCE, file, f"header changed: missing {missing}, unexpected {extra}", line=1
        )
    try:
        table = pacsv.read_csv(
            pa.BufferReader(inner),
            read_options=pacsv.ReadOptions(skip_rows=1, column_names=got),
            convert_options=pacsv.ConvertOptions(column_types={c: pa.string() for c in COLUMNS}),
        )
    except pa.ArrowInvalid as exc:
        decode_text(SOURCE, file, inner)  # a non-UTF-8 byte is named with its line
        raise SourceError(SOURCE, file, f"malformed CSV: {exc}") from exc
    if table.num_rows == 0:
        raise SourceError(SOURCE, file, "header only, no data rows")
    return table.select(COLUMNS), file


def _check_units(table: pa.Table, file: str) -> None:
    """Coffee is published in (1000 60 KG BAGS) only; anything else is a unit change upstream."""
    units = table["Unit_Description"].to_pylist()
    for i, unit in enumerate(units):
        if unit != UNIT:
            raise SourceError(SOURCE, file, f"unit {unit!r}, expected {UNIT!r}", line=i + 2)


def _codes(table: pa.Table, columns: list[str]) -> pa.Array:
    """One int64 per row that is equal exactly when the rows' `columns` are: each column's
    position in its own distinct values, combined. Hashing a few short strings per column
    is ~20x cheaper than a group_by over the string columns of ~2 M rows."""
    key = None
    for c in columns:
        distinct = pc.unique(table[c])
        idx = pc.index_in(table[c], value_set=distinct).cast(pa.int64())
        key = idx if key is None else pc.add(pc.multiply(key, len(distinct)), idx)
    return key.combine_chunks() if isinstance(key, pa.ChunkedArray) else key


def _check_duplicates(table: pa.Table, file: str, keys: list[str], lines: pa.Array) -> None:
    """One value per key (commodity,) country, market year, attribute in a release; a repeat
    is an error naming its lines."""
    if table.num_rows < 2:
        return
    code = _codes(table, keys)
    ordered = code.take(pc.sort_indices(code))  # a sort: ~10x cheaper than hashing 2 M keys
    same = pc.equal(ordered.slice(1), ordered.slice(0, len(ordered) - 1))
    if not pc.any(same).as_py():
        return
    repeated = pc.unique(ordered.slice(1).filter(same))
    at = pc.index(pc.is_in(code, value_set=repeated), True).as_py()  # first repeated key's row
    first = {k: table[k][at].as_py() for k in keys}
    rows = pc.indices_nonzero(pc.equal(code, code[at]))
    found = lines.take(rows).to_pylist()
    raise SourceError(
        SOURCE, file,
        f"{len(repeated)} duplicated keys, e.g. {first} on lines {found}", line=found[-1],
    )  # fmt: skip


def _release(table: pa.Table, file: str) -> str:
    """The newest Calendar_Year/Month "last updated" stamp: the month of the release.

    Checked on the file's distinct (year, month) pairs, a handful, not on its ~2 M rows."""
    years, months = pc.unique(table["Calendar_Year"]), pc.unique(table["Month"])
    pair = pc.add(
        pc.multiply(pc.index_in(table["Calendar_Year"], value_set=years).cast(pa.int64()),
                    len(months)),
        pc.index_in(table["Month"], value_set=months).cast(pa.int64()),
    )  # fmt: skip
    stamps = []
    for code in pc.unique(pair).to_pylist():
        year = (years[code // len(months)].as_py() or "").strip()
        month = (months[code % len(months)].as_py() or "").strip().rjust(2, "0")
        if re.fullmatch(r"\d{4}", year) and re.fullmatch(r"0[1-9]|[1-9]\d", month):
            stamps.append(f"{year}-{month}")
    if not stamps:
        raise SourceError(SOURCE, file, "no Calendar_Year/Month stamp to date the release")
    return max(stamps)


def parse(data: bytes, name: str, digest: str) -> tuple[str, pa.Table]:
    """(release YYYY-MM, landing rows) of one coffee bulk zip."""
    table, file = _read(data, name)
    _check_units(table, file)
    lines = pa.array(range(2, table.num_rows + 2), pa.int64())
    _check_duplicates(table, file, ["Country_Code", "Market_Year", "Attribute_ID"], lines)
    return _landing(table, _release(table, name), digest, lines)


def parse_alldata(data: bytes, name: str, digest: str, codes: set[str]) -> tuple[str, pa.Table]:
    """(release YYYY-MM, landing rows of the commodity `codes`) of one all-commodities zip.

    The file holds every commodity (~2 M rows); only the configured ones land. Units vary by
    commodity and attribute (1000 MT, 1000 480 lb. Bales, 1000 HA, MT/HA...): they are kept
    as published and checked against each commodity's configured unit in SQL (an audit), so
    a unit change stops that commodity's numbers, not the file's other commodities.
    """
    table, file = _read(data, name, ALLDATA_MEMBER)
    release = _release(table, name)
    distinct = pc.unique(table["Commodity_Code"])  # the codes are matched trimmed, once each
    ours = pc.is_in(pc.utf8_trim_whitespace(distinct), pa.array(sorted(codes), pa.string()))
    wanted = pc.is_in(table["Commodity_Code"], value_set=distinct.filter(ours))
    lines = pc.add(pc.indices_nonzero(wanted).cast(pa.int64()), 2)  # line 1 is the header
    kept = table if len(lines) == table.num_rows else table.filter(wanted)
    del table  # the file's other commodities are not kept alive
    keys = ["Commodity_Code", "Country_Code", "Market_Year", "Attribute_ID"]
    _check_duplicates(kept, file, keys, lines)
    return _landing(kept, release, digest, lines)


def _landing(table: pa.Table, release: str, digest: str, lines: pa.Array) -> tuple[str, pa.Table]:
    n = table.num_rows
    period = date(int(release[:4]), int(release[5:7]), 1)
    cols = {c.lower(): table[c] for c in COLUMNS}
    cols["_line"] = lines
    cols["_raw_sha256"] = pa.repeat(pa.scalar(digest, pa.string()), n)
    cols["_release"] = pa.repeat(pa.scalar(release, pa.string()), n)
    cols["_period"] = pa.repeat(pa.scalar(period, pa.date32()), n)
    return release, pa.table(cols, schema=SCHEMA)
