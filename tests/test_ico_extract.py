"""ICO wide tables -> long rows: year kinds, sub-members, Total_* excluded, bad tables."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from ingest.errors import SourceError
from ingest.ico import extract, recognise

FILES = {
    "Coffee_production.csv": ("production", "crop", 55),
    "Coffee_domestic_consumption.csv": ("domestic_consumption", "crop", 55),
    "Coffee_export.csv": ("exports", "calendar", 55),
    "Coffee_import.csv": ("imports", "calendar", 35),
    "Coffee_re_export.csv": ("re_exports", "calendar", 35),
    "Coffee_green_coffee_inventorie.csv": ("inventories", "calendar", 18),
    "Coffee_importers_consumption.csv": ("importers_consumption", "calendar", 35),
}
GOOD = b"Country,2018,2019,Total_export\r\nBrazil,60,120,180\r\n   Austria,6,6,12\r\n"


def _parse(body: bytes, name: str = "Coffee_export.csv"):
    return extract("table", body, name, "i" * 64)[1]["flows"]


@pytest.mark.parametrize("name", sorted(FILES))
def test_every_real_table_loads(shared_data: Path, name: str) -> None:
    path = shared_data / "ico" / name
    data = path.read_bytes()
    assert recognise(name, data[:4096]) == "table"
    flows = _parse(data, name)
    flow, year_type, countries = FILES[name]
    assert set(flows["flow"].to_pylist()) == {flow}
    assert set(flows["year_type"].to_pylist()) == {year_type}
    assert flows.num_rows == countries * 30  # 30 year columns; the Total_* column is not a year
    assert sorted(set(flows["year"].to_pylist())) == list(range(1990, 2020))
    # every value is the published cell, in order
    rows = list(csv.reader(path.read_text().splitlines()))
    first = rows[1]
    start = 2 if year_type == "crop" else 1
    got = flows.slice(0, 30)["value_raw"].to_pylist()
    assert got == [float(v) for v in first[start:-1]]


def test_crop_years_and_coffee_type(shared_data: Path) -> None:
    flows = _parse((shared_data / "ico" / "Coffee_production.csv").read_bytes(), "p.csv")
    brazil = [r for r in flows.to_pylist() if r["country"] == "Brazil" and r["year"] == 2019][0]
    assert (brazil["year_label"], brazil["coffee_type"]) == ("2019/20", "Arabica/Robusta")
    assert brazil["value_raw"] / 60 == 58211  # thousand 60-kg bags, ICO's Brazil 2019/20


def test_sub_members_flagged_and_names_stripped(shared_data: Path) -> None:
    flows = _parse((shared_data / "ico" / "Coffee_import.csv").read_bytes(), "Coffee_import.csv")
    sub = {r["country"]: r["is_sub_member"] for r in flows.to_pylist()}
    assert sub["Austria"] is True and sub["Belgium/Luxembourg"] is True
    assert sub["Japan"] is False and sub["United States of America"] is False
    assert not any(c.startswith(" ") for c in sub)


def test_factor_60_holds_on_the_data(shared_data: Path) -> None:
    """Production and trade values are multiples of 60 (thousand bags x 60)."""
    for name in ["Coffee_production.csv", "Coffee_export.csv", "Coffee_import.csv"]:
        flows = _parse((shared_data / "ico" / name).read_bytes(), name)
        assert all(v % 60 == 0 for v in flows["value_raw"].to_pylist()), name


@pytest.mark.parametrize(
    ("body", "message", "line"),
    [
        (GOOD.replace(b"Country,", b"Land,"), "first column is 'Land'", 1),
        (GOOD.replace(b",Total_export", b",Sum"), "expected Total_<flow>", 1),
        (GOOD.replace(b",2019,", b",19,"), "'19' is not a year", 1),
        (GOOD.replace(b"2018,2019", b"2018/19,2019"), "mix crop years and calendar", 1),
        (GOOD.replace(b"Brazil,60,120,180", b"Brazil,60,-120,-60"), "negative value -120", 2),
        (GOOD.replace(b"Brazil,60,120,180", b"Brazil,60,n/a,60"), "'n/a' is not a number", 2),
        (GOOD.replace(b"Brazil,60,120,180", b"Brazil,60,120,999"), "years sum to 180", 2),
        (GOOD.replace(b"Brazil,60,120,180", b"Brazil,60,180"), "3 fields, expected 4", 2),
        (GOOD + b"Brazil,60,60,120\r\n", "Brazil appears twice with different values", 4),
        (b"Country,2018,2019,Total_export\r\n", "no data rows", None),
    ],
)
def test_bad_tables_name_file_and_line(body: bytes, message: str, line: int | None) -> None:
    with pytest.raises(SourceError) as exc:
        _parse(body, "Coffee_export.csv")
    assert message in str(exc.value)
    assert (exc.value.file, exc.value.line) == ("Coffee_export.csv", line)


def test_identical_duplicate_row_kept_once() -> None:
    flows = _parse(GOOD + b"Brazil,60,120,180\r\n")
    assert flows.num_rows == 4
