"""Price extractors (Yahoo, FRED, World Bank) on the real samples, their quirks and bad input.

Pure Python: no SQLMesh, no network. The HTTP path is in test_prices_http.py.
"""

from __future__ import annotations

import csv
import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from ingest import fred, sniff, worldbank, yahoo_prices
from ingest.errors import SourceError
from tests import prices_fixtures as fx
from tests.conftest import extract_real

PRICES = "prices"


def rows(table) -> list[dict]:
    return table.to_pylist()


# ---------------------------------------------------------------- Yahoo: real samples


def test_yahoo_real_csv_quirks(shared_data: Path) -> None:
    path = shared_data / PRICES / "yahoo/KC=F.csv"
    data = path.read_bytes()
    assert not data.endswith(b"\n")  # the quirk under test: no newline after the last row
    assert yahoo_prices.recognise(path.name, data[:4096]) == "csv"
    release, tables = yahoo_prices.extract("csv", data, path.name, "d")
    bars, files = rows(tables["bars"]), rows(tables["files"])
    assert release == "2022-01-19"
    assert files == [{
        "symbol": "KC=F", "format": "csv", "rows_read": 5599, "bars": 5506, "holiday_rows": 93,
        "incomplete_rows": 0, "duplicate_rows": 0, "first_date": date(2000, 1, 31),
        "last_date": date(2022, 1, 19), "_line": None, "_raw_sha256": "d",
        "_release": "2022-01-19", "_period": date(2022, 1, 19)}]  # fmt: skip
    by_day = {b["date"]: b for b in bars}
    published = {r["Date"]: r for r in csv.DictReader(data.decode().splitlines())}
    for day, r in published.items():  # every non-null row exactly as published
        if r["Close"] == "null":
            assert date.fromisoformat(day) not in by_day
            continue
        b = by_day[date.fromisoformat(day)]
        assert (b["open"], b["high"], b["low"], b["close"], b["volume"]) == (
            float(r["Open"]), float(r["High"]), float(r["Low"]), float(r["Close"]),
            int(r["Volume"]))  # fmt: skip
    jan18 = by_day[date(2022, 1, 18)]
    assert (jan18["close"], jan18["_line"], jan18["last_in_file"]) == (239.600006, 5599, False)
    assert by_day[date(2022, 1, 19)]["last_in_file"] is True  # provisional bar
    assert sum(b["volume"] == 0 for b in bars) == 175  # zero volume kept, not dropped
    assert {b["quote_unit"] for b in bars} == {"US cents/lb"} and all(b["configured"] for b in bars)


def test_yahoo_real_chart_json_gold_is_parsed_but_not_configured(shared_data: Path) -> None:
    path = shared_data / PRICES / "yahoo_chart_json/chart-GC=F-2020-01-01-to-2020-01-03.json"
    release, tables = extract_real(yahoo_prices, path, "chart", "d")
    assert release == "2025-02-20"  # meta.regularMarketTime (recording day) in New York
    [bar] = rows(tables["bars"])
    assert bar["symbol"] == "GC=F" and bar["date"] == date(2020, 1, 2)
    assert (bar["open"], bar["high"], bar["low"], bar["close"], bar["volume"]) == (
        1518.0999755859375, 1528.699951171875, 1518.0, 1524.5, 214)  # fmt: skip
    assert bar["configured"] is False and bar["quote_unit"] is None  # gold stays out
    assert bar["exchange_timezone"] == "America/New_York" and bar["last_in_file"] is False


def test_yahoo_chart_dates_use_the_exchange_zone_not_the_fixed_offset() -> None:
    # midnight New York in July is 04:00 UTC; meta.gmtoffset (-18000, EST) would give June 30
    rows_ = [(date(2021, 7, 1), (150.0, 151.0, 149.0, 150.5, 10)), (date(2021, 7, 2), None)]
    data = fx.chart_json("KC=F", rows_, datetime(2021, 7, 2, 18, tzinfo=UTC))
    release, tables = yahoo_prices.extract("chart", data, "KC=F.json", "d")
    [bar] = rows(tables["bars"])
    assert bar["date"] == date(2021, 7, 1) and release == "2021-07-02"
    assert rows(tables["files"])[0]["holiday_rows"] == 1


