"""Small USDA PSD files in the exact upstream formats, with synthetic numbers.

Used by the tests (variants: another release, a changed unit, duplicated rows, ...) and to
write the demo fixtures in ingest/usda_psd/fixtures/ (`python -m tests.usda_fixtures`).
The numbers are invented but close the PSD balance sheet like USDA's do.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

HEADER = (
    "Commodity_Code,Commodity_Description,Country_Code,Country_Name,Market_Year,"
    "Calendar_Year,Month,Attribute_ID,Attribute_Description,Unit_ID,Unit_Description,Value"
)
ATTRS = [
    ("020", "Beginning Stocks"), ("028", "Production"), ("029", "Arabica Production"),
    ("053", "Robusta Production"), ("057", "Imports"), ("086", "Total Supply"),
    ("088", "Exports"), ("125", "Domestic Consumption"), ("141", "Rst,Ground Dom. Consum"),
    ("176", "Ending Stocks"), ("178", "Total Distribution"),
]  # fmt: skip
COUNTRIES = [("BR", "Brazil", 60000, 0.7), ("VM", "Vietnam", 29000, 0.03),
             ("CO", "Colombia", 12500, 1.0), ("E4", "European Union", 0, 0.0),
             ("IV", "Cote d'Ivoire", 1500, 0.0), ("US", "United States", 0, 0.0)]  # fmt: skip


def balance(code: str, base: int, year: int, bump: int = 0) -> dict[str, int]:
    """A closed balance sheet for one country-year (synthetic)."""
    prod = base + (year % 7) * 300 + bump if base else 0
    imports = 0 if base else 25000 + (year % 5) * 400
    begin = 2000 + (year % 3) * 100
    cons = 24000 + (year % 4) * 200 if not base or code == "BR" else 1500 + (year % 4) * 50
    supply = begin + prod + imports
    ending = 2000 + (year % 3) * 120
    exports = supply - cons - ending
    return {"020": begin, "028": prod, "057": imports, "086": supply, "088": exports,
            "125": cons, "176": ending, "178": supply}  # fmt: skip


def bulk_csv(release: str = "2024-12", years: range = range(2015, 2026), bump: int = 0,
             unit: str = "(1000 60 KG BAGS)", duplicate: bool = False,
             tweak: dict[tuple[str, int, str], int] | None = None) -> bytes:  # fmt: skip
    """psd_coffee.csv bytes: CRLF, quoted text, unquoted codes with leading zeros.

    `tweak` adds a delta to single cells {(country, market_year, attribute_id): delta}, e.g. to
    make a balance sheet that does not close.
    """
    cal_year, month = release.split("-")
    lines = [HEADER]
    for code, name, base, arabica in COUNTRIES:
        for year in years:
            b = balance(code, base, year, bump if year == years[-1] else 0)
            arab = round(b["028"] * arabica)
            vals = {**b, "029": arab, "053": b["028"] - arab, "141": round(b["125"] * 0.8)}
            for (c, y, a), delta in (tweak or {}).items():
                if c == code and y == year:
                    vals[a] += delta
            for attr_id, attr in ATTRS:
                lines.append(
                    f'0711100,"Coffee, Green",{code},"{name}",{year},{cal_year},{month},'
                    f'{attr_id},"{attr}",02,"{unit}",{vals[attr_id]:.4f}'
                )
    if duplicate:
        lines.append(lines[5][:-6] + "1.0000")  # same key, different value
    return ("\r\n".join(lines) + "\r\n").encode()


def bulk_zip(csv_bytes: bytes, member: str = "psd_coffee.csv") -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        info = zipfile.ZipInfo(member, date_time=(2024, 12, 10, 12, 0, 0))
        zf.writestr(info, csv_bytes, zipfile.ZIP_DEFLATED)
    return buf.getvalue()


def report_table(release_month: str = "Jun", start: int = 2019) -> bytes:
    """A 'Table 03A Coffee Production' export: title, blanks, year line, sections, Total."""
    labels = [f"{y}/{(y + 1) % 100:02d}" for y in range(start, start + 6)]
    labels[-1] = f"{release_month} {labels[-1]}"
    lines = ["Table 03A Coffee Production", "", "", " " * 16 + "," + ",".join(labels) + ",",
             "Production,", " " * 24]  # fmt: skip
    totals = [0] * 6
    for code, name, base, _ in COUNTRIES:
        vals = [balance(code, base, y + 1)["028"] for y in range(start, start + 6)]
        totals = [a + b for a, b in zip(totals, vals, strict=True)]
        shown = name.replace("'", "chr(39)")  # the export's own quirk
        lines.append(f" {shown}," + ",".join(str(v) for v in vals) + ",")
    lines += ["", "    Total," + ",".join(str(v) for v in totals) + ","]
    return "\n".join(lines).encode()


# Other commodities of the all-commodities file: (code, name, unit id, unit, countries, with
# area and yield rows). Corn is not configured by default: it must not land.
OTHERS = [
    ("0612000", "Sugar, Centrifugal", "08", "(1000 MT)",
     [("BR", "Brazil", 42000), ("IN", "India", 33000), ("TH", "Thailand", 10000)], False),
    ("0410000", "Wheat", "08", "(1000 MT)",
     [("CH", "China", 137000), ("RS", "Russia", 85000), ("US", "United States", 49000)], True),
    ("0440000", "Corn", "08", "(1000 MT)", [("US", "United States", 380000)], True),
]  # fmt: skip
BALANCE = [("020", "Beginning Stocks"), ("028", "Production"), ("057", "Imports"),
           ("086", "Total Supply"), ("088", "Exports"), ("125", "Domestic Consumption"),
           ("176", "Ending Stocks"), ("178", "Total Distribution")]  # fmt: skip


def alldata_csv(release: str = "2024-12", years: range = range(2015, 2026),
                unit: dict[str, str] | None = None) -> bytes:  # fmt: skip
    """psd_alldata.csv bytes: coffee exactly as in bulk_csv(), then sugar, wheat and corn in
    (1000 MT), with wheat's and corn's area (1000 HA) and yield (MT/HA) rows. `unit` replaces
    a commodity's mass unit {code: unit} (a unit change upstream)."""
    cal_year, month = release.split("-")
    lines = bulk_csv(release, years).decode().rstrip("\r\n").split("\r\n")
    for code, name, unit_id, mass, countries, crops in OTHERS:
        mass = (unit or {}).get(code, mass)
        for cc, country, base in countries:
            for year in years:
                prod = base + (year % 5) * base // 50
                begin, imports, ending = base // 5, base // 20, base // 5 + (year % 3) * 100
                supply = begin + prod + imports
                cons = round(prod * 0.8)
                vals = {"020": begin, "028": prod, "057": imports, "086": supply,
                        "088": supply - cons - ending, "125": cons, "176": ending,
                        "178": supply}  # fmt: skip
                rows = [(a, n, unit_id, mass, vals[a]) for a, n in BALANCE]
                if crops:
                    area = base // 6
                    rows += [("004", "Area Harvested", "04", "(1000 HA)", area),
                             ("184", "Yield", "26", "(MT/HA)", round(prod / area, 2))]  # fmt: skip
                for attr_id, attr, uid, u, v in rows:
                    lines.append(
                        f'{code},"{name}",{cc},"{country}",{year},{cal_year},{month},'
                        f'{attr_id},"{attr}",{uid},"{u}",{v:.4f}'
                    )
    return ("\r\n".join(lines) + "\r\n").encode()


