"""CFTC COT through SQLMesh: real files in, datasets out, exactly as CFTC published them.

One module-scoped build (SQLMesh is slow to import) on a project holding only the COT models,
audits and unit tests, so other families' work in progress cannot break these tests. It lands
legacy wk1 and YTD (YTD repeats wk1's week), disaggregated 2021 YTD and 2023, and a
*preliminary* 2021 file (one week earlier, with managed-money figures the later file corrects),
then runs SQLMesh once. The incremental path (wk1, build, then YTD restating its report
dates) is exercised by bench/bench_cot.py, which prints the intervals SQLMesh evaluated.
"""

from __future__ import annotations

import csv
import io
import shutil
import zipfile
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from ingest.run import ingest_source

REPO = Path(__file__).resolve().parents[1]
COFFEE = "083731"
DISAGG_COLS = {  # dataset column -> upstream header (values compared exactly)
    "open_interest": "Open_Interest_All",
    "prod_merc_long": "Prod_Merc_Positions_Long_All",
    "prod_merc_short": "Prod_Merc_Positions_Short_All",
    "swap_long": "Swap_Positions_Long_All",
    "swap_short": "Swap__Positions_Short_All",
    "swap_spread": "Swap__Positions_Spread_All",
    "mm_long": "M_Money_Positions_Long_All",
    "mm_short": "M_Money_Positions_Short_All",
    "mm_spread": "M_Money_Positions_Spread_All",
    "other_long": "Other_Rept_Positions_Long_All",
    "other_short": "Other_Rept_Positions_Short_All",
    "other_spread": "Other_Rept_Positions_Spread_All",
    "nonrept_long": "NonRept_Positions_Long_All",
    "nonrept_short": "NonRept_Positions_Short_All",
    "traders_total": "Traders_Tot_All",
    "traders_mm_long": "Traders_M_Money_Long_All",
    "traders_mm_short": "Traders_M_Money_Short_All",
    "traders_mm_spread": "Traders_M_Money_Spread_All",
}
LEGACY_COLS = {
    "open_interest": "Open Interest (All)",
    "noncomm_long": "Noncommercial Positions-Long (All)",
    "noncomm_short": "Noncommercial Positions-Short (All)",
    "noncomm_spread": "Noncommercial Positions-Spreading (All)",
    "comm_long": "Commercial Positions-Long (All)",
    "comm_short": "Commercial Positions-Short (All)",
    "nonrept_long": "Nonreportable Positions-Long (All)",
    "nonrept_short": "Nonreportable Positions-Short (All)",
    "traders_total": "Traders-Total (All)",
}


def _coffee_rows(text: bytes) -> list[dict[str, str]]:
    rows = csv.DictReader(io.StringIO(text.decode(), newline=""))
    return [r for r in rows if r["CFTC Contract Market Code" if "CFTC Contract Market Code" in r
            else "CFTC_Contract_Market_Code"].strip() == COFFEE]  # fmt: skip


def _preliminary_2021(text: bytes) -> bytes:
    """The 2021 YTD file one week earlier, with coffee's 2021-03-09 managed-money long +100
    (non-reportable long -100, so CFTC's totals still close): a figure the later file fixes."""
    lines = text.decode().split("\r\n")
    out = [lines[0]]
    for line in lines[1:]:
        if not line or ",2021-03-16," in line:
            continue
        if f",{COFFEE}," in line and ",2021-03-09," in line:
            f = next(csv.reader([line]))
            for i, delta in ((13, 100), (19, 100), (21, -100)):
                f[i] = f"{int(f[i]) + delta:>8}"
            line = ",".join(f'"{v}"' if i == 0 or i >= 185 else v
                            for i, v in enumerate(f))  # fmt: skip
        out.append(line)
    return "\r\n".join(out).encode() + b"\r\n"