def test_yahoo_chart_envelope_is_unwrapped() -> None:
    rows_ = [(date(2022, 1, 18), (148.0, 150.0, 147.0, 149.0, 10))]
    at = datetime(2022, 1, 18, 20, tzinfo=UTC)
    plain = yahoo_prices.extract("chart", fx.chart_json("RC=F", rows_, at), "a.json", "d")
    wrapped = fx.chart_json("RC=F", rows_, at, envelope=True)
    assert yahoo_prices.recognise("x.json", wrapped[:4096]) == "chart"
    assert yahoo_prices.extract("chart", wrapped, "b.json", "d") == plain
    assert rows(plain[1]["bars"])[0]["quote_unit"] == "USD/t"


def test_yahoo_identical_duplicate_rows_collapse() -> None:
    data = (
        b"Date,Open,High,Low,Close,Adj Close,Volume\n2022-01-18,1,2,1,2,2,5\n2022-01-18,1,2,1,2,2,5"
    )
    _, tables = yahoo_prices.extract("csv", data, "KC=F.csv", "d")
    assert tables["bars"].num_rows == 1 and rows(tables["files"])[0]["duplicate_rows"] == 1


def test_yahoo_demo_fixtures_parse() -> None:
    fixtures = Path(yahoo_prices.__file__).parent / "fixtures"
    for path in sorted(fixtures.iterdir()):
        kind = yahoo_prices.recognise(path.name, path.read_bytes()[:4096])
        assert kind, path
        _, tables = yahoo_prices.extract(kind, path.read_bytes(), path.name, "d")
        assert tables["bars"].num_rows > 0
        # coffee's symbols feed prices_daily; the other commodities' reach only
        # commodity_prices_daily (through commodities.toml), with their unit stamped
        coffee = path.name.startswith(("KC=F", "RC=F", "chart_KC=F"))
        assert all(b["configured"] == coffee for b in rows(tables["bars"])), path
        cfg = {**yahoo_prices._CONFIG, "commodity_symbols": {"CC=F": "USD/t", "SB=F": "US cents/lb",
                                                           "ZW=F": "US cents/bu"}}  # fmt: skip
        _, tables = yahoo_prices.extract(kind, path.read_bytes(), path.name, "d", cfg)
        assert all(b["quote_unit"] for b in rows(tables["bars"])), path


# ---------------------------------------------------------------- Yahoo: bad input

HEADER = "Date,Open,High,Low,Close,Adj Close,Volume"
GOOD = "2022-01-18,239.0,241.6,237.7,239.6,239.6,16808"


@pytest.mark.parametrize(
    ("body", "line", "words"),
    [
        ("Date,Open,High,Low,Last,Adj Close,Volume\n" + GOOD, 1, "missing ['Close']"),
        (f"{HEADER}\n01/18/2022,239.0,241.6,237.7,239.6,239.6,16808", 2, "not YYYY-MM-DD"),
        (f"{HEADER}\n{GOOD}\n2022-01-18,239.0,241.6,237.7,240.0,240.0,16808", 3, "appears twice"),
        (f"{HEADER}\n{GOOD}\n2022-01-19,239.0,241.6,237.7,-1.0,-1.0,5", 3, "not a positive"),
        (f"{HEADER}\n2022-01-19,0,241.6,237.7,239.0,239.0,5", 2, "not a positive"),
        (f"{HEADER}\n2022-01-19,239.0,abc,237.7,239.0,239.0,5", 2, "not a number"),
        (f"{HEADER}\n2022-01-19,239.0,241.6", 2, "3 fields"),
        (HEADER, None, "no data rows"),
        ("   \n", None, "empty file"),
    ],
)
def test_yahoo_csv_bad_input_names_file_and_line(body: str, line, words: str) -> None:
    with pytest.raises(SourceError) as err:
        yahoo_prices.extract("csv", body.encode(), "KC=F.csv", "d")
    assert err.value.file == "KC=F.csv" and err.value.line == line and words in str(err.value)


