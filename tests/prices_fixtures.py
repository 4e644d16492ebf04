"""Small price files in the exact upstream formats (Yahoo, FRED, World Bank), synthetic numbers.

Used by the tests (variants: renamed columns, bad dates, duplicates, ...) and to write the demo
fixtures in ingest/{yahoo_prices,fred,worldbank}/fixtures/ (`python -m tests.prices_fixtures`).
The series are deterministic random walks; the World Bank values are the FRED ones converted
to $/kg (x 2.20462 / 100), except one month that is 3 % off so the reconciliation flags it.
"""

from __future__ import annotations

import io
import json
import random
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

REPO = Path(__file__).resolve().parents[1]
YAHOO_HEADER = "Date,Open,High,Low,Close,Adj Close,Volume"
NEW_YORK = ZoneInfo("America/New_York")
HOLIDAYS = {date(2021, 1, 18), date(2021, 2, 15), date(2021, 4, 2), date(2021, 5, 31),
            date(2021, 7, 5), date(2021, 9, 6), date(2021, 11, 25), date(2021, 12, 24),
            date(2022, 1, 17)}  # fmt: skip
LB_PER_KG = 2.20462
FLAGGED_MONTH = "2021M06"  # the World Bank fixture disagrees with FRED here (3 %)


def bars(start_price: float, step: float, seed: int, start: date, end: date) -> list:
    """[(day, (open, high, low, close, volume)) or (day, None) for a holiday]."""
    rnd = random.Random(seed)
    out, price, day = [], start_price, start
    while day <= end:
        if day.weekday() < 5:
            if day in HOLIDAYS:
                out.append((day, None))
            else:
                close = max(1.0, price + rnd.gauss(0, step))
                high = max(price, close) + abs(rnd.gauss(0, step / 2))
                low = min(price, close) - abs(rnd.gauss(0, step / 2))
                volume = 0 if rnd.random() < 0.03 else int(20000 * (0.5 + rnd.random()))
                out.append((day, (price, high, low, close, volume)))
                price = close
        day += timedelta(days=1)
    return out


def yahoo_csv(rows: list, decimals: int = 6) -> bytes:
    """The Yahoo download CSV: `null` holiday rows, 6 decimals, no newline at the end."""
    lines = [YAHOO_HEADER]
    for day, bar in rows:
        if bar is None:
            lines.append(f"{day},null,null,null,null,null,null")
        else:
            o, h, lo, c = (round(x, decimals) for x in bar[:4])
            v = bar[4]
            lines.append(f"{day},{o:.6f},{h:.6f},{lo:.6f},{c:.6f},{c:.6f},{v}")
    return "\n".join(lines).encode()


def chart_json(symbol: str, rows: list, market_time: datetime, envelope: bool = False) -> bytes:
    """A v8 chart response (compact), optionally in the recorder envelope of the GC=F sample."""
    stamps = [int(datetime(d.year, d.month, d.day, tzinfo=NEW_YORK).timestamp()) for d, _ in rows]

    def col(i: int) -> list:
        return [None if b is None else b[i] for _, b in rows]

    body = {"chart": {"result": [{
        "meta": {"currency": "USX", "symbol": symbol, "exchangeName": "NYB",
                 "instrumentType": "FUTURE", "regularMarketTime": int(market_time.timestamp()),
                 "gmtoffset": -18000, "timezone": "EST",
                 "exchangeTimezoneName": "America/New_York", "dataGranularity": "1d"},
        "timestamp": stamps,
        "indicators": {"quote": [{"open": col(0), "volume": col(4), "close": col(3),
                                  "low": col(2), "high": col(1)}],
                       "adjclose": [{"adjclose": col(3)}]}}], "error": None}}  # fmt: skip
    if envelope:
        return json.dumps({"request": {"url": "x", "method": "GET"},
                           "response": {"ok": True, "status": 200, "bodyJson": body}},
                          indent=2).encode()  # fmt: skip
    return json.dumps(body, separators=(",", ":")).encode()


def months(start: str, end: str) -> list[date]:
    y, m = int(start[:4]), int(start[5:7])
    out = []
    while f"{y}-{m:02d}" <= end:
        out.append(date(y, m, 1))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def monthly_series(series: str, start: str, end: str, revision: float = 0.0) -> list:
    """[(month, US cents/lb)] for a FRED series id; `revision` shifts every value (a vintage)."""
    rnd = random.Random(series)
    price = 130.0 if "OTM" in series else 75.0
    out = []
    for month in months(start, end):
        price = max(20.0, price + rnd.gauss(0, 6))
        out.append((month, price * (1 + revision)))
    return out


def fred_csv(series: str, rows: list, header: str = "observation_date") -> bytes:
    lines = [f"{header},{series}"] + [f"{m.isoformat()},{v!r}" for m, v in rows]
    return ("\n".join(lines) + "\n").encode()


