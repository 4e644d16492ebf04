"""ICE's daily certified-stock report (.xls): the real file, and layouts written here as BIFF8.

xlwt is not installed, so `write_xls` below writes the minimal OLE2 + BIFF8 workbook that
ICE's report is (one sheet, text and number cells). It is read back by xlrd, the same reader
the extractor uses: the tests exercise the real parsing path on real .xls bytes, with layouts
(moved blocks, a renamed header, negative or inconsistent counts) no public sample shows.
The demo fixture ingest/ice_stocks/fixtures/coffee_cert_stock_20251230.xls is `demo_report()`.
"""

from __future__ import annotations

import struct
from datetime import date
from pathlib import Path

import pyarrow.compute as pc
import pytest

from ingest import ice_stocks
from ingest.errors import SourceError
from ingest.ice_stocks import extract, report
from tests.conftest import extract_real

REPO = Path(__file__).resolve().parents[1]
FIXTURE = REPO / "ingest" / "ice_stocks" / "fixtures" / "coffee_cert_stock_20251230.xls"
ENDOFCHAIN, FREESECT, FATSECT, NOSTREAM = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD, 0xFFFFFFFF


def _rec(rtype: int, data: bytes) -> bytes:
    return struct.pack("<HH", rtype, len(data)) + data


def _bof(kind: int) -> bytes:
    return _rec(0x0809, struct.pack("<HHHHII", 0x0600, kind, 0x0DBB, 0x07CC, 0, 6))


def _biff(rows: list[list[object]]) -> bytes:
    """BIFF8 workbook stream: globals (one BOUNDSHEET) + one worksheet of LABEL/NUMBER cells."""
    cells = b""
    for r, row in enumerate(rows):
        for c, v in enumerate(row):
            if isinstance(v, str) and v:
                text = v.encode("utf-16-le")
                cells += _rec(0x0204, struct.pack("<HHHHB", r, c, 0, len(v), 1) + text)
            elif isinstance(v, int | float) and not isinstance(v, bool):
                cells += _rec(0x0203, struct.pack("<HHHd", r, c, 0, float(v)))
    ncols = max((len(r) for r in rows), default=0)
    sheet = (
        _bof(0x0010)
        + _rec(0x0200, struct.pack("<IIHHH", 0, len(rows), 0, ncols, 0))
        + cells
        + _rec(0x000A, b"")
    )
    name = b"Sheet1"
    head = _bof(0x0005) + _rec(0x0042, struct.pack("<H", 1200))
    boundsheet_len = 4 + 8 + len(name)
    offset = len(head) + boundsheet_len + 4
    bs = _rec(0x0085, struct.pack("<IBBBB", offset, 0, 0, len(name), 0) + name)
    return head + bs + _rec(0x000A, b"") + sheet