def _chart(**quote) -> bytes:
    base = {"open": [1.0, 2.0], "high": [1.0, 2.0], "low": [1.0, 2.0], "close": [1.0, 2.0],
            "volume": [1, 2]}  # fmt: skip
    base.update(quote)
    body = {"chart": {"result": [{"meta": {"symbol": "KC=F", "exchangeTimezoneName":
            "America/New_York"}, "timestamp": [1642482000, 1642568400],
            "indicators": {"quote": [base]}}], "error": None}}  # fmt: skip
    return json.dumps(body).encode()


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (
            _chart(close=[1.0]),
            "arrays of unequal length: timestamp 2, open 2, high 2, low 2, close 1",
        ),
        (_chart(close=[1.0, -3.0]), "bar 2: close -3.0 is not a positive price"),
        (_chart(close=[1.0, 1.0], open=[1.0, "1.0"]), "bar 2: open '1.0' is not a number"),
        (
            json.dumps(
                {
                    "chart": {
                        "result": None,
                        "error": {
                            "code": "Not Found",
                            "description": "No data found, symbol may be delisted",
                        },
                    }
                }
            ).encode(),
            "Yahoo answered an error: No data found",
        ),  # fmt: skip
        (b'{"finance": {"result": null}}', "not a Yahoo chart response"),
        (b'{"chart": {"result": []}}', "chart.result is empty"),
        (b"[1, 2", "invalid JSON"),
    ],
)
def test_yahoo_chart_bad_input(data: bytes, words: str) -> None:
    with pytest.raises(SourceError) as err:
        yahoo_prices.extract("chart", data, "KC=F.json", "d")
    assert err.value.file == "KC=F.json" and words in str(err.value)


def test_yahoo_chart_string_timestamps_are_refused() -> None:
    data = _chart().replace(b"1642482000", b'"2022-01-18"')
    with pytest.raises(SourceError, match="bar 1: timestamp '2022-01-18' is not Unix seconds"):
        yahoo_prices.extract("chart", data, "KC=F.json", "d")


def test_html_and_empty_bodies_are_refused_before_parsing() -> None:
    page = b"<!DOCTYPE html><html><body>Will be right back</body></html>"
    for fmt in ("csv", "json", "xlsx"):
        with pytest.raises(SourceError, match="HTML page was served"):
            sniff.check("yahoo_prices", "u", page, fmt)
        with pytest.raises(SourceError, match="empty body"):
            sniff.check("yahoo_prices", "u", b"", fmt)


def test_symbol_comes_from_the_csv_file_name() -> None:
    assert yahoo_prices.parse.symbol_from_name("RC=F.csv") == "RC=F"
    assert yahoo_prices.parse.symbol_from_name("dir/KC=F_2024-05-01.csv") == "KC=F"
    with pytest.raises(SourceError, match="cannot tell the symbol"):
        yahoo_prices.parse.symbol_from_name("prices (1).csv")


# ---------------------------------------------------------------- FRED


def test_fred_real_vintages(shared_data: Path) -> None:
    got = {}
    for path in sorted((shared_data / PRICES).glob("fred_vintage_*/*.csv")):
        release, tables = extract_real(fred, path, "series", "d")
        obs = rows(tables["observations"])
        lines = path.read_text().splitlines()
        assert len(obs) == len(lines) - 1  # every observation, none lost
        for o in obs:  # values exactly as published, line numbers pointing at them
            day, value = lines[o["_line"] - 1].split(",")
            assert (o["date"].isoformat(), o["value"]) == (day, float(value))
        got[(path.parent.name, obs[0]["series_id"])] = (release, len(obs), obs[-1]["value"])
    assert got == {
        ("fred_vintage_2021-10", "PCOFFOTMUSDM"): ("2021-09", 380, 220.220257144155),
        ("fred_vintage_2024-10", "PCOFFOTMUSDM"): ("2024-10", 417, 278.760476190476),
        ("fred_vintage_2024-10", "PCOFFROBUSDM"): ("2024-10", 417, 242.461904761905),
    }
    # with the folder in the name (an archive layout) the folder's vintage is used
    path = shared_data / PRICES / "fred_vintage_2021-10/PCOFFOTMUSDM.csv"
    assert fred.extract("series", path.read_bytes(), "fred_vintage_2021-10/x.csv", "d")[0] == (
        "2021-10"
    )


