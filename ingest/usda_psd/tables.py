"""PSD Online report-table CSV exports (e.g. "Table 03A Coffee Production").

Layout: a title line, two blank lines, a column line starting with spaces and a comma
(`,2019/20,...,Jun 2024/25,`), then sections: a line naming the attribute ("Production,"), an
optional `nr` placeholder line, country rows with a leading space, and a `    Total` row that is
USDA's own world figure. Every line ends with a trailing comma.

Year labels are mapped to the bulk file's Market_Year: for coffee, label "2022/23" is
Market_Year 2023 (start year + 1), which matches USDA's bulk file for the same crops
(../shared/data/PROVENANCE.md). The release month is folded into the last label
("Jun 2024/25" -> release 2024-06, a forecast).
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from functools import cache
from pathlib import Path

import pyarrow as pa

from ingest.errors import SourceError
from ingest.sniff import decode_text

SOURCE = "usda_psd"
MONTH_NAMES = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
MONTHS = {m: i for i, m in enumerate(MONTH_NAMES, 1)}
# Section titles as printed in the tables -> PSD Attribute_ID of the bulk file.
ATTRIBUTES = {
    "Beginning Stocks": "020", "Production": "028", "Arabica Production": "029",
    "Robusta Production": "053", "Other Production": "056", "Imports": "057",
    "Bean Imports": "058", "Roast and Ground Imports": "075", "Soluble Imports": "082",
    "Total Supply": "086", "Exports": "088", "Bean Exports": "090",
    "Roast and Ground Exports": "107", "Soluble Exports": "114",
    "Domestic Consumption": "125", "Ending Stocks": "176", "Total Distribution": "178",
}  # fmt: skip
SCHEMA = pa.schema(
    [("table_title", pa.string()), ("attribute_id", pa.string()), ("attribute", pa.string()),
     ("country_name", pa.string()), ("country_code", pa.string()), ("year_label", pa.string()),
     ("market_year", pa.int32()), ("is_forecast", pa.bool_()), ("value", pa.string()),
     ("_line", pa.int64()), ("_raw_sha256", pa.string()), ("_release", pa.string()),
     ("_period", pa.date32())]
)  # fmt: skip
LABEL = re.compile(r"^(?:(?P<month>[A-Z][a-z]{2}) )?(?P<start>\d{4})/(?P<end>\d{2})$")


@cache
def country_codes() -> dict[str, str]:
    """Country names as printed in the tables -> USDA FAS country codes."""
    path = Path(__file__).with_name("countries.csv")
    with path.open(encoding="utf-8", newline="") as fh:
        return {row["name"]: row["country_code"] for row in csv.DictReader(fh)}


def _code(name: str, file: str, line: int) -> str:
    clean = name.replace("chr(39)", "'").strip()  # the export writes ' as chr(39)
    codes = country_codes()
    code = codes.get(clean) or codes.get(clean.replace("Korea South", "Korea, South"))
    if code is None:
        raise SourceError(SOURCE, file, f"unknown country name {clean!r}", line)
    return code


def parse(data: bytes, name: str, digest: str) -> tuple[str, pa.Table]:
    """(release YYYY-MM, landing rows) of one report-table CSV."""
    text = decode_text(SOURCE, name, data)
    lines = list(csv.reader(io.StringIO(text)))
    if not lines or not lines[0]:
        raise SourceError(SOURCE, name, "empty file")
    title = lines[0][0].strip()
    header_idx = next(
        (i for i, r in enumerate(lines) if r and r[0].strip() == "" and len(r) > 2), None
    )
    if header_idx is None:
        raise SourceError(SOURCE, name, "no year column line (',2019/20,...') found")
    labels = [c.strip() for c in lines[header_idx][1:] if c.strip()]
    parsed = [LABEL.match(lbl) for lbl in labels]
    if not labels or not all(parsed):
        raise SourceError(SOURCE, name, f"unexpected year labels {labels}", header_idx + 1)
    last = parsed[-1]
    if not last["month"] or last["month"] not in MONTHS:
        raise SourceError(SOURCE, name, f"no release month in last label {labels[-1]!r}")
    release = f"{last['start']}-{MONTHS[last['month']]:02d}"
    years = [int(m["start"]) + 1 for m in parsed]  # coffee: "2022/23" is Market_Year 2023
    year_labels = [f"{m['start']}/{m['end']}" for m in parsed]
    rows: dict[str, list] = {f.name: [] for f in SCHEMA}
    attribute = None
    for i, row in enumerate(lines[header_idx + 1 :], start=header_idx + 2):
        cells = [c for c in row]
        if not cells or all(not c.strip() for c in cells):
            continue
        first = cells[0]
        values = [c.strip() for c in cells[1 : 1 + len(labels)]]
        if not first.startswith(" ") and all(not v for v in values):
            attribute = first.strip()
            if attribute not in ATTRIBUTES:
                raise SourceError(SOURCE, name, f"unknown section {attribute!r}", i)
            continue
        if first.strip() == "nr" or (first.strip() == "" and set(values) <= {"nr", ""}):
            continue  # "not reported" placeholder rows
        if attribute is None:
            raise SourceError(SOURCE, name, "data row before any section title", i)
        if len(values) != len(labels):
            raise SourceError(SOURCE, name, f"{len(values)} values for {len(labels)} years", i)
        country = first.strip()
        code = "WORLD" if country == "Total" else _code(country, name, i)
        for label, year, value, p in zip(year_labels, years, values, parsed, strict=True):
            if value in ("", "nr"):
                continue
            rows["table_title"].append(title)
            rows["attribute_id"].append(ATTRIBUTES[attribute])
            rows["attribute"].append(attribute)
            rows["country_name"].append(
                "World" if code == "WORLD" else country.replace("chr(39)", "'")
            )
            rows["country_code"].append(code)
            rows["year_label"].append(label)
            rows["market_year"].append(year)
            rows["is_forecast"].append(p["month"] is not None)
            rows["value"].append(value)
            rows["_line"].append(i)
    n = len(rows["value"])
    if n == 0:
        raise SourceError(SOURCE, name, "no data rows")
    rows["_raw_sha256"] = [digest] * n
    rows["_release"] = [release] * n
    rows["_period"] = [date(int(release[:4]), int(release[5:7]), 1)] * n
    return release, pa.table(rows, schema=SCHEMA)
