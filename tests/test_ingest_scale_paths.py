"""The fast paths of ingest at scale (issue 15): what they skip, and what they still refuse.

- COT: only the configured markets' lines are parsed in full; another market's broken row no
  longer matters, while every line's report dates and market code are still checked;
- zips are inflated once, by the source that reads them: a corrupt member is still refused,
  named, and nothing is stored;
- PSD all-commodities: duplicates are named with their lines in the file.
"""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date
from pathlib import Path

import pytest

from ingest import cftc_cot
from ingest.errors import SourceError
from ingest.run import ingest_source
from ingest.usda_psd import bulk
from tests.usda_fixtures import alldata_csv, bulk_csv, bulk_zip

COFFEE, COCOA = "083731", "073732"
DISAGG_2021 = "cftc_cot/disagg_futures_only_2021_ytd/f_year.txt"
KIND = "disagg_futures_only_text"


def _lines(shared_data: Path) -> list[str]:
    return (shared_data / DISAGG_2021).read_bytes().decode().splitlines()


def _field(line: str, i: int) -> str:
    return next(csv.reader([line]))[i]


def _other_market(lines: list[str]) -> int:
    """A line of a market that is neither coffee nor cocoa."""
    return next(i for i, ln in enumerate(lines[1:], 1) if _field(ln, 3) not in (COFFEE, COCOA))


def _not_a_number(line: str) -> str:
    """Open_Interest_All (the 8th field) with a letter O for a zero."""
    fields = next(csv.reader([line]))
    fields[7] = fields[7].strip() + "O"
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow(fields)
    return out.getvalue()


def _extract(lines: list[str], markets: list[str] | None = None):
    text = ("\r\n".join(lines) + "\r\n").encode()
    return cftc_cot.extract(KIND, text, "f_year.txt", "d", {"markets": markets or [COFFEE]})


@pytest.mark.parametrize(
    "breakage",
    [
        lambda ln: ln.replace('"(CONTRACTS', "(CONTRACTS", 1),  # a broken quote: 192 fields
        lambda ln: ln.rsplit(",", 5)[0],  # a truncated row
        _not_a_number,
        lambda ln: ln.replace('"FutOnly"', '"Combined"'),  # the other report type
        lambda ln: ln.replace('"', '"\xc9', 1),  # Latin-1 in the market name
    ],
)
def test_another_markets_broken_row_no_longer_matters(shared_data: Path, breakage) -> None:
    """Coffee lands exactly as from the intact file, same lines, same release."""
    lines = _lines(shared_data)
    intact_release, intact = _extract(lines)
    i = _other_market(lines)
    broken = breakage(lines[i])
    assert broken != lines[i]
    lines[i] = broken
    if "\xc9" in broken:  # write the byte as Latin-1, as a misencoded upstream file would
        text = "\r\n".join(lines).encode("utf-8").replace("\xc9".encode(), b"\xc9") + b"\r\n"
        release, tables = cftc_cot.extract(KIND, text, "f_year.txt", "d", {"markets": [COFFEE]})
    else:
        release, tables = _extract(lines)
    assert release == intact_release
    assert tables["disaggregated"].equals(intact["disaggregated"])


def test_the_same_breakage_in_a_configured_market_is_refused(shared_data: Path) -> None:
    """Configure the market whose row is broken: now it is an error naming that line."""
    lines = _lines(shared_data)
    i = _other_market(lines)
    code = _field(lines[i], 3)
    lines[i] = lines[i].replace('"FutOnly"', '"Combined"')
    with pytest.raises(SourceError, match=f"line {i + 1}: FutOnly_or_Combined is 'Combined'"):
        _extract(lines, [COFFEE, code])
    lines = _lines(shared_data)
    lines[i] = lines[i].rsplit(",", 5)[0]
    with pytest.raises(SourceError, match=f"line {i + 1}: malformed row: 186 fields"):
        _extract(lines, [COFFEE, code])


@pytest.mark.parametrize(
    ("breakage", "message"),
    [
        (
            lambda ln: ln.replace(f",{_field(ln, 2)},", ",2021-02-30,", 1),
            "report date '2021-02-30'",
        ),
        (lambda ln: ln.replace(f",{_field(ln, 3)},", ",,", 1), "empty CFTC contract market code"),
        (lambda ln: ln.split(",")[0], "malformed row: fewer than 4 fields"),
    ],
)
def test_every_line_still_has_a_date_and_a_market(shared_data: Path, breakage, message) -> None:
    """The file's release is its newest report date, and a row without a market code could be
    a configured market's: those fields are checked on every line."""
    lines = _lines(shared_data)
    i = _other_market(lines)
    lines[i] = breakage(lines[i])
    with pytest.raises(SourceError, match=f"line {i + 1}: {message}"):
        _extract(lines)


def _corrupt_member(data: bytes) -> bytes:
    """The zip with one byte of its compressed member flipped (structure intact)."""
    info = zipfile.ZipFile(io.BytesIO(data)).infolist()[0]
    at = info.header_offset + 30 + len(info.filename) + len(info.extra) + info.compress_size // 2
    return data[:at] + bytes([data[at] ^ 0xFF]) + data[at + 1 :]


@pytest.mark.parametrize(
    ("source", "name", "make"),
    [
        ("cftc_cot", "fut_disagg_txt_2021.zip",
         lambda sd: _zip("f_year.txt", (sd / DISAGG_2021).read_bytes())),
        ("usda_psd", "psd_coffee_csv.zip", lambda sd: bulk_zip(bulk_csv())),
    ],
)  # fmt: skip
def test_a_corrupt_zip_member_is_refused_and_nothing_stored(
    shared_data: Path, tmp_path: Path, source: str, name: str, make
) -> None:
    """Sniffing checks the zip's structure; the member's CRC is checked when the source reads
    it (once): a flipped byte is an error naming the file, the raw archive stays empty."""
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / name).write_bytes(_corrupt_member(make(shared_data)))
    var = tmp_path / "var"
    res = ingest_source(source, var, {}, {}, [folder / name], date(2026, 1, 2))
    assert len(res.errors) == 1 and name in res.errors[0], res.errors
    assert "truncated or corrupt zip" in res.errors[0]
    assert res.files_new == 0 and res.rows_landed == 0
    assert not (var / "raw" / "manifest.jsonl").exists()


def _zip(member: str, text: bytes) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(member, text)
    return buf.getvalue()


def test_alldata_duplicates_are_named_with_their_lines_in_the_file() -> None:
    """The kept rows' lines are the file's (sugar follows coffee's rows), not their rank."""
    lines = alldata_csv().decode().rstrip("\r\n").split("\r\n")
    sugar = next(i for i, ln in enumerate(lines) if ln.startswith("0612000,"))
    lines.append(lines[sugar].replace(".0000", ".5000"))
    data = bulk_zip(("\r\n".join(lines) + "\r\n").encode(), member="psd_alldata.csv")
    with pytest.raises(SourceError) as err:
        bulk.parse_alldata(data, "psd_alldata_csv.zip", "d", {"0612000"})
    assert f"on lines [{sugar + 1}, {len(lines)}]" in str(err.value)
    assert err.value.line == len(lines)


# ---- which landed files a new landing is compared with -----------------------------------


def test_alldata_without_a_configured_code_lands_nothing_and_still_dates_the_file() -> None:
    data = bulk_zip(alldata_csv(release="2024-12"), member="psd_alldata.csv")
    release, table = bulk.parse_alldata(data, "psd_alldata_csv.zip", "d", {"9999999"})
    assert (release, table.num_rows) == ("2024-12", 0)
