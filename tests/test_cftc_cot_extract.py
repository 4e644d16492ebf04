"""CFTC COT extractor: real-file quirks, market selection, bad input, fetch plan and fetch path.

Pure Python + DuckDB (no SQLMesh): fast. Real files come from ../shared/data (skipped when
absent); bad inputs are real files with one defect injected, so every other line is genuine.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import zipfile
from datetime import date
from pathlib import Path

import pytest

from ingest import cftc_cot
from ingest.cftc_cot import parse
from ingest.cftc_cot.layout import REPORTS, slug, sql_type
from ingest.errors import SourceError
from ingest.run import ingest_source

COFFEE = "083731"
DISAGG = "cftc_cot/disagg_futures_only_2023/fut_disagg_txt_2023.zip"
DISAGG_2021 = "cftc_cot/disagg_futures_only_2021_ytd/f_year.txt"
LEGACY_WK1 = "cftc_cot/legacy_futures_only_2025_wk1/annual.txt"
LEGACY_YTD = "cftc_cot/legacy_futures_only_2025_ytd/annual.txt"


def _lines(text: bytes) -> list[str]:
    return text.decode().splitlines()


def _rows(text: bytes, code: str) -> dict[int, list[str]]:
    """{line number: fields} of one market, read with the csv module (independent parser)."""
    out = {}
    for no, fields in enumerate(csv.reader(io.StringIO(text.decode(), newline="")), start=1):
        if no > 1 and fields[3].strip() == code:
            out[no] = fields
    return out


def _published(header: tuple[str, ...], fields: list[str]) -> dict[str, object]:
    """The value CFTC published, as our landing should hold it."""
    out: dict[str, object] = {}
    for name, raw in zip(header, fields, strict=True):
        v = raw.strip()
        kind = sql_type(name)
        if v in (".", ""):
            out[slug(name)] = None
        elif kind == "BIGINT":
            out[slug(name)] = int(v)
        elif kind == "DOUBLE":
            out[slug(name)] = float(v)
        elif kind == "DATE":
            out[slug(name)] = date.fromisoformat(v)
        else:
            out[slug(name)] = v
    return out


@pytest.mark.parametrize(
    ("rel", "kind", "rows"),
    [
        (DISAGG, "disagg_futures_only_zip", 41),
        (DISAGG_2021, "disagg_futures_only_text", 11),
        (LEGACY_WK1, "legacy_futures_only_text", 1),
        (LEGACY_YTD, "legacy_futures_only_text", 10),
    ],
)
def test_real_files_land_every_coffee_cell_exactly(shared_data: Path, rel, kind, rows) -> None:
    """Every cell of every Coffee C row equals an independent csv-module parse of the line:
    quoted Contract_Units with a comma, padded numbers, '.', CRLF and LF, header typos."""
    path = shared_data / rel
    data = path.read_bytes()
    assert cftc_cot.recognise(path.name, data[:4096]) == kind
    release, tables = cftc_cot.extract(kind, data, path.name, "sha")
    (table,) = tables.values()
    text = zipfile.ZipFile(io.BytesIO(data)).read("f_year.txt") if kind.endswith("zip") else data
    expected = _rows(text, COFFEE)
    report = REPORTS[kind.rsplit("_", 1)[0]]
    assert table.num_rows == rows == len(expected)
    for got in table.to_pylist():
        want = _published(report.header, expected[got["_line"]])
        assert {k: got[k] for k in want} == want
        assert got["_period"] == want[slug(report.header[2])]
        assert got["contract_units"] == "(CONTRACTS OF 37,500 POUNDS)"
        assert got["cftc_commodity_code"] == "083"  # padded "083 " upstream, a string
    assert release == max(r["_period"] for r in table.to_pylist()).isoformat()


def test_markets_come_from_configuration_and_codes_are_strings(shared_data: Path) -> None:
    text = (shared_data / LEGACY_YTD).read_bytes()
    report = REPORTS["legacy_futures_only"]
    _, both = parse.parse(report, text, "annual.txt", "d", ["073732", COFFEE], headerless=False)
    assert set(both["cftc_contract_market_code"].to_pylist()) == {"073732", COFFEE}
    # the commodity code 083 is not a contract market code: nothing matches
    _, none = parse.parse(report, text, "annual.txt", "d", ["083"], headerless=False)
    assert none.num_rows == 0
    with pytest.raises(ValueError, match="quoted strings"):
        cftc_cot.markets({"markets": [83731]})
    assert cftc_cot.markets({"markets": [" 083731"]}) == [COFFEE]


def test_headerless_current_week_file(shared_data: Path) -> None:
    """f_disagg.txt has no header: same layout, line numbers start at 1."""
    lines = _lines((shared_data / DISAGG_2021).read_bytes())
    week = [ln for ln in lines[1:] if ",2021-03-16," in ln]
    data = ("\r\n".join(week) + "\r\n").encode()
    assert cftc_cot.recognise("f_disagg.txt", data[:4096]) == "disagg_futures_only_week"
    release, tables = cftc_cot.extract("disagg_futures_only_week", data, "f_disagg.txt", "d")
    (row,) = tables["disaggregated"].to_pylist()
    assert release == "2021-03-16"
    assert row["_line"] == next(i for i, ln in enumerate(week, 1) if f",{COFFEE}," in ln)


# ---- bad input: each names the file (and line), and nothing is landed from it -------------


def _zip(member: str, text: bytes) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(member, text)
    return buf.getvalue()


def _coffee_line(lines: list[str]) -> int:
    return next(i for i, ln in enumerate(lines) if f",{COFFEE}," in ln)


def test_renamed_inner_file(shared_data: Path) -> None:
    text = (shared_data / DISAGG_2021).read_bytes()
    data = _zip("f_year_2021.txt", text)
    with pytest.raises(SourceError) as err:
        cftc_cot.extract("disagg_futures_only_zip", data, "fut_disagg_txt_2021.zip", "d")
    assert "fut_disagg_txt_2021.zip" in str(err.value)
    assert "f_year_2021.txt" in str(err.value) and "f_year.txt" in str(err.value)


@pytest.mark.parametrize("column", ["Swap__Positions_Short_All", "M_Money_Positions_Long_All"])
def test_header_with_a_missing_column(shared_data: Path, column: str) -> None:
    lines = _lines((shared_data / DISAGG_2021).read_bytes())
    names = next(csv.reader([lines[0]]))
    i = names.index(column)
    lines[0] = ",".join(f'"{n}"' for j, n in enumerate(names) if j != i)
    with pytest.raises(SourceError) as err:
        cftc_cot.extract("disagg_futures_only_text", "\r\n".join(lines).encode(), "f_year.txt", "d")
    assert err.value.line == 1 and err.value.file == "f_year.txt"
    assert f"missing column '{column}'" in str(err.value)


def test_typo_fixed_upstream_is_a_renamed_column(shared_data: Path) -> None:
    """If CFTC ever fixes `Swap__Positions_Short_All`, we hear about it instead of guessing."""
    text = (
        (shared_data / DISAGG_2021)
        .read_bytes()
        .replace(b'"Swap__Positions_Short_All"', b'"Swap_Positions_Short_All"', 1)
    )
    with pytest.raises(SourceError, match="unexpected column 'Swap_Positions_Short_All'"):
        cftc_cot.extract("disagg_futures_only_text", text, "f_year.txt", "d")


def test_legacy_header_needs_its_leading_space(shared_data: Path) -> None:
    text = (shared_data / LEGACY_WK1).read_bytes()
    fixed = text.replace(b'" Total Reportable Positions-Long (All)"', b'"Total Reportable')
    fixed = fixed.replace(b'"Total Reportable,', b'"Total Reportable Positions-Long (All)",', 1)
    with pytest.raises(SourceError, match="missing column ' Total Reportable Positions-Long"):
        cftc_cot.extract("legacy_futures_only_text", fixed, "annual.txt", "d")


def test_broken_quote_gives_192_fields(shared_data: Path) -> None:
    lines = _lines((shared_data / DISAGG_2021).read_bytes())
    i = _coffee_line(lines)
    lines[i] = lines[i].replace('"(CONTRACTS OF 37,500 POUNDS)"', "(CONTRACTS OF 37,500 POUNDS)")
    assert len(next(csv.reader([lines[i]]))) == 192
    with pytest.raises(SourceError) as err:
        cftc_cot.extract("disagg_futures_only_text", "\r\n".join(lines).encode(), "f_year.txt", "d")
    assert err.value.file == "f_year.txt" and err.value.line == i + 1
    assert "192 fields, expected 191" in str(err.value)


@pytest.mark.parametrize("bad", ["2021-02-30", "2021-03-1x", "16.03.2021"])
def test_report_date_that_is_not_a_date(shared_data: Path, bad: str) -> None:
    lines = _lines((shared_data / DISAGG_2021).read_bytes())
    i = 500  # another market's row: the whole file is checked, not only coffee
    day = lines[i].split(",")[2]
    lines[i] = lines[i].replace(f",{day},", f",{bad},", 1)
    with pytest.raises(SourceError) as err:
        cftc_cot.extract("disagg_futures_only_text", "\r\n".join(lines).encode(), "f_year.txt", "d")
    assert err.value.line == i + 1 and bad in str(err.value)


def test_duplicated_week_with_different_numbers_in_one_file(shared_data: Path) -> None:
    lines = _lines((shared_data / LEGACY_WK1).read_bytes())
    i = _coffee_line(lines)
    twin = lines[i].replace(",  194280,", ",  194281,", 1)
    assert twin != lines[i]
    lines.append(twin)
    with pytest.raises(SourceError) as err:
        cftc_cot.extract("legacy_futures_only_text", "\n".join(lines).encode(), "annual.txt", "d")
    assert err.value.line == len(lines)
    assert f"lines [{i + 1}, {len(lines)}]" in str(err.value) and COFFEE in str(err.value)


def test_exact_duplicate_row_is_kept_once(shared_data: Path) -> None:
    lines = _lines((shared_data / LEGACY_WK1).read_bytes())
    lines.append(lines[_coffee_line(lines)])
    _, tables = cftc_cot.extract("legacy_futures_only_text", "\n".join(lines).encode(), "a", "d")
    assert tables["legacy"].num_rows == 1


def test_number_that_is_not_a_number_names_line_and_column(shared_data: Path) -> None:
    lines = _lines((shared_data / LEGACY_WK1).read_bytes())
    i = _coffee_line(lines)
    lines[i] = lines[i].replace(",  194280,", ",  19428O,", 1)
    with pytest.raises(SourceError) as err:
        cftc_cot.extract("legacy_futures_only_text", "\n".join(lines).encode(), "annual.txt", "d")
    assert err.value.line == i + 1 and "'Open Interest (All)'" in str(err.value)


def test_combined_rows_in_a_futures_only_file(shared_data: Path) -> None:
    lines = _lines((shared_data / DISAGG_2021).read_bytes())
    i = _coffee_line(lines)
    lines[i] = lines[i].replace('"FutOnly"', '"Combined"')
    with pytest.raises(SourceError, match=f"line {i + 1}: FutOnly_or_Combined is 'Combined'"):
        cftc_cot.extract("disagg_futures_only_text", "\r\n".join(lines).encode(), "f_year.txt", "d")


def test_bad_file_is_rejected_and_good_files_still_land(shared_data: Path, tmp_path: Path) -> None:
    """One broken import does not stop the others: errors name the file, good rows land."""
    lines = _lines((shared_data / LEGACY_YTD).read_bytes())
    lines[7] = lines[7].replace(lines[7].split(",")[2], "2025-02-31", 1)
    bad_dir = tmp_path / "in" / "bad"
    bad_dir.mkdir(parents=True)
    (bad_dir / "annual.txt").write_text("\n".join(lines) + "\n")
    good = tmp_path / "in" / "good"
    good.mkdir()
    shutil.copy(shared_data / LEGACY_WK1, good / "annual.txt")
    var = tmp_path / "var"
    files = [bad_dir / "annual.txt", good / "annual.txt"]
    res = ingest_source("cftc_cot", var, {}, {}, files, date(2025, 3, 20))
    assert len(res.errors) == 1 and "annual.txt, line 8" in res.errors[0]
    assert res.files_new == 1 and res.rows_landed == 1
    landed = json.loads((var / "landing/cftc_cot/landed.json").read_text())
    assert len(landed) == 1
    assert (var / "rejected" / "rejected.jsonl").read_text().count("2025-02-31") == 1


# ---- the fetch plan and the real fetch path ------------------------------------------------


def _cfg(**over) -> dict:
    import tomllib

    cfg = tomllib.loads(cftc_cot.CONFIG.read_text())
    return {**cfg, **over}


def test_requests_backfill_once_and_refetch_the_current_year() -> None:
    cfg = _cfg(fetch=["disagg_futures_only", "legacy_futures_only"])
    reqs = cftc_cot.requests(cfg, date(2025, 6, 1), set())
    urls = [r.url for r in reqs]
    assert urls[0].endswith("fut_disagg_txt_hist_2006_2016.zip")
    assert [u.rsplit("/", 1)[1] for u in urls if "fut_disagg_txt_20" in u] == [
        f"fut_disagg_txt_{y}.zip" for y in range(2017, 2026)
    ]
    assert any(u.endswith("deacot1986_2016.zip") for u in urls)
    assert sum(u.endswith("/f_disagg.txt") or u.endswith("/deafut.txt") for u in urls) == 2
    assert not any(r.optional for r in reqs)  # June: a 404 is an error
    stored = set(urls)
    again = [r.url.rsplit("/", 1)[1] for r in cftc_cot.requests(cfg, date(2025, 6, 1), stored)]
    assert again == ["fut_disagg_txt_2025.zip", "f_disagg.txt", "deacot2025.zip", "deafut.txt"]


def test_requests_in_january_refetch_last_year_and_tolerate_the_missing_new_year() -> None:
    cfg = _cfg(fetch=["legacy_futures_only"])
    first = cftc_cot.requests(cfg, date(2026, 1, 5), set())
    stored = {r.url for r in first}
    reqs = {r.url.rsplit("/", 1)[1]: r for r in cftc_cot.requests(cfg, date(2026, 1, 5), stored)}
    assert set(reqs) == {"deacot2025.zip", "deacot2026.zip", "deafut.txt"}
    assert reqs["deacot2026.zip"].optional and not reqs["deacot2025.zip"].optional


def test_fetch_path_new_year_missing_then_conditional_refetch(shared_data: Path, upstream) -> None:
    """Real httpx against the local server: 2026's file 404s in January (a note, not an
    error), 2025's file lands; the next night sends If-None-Match and lands nothing new."""
    hist = upstream.root / "files" / "dea" / "history"
    hist.mkdir(parents=True)
    (hist / "deacot2025.zip").write_bytes(
        _zip("annual.txt", (shared_data / LEGACY_YTD).read_bytes())
    )
    (hist / "deacot1986_2016.zip").write_bytes(
        _zip("FUT86_16.txt", (shared_data / LEGACY_WK1).read_bytes())
    )
    spec = {
        "first_year": 2025,
        "history_url": upstream.url("files/dea/history/deacot1986_2016.zip"),
        "history_until": 2024,
        "year_url": upstream.url("files/dea/history/deacot{year}.zip"),
    }
    cfg = {"fetch": ["legacy_futures_only"], "reports": {"legacy_futures_only": spec}}
    var = upstream.root.parent / "var"
    http = {"retries": 1, "backoff_seconds": 0}
    res = ingest_source("cftc_cot", var, cfg, http, None, date(2026, 1, 5))
    assert res.errors == []
    assert res.notes == [f"not published yet: {upstream.url('files/dea/history/deacot2026.zip')}"]
    assert res.files_new == 2 and res.rows_landed == 11
    manifest = (var / "raw" / "manifest.jsonl").read_text()
    assert '"release": "2025-03-11"' in manifest and '"release": "2025-01-07"' in manifest
    upstream.hits.clear()
    res2 = ingest_source("cftc_cot", var, cfg, http, None, date(2026, 1, 6))
    assert res2.errors == [] and res2.files_new == 0 and res2.files_unchanged == 1
    paths = [p for p, _ in upstream.hits]
    assert paths.count("/files/dea/history/deacot1986_2016.zip") == 0  # immutable: once
    conditional = [h for p, h in upstream.hits if p.endswith("deacot2025.zip")]
    assert conditional and "If-None-Match" in conditional[0]
