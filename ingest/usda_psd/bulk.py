"""The PSD bulk CSV (`psd_coffee_csv.zip` -> `psd_coffee.csv`).

Quirks handled (../shared/data/PROVENANCE.md): CRLF line endings, quoted text with a comma
inside an attribute name ("Rst,Ground Dom. Consum"), codes with leading zeros that must stay
strings, and Calendar_Year/Month being a "last updated" stamp rather than a period. Values stay
text here; typing and checks happen in SQL (staging) and audits.
"""

from __future__ import annotations

import io
import zipfile
from datetime import date

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from ingest.errors import SourceError
from ingest.sniff import decode_text

SOURCE = "usda_psd"
MEMBER = "psd_coffee.csv"
UNIT = "(1000 60 KG BAGS)"
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


def _member(data: bytes, name: str) -> bytes:
    """The CSV inside the zip; exactly one .csv member is expected."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            csvs = [n for n in zf.namelist() if n.lower().endswith(".csv")]
            if len(csvs) != 1:
                raise SourceError(SOURCE, name, f"expected one CSV member, found {csvs or 'none'}")
            if csvs[0] != MEMBER:
                raise SourceError(SOURCE, name, f"inner file is {csvs[0]!r}, expected {MEMBER!r}")
            return zf.read(csvs[0])
    except zipfile.BadZipFile as exc:
        raise SourceError(SOURCE, name, f"corrupt zip: {exc}") from exc


def _read(data: bytes, name: str) -> pa.Table:
    inner = _member(data, name)
    file = f"{name}!{MEMBER}"
    text = decode_text(SOURCE, file, inner)
    if not text.strip():
        raise SourceError(SOURCE, file, "empty file")
    header = next(iter(text.splitlines()), "")
    got = [h.strip().strip('"') for h in header.split(",")]
    missing = [c for c in COLUMNS if c not in got]
    extra = [c for c in got if c not in COLUMNS]
    if missing or extra:
        raise SourceError(
            SOURCE, file, f"header changed: missing {missing}, unexpected {extra}", line=1
        )
    try:
        table = pacsv.read_csv(
            io.BytesIO(inner),
            convert_options=pacsv.ConvertOptions(column_types={c: pa.string() for c in COLUMNS}),
        )
    except pa.ArrowInvalid as exc:
        raise SourceError(SOURCE, file, f"malformed CSV: {exc}") from exc
    if table.num_rows == 0:
        raise SourceError(SOURCE, file, "header only, no data rows")
    table = table.select(COLUMNS)
    _check_units(table, file)
    _check_duplicates(table, file)
    return table


def _check_units(table: pa.Table, file: str) -> None:
    """Coffee is published in (1000 60 KG BAGS) only; anything else is a unit change upstream."""
    units = table["Unit_Description"].to_pylist()
    for i, unit in enumerate(units):
        if unit != UNIT:
            raise SourceError(SOURCE, file, f"unit {unit!r}, expected {UNIT!r}", line=i + 2)


def _check_duplicates(table: pa.Table, file: str) -> None:
    """One value per (country, market year, attribute) in a release; a repeat is an error."""
    keys = ["Country_Code", "Market_Year", "Attribute_ID"]
    counts = table.group_by(keys).aggregate([([], "count_all")])
    dups = counts.filter(pc.greater(counts["count_all"], 1))
    if dups.num_rows:
        first = {k: dups[k][0].as_py() for k in keys}
        mask = pc.and_(
            pc.and_(pc.equal(table["Country_Code"], first["Country_Code"]),
                    pc.equal(table["Market_Year"], first["Market_Year"])),
            pc.equal(table["Attribute_ID"], first["Attribute_ID"]),
        )  # fmt: skip
        lines = [i + 2 for i, m in enumerate(mask.to_pylist()) if m]
        raise SourceError(
            SOURCE, file,
            f"{dups.num_rows} duplicated keys, e.g. {first} on lines {lines}", line=lines[-1],
        )  # fmt: skip


def _release(table: pa.Table, file: str) -> str:
    """The newest Calendar_Year/Month "last updated" stamp: the month of the release."""
    stamps = {
        f"{y}-{int(m):02d}"
        for y, m in zip(table["Calendar_Year"].to_pylist(), table["Month"].to_pylist(), strict=True)
        if y and m and m.strip().isdigit() and int(m) > 0
    }
    if not stamps:
        raise SourceError(SOURCE, file, "no Calendar_Year/Month stamp to date the release")
    return max(stamps)


def parse(data: bytes, name: str, digest: str) -> tuple[str, pa.Table]:
    """(release YYYY-MM, landing rows) of one bulk zip."""
    table = _read(data, name)
    release = _release(table, name)
    n = table.num_rows
    period = date(int(release[:4]), int(release[5:7]), 1)
    cols = {c.lower(): table[c] for c in COLUMNS}
    cols["_line"] = pa.array(range(2, n + 2), pa.int64())  # line 1 is the header
    cols["_raw_sha256"] = pa.array([digest] * n, pa.string())
    cols["_release"] = pa.array([release] * n, pa.string())
    cols["_period"] = pa.array([period] * n, pa.date32())
    return release, pa.table(cols, schema=SCHEMA)