def _project(root: Path) -> Path:
    """A SQLMesh project with only the COT models, audits and unit tests."""
    proj = root / "models"
    (proj / "models").mkdir(parents=True)
    (proj / "audits").mkdir()
    (proj / "tests").mkdir()
    shutil.copy(REPO / "models" / "config.py", proj / "config.py")
    for audit in (REPO / "models" / "audits").glob("cot_*.sql"):
        shutil.copy(audit, proj / "audits")
    shutil.copytree(REPO / "models" / "models" / "cftc_cot", proj / "models" / "cftc_cot")
    shutil.copytree(REPO / "models" / "macros", proj / "macros")
    for test in (REPO / "models" / "tests").glob("test_cftc_cot*.yaml"):
        shutil.copy(test, proj / "tests")
    return proj


@pytest.fixture(scope="module")
def built(shared_data: Path, tmp_path_factory: pytest.TempPathFactory):
    from beanflows import transform_child

    root = tmp_path_factory.mktemp("cot")
    project = _project(root)
    var, inbox = root / "var", root / "in"
    cot = shared_data / "cftc_cot"
    text_2021 = (cot / "disagg_futures_only_2021_ytd" / "f_year.txt").read_bytes()
    (inbox / "prelim").mkdir(parents=True)
    (inbox / "prelim" / "f_year.txt").write_bytes(_preliminary_2021(text_2021))
    today = date(2025, 3, 20)
    files = [
        cot / "legacy_futures_only_2025_wk1" / "annual.txt",
        cot / "legacy_futures_only_2025_ytd" / "annual.txt",
        cot / "disagg_futures_only_2021_ytd" / "f_year.txt",
        cot / "disagg_futures_only_2023" / "fut_disagg_txt_2023.zip",
        inbox / "prelim" / "f_year.txt",
    ]
    res = ingest_source("cftc_cot", var, {}, {}, files, today)
    assert res.errors == [] and res.files_new == 5
    run = transform_child.run(var, {}, today, models_dir=project)
    con = duckdb.connect(str(var / "warehouse.duckdb"), read_only=True)
    yield {"con": con, "run": run, "cot": cot, "var": var}
    con.close()


def test_build_passes_every_audit_and_unit_test(built) -> None:
    assert built["run"].failed == {} and built["run"].skipped == set()


def _by_week(con, sql: str) -> dict:  # noqa: ANN001 - a DuckDB connection
    """{first column (the week): the other columns} of a query's rows."""
    return {r[0]: r[1:] for r in con.execute(sql).fetchall()}


def test_coffee_disaggregated_weeks_are_exactly_as_published(built) -> None:
    """The 'done when': every Coffee C week of 2021 and 2023, every dataset column."""
    cot = built["cot"]
    raw = _coffee_rows((cot / "disagg_futures_only_2021_ytd" / "f_year.txt").read_bytes())
    z = zipfile.ZipFile(cot / "disagg_futures_only_2023" / "fut_disagg_txt_2023.zip")
    raw += _coffee_rows(z.read("f_year.txt"))
    cols = ", ".join(DISAGG_COLS)
    got = _by_week(
        built["con"],
        f"SELECT report_date, market_name, {cols} FROM serving.cot_disaggregated"
        f" WHERE market_code = '{COFFEE}' AND report_type = 'futures_only'",
    )
    assert len(got) == len(raw) == 52
    for r in raw:
        day = date.fromisoformat(r["Report_Date_as_YYYY-MM-DD"].strip())
        want = tuple(None if r[h].strip() == "." else int(r[h]) for h in DISAGG_COLS.values())
        assert got[day] == (r["Market_and_Exchange_Names"], *want), day