def test_fred_new_header_and_missing_values() -> None:
    data = b"observation_date,PCOFFROBUSDM\n2024-08-01,261.4\n2024-09-01,.\n2024-10-01,\n"
    assert fred.recognise("PCOFFROBUSDM.csv", data) == "series"
    release, tables = fred.extract("series", data, "PCOFFROBUSDM.csv", "d")
    obs = rows(tables["observations"])
    assert release == "2024-11" and [o["value"] for o in obs] == [261.4, None, None]
    assert obs[0]["date_header"] == "observation_date" and obs[0]["coffee_type"] == "robusta"
    other = fred.extract("series", b"DATE,DEXUSEU\n2024-01-02,-1.5\n", "DEXUSEU.csv", "d")[1]
    assert (
        rows(other["observations"])[0]["configured"] is False
    )  # other series: landed, unpublished


@pytest.mark.parametrize(
    ("body", "line", "words"),
    [
        (b"Date,PCOFFOTMUSDM\n2024-09-01,1\n", 1, "is not DATE|observation_date"),
        (b"DATE,PCOFFROBUSDM\n2024-09-01,1\n", 1, "named PCOFFOTMUSDM but holds PCOFFROBUSDM"),
        (b"DATE,PCOFFOTMUSDM\n09/01/2024,1\n", 2, "not YYYY-MM-DD"),
        (b"DATE,PCOFFOTMUSDM\n2024-09-15,1\n", 2, "not the first of a month"),
        (b"DATE,PCOFFOTMUSDM\n2024-09-01,1\n2024-09-01,2\n", 3, "lines 2 and 3"),
        (b"DATE,PCOFFOTMUSDM\n2024-09-01,-278.7\n", 2, "not positive"),
        (b"DATE,PCOFFOTMUSDM\n2024-09-01,n/a\n", 2, "not a number"),
        (b"DATE,PCOFFOTMUSDM\n", None, "no observations"),
        (b"\n", None, "empty file"),
    ],
)
def test_fred_bad_input(body: bytes, line, words: str) -> None:
    with pytest.raises(SourceError) as err:
        fred.extract("series", body, "PCOFFOTMUSDM.csv", "d")
    assert err.value.file == "PCOFFOTMUSDM.csv" and err.value.line == line
    assert words in str(err.value)


# ---------------------------------------------------------------- World Bank Pink Sheet

XLSX = "CMO-Historical-Data-Monthly.xlsx"


def test_pinksheet_real_workbook(shared_data: Path) -> None:
    path = shared_data / PRICES / "worldbank_pinksheet_2022-10" / XLSX
    release, tables = extract_real(worldbank, path, "pinksheet", "d")
    got = rows(tables["monthly"])
    assert release == "2022-10-04" and len(got) == 2 * 753
    sep = {(r["series_id"], r["month_label"]): r for r in got}
    assert sep["COFFEE_ARABIC", "2022M09"]["value"] == 5.905515594
    assert sep["COFFEE_ROBUS", "2022M09"]["value"] == 2.458592224
    assert sep["COFFEE_ARABIC", "1960M01"]["value"] == 0.9409
    assert sep["COFFEE_ARABIC", "2022M09"]["_line"] == 759
    assert sep["COFFEE_ARABIC", "2022M09"]["date"] == date(2022, 9, 1)


def test_pinksheet_columns_are_found_by_header_not_letter() -> None:
    months = [("2022M08", 5.9, 2.4), ("2022M09", 5.8, 2.5)]
    moved = fx.pinksheet_xlsx(months, headers=("Coffee, Arabica", "Coffee,  Robusta **"))
    _, tables = worldbank.extract("pinksheet", moved, XLSX, "d")
    got = {(r["series_id"], r["month_label"]): r["value"] for r in rows(tables["monthly"])}
    assert got[("COFFEE_ROBUS", "2022M09")] == 2.5 and len(got) == 4


