"""USDA PSD extractors on the real upstream quirks (../shared/data) and on bad input."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import pytest

from ingest.errors import SourceError
from ingest.usda_psd import bulk, extract, recognise, tables
from tests.usda_fixtures import bulk_csv, bulk_zip, report_table

TABLES = "usda_psd/psd_online_tables_2024-06"


def test_bulk_real_file_quirks(shared_data: Path) -> None:
    data = (shared_data / "usda_psd/psd_coffee_csv.zip").read_bytes()
    assert recognise("psd_coffee_csv.zip", data[:4096]) == "bulk"
    release, table = bulk.parse(data, "psd_coffee_csv.zip", "sha")
    assert release == "2022-12"  # newest Calendar_Year/Month stamp
    assert table.num_rows == 77957
    rows = table.to_pylist()
    attrs = {r["attribute_description"] for r in rows}
    assert "Rst,Ground Dom. Consum" in attrs  # quoted comma survived
    assert {r["commodity_code"] for r in rows} == {"0711100"}  # leading zero kept
    assert {r["unit_id"] for r in rows} == {"02"}
    brazil = [r for r in rows if r["country_code"] == "BR" and r["market_year"] == "2023"
              and r["attribute_id"] == "028"]  # fmt: skip
    assert [r["value"] for r in brazil] == ["62600.0000"]  # 2022/23 crop lives in Market_Year 2023
    assert rows[0]["_line"] == 2


def test_report_tables_real_files(shared_data: Path) -> None:
    folder = shared_data / TABLES
    path = folder / "Coffee_Production.csv"
    data = path.read_bytes()
    assert recognise(path.name, data[:4096]) == "report_table"
    release, table = tables.parse(data, path.name, "sha")
    assert release == "2024-06"  # "Jun 2024/25" folds the release month into the label
    rows = table.to_pylist()
    br = {r["year_label"]: r for r in rows if r["country_code"] == "BR"}
    assert br["2022/23"]["market_year"] == 2023 and br["2022/23"]["value"] == "62600"
    assert br["2024/25"]["is_forecast"] and not br["2023/24"]["is_forecast"]
    world = [r for r in rows if r["country_code"] == "WORLD" and r["year_label"] == "2019/20"]
    assert world[0]["value"] == "169030"  # USDA's own Total row kept as the world figure
    assert any(r["country_code"] == "IV" for r in rows)  # "Cote dchr(39)Ivoire"
    for other in sorted(folder.glob("*.csv")):  # every table parses, nr rows skipped
        _, t = tables.parse(other.read_bytes(), other.name, "sha")
        assert t.num_rows > 0 and "nr" not in set(t.column("value").to_pylist())


def test_fixture_formats_match_upstream() -> None:
    release, t = bulk.parse(bulk_zip(bulk_csv()), "psd_coffee_csv.zip", "x")
    assert release == "2024-12" and t.num_rows > 100
    release, t = tables.parse(report_table(), "Coffee_Production.csv", "x")
    assert release == "2024-06"  # last label "Jun 2024/25"


def _zip_with(member: str, payload: bytes) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr(member, payload)
    return buf.getvalue()


def _drop_column(csv_bytes: bytes, col: str) -> bytes:
    rows = list(csv.reader(io.StringIO(csv_bytes.decode())))
    i = rows[0].index(col)
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows([r[:i] + r[i + 1 :] for r in rows])
    return out.getvalue().encode()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (_zip_with("psd_coffee_2.csv", bulk_csv()), "inner file is 'psd_coffee_2.csv'"),
        (_zip_with("psd_coffee.csv", bulk_csv().replace(b"Market_Year", b"MarketYear", 1)),
         r"missing \['Market_Year'\], unexpected \['MarketYear'\]"),
        (_zip_with("psd_coffee.csv", _drop_column(bulk_csv(), "Unit_Description")),
         r"missing \['Unit_Description'\]"),
        (_zip_with("psd_coffee.csv", b""), "empty file"),
        (_zip_with("psd_coffee.csv", bulk_csv().split(b"\r\n")[0] + b"\r\n"), "no data rows"),
        (_zip_with("psd_coffee.csv", bulk_csv().replace(b"Brazil", b"Br\xe9sil", 1)),
         "non-UTF-8 byte 0xe9"),
        (_zip_with("psd_coffee.csv", bulk_csv(unit="(60 KG BAGS)")),
         r"line 2: unit '\(60 KG BAGS\)', expected"),
        (_zip_with("psd_coffee.csv", bulk_csv(duplicate=True)), r"1 duplicated keys.*lines \[6, "),
    ],
)  # fmt: skip
def test_bulk_bad_input_names_source_and_file(data: bytes, message: str) -> None:
    with pytest.raises(SourceError, match=message) as err:
        extract("bulk", data, "psd_coffee_csv.zip", "x")
    assert str(err.value).startswith("[usda_psd] psd_coffee_csv.zip")


def test_report_table_unknown_country_names_the_line() -> None:
    bad = report_table().replace(b" Brazil,", b" Atlantis,")
    with pytest.raises(SourceError, match=r"Coffee_Production.csv, line \d+: unknown country"):
        tables.parse(bad, "Coffee_Production.csv", "x")
