"""Parse one ICO wide table into long rows (country x year), validating as it goes."""

from __future__ import annotations

import csv
import io
import re
from datetime import date

import pyarrow as pa

from ingest.errors import SourceError
from ingest.sniff import decode_text

SOURCE = "ico"
CROP = re.compile(r"^(\d{4})/(\d{2})$")
CALENDAR = re.compile(r"^(\d{4})$")
NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
# Total_<suffix> -> flow name; the Kaggle names are truncated ("inventorie").
FLOWS = {
    "production": "production",
    "domestic_consumption": "domestic_consumption",
    "export": "exports",
    "import": "imports",
    "re_export": "re_exports",
    "inventorie": "inventories",
    "inventories": "inventories",
    "import_consumption": "importers_consumption",
}
SCHEMA = pa.schema(
    [("flow", pa.string()), ("country", pa.string()), ("is_sub_member", pa.bool_()),
     ("coffee_type", pa.string()), ("year_label", pa.string()), ("year", pa.int32()),
     ("year_type", pa.string()), ("value_raw", pa.float64()), ("_line", pa.int64()),
     ("_raw_sha256", pa.string()), ("_release", pa.string()), ("_period", pa.date32())]
)  # fmt: skip


def _years(header: list[str], name: str) -> tuple[list[tuple[str, int]], str]:
    """[(label, year)] of the year columns and 'crop' or 'calendar'; error if mixed/garbled."""
    out, kinds = [], set()
    for label in header:
        if m := CROP.match(label):
            start = int(m[1])
            if int(m[2]) != (start + 1) % 100:
                raise SourceError(SOURCE, name, f"crop year {label!r} does not span two years", 1)
            out.append((label, start))
            kinds.add("crop")
        elif m := CALENDAR.match(label):
            out.append((label, int(m[1])))
            kinds.add("calendar")
        else:
            raise SourceError(SOURCE, name, f"column {label!r} is not a year (1990 or 1990/91)", 1)
    if len(kinds) != 1:
        raise SourceError(SOURCE, name, "year columns mix crop years and calendar years", 1)
    years = [y for _, y in out]
    if len(set(years)) != len(years):
        raise SourceError(SOURCE, name, "a year column appears twice", 1)
    return out, kinds.pop()


def parse(data: bytes, name: str, digest: str) -> tuple[str, pa.Table]:
    text = decode_text(SOURCE, name, data)
    lines = list(csv.reader(io.StringIO(text)))
    if not lines or not any(c.strip() for c in lines[0]):
        raise SourceError(SOURCE, name, "empty file")
    header = [c.strip() for c in lines[0]]
    if header[0] != "Country":
        raise SourceError(SOURCE, name, f"first column is {header[0]!r}, expected 'Country'", 1)
    if not header[-1].startswith("Total_"):
        raise SourceError(SOURCE, name, f"last column is {header[-1]!r}, expected Total_<flow>", 1)
    suffix = header[-1][len("Total_") :]
    if suffix not in FLOWS:
        raise SourceError(SOURCE, name, f"unknown flow column {header[-1]!r}", 1)
    flow = FLOWS[suffix]
    has_type = len(header) > 1 and header[1] == "Coffee type"
    first_year = 2 if has_type else 1
    years, year_type = _years(header[first_year:-1], name)
    if (year_type == "crop") != has_type:
        raise SourceError(SOURCE, name, "crop-year tables carry a 'Coffee type' column", 1)
    rows: dict[str, list] = {f.name: [] for f in SCHEMA}
    seen: dict[str, tuple[list[float], int]] = {}
    for i, cells in enumerate(lines[1:], start=2):
        if not cells or all(not c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            raise SourceError(SOURCE, name, f"{len(cells)} fields, expected {len(header)}", i)
        raw_country = cells[0]
        country = raw_country.strip()
        if not country:
            raise SourceError(SOURCE, name, "row without a country name", i)
        values = []
        for (label, _), cell in zip(years, cells[first_year:-1], strict=True):
            cell = cell.strip()
            if not NUMBER.match(cell):
                raise SourceError(SOURCE, name, f"{country} {label}: {cell!r} is not a number", i)
            value = float(cell)
            if value < 0:
                raise SourceError(SOURCE, name, f"{country} {label}: negative value {cell}", i)
            values.append(value)
        total = cells[-1].strip()
        if not NUMBER.match(total) or abs(sum(values) - float(total)) > 0.5:
            raise SourceError(
                SOURCE, name, f"{country}: years sum to {sum(values):g} but {header[-1]} is "
                f"{total!r} (shifted or missing column?)", i,
            )  # fmt: skip
        if country in seen:
            if seen[country][0] != values:
                raise SourceError(
                    SOURCE, name, f"{country} appears twice with different values (first on "
                    f"line {seen[country][1]})", i,
                )  # fmt: skip
            continue
        seen[country] = (values, i)
        for (label, year), value in zip(years, values, strict=True):
            rows["flow"].append(flow)
            rows["country"].append(country)
            rows["is_sub_member"].append(raw_country.startswith(" "))
            rows["coffee_type"].append(cells[1].strip() or None if has_type else None)
            rows["year_label"].append(label)
            rows["year"].append(year)
            rows["year_type"].append(year_type)
            rows["value_raw"].append(value)
            rows["_line"].append(i)
            rows["_period"].append(date(year, 1, 1))
    n = len(rows["flow"])
    if n == 0:
        raise SourceError(SOURCE, name, "no data rows")
    release = f"{max(y for _, y in years)}-12"
    rows["_raw_sha256"] = [digest] * n
    rows["_release"] = [release] * n
    return release, pa.table(rows, schema=SCHEMA)
