"""The fault table: broken upstream files for every source, made from the project's own fixtures.

Each case takes one demo fixture (`ingest/<source>/fixtures/...`), breaks it the way upstream
files break (truncated, an HTML error page, empty, a BOM, Latin-1, a renamed or missing
column, duplicate keys with different values, a changed unit, implausible values), and says
what the build must do with it: `rejected` (refused with a message naming source and file,
kept in var/rejected/, never stored as good) or `accepted` (a harmless difference, e.g. a
UTF-8 BOM: stored and landed like the clean file). docs/faults.md lists the same cases.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BOM = b"\xef\xbb\xbf"
HTML = (
    b"<!DOCTYPE html>\n<html><head><title>503 Service Unavailable</title></head>"
    b"<body><h1>Service Unavailable</h1><p>Please try again later.</p></body></html>\n"
)


def fixture(source: str, name: str) -> bytes:
    return (REPO / "ingest" / source / "fixtures" / name).read_bytes()


@dataclass(frozen=True)
class Case:
    """One broken file: `make()` gives its bytes, saved as `folder/name` in an import folder."""

    source: str
    fault: str
    name: str
    make: Callable[[], bytes]
    expect: str  # a part of the error message (for `accepted`: nothing is expected)
    outcome: str = "rejected"  # rejected | accepted
    folder: str = ""  # default: the source's own folder (claimed by place)

    @property
    def id(self) -> str:
        return f"{self.source}-{self.fault}".replace(" ", "_")

    @property
    def place(self) -> str:
        return f"{self.folder or self.source}/new/{self.name}"


# ---- byte surgery ----------------------------------------------------------------------------


def cut(data: bytes, keep: float = 0.6) -> bytes:
    """A download that stopped part-way."""
    return data[: int(len(data) * keep)]


def sub(data: bytes, old: bytes, new: bytes, count: int = 1) -> bytes:
    assert old in data, old  # the fixture changed: the case would test nothing
    return data.replace(old, new, count)


def dup_line(data: bytes, index: int, old: bytes, new: bytes) -> bytes:
    """Repeat line `index` right after itself with one value changed (same key, other value)."""
    lines = data.split(b"\n")
    lines.insert(index + 1, sub(lines[index], old, new))
    return b"\n".join(lines)


def rezip(data: bytes, change: Callable[[bytes], bytes]) -> bytes:
    """The same zip with every member passed through `change`."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            dst.writestr(info, change(src.read(info)), zipfile.ZIP_DEFLATED)
    return out.getvalue()