def test_coffee_legacy_weeks_are_exactly_as_published_one_row_per_week(built) -> None:
    raw = _coffee_rows((built["cot"] / "legacy_futures_only_2025_ytd" / "annual.txt").read_bytes())
    cols = ", ".join(LEGACY_COLS)
    got = _by_week(
        built["con"],
        f"SELECT report_date, {cols} FROM serving.cot_legacy WHERE market_code = '{COFFEE}'",
    )
    assert len(got) == len(raw) == 10
    for r in raw:
        day = date.fromisoformat(r["As of Date in Form YYYY-MM-DD"])
        assert got[day] == tuple(int(r[h]) for h in LEGACY_COLS.values())


def test_overlap_keeps_the_first_file_that_published_identical_figures(built) -> None:
    """wk1 then YTD: 2025-01-07 appears in both with the same figures -> one row, lineage of
    wk1 (the first publication); later weeks come from the YTD file. No revision recorded."""
    con = built["con"]
    rows = dict(
        con.execute(
            "SELECT report_date, release FROM cleaned.cftc_cot_legacy"
            " WHERE report_date >= '2025-01-01'"
        ).fetchall()
    )
    assert rows[date(2025, 1, 7)] == "2025-01-07"
    assert {v for k, v in rows.items() if k > date(2025, 1, 7)} == {"2025-03-11"}
    versions = con.execute(
        "SELECT count(*) FROM staging.cftc_cot_legacy WHERE report_date = '2025-01-07'"
    ).fetchone()
    assert versions == (2,)
    assert con.execute("SELECT count(*) FROM serving.cot_revisions WHERE dataset = 'cot_legacy'"
                       ).fetchone() == (0,)  # fmt: skip


def test_later_file_corrects_a_week_and_the_change_is_recorded(built) -> None:
    con = built["con"]
    rev = con.execute(
        "SELECT column_name, old_value, new_value, old_release, new_release"
        " FROM serving.cot_revisions WHERE report_date = '2021-03-09' ORDER BY column_name"
    ).fetchall()
    mm_long, nonrept = con.execute(
        "SELECT mm_long, nonrept_long FROM serving.cot_disaggregated"
        f" WHERE report_date = '2021-03-09' AND market_code = '{COFFEE}'"
    ).fetchone()
    assert rev == [
        ("mm_long", mm_long + 100, mm_long, "2021-03-09", "2021-03-16"),
        ("nonrept_long", nonrept - 100, nonrept, "2021-03-09", "2021-03-16"),
    ]
    assert con.execute("SELECT count(*) FROM serving.cot_revisions").fetchone() == (2,)


def test_positioning_nets_changes_and_cot_index(built) -> None:
    con = built["con"]
    rows = con.execute(
        "SELECT p.report_date, p.mm_net, d.mm_long - d.mm_short, p.mm_net_pct_oi,"
        " d.open_interest, p.mm_net_change, p.cot_index_mm_26w, p.cot_index_mm_52w"
        " FROM serving.cot_positioning p JOIN serving.cot_disaggregated d"
        " USING (market_code, report_type, report_date) ORDER BY p.report_date"
    ).fetchall()
    nets = [r[1] for r in rows]
    for i, (day, net, expect, pct, oi, change, idx26, idx52) in enumerate(rows):
        assert net == expect and pct == round(100.0 * net / oi, 2)
        gap = i > 0 and day - rows[i - 1][0] <= timedelta(days=14)
        assert change == (net - nets[i - 1] if gap else None)
        # a window in time, not rows: null when the 26 reports span more than 26 weeks + 3 days
        if i < 25 or rows[i - 25][0] < day - timedelta(days=185):
            assert idx26 is None
        else:
            win = nets[i - 25 : i + 1]
            assert idx26 == round(100.0 * (net - min(win)) / (max(win) - min(win)), 2)
        assert idx52 is None or (i >= 51 and rows[i - 51][0] >= day - timedelta(days=367))
    legacy = con.execute(
        "SELECT noncomm_net, mm_net FROM serving.cot_positioning WHERE report_date = '2025-01-07'"
    ).fetchone()
    assert legacy == (76182 - 12048, None)  # legacy only: no disaggregated file for 2025 here
