"""ICE certified-stock series extractors: the semicolon CSV and the per-port JSON (no SQLMesh)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from ingest import ice_stocks
from ingest.errors import SourceError
from ingest.ice_stocks import extract, recognise
from tests.conftest import extract_real

CSV_HEAD = b"Date;Certified_Stocks\r\n;Close\r\n"


def _csv(body: bytes, name: str = "arabica_stocks.csv"):
    return extract("series_csv", body, name, "c" * 64)


def _json(doc: object, name: str = "stocks.json"):
    return extract("ports_json", json.dumps(doc).encode(), name, "j" * 64)


def _by_day(table) -> dict:
    return dict(zip(table["date"].to_pylist(), table["bags"].to_pylist(), strict=True))


def _snap(day: str, ports: dict[str, int], total: int | None = None) -> dict:
    return {"date": day, "total_bags": sum(ports.values()) if total is None else total,
            "by_port_totals": ports}  # fmt: skip


def test_real_csv_loads_every_row(shared_data: Path) -> None:
    path = shared_data / "ice_stocks" / "arabica_stocks.csv"
    data = path.read_bytes()
    assert recognise(path.name, data[:4096]) == "series_csv"
    release, tables = _csv(data, path.name)
    t = tables["totals"]
    assert release == "2026-01-28"
    assert t.num_rows == 2523  # 2,525 lines - 2 header lines
    by_day = _by_day(t)
    assert by_day[date(2025, 12, 26)] == 456477
    assert by_day[date(2016, 1, 4)] == 1730059
    assert date(2020, 6, 24) not in by_day  # a missing trading day stays missing
    assert t["_line"].to_pylist()[0] == 3  # newest first, after the two header lines


def test_real_json_loads_every_snapshot(shared_data: Path) -> None:
    path = shared_data / "ice_stocks" / "certified_stocks_arabica_deep_2020-2024.json"
    release, tables = extract_real(ice_stocks, path, "ports_json")
    totals, ports = tables["totals"], tables["ports"]
    assert release == "2024-12-31"
    assert totals.num_rows == 1266
    by_day = _by_day(totals)
    assert by_day[date(2023, 7, 17)] == 548574
    assert by_day[date(2020, 1, 2)] == 2032149
    rows = ports.to_pylist()
    jan2 = {r["port_code"]: r["bags"] for r in rows if r["date"] == date(2020, 1, 2)}
    assert jan2 == {"NYK": 112419, "HAM": 216668, "ANT": 1582450, "MIA": 24121, "VIR": 17128,
                    "NOR": 6135, "HOU": 72933, "BAR": 295}  # fmt: skip


def test_csv_and_json_disagree_exactly_on_four_days(shared_data: Path) -> None:
    """The raw facts the reconciliation dataset must reproduce (checked at SQL level too)."""
    folder = shared_data / "ice_stocks"
    csv_t = _csv((folder / "arabica_stocks.csv").read_bytes())[1]["totals"]
    json_t = extract("ports_json", (folder / "certified_stocks_arabica_deep_2020-2024.json")
                     .read_bytes(), "j.json", "x")[1]["totals"]  # fmt: skip
    a = _by_day(csv_t)
    b = _by_day(json_t)
    differ = sorted(d for d in a.keys() & b.keys() if a[d] != b[d])
    assert differ == [date(2023, 7, d) for d in (17, 18, 19, 20)]


def test_csv_without_second_header_line_and_identical_duplicates() -> None:
    body = b"Date;Certified_Stocks\r\n02.01.2026;100\r\n02.01.2026;100\r\n31.12.2025;90"
    release, tables = _csv(body)
    assert release == "2026-01-02"
    assert tables["totals"]["bags"].to_pylist() == [100, 90]


@pytest.mark.parametrize(
    ("body", "message", "line"),
    [
        (b"Datum;Certified_Stocks\r\n;Close\r\n02.01.2026;1\r\n", "header is 'Datum;Cert", 1),
        (CSV_HEAD + b"02.01.2026;1\r\n2026-01-01;2\r\n", "'2026-01-01' is not DD.MM.YYYY", 4),
        (CSV_HEAD + b"31.02.2026;1\r\n", "day is out of range", 3),
        (CSV_HEAD + b"02.01.2026;10\r\n02.01.2026;11\r\n", "appears twice with different", 4),
        (CSV_HEAD + b"02.01.2026;-10\r\n", "negative stock -10", 3),
        (CSV_HEAD + b"02.01.2026;1.234\r\n", "not a whole number", 3),
        (CSV_HEAD + b"02.01.2026;1;2\r\n", "3 fields, expected 2", 3),
        (CSV_HEAD, "no data rows", None),
    ],
)
def test_bad_csv_names_file_and_line(body: bytes, message: str, line: int | None) -> None:
    with pytest.raises(SourceError) as exc:
        _csv(body, "export.csv")
    assert message in str(exc.value)
    assert exc.value.file == "export.csv"
    assert exc.value.line == line


def test_json_port_keys_in_any_order() -> None:
    doc = {
        "market": "arabica",
        "snapshots": [
            _snap("2024-01-02", {"NYK": 1, "ANT": 2}),
            _snap("2024-01-03", {"ANT": 5, "NYK": 1}),
        ],
    }
    release, tables = _json(doc)
    assert release == "2024-01-03"
    assert tables["totals"]["bags"].to_pylist() == [3, 6]
    assert tables["ports"]["port_code"].to_pylist() == ["ANT", "NYK", "ANT", "NYK"]


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ({"snapshots": [_snap("2024-01-02", {"ANT": 5}, total=6)]}, "ports sum to 5"),
        ({"snapshots": [_snap("02.01.2024", {"ANT": 5})]}, "is not YYYY-MM-DD"),
        ({"snapshots": [_snap("2024-01-02", {"ANT": -5})]}, "negative stock -5"),
        ({"snapshots": [_snap("2024-01-02", {"A": 1}), _snap("2024-01-02", {"A": 2})]},
         "appears twice with different values"),
        ({"snapshots": [{"day": "2024-01-02", "total_bags": 1, "by_port_totals": {}}]},
         "snapshot without date"),
        ({"snapshots": []}, "`snapshots` is empty"),
        ({"rows": []}, "no `snapshots` list"),
        ({"market": "robusta", "snapshots": [_snap("2024-01-02", {"A": 1})]}, "expected 'arabica'"),
    ],
)  # fmt: skip
def test_bad_json_is_refused(doc: dict, message: str) -> None:
    with pytest.raises(SourceError, match="stocks.json") as exc:
        _json(doc)
    assert message in str(exc.value)


def test_json_error_names_the_line() -> None:
    doc = {"snapshots": [_snap("2024-01-02", {"A": 1}), _snap("2024-01-03", {"A": -1})]}
    body = json.dumps(doc, indent=2).encode()
    with pytest.raises(SourceError) as exc:
        extract("ports_json", body, "stocks.json", "x")
    assert body.decode().splitlines()[exc.value.line - 1].strip() == '"date": "2024-01-03",'


def test_recognise_ignores_other_files() -> None:
    assert recognise("psd_coffee.csv", b"Commodity_Code,") is None
    assert recognise("measurements.json", b'{"latitude": -21.75, "hourly": {}}') is None