def test_pinksheet_without_updated_line_dates_by_last_month() -> None:
    data = fx.pinksheet_xlsx([("2022M12", 5.9, 2.4), ("2023M01", "…", 2.5)], updated=None)
    release, tables = worldbank.extract("pinksheet", data, XLSX, "d")
    assert release == "2023-02-01"
    assert [r["value"] for r in rows(tables["monthly"])][2] is None  # `…` = not published


@pytest.mark.parametrize(
    ("kwargs", "line", "words"),
    [
        ({"headers": ("Coffee, Arabica", "Robusta coffee")}, None, "no column headed"),
        ({"units": ("($/kg)", "(¢/lb)")}, 6, "unit is '(¢/lb)'"),
        ({"rows": [("2022-09", 5.9, 2.4)]}, 7, "not like 2022M09"),
        ({"rows": [("2022M13", 5.9, 2.4)]}, 7, "does not exist"),
        ({"rows": [("2022M09", 5.9, 2.4), ("2022M09", 5.8, 2.4)]}, 8, "rows 7 and 8"),
        ({"rows": [("2022M09", -5.9, 2.4)]}, 7, "not positive"),
        ({"rows": [("2022M09", "5,9", 2.4)]}, 7, "not a number"),
        ({"rows": []}, None, "no monthly rows"),
        ({"sheet": "Monthly"}, None, "no sheet 'Monthly Prices'"),
    ],
)
def test_pinksheet_bad_input(kwargs: dict, line, words: str) -> None:
    args = {"rows": [("2022M09", 5.9, 2.4)], **kwargs}
    data = fx.pinksheet_xlsx(args.pop("rows"), **args)
    with pytest.raises(SourceError) as err:
        worldbank.extract("pinksheet", data, XLSX, "d")
    assert err.value.file.startswith(XLSX) and err.value.line == line
    assert words in str(err.value)


def test_pinksheet_corrupt_workbook() -> None:
    with pytest.raises(SourceError, match="not a readable xlsx"):
        worldbank.extract("pinksheet", b"PK\x03\x04garbage", XLSX, "d")


def test_pinksheet_link_discovery() -> None:
    page = (
        b'<html><a href="/en/other.pdf">x</a><a href="https://thedocs.worldbank.org/en/doc/'
        b'5d90e8/related/CMO-Historical-Data-Monthly.xlsx?x=1&amp;y=2">Monthly prices</a>'
    )
    url = worldbank.discover(page, "https://www.worldbank.org/en/research/commodity-markets",
                             r"CMO-Historical-Data-Monthly\.xlsx")  # fmt: skip
    assert (
        url
        == "https://thedocs.worldbank.org/en/doc/5d90e8/related/CMO-Historical-Data-Monthly.xlsx?x=1&y=2"
    )
    rel = worldbank.discover(
        b"<a href='files/CMO-Historical-Data-Monthly.xlsx'>", "http://h/a/b", "CMO"
    )
    assert rel == "http://h/a/files/CMO-Historical-Data-Monthly.xlsx"
    with pytest.raises(SourceError, match="set xlsx_url"):
        worldbank.discover(b"<html>moved</html>", "http://h/p", "CMO")


def test_recognisers_do_not_claim_each_others_files() -> None:
    yahoo = HEADER.encode()
    fred_csv = b"DATE,PCOFFOTMUSDM\n"
    ice = b"Date;Certified_Stocks\r\n;Close\r\n"
    assert fred.recognise("KC=F.csv", yahoo) is None and fred.recognise("a.csv", ice) is None
    assert yahoo_prices.recognise("PCOFFOTMUSDM.csv", fred_csv) is None
    assert worldbank.recognise("other.xlsx", b"PK") is None
    assert yahoo_prices.recognise("measurements.json", b'{"latitude": 1, "hourly": {}}') is None