def pinksheet_xlsx(
    rows: list[tuple],
    updated: str | None = "September 02, 2022",
    headers: tuple[str, str] = ("Coffee, Arabica", "Coffee, Robusta"),
    units: tuple[str, str] = ("($/kg)", "($/kg)"),
    sheet: str = "Monthly Prices",
) -> bytes:
    """A workbook laid out like CMO-Historical-Data-Monthly.xlsx: rows are (label, ara, rob)."""
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active.title = "AFOSHEET"
    ws = wb.create_sheet(sheet)
    ws["A1"] = "World Bank Commodity Price Data (The Pink Sheet)"
    ws["A2"] = "monthly prices in nominal US dollars, 1960 to present"
    ws["A3"] = "(monthly series are available only in nominal US dollars)"
    if updated:
        ws["A4"] = f"Updated on {updated}"
    names = ["Crude oil, average", "Cocoa", headers[0], headers[1], "Tea, avg 3 auctions"]
    unit_row = ["($/bbl)", "($/kg)", units[0], units[1], "($/kg)"]
    for i, (name, unit) in enumerate(zip(names, unit_row, strict=True), start=2):
        ws.cell(5, i, name)
        ws.cell(6, i, unit)
    for r, (label, ara, rob) in enumerate(rows, start=7):
        ws.cell(r, 1, label)
        ws.cell(r, 2, 70.5)
        ws.cell(r, 3, "…")
        ws.cell(r, 4, ara)
        ws.cell(r, 5, rob)
        ws.cell(r, 6, 2.9)
    wb.create_sheet("Monthly Indices")
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def pinksheet_rows(start: str, end: str) -> list[tuple]:
    """Pink Sheet rows matching the FRED fixture series, in $/kg, one month 3 % off."""
    ara = dict(monthly_series("PCOFFOTMUSDM", start, end))
    rob = dict(monthly_series("PCOFFROBUSDM", start, end))
    out = []
    for m in months(start, end):
        label = f"{m.year}M{m.month:02d}"
        off = 1.03 if label == FLAGGED_MONTH else 1.0
        out.append((label, round(ara[m] * LB_PER_KG / 100 * off, 6),
                    round(rob[m] * LB_PER_KG / 100, 6)))  # fmt: skip
    return out


def write_demo() -> None:
    """(Re)write the demo fixtures of the three price sources."""
    ydir = REPO / "ingest/yahoo_prices/fixtures"
    start, end = date(2021, 1, 4), date(2022, 1, 19)
    kc = bars(125.0, 2.2, 20220119, start, end)
    rc = [(d, None if b is None else (*(round(x) for x in b[:4]), b[4]))
          for d, b in bars(1350.0, 18.0, 20220120, start, end)]  # fmt: skip
    # the provisional last bar repeats the previous day's volume, as Yahoo's do
    kc[-1] = (kc[-1][0], (*kc[-1][1][:4], kc[-2][1][4]))
    (ydir / "KC=F.csv").write_bytes(yahoo_csv(kc))
    (ydir / "RC=F.csv").write_bytes(yahoo_csv(rc))
    # a later chart download: the holiday as a null bar, 01-19 corrected, 01-20 provisional
    later = [*kc[-4:-1], (kc[-1][0], (*kc[-1][1][:4], kc[-1][1][4] + 269))]
    later.append((date(2022, 1, 20), (149.9, 151.2, 149.1, 150.65, 9120)))
    at = datetime(2022, 1, 20, 13, 30, tzinfo=NEW_YORK)
    (ydir / "chart_KC=F.json").write_bytes(chart_json("KC=F", later, at))
    # the other default commodities (commodities.toml): cocoa USD/t, sugar US cents/lb, wheat
    # US cents/bu, as Yahoo quotes them
    for symbol, price, step, seed in (("CC=F", 2600.0, 30.0, 1), ("SB=F", 15.5, 0.25, 2),
                                      ("ZW=F", 640.0, 9.0, 3)):  # fmt: skip
        (ydir / f"{symbol}.csv").write_bytes(yahoo_csv(bars(price, step, seed, start, end)))
    fdir = REPO / "ingest/fred/fixtures"
    for series in ("PCOFFOTMUSDM", "PCOFFROBUSDM"):
        rows = monthly_series(series, "2019-01", "2022-08")
        (fdir / f"{series}.csv").write_bytes(fred_csv(series, rows))
    old = monthly_series("PCOFFOTMUSDM", "2019-01", "2022-02", revision=-0.004)
    (fdir / "fred_vintage_2022-03_PCOFFOTMUSDM.csv").write_bytes(
        fred_csv("PCOFFOTMUSDM", old, header="DATE")
    )
    wdir = REPO / "ingest/worldbank/fixtures"
    (wdir / "CMO-Historical-Data-Monthly.xlsx").write_bytes(
        pinksheet_xlsx(pinksheet_rows("2019-01", "2022-08"))
    )


if __name__ == "__main__":
    write_demo()
