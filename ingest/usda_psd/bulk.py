"""The PSD bulk CSVs: coffee (`psd_coffee_csv.zip` -> `psd_coffee.csv`) and every commodity
(`psd_alldata_csv.zip` -> `psd_alldata.csv`, the same columns).

Quirks handled (../shared/data/PROVENANCE.md): CRLF line endings, quoted text with a comma
inside an attribute name ("Rst,Ground Dom. Consum"), codes with leading zeros that must stay
strings, and Calendar_Year/Month being a "last updated" stamp rather than a period. Values stay
text here; typing and checks happen in SQL (staging) and audits.
"""

from __future__ import annotations

import functools
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
            return zf.read(csvs[0])
    except zipfile.BadZipFile as exc:
        raise SourceError(SOURCE, name, f"corrupt zip: {exc}") from exc


def _read(data: bytes, name: str, member: str = MEMBER) -> tuple[pa.Table, str]:
    """(rows as text, the inner file's name for messages): header, CSV shape, non-empty."""
    inner = _member(data, name, member)
    file = f"{name}!{member}"
    text = decode_text(SOURCE, file, inner)  # UTF-8 checked once (an error names the byte)
    if not text or text.isspace():  # not strip(): a copy of ~150 MB for the all-commodities file
        raise SourceError(SOURCE, file, "empty file")
    header = text.partition("\n")[0].rstrip("\r")  # not splitlines(): the file is ~150 MB
    del text  # not kept alive while Arrow parses the bytes
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
    return table.select(COLUMNS), file


def _check_units(table: pa.Table, file: str) -> None:
    """Coffee is published in (1000 60 KG BAGS) only; anything else is a unit change upstream."""
    units = table["Unit_Description"].to_pylist()
    for i, unit in enumerate(units):
        if unit != UNIT:
            raise SourceError(SOURCE, file, f"unit {unit!r}, expected {UNIT!r}", line=i + 2)


def _check_duplicates(table: pa.Table, file: str, keys: list[str]) -> None:
    """One value per key (commodity,) country, market year, attribute in a release; a repeat
    is an error."""
    counts = table.group_by(keys).aggregate([([], "count_all")])
    dups = counts.filter(pc.greater(counts["count_all"], 1))
    if dups.num_rows:
        first = {k: dups[k][0].as_py() for k in keys}
        mask = functools.reduce(pc.and_, [pc.equal(table[k], first[k]) for k in keys])
        lines = [i + 2 for i, m in enumerate(mask.to_pylist()) if m]
        raise SourceError(
            SOURCE, file,
            f"{dups.num_rows} duplicated keys, e.g. {first} on lines {lines}", line=lines[-1],
        )  # fmt: skip


def _release(table: pa.Table, file: str) -> str:
    """The newest Calendar_Year/Month "last updated" stamp: the month of the release.

    One vectorised pass (a YYYY-MM text per row, its maximum) rather than a group_by: the
    all-commodities file has ~2 M rows and a handful of stamps."""
    year = pc.utf8_trim_whitespace(table["Calendar_Year"])
    month = pc.utf8_lpad(pc.utf8_trim_whitespace(table["Month"]), 2, "0")
    ok = pc.and_(pc.match_substring_regex(year, r"^\d{4}$"),
                 pc.match_substring_regex(month, r"^(0[1-9]|[1-9]\d)$"))  # fmt: skip
    stamps = pc.filter(pc.binary_join_element_wise(year, month, "-"), ok)
    newest = pc.max(stamps).as_py() if len(stamps) else None
    if not newest:
        raise SourceError(SOURCE, file, "no Calendar_Year/Month stamp to date the release")
    return newest


def parse(data: bytes, name: str, digest: str) -> tuple[str, pa.Table]:
    """(release YYYY-MM, landing rows) of one coffee bulk zip."""
    table, file = _read(data, name)
    _check_units(table, file)
    _check_duplicates(table, file, ["Country_Code", "Market_Year", "Attribute_ID"])
    return _landing(table, _release(table, name), digest)


def parse_alldata(data: bytes, name: str, digest: str, codes: set[str]) -> tuple[str, pa.Table]:
    """(release YYYY-MM, landing rows of the commodity `codes`) of one all-commodities zip.

    The file holds every commodity (~2 M rows); only the configured ones land. Units vary by
    commodity and attribute (1000 MT, 1000 480 lb. Bales, 1000 HA, MT/HA...): they are kept
    as published and checked against each commodity's configured unit in SQL (an audit), so
    a unit change stops that commodity's numbers, not the file's other commodities.
    """
    table, file = _read(data, name, ALLDATA_MEMBER)
    wanted = pc.is_in(pc.utf8_trim_whitespace(table["Commodity_Code"]),
                      pa.array(sorted(codes), pa.string()))  # fmt: skip
    kept = table.filter(wanted)
    _check_duplicates(kept, file, ["Commodity_Code", "Country_Code", "Market_Year", "Attribute_ID"])
    lines = pc.add(pc.indices_nonzero(wanted).cast(pa.int64()), 2)  # line 1 is the header
    return _landing(kept, _release(table, name), digest, lines)


def _landing(
    table: pa.Table, release: str, digest: str, lines: pa.Array | None = None
) -> tuple[str, pa.Table]:
    n = table.num_rows
    period = date(int(release[:4]), int(release[5:7]), 1)
    cols = {c.lower(): table[c] for c in COLUMNS}
    cols["_line"] = lines if lines is not None else pa.array(range(2, n + 2), pa.int64())
    cols["_raw_sha256"] = pa.array([digest] * n, pa.string())
    cols["_release"] = pa.array([release] * n, pa.string())
    cols["_period"] = pa.array([period] * n, pa.date32())
    return release, pa.table(cols, schema=SCHEMA)
