"""Full-size upstream inputs for the scale benchmark, in the exact upstream formats.

    uv run python bench/scale_inputs.py OUT_DIR [--years 20] [--markets 300] [--symbols 40]

writes, under OUT_DIR, what the real sources publish for a whole market universe:
    usda_psd/psd_alldata_csv.zip   every commodity (~2 M rows), same columns as the coffee file
    cftc_cot/<year>/fut_disagg_txt_<year>.zip and deacot<year>.zip
                                   the disaggregated and legacy annual files, every market weekly
    yahoo/chart-<symbol>-<from>-to-<to>.json   25 years of daily bars per futures symbol

Values are invented but deterministic (a hash of the key, no randomness) and consistent where
the models audit them (COT categories add up to open interest; prices are positive; PSD rows are
one per commodity, country, year and attribute). The COT rows start from a real row of the
project's own fixtures, so every column the real files have is there, formatted the same way.
Nothing here is published; the real files stay the reference for correctness.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import zipfile
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
COT_FIXTURES = REPO / "ingest" / "cftc_cot" / "fixtures"
# Markets the default commodity configuration names (coffee, cocoa, sugar No. 11, wheat).
REAL_MARKETS = ["083731", "073732", "080732", "001602"]
PSD_HEADER = [
    "Commodity_Code", "Commodity_Description", "Country_Code", "Country_Name", "Market_Year",
    "Calendar_Year", "Month", "Attribute_ID", "Attribute_Description", "Unit_ID",
    "Unit_Description", "Value",
]  # fmt: skip
PSD_ATTRIBUTES = [
    ("020", "Beginning Stocks"), ("028", "Production"), ("057", "Imports"),
    ("086", "Total Supply"), ("088", "Exports"), ("125", "Domestic Consumption"),
    ("176", "Ending Stocks"), ("178", "Total Distribution"), ("004", "Area Planted"),
    ("007", "Area Harvested"), ("184", "Yield"), ("130", "Feed Dom. Consumption"),
]  # fmt: skip
PSD_UNITS = [("08", "(1000 MT)"), ("02", "(1000 60 KG BAGS)"), ("07", "(1000 480 lb. Bales)")]
REAL_PSD = [
    ("0711100", "Coffee, Green", PSD_UNITS[1]), ("0577400", "Almonds, Shelled Basis", PSD_UNITS[0]),
    ("0612000", "Sugar, Centrifugal", PSD_UNITS[0]), ("0410000", "Wheat", PSD_UNITS[0]),
]  # fmt: skip


def _n(*key: object, mod: int) -> int:
    """A deterministic pseudo-random integer in [0, mod) for this key."""
    digest = hashlib.blake2b(repr(key).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % mod


# ---- USDA PSD: all commodities ----------------------------------------------------------


def psd_commodity(c: int) -> tuple[str, str, tuple[str, str]]:
    """(Commodity_Code, Commodity_Description, (Unit_ID, Unit_Description)) of the c-th
    generated commodity: coffee, a spare, sugar and wheat first (their real codes and units;
    the default configuration's commodities, cocoa being absent from PSD), then invented ones,
    every seventh in bales, the others in metric tons."""
    if c < len(REAL_PSD):
        return REAL_PSD[c]
    unit = PSD_UNITS[2] if c % 7 == 0 else PSD_UNITS[0]
    return f"{(c * 97) % 9_000_000 + 400_000:07d}", f"Commodity {c:02d}", unit


def psd_rows(commodities: int, countries: int, years: range) -> Iterator[list[str]]:
    """One row per commodity, country, market year and attribute (12 attributes)."""
    for c in range(commodities):
        code, name, (unit_id, unit) = psd_commodity(c)
        for k in range(countries):
            cc = f"{chr(65 + k // 26 % 26)}{chr(65 + k % 26)}"
            for y in years:
                for attr_id, attr in PSD_ATTRIBUTES:
                    value = _n(c, k, y, attr_id, mod=500_000) / 10
                    yield [code, name, cc, f"Country {cc}", str(y), str(y + 1), "10",
                           attr_id, attr, unit_id, unit, f"{value:.4f}"]  # fmt: skip


def write_psd(out: Path, commodities: int = 40, countries: int = 80, years: int = 50) -> int:
    """psd_alldata_csv.zip holding psd_alldata.csv; returns the number of rows."""
    out.mkdir(parents=True, exist_ok=True)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    w.writerow(PSD_HEADER)
    n = 0
    for row in psd_rows(commodities, countries, range(2025 - years, 2025)):
        w.writerow(row)
        n += 1
    with zipfile.ZipFile(out / "psd_alldata_csv.zip", "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("psd_alldata.csv", buf.getvalue())
    return n


# ---- CFTC COT: annual files, every market every week -------------------------------------


def _template(zip_name: str) -> tuple[list[str], list[str]]:
    """(header, first data row) of a real annual file among the fixtures."""
    with zipfile.ZipFile(COT_FIXTURES / zip_name) as z:
        text = z.read(z.namelist()[0]).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    return rows[0], rows[1]


def _set(row: list[str], header: list[str], name: str, value: object) -> None:
    row[header.index(name)] = str(value)


def _cot_row(
    header: list[str], template: list[str], legacy: bool, market: str, i: int, day: date
) -> list[str]:
    row = list(template)
    date_cols = ("As of Date in Form YYMMDD", "As of Date in Form YYYY-MM-DD") if legacy else (
        "As_of_Date_In_Form_YYMMDD", "Report_Date_as_YYYY-MM-DD")  # fmt: skip
    name_col = "Market and Exchange Names" if legacy else "Market_and_Exchange_Names"
    code_col = "CFTC Contract Market Code" if legacy else "CFTC_Contract_Market_Code"
    _set(row, header, name_col, f"SYNTHETIC MARKET {i:03d} - BENCH EXCHANGE")
    _set(row, header, date_cols[0], day.strftime("%y%m%d"))
    _set(row, header, date_cols[1], day.isoformat())
    _set(row, header, code_col, market)
    week = day.toordinal() // 7
    oi = 20_000 + _n(market, week, mod=300_000)
    if legacy:
        groups = ["Noncommercial Positions-{}", "Commercial Positions-{}"]
        cols = {
            "Long": [g.format("Long") for g in groups],
            "Short": [g.format("Short") for g in groups],
        }
        spread = ["Noncommercial Positions-Spreading"]
        nonrept = "Nonreportable Positions-{}"
        total = ["Total Reportable Positions-{}", " Total Reportable Positions-{}"]
        oi_col = "Open Interest"
    else:
        groups = ["Prod_Merc_Positions_{}", "Swap_Positions_{}", "M_Money_Positions_{}",
                  "Other_Rept_Positions_{}"]  # fmt: skip
        cols = {
            "Long": [g.format("Long") for g in groups],
            "Short": [g.format("Short").replace("Swap_", "Swap__") for g in groups],
        }
        spread = [
            "Swap__Positions_Spread",
            "M_Money_Positions_Spread",
            "Other_Rept_Positions_Spread",
        ]
        nonrept = "NonRept_Positions_{}"
        total = ["Tot_Rept_Positions_{}"]
        oi_col = "Open_Interest"
    for period in ("All", "Old"):
        suffix = f" ({period})" if legacy else f"_{period}"
        _set(row, header, oi_col + suffix, oi)
        spreads = [_n(market, week, s, mod=oi // 20 + 1) for s in spread]
        for s, v in zip(spread, spreads, strict=True):
            _set(row, header, s + suffix, v)
        for side in ("Long", "Short"):
            left = oi - sum(spreads)
            parts = [
                _n(market, week, side, c, mod=left // (len(cols[side]) + 1) + 1) for c in cols[side]
            ]
            for c, v in zip(cols[side], parts, strict=True):
                _set(row, header, c + suffix, v)
            non = left - sum(parts)
            _set(row, header, nonrept.format(side) + suffix, non)
            for t in total:
                if (t.format(side) + suffix) in header:
                    _set(row, header, t.format(side) + suffix, oi - non)
    return row


def market_codes(markets: int) -> list[str]:
    """CFTC codes of the generated markets: the four real ones first, then invented ones."""
    return REAL_MARKETS + [f"{900_000 + i:06d}" for i in range(markets - len(REAL_MARKETS))]


def write_cot(out: Path, years: range, markets: int = 300) -> dict[str, int]:
    """One disaggregated and one legacy annual file per year; returns rows per shape."""
    codes = market_codes(markets)
    counts = {"disaggregated": 0, "legacy": 0}
    shapes = [("disaggregated", "fut_disagg_txt_2025.zip", "f_year.txt", "fut_disagg_txt_{}.zip"),
              ("legacy", "deacot2025.zip", "annual.txt", "deacot{}.zip")]  # fmt: skip
    for shape, fixture, member, zip_name in shapes:
        header, template = _template(fixture)
        for year in years:
            day = date(year, 1, 1) + timedelta(days=(1 - date(year, 1, 1).weekday()) % 7)
            buf = io.StringIO()
            w = csv.writer(buf, lineterminator="\r\n", quoting=csv.QUOTE_NONNUMERIC)
            w.writerow(header)
            while day.year == year:
                for i, code in enumerate(codes):
                    row = _cot_row(header, template, shape == "legacy", code, i, day)
                    buf.write(",".join(_cot_cell(h, v) for h, v in zip(header, row, strict=True)))
                    buf.write("\r\n")
                    counts[shape] += 1
                day += timedelta(days=7)
            folder = out / str(year)
            folder.mkdir(parents=True, exist_ok=True)
            with zipfile.ZipFile(folder / zip_name.format(year), "w", zipfile.ZIP_DEFLATED) as z:
                z.writestr(member, buf.getvalue())
    return counts


def _cot_cell(name: str, value: str) -> str:
    """Quote as CFTC does: the market name always, other text only when it holds a comma."""
    return f'"{value}"' if "Names" in name or "," in value else value


# ---- Yahoo: daily bars per symbol ---------------------------------------------------------


def write_yahoo(out: Path, symbols: list[str], first: date, last: date) -> int:
    """One v8 chart JSON per symbol, every weekday; returns the number of bars."""
    out.mkdir(parents=True, exist_ok=True)
    total = 0
    for s in symbols:
        stamps, closes = [], []
        day = first
        price = 50.0 + _n(s, mod=200)
        while day <= last:
            if day.weekday() < 5:
                stamps.append(
                    int(datetime(day.year, day.month, day.day, 5, tzinfo=UTC).timestamp())
                )
                price = max(1.0, price * (1 + (_n(s, day, mod=2001) - 1000) / 50_000))
                closes.append(round(price, 4))
            day += timedelta(days=1)
        quote = {
            "open": closes, "high": [round(c * 1.01, 4) for c in closes],
            "low": [round(c * 0.99, 4) for c in closes], "close": closes,
            "volume": [1000 + _n(s, i, mod=50_000) for i in range(len(closes))],
        }  # fmt: skip
        doc = {"chart": {"result": [{
            "meta": {"currency": "USD", "symbol": s, "exchangeName": "NYB",
                     "instrumentType": "FUTURE", "gmtoffset": -18000, "timezone": "EST",
                     "exchangeTimezoneName": "America/New_York", "dataGranularity": "1d"},
            "timestamp": stamps,
            "indicators": {"quote": [quote], "adjclose": [{"adjclose": closes}]},
        }], "error": None}}  # fmt: skip
        name = f"chart-{s}-{first.isoformat()}-to-{last.isoformat()}.json"
        (out / name).write_text(json.dumps(doc, separators=(",", ":")))
        total += len(closes)
    return total


def symbols(n: int) -> list[str]:
    """The coffee symbols first, then invented continuous-contract symbols."""
    base = ["KC=F", "RC=F", "CC=F", "SB=F", "ZW=F"]
    return (base + [f"X{i:02d}=F" for i in range(n)])[:n]


def write_all(out: Path, years: int = 20, markets: int = 300, n_symbols: int = 40) -> dict:
    """Every input of the scale benchmark under `out`; returns what was written."""
    facts = {"psd_rows": write_psd(out / "usda_psd")}
    facts |= write_cot(out / "cftc_cot", range(2025 - years + 1, 2026), markets)
    facts["bars"] = write_yahoo(
        out / "yahoo", symbols(n_symbols), date(2001, 1, 1), date(2025, 12, 31)
    )
    return facts


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--years", type=int, default=20)
    ap.add_argument("--markets", type=int, default=300)
    ap.add_argument("--symbols", type=int, default=40)
    args = ap.parse_args()
    print(json.dumps(write_all(args.out, args.years, args.markets, args.symbols)))


if __name__ == "__main__":
    main()