def write_xls(rows: list[list[object]]) -> bytes:
    """A one-sheet .xls (OLE2 compound file holding a BIFF8 `Workbook` stream)."""
    stream = _biff(rows)
    stream += b"\x00" * (max(4096, -(-len(stream) // 512) * 512) - len(stream))
    n = len(stream) // 512
    assert n < 126, "one FAT sector only"
    fat = [FATSECT] + [i + 2 for i in range(n - 1)] + [ENDOFCHAIN, ENDOFCHAIN]
    fat += [FREESECT] * (128 - len(fat))
    dir_sector = 1 + n

    def entry(name: str, etype: int, child: int, start: int, size: int) -> bytes:
        raw = name.encode("utf-16-le") + b"\x00\x00" if name else b""
        return (
            raw.ljust(64, b"\x00")
            + struct.pack("<HBB", len(raw), etype, 1)
            + struct.pack("<III", NOSTREAM, NOSTREAM, child)
            + b"\x00" * 16 + b"\x00" * 4 + b"\x00" * 16
            + struct.pack("<III", start, size, 0)
        )  # fmt: skip

    directory = (
        entry("Root Entry", 5, 1, ENDOFCHAIN, 0)
        + entry("Workbook", 2, NOSTREAM, 1, len(stream))
        + entry("", 0, NOSTREAM, FREESECT, 0) * 2
    )
    header = (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 16
        + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6) + b"\x00" * 6
        + struct.pack("<IIIIIIIII", 0, 1, dir_sector, 0, 4096, ENDOFCHAIN, 0, ENDOFCHAIN, 0)
        + struct.pack("<I", 0) + struct.pack("<I", FREESECT) * 108
    )  # fmt: skip
    return header + struct.pack("<128I", *fat) + stream + directory


PORTS = ["ANT", "BAR", "HA/BR", "HOU", "MIAMI", "NOLA", "NY", "VA"]


def _block(title: str, ports: list[str], origins: dict[str, list[int]]) -> list[list[object]]:
    rows: list[list[object]] = [[title], [], ["", *ports, "Total"]]
    for origin, vals in origins.items():
        rows.append([origin, *vals, sum(vals)])
    totals = [sum(v[i] for v in origins.values()) for i in range(len(ports))]
    rows.append(["Total in Bags", *totals, sum(totals)])
    return rows


def demo_report(day: str = "Dec 30, 2025", extra_origin: bool = False) -> list[list[object]]:
    """A small report in ICE's layout (values invented for the demo)."""
    certified = {
        "Brazil": [79000, 0, 0, 1548, 0, 0, 580, 0],
        "Honduras": [17600, 0, 9995, 9625, 0, 0, 537, 0],
        "Peru": [62000, 0, 1240, 0, 5000, 0, 851, 0],
    }
    if extra_origin:
        certified["Uganda"] = [22641, 0, 320, 0, 0, 0, 0, 0]
    rows: list[list[object]] = [
        ["ICE Futures U.S."], ['COFFEE "C" CERTIFIED WAREHOUSE STOCK REPORT'],
        [f"As of: {day} 12:36:04PM"], [],
    ]  # fmt: skip
    rows += _block("TOTAL BAGS CERTIFIED", PORTS, certified) + [[], []]
    rows += _block("TRANSITION BAGS CERTIFIED", ["ANT", "BAR", "HA/BR"],
                   {"Brazil": [79000, 0, 0], "Peru": [60000, 0, 1240]})  # fmt: skip
    rows += [[], ["Transition Bags Certified data includes ..."], [], ["TODAY'S GRADING SUMMARY"]]
    rows += [["No Bags Passed Today"], ["No Bags Failed Today"], []]
    rows += _block("Pending Grading Report", PORTS, {"Peru": [0, 0, 0, 0, 500, 0, 0, 0]})
    rows += [[], ["Flagged for Rebagging"]]
    return rows


def _parse(rows: list[list[object]], name: str = "coffee_cert_stock_20251230.xls"):
    release, tables = extract("daily_report", write_xls(rows), name, "d" * 64)
    return release, tables["report_cells"]


def _total(cells, block: str = "certified", port: str = "Total") -> int:
    mask = pc.and_(pc.and_(cells["is_total_row"], pc.equal(cells["block"], block)),
                   pc.equal(cells["port_code"], port))  # fmt: skip
    return cells.filter(mask)["bags"].to_pylist()[0]


def test_real_report_total_matches_published(shared_data: Path) -> None:
    path = shared_data / "ice_stocks" / "daily_xls" / "coffee_cert_stock_20251226.xls"
    release, tables = extract_real(ice_stocks, path, "daily_report")
    cells = tables["report_cells"]
    assert release == "2025-12-26"
    assert _total(cells) == 456477  # the CSV series says 26.12.2025;456477 too
    assert _total(cells, "transition") == 399871
    assert _total(cells, "pending_grading") == 8210
    assert _total(cells, "certified", "HA/BR") == 34520
    brazil = cells.filter(pc.and_(pc.equal(cells["origin"], "Brazil"),
                                  pc.equal(cells["block"], "certified")))  # fmt: skip
    ports = {r["port_code"]: r["bags"] for r in brazil.to_pylist()}
    assert ports["ANT"] == 79399
    assert set(cells["block"].to_pylist()) == {"certified", "transition", "pending_grading"}


def test_written_xls_reads_like_ice(tmp_path: Path) -> None:
    release, cells = _parse(demo_report())
    assert release == "2025-12-30"
    assert (
        _total(cells) == 79000 + 1548 + 580 + 17600 + 9995 + 9625 + 537 + 62000 + 1240 + 5000 + 851
    )
    assert _total(cells, "transition") == 79000 + 60000 + 1240


def test_demo_fixture_is_the_demo_report() -> None:
    assert FIXTURE.read_bytes() == write_xls(demo_report())


def test_blocks_found_by_title_not_row_number() -> None:
    _, base = _parse(demo_report())
    _, moved = _parse(demo_report(extra_origin=True))  # every later block moves down a row
    assert _total(moved) == _total(base) + 22641 + 320
    assert _total(moved, "transition") == _total(base, "transition")
    assert _total(moved, "pending_grading") == _total(base, "pending_grading") == 500


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (
            lambda r: r.__setitem__(2, ["As of: Dec 29, 2025 12:00:00PM"]),
            "file name says 2025-12-30",
        ),
        (lambda r: r.__setitem__(2, ["As of: 2025-12-30"]), "no 'As of: Mon D, YYYY'"),
        (lambda r: r.__setitem__(4, ["TOTAL BAGS STORED"]), "no 'TOTAL BAGS CERTIFIED' block"),
        (lambda r: r[7].__setitem__(1, -5), "negative stock -5"),
        (lambda r: r[7].__setitem__(1, 79000.5), "not a whole number"),
        (lambda r: r[7].__setitem__(2, 7), "ports sum to"),
        (lambda r: r.__delitem__(10), "no 'Total in Bags' row"),
    ],
)
def test_bad_reports_name_file_and_row(mutate, message: str) -> None:
    rows = demo_report()
    mutate(rows)
    with pytest.raises(SourceError) as exc:
        _parse(rows)
    assert message in str(exc.value)
    assert "coffee_cert_stock_20251230.xls" in str(exc.value)


def test_origin_sum_checked_against_total_row() -> None:
    rows = demo_report()
    total_row = next(i for i, r in enumerate(rows) if r and r[0] == "Total in Bags")
    rows[total_row][1] += 1
    rows[total_row][-1] += 1
    with pytest.raises(SourceError, match=rf"line {total_row + 1}.*origins sum to"):
        _parse(rows)


def test_not_an_xls_is_refused() -> None:
    with pytest.raises(SourceError, match="not a readable .xls"):
        extract("daily_report", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "x.xls", "d")


def test_report_date_without_date_in_name() -> None:
    assert report.report_date([["x"], ["y"], ["As of: Jan 5, 2026 9:01:00AM"]], "report.xls") == (
        date(2026, 1, 5)
    )