def psd_settings(upstream: Any, http_root: Path) -> str:
    """Settings TOML for a build fetching USDA PSD from a local server (`upstream`, serving
    `http_root`): fast retries, coffee's file as the test serves it, and the all-commodities
    file (sugar and wheat of commodities.toml), served here."""
    (http_root / "psd_alldata_csv.zip").write_bytes(bulk_zip(alldata_csv(), "psd_alldata.csv"))
    return (
        "[http]\nretries = 1\nbackoff_seconds = 0.01\n"
        f'[sources.usda_psd]\ncurrent_url = "{upstream.url("psd_coffee_csv.zip")}"\n'
        f'alldata_url = "{upstream.url("psd_alldata_csv.zip")}"\narchive_start = ""\n'
    )


def write_demo(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "psd_coffee_csv.zip").write_bytes(bulk_zip(bulk_csv()))
    # every commodity (same release): sugar and wheat for their commodity pages
    (folder / "psd_alldata_csv.zip").write_bytes(bulk_zip(alldata_csv(), member="psd_alldata.csv"))
    # USDA delivers the same release again, corrected (Brazil 2024: 100 thousand bags moved
    # from consumption to ending stocks): the later delivery wins, psd_coffee_corrections
    # records the change. The folder name sorts after the first delivery.
    (folder / "redelivered_2024-12").mkdir(exist_ok=True)
    corrected = bulk_csv(tweak={("BR", 2024, "176"): 100, ("BR", 2024, "125"): -100})
    (folder / "redelivered_2024-12" / "psd_coffee_csv.zip").write_bytes(bulk_zip(corrected))
    (folder / "psd_online_tables_2025-06").mkdir(exist_ok=True)
    (folder / "psd_online_tables_2025-06" / "Coffee_Production.csv").write_bytes(
        report_table("Jun", 2020)
    )


if __name__ == "__main__":
    write_demo(Path(__file__).resolve().parents[1] / "ingest" / "usda_psd" / "fixtures")