def member(data: bytes) -> bytes:
    """The only file inside a zip."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return zf.read(zf.namelist()[0])


def json_edit(data: bytes, change: Callable[[dict], None]) -> bytes:
    doc = json.loads(data)
    change(doc)
    return json.dumps(doc, ensure_ascii=False).encode()


def xlsx_edit(data: bytes, change: Callable[[object], None]) -> bytes:
    """The Pink Sheet workbook with its "Monthly Prices" sheet changed by `change(sheet)`."""
    import openpyxl

    wb = openpyxl.load_workbook(io.BytesIO(data))
    change(wb["Monthly Prices"])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _set(cells: dict[str, object]) -> Callable[[object], None]:
    def change(ws: object) -> None:
        for ref, value in cells.items():
            ws[ref] = value  # type: ignore[index]

    return change


def _dup_month(ws: object) -> None:
    """Append 2019M01 again with another Arabica price (a month twice, two values)."""
    ws.append(["2019M01", 70.5, "…", 9.99, 1.580994, 2.9])  # type: ignore[attr-defined]


# ---- the fixtures broken -----------------------------------------------------------------------

PSD_ZIP = "psd_coffee_csv.zip"
PSD_TABLE = "psd_online_tables_2025-06/Coffee_Production.csv"
COT_WEEK = "f_disagg.txt"
COT_LEGACY = "deacot2025.zip"
COT_DISAGG = "fut_disagg_txt_2025.zip"
METEO = "south_minas_archive_2025.json"
ICE_CSV = "arabica_stocks.csv"
ICE_JSON = "certified_stocks_arabica_demo_2025.json"
ICE_XLS = "coffee_cert_stock_20251230.xls"
PINK = "CMO-Historical-Data-Monthly.xlsx"
FRED = "PCOFFOTMUSDM.csv"


def psd(change: Callable[[bytes], bytes]) -> Callable[[], bytes]:
    return lambda: rezip(fixture("usda_psd", PSD_ZIP), change)


def meteo(change: Callable[[dict], None]) -> Callable[[], bytes]:
    return lambda: json_edit(fixture("open_meteo", METEO), change)


def pink(change: Callable[[object], None]) -> Callable[[], bytes]:
    return lambda: xlsx_edit(fixture("worldbank", PINK), change)


def _meteo_dup(doc: dict) -> None:
    daily = doc["daily"]
    for key, values in daily.items():
        values.append(values[0] if key == "time" else values[0] + 5)


CASES: list[Case] = [
    # -- USDA PSD: the bulk zip and the PSD Online report tables
    Case("usda_psd", "truncated zip", PSD_ZIP, lambda: cut(fixture("usda_psd", PSD_ZIP)),
         "truncated or corrupt zip"),
    Case("usda_psd", "HTML page as zip", PSD_ZIP, lambda: HTML, "HTML page", folder="incoming"),
    Case("usda_psd", "empty zip", PSD_ZIP, lambda: b"", "empty body", folder="incoming"),
    Case("usda_psd", "renamed column", PSD_ZIP, psd(lambda b: sub(b, b"Attribute_ID", b"Attr_ID")),
         "header changed"),
    Case("usda_psd", "missing column", PSD_ZIP, psd(lambda b: sub(b, b",Month", b"")),
         "header changed"),
    Case("usda_psd", "duplicate keys", PSD_ZIP,
         psd(lambda b: dup_line(b, 1, b",2200.0000", b",2201.0000")), "duplicated keys"),
    Case("usda_psd", "unit change", PSD_ZIP,
         psd(lambda b: b.replace(b"(1000 60 KG BAGS)", b"(1000 MT)")), "unit '(1000 MT)'"),
    Case("usda_psd", "Latin-1", PSD_ZIP, psd(lambda b: sub(b, b'"Brazil"', b'"Br\xe9sil"')),
         "non-UTF-8 byte 0xe9"),
    Case("usda_psd", "BOM report table", "Coffee_Production.csv",
         lambda: BOM + fixture("usda_psd", PSD_TABLE), "", "accepted"),
    Case("usda_psd", "HTML page as report table", "Coffee_Production.csv", lambda: HTML,
         "HTML page"),
    Case("usda_psd", "report table unknown country", "Coffee_Production.csv",
         lambda: sub(fixture("usda_psd", PSD_TABLE), b" Vietnam,", b" Atlantis,"),
         "unknown country name 'Atlantis'"),
    # -- CFTC COT: yearly zips, the annual.txt inside them, the headerless week file
    Case("cftc_cot", "HTML page as zip", "fut_disagg_txt_2024.zip", lambda: HTML, "HTML page",
         folder="incoming"),
    Case("cftc_cot", "truncated zip", COT_LEGACY, lambda: cut(fixture("cftc_cot", COT_LEGACY)),
         "truncated or corrupt zip"),
    Case("cftc_cot", "empty week file", COT_WEEK, lambda: b"", "empty body"),
    Case("cftc_cot", "BOM annual.txt", "annual.txt",
         lambda: BOM + member(fixture("cftc_cot", COT_LEGACY)), "", "accepted", folder="incoming"),
    Case("cftc_cot", "renamed column", "annual.txt",
         lambda: sub(member(fixture("cftc_cot", COT_LEGACY)), b"Open Interest (All)", b"OI (All)"),
         "header changed: missing column 'Open Interest (All)'"),
    Case("cftc_cot", "duplicate keys", COT_WEEK,
         lambda: dup_line(fixture("cftc_cot", COT_WEEK), 0, b",  125180,", b",  125181,"),
         "appears on lines [1, 2] with different numbers"),
    Case("cftc_cot", "wrong member in zip", COT_DISAGG,
         lambda: rezip(fixture("cftc_cot", COT_LEGACY), lambda b: b + b"\n"), "inner file is"),
    Case("cftc_cot", "Latin-1", "annual.txt",
         lambda: sub(member(fixture("cftc_cot", COT_LEGACY)), b'"COFFEE C', b'"CAF\xc9 C'),
         "non-UTF-8 byte 0xc9", folder="incoming"),
    Case("cftc_cot", "date columns disagree", COT_WEEK,
         lambda: sub(fixture("cftc_cot", COT_WEEK), b"250805,2025-08-05", b"250805,2025-08-06"),
         "the two date columns disagree"),
    # -- Yahoo futures: CSV downloads and chart JSON
    Case("yahoo_prices", "empty CSV", "KC=F.csv", lambda: b"", "empty body", folder="incoming"),
    Case("yahoo_prices", "HTML page as CSV", "KC=F.csv", lambda: HTML, "HTML page"),
    Case("yahoo_prices", "renamed column", "KC=F.csv",
         lambda: sub(fixture("yahoo_prices", "KC=F.csv"), b",Close,", b",Last,"), "Close"),
    Case("yahoo_prices", "duplicate keys", "KC=F.csv",
         lambda: dup_line(fixture("yahoo_prices", "KC=F.csv"), 1, b",122.500532,1", b",99.5,1"),
         "2021-01-04 appears twice with different values"),
    Case("yahoo_prices", "implausible negative price", "KC=F.csv",
         lambda: sub(fixture("yahoo_prices", "KC=F.csv"), b"2021-01-05,122.500532",
                     b"2021-01-05,-122.500532"), "is not a positive price"),
    Case("yahoo_prices", "high below low", "RC=F.csv",
         lambda: _high_below_low(fixture("yahoo_prices", "RC=F.csv")), "< low"),
    Case("yahoo_prices", "BOM CSV", "KC=F.csv",
         lambda: BOM + fixture("yahoo_prices", "KC=F.csv"), "", "accepted", folder="incoming"),
    Case("yahoo_prices", "truncated chart JSON", "chart_KC=F.json",
         lambda: cut(fixture("yahoo_prices", "chart_KC=F.json")), "invalid JSON"),
    # -- FRED monthly series
    Case("fred", "renamed column", FRED,
         lambda: sub(fixture("fred", FRED), b"observation_date,", b"obs_date,"),
         "is not DATE|observation_date"),
    Case("fred", "duplicate keys", FRED,
         lambda: dup_line(fixture("fred", FRED), 1, b"128.14", b"130.14"),
         "2019-01-01 appears twice with different values"),
    Case("fred", "implausible negative price", FRED,
         lambda: sub(fixture("fred", FRED), b"2019-02-01,1", b"2019-02-01,-1"), "is not positive"),
    Case("fred", "HTML page as CSV", "PCOFFROBUSDM.csv", lambda: HTML, "HTML page",
         folder="incoming"),
    Case("fred", "truncated CSV", FRED, lambda: cut(fixture("fred", FRED), 0.52), "line"),
    Case("fred", "BOM CSV", FRED, lambda: BOM + fixture("fred", FRED), "", "accepted"),
    # -- World Bank Pink Sheet workbook
    Case("worldbank", "truncated xlsx", PINK, lambda: cut(fixture("worldbank", PINK)),
         "truncated or corrupt xlsx", folder="incoming"),
    Case("worldbank", "HTML page as xlsx", PINK, lambda: HTML, "HTML page"),
    Case("worldbank", "unit change", PINK, pink(_set({"D6": "(cents/lb)"})),
         "unit is '(cents/lb)', expected '($/kg)'"),
    Case("worldbank", "renamed column", PINK, pink(_set({"D5": "Arabica coffee"})),
         "no column headed"),
    Case("worldbank", "duplicate keys", PINK, pink(_dup_month),
         "2019M01 appears twice with different"),
    Case("worldbank", "implausible negative price", PINK, pink(_set({"D8": -2.5})),
         "is not positive"),
    # -- ICE certified stocks: daily .xls, the certified-bags CSV, the per-port JSON
    Case("ice_stocks", "truncated xls", ICE_XLS, lambda: cut(fixture("ice_stocks", ICE_XLS)),
         "not a readable .xls workbook"),
    Case("ice_stocks", "HTML page as xls", "coffee_cert_stock_20251231.xls", lambda: HTML,
         "HTML page", folder="incoming"),
    Case("ice_stocks", "duplicate keys", ICE_CSV,
         lambda: dup_line(fixture("ice_stocks", ICE_CSV), 2, b";190000", b";190500"),
         "appears twice with different values"),
    Case("ice_stocks", "implausible negative stock", ICE_CSV,
         lambda: sub(fixture("ice_stocks", ICE_CSV), b"30.12.2025;187976", b"30.12.2025;-187976"),
         "negative stock"),
    Case("ice_stocks", "renamed column", ICE_CSV,
         lambda: sub(fixture("ice_stocks", ICE_CSV), b"Date;Certified_Stocks", b"Date;Stocks"),
         "Certified_Stocks"),
    Case("ice_stocks", "BOM JSON", ICE_JSON, lambda: BOM + fixture("ice_stocks", ICE_JSON), "",
         "accepted"),
    Case("ice_stocks", "truncated JSON", ICE_JSON, lambda: cut(fixture("ice_stocks", ICE_JSON)),
         "invalid JSON"),
    # -- Open-Meteo responses
    Case("open_meteo", "HTML page as JSON", METEO, lambda: HTML, "HTML page"),
    Case("open_meteo", "truncated JSON", METEO, lambda: cut(fixture("open_meteo", METEO)),
         "invalid JSON"),
    Case("open_meteo", "empty JSON", METEO, lambda: b"", "empty body"),
    Case("open_meteo", "unit change", METEO,
         meteo(lambda d: d["daily_units"].update(temperature_2m_max="°F")),
         "temperature_2m_max is in '°F', expected '°C'"),
    Case("open_meteo", "renamed variable", METEO,
         meteo(lambda d: d["daily"].update(tmax=d["daily"].pop("temperature_2m_max"))),
         "renamed variable?"),
    Case("open_meteo", "duplicate keys", METEO, meteo(_meteo_dup),
         "appears twice with different values"),
    Case("open_meteo", "BOM JSON", METEO, lambda: BOM + fixture("open_meteo", METEO), "",
         "accepted"),
    # -- ICO wide tables
    Case("ico", "Latin-1", "Coffee_import.csv",
         lambda: sub(fixture("ico", "Coffee_import.csv"), b"Belgium", b"Belgi\xeb"),
         "non-UTF-8 byte 0xeb"),
    Case("ico", "renamed column", "Coffee_import.csv",
         lambda: sub(fixture("ico", "Coffee_import.csv"), b"Country,", b"Nation,"),
         "first column is 'Nation', expected 'Country'"),
    Case("ico", "duplicate keys", "Coffee_import.csv",
         lambda: dup_line(fixture("ico", "Coffee_import.csv"), 3, b"1300000,1310000,",
                          b"1300500,1309500,"),
         "appears twice with different values"),
    Case("ico", "shifted column", "Coffee_import.csv",
         lambda: sub(fixture("ico", "Coffee_import.csv"), b",91500,90780,", b",91500,,90780,"),
         "fields, expected"),
    Case("ico", "implausible negative value", "Coffee_import.csv",
         lambda: sub(fixture("ico", "Coffee_import.csv"), b",91500,", b",-91500,"),
         "negative value"),
    Case("ico", "HTML page as CSV", "Coffee_export.csv", lambda: HTML, "HTML page"),
    Case("ico", "empty CSV", "Coffee_export.csv", lambda: b"", "empty body"),
    Case("ico", "BOM CSV", "Coffee_import.csv", lambda: BOM + fixture("ico", "Coffee_import.csv"),
         "", "accepted"),
]  # fmt: skip


def _high_below_low(data: bytes) -> bytes:
    """Swap high and low on the first data line (high < low: a garbled row)."""
    lines = data.split(b"\n")
    cells = lines[1].split(b",")
    cells[2], cells[3] = cells[3], cells[2]
    lines[1] = b",".join(cells)
    return b"\n".join(lines)
