"""Nightly builds that take the files in a few at a time publish exactly what one build of
every file publishes.

The transform restates only what the new files feed (their landing tables' raw models and
everything downstream, `beanflows.transform.clear_intervals`) and runs nothing else; a
restatement that missed a downstream model, a FULL model that reads landing views directly,
or a model left to a later day's cron would leave a published file different from the fresh
build's. Compared byte for byte, every data file (Parquet, CSV) under dist/data.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.demo_site import imported_builds

# Held back from the first build, then taken in by later nightlies (and one same-day rerun).
LATER = {
    # the current week's COT file: a new week for the disaggregated table only; ICE's report
    # of a week before: its restated days end within a week of the run's day, so they and the
    # new day run as one batch (beanflows.transform.joined)
    "2026-01-06": ["cftc_cot/f_disagg.txt", "ice_stocks/coffee_cert_stock_20251230.xls"],
    # a new weather region (its FULL regions table reads the landing views, not staging)
    "2026-01-06 again": ["open_meteo/central_highlands_forecast_20251229.json"],
    # USDA's online tables
    "2026-01-07": ["usda_psd/psd_online_tables_2025-06"],
}  # fmt: skip
PRICES = "yahoo_prices/KC=F.csv"  # first landed without its last 15 sessions


def _data_files(dist: Path) -> dict[str, bytes]:
    return {
        p.relative_to(dist).as_posix(): p.read_bytes()
        for p in sorted((dist / "data").rglob("*"))
        if p.suffix in (".parquet", ".csv")
    }


def test_nightlies_taking_files_in_piecemeal_publish_what_one_build_of_all_publishes(
    tmp_path: Path,
) -> None:
    root, nightly = imported_builds(tmp_path / "nightly")
    held = tmp_path / "held"
    for names in LATER.values():
        for name in names:
            (held / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.move(root / name, held / name)
    prices = (root / PRICES).read_bytes()
    lines = prices.decode().splitlines(keepends=True)
    (root / PRICES).write_text("".join(lines[:-15]))

    code, log, _ = nightly("2026-01-05")
    assert code == 0, log[-3000:]
    first = _data_files(tmp_path / "nightly" / "dist")
    (root / PRICES).write_bytes(prices)  # Yahoo's file a day later: 15 more sessions
    for day, names in LATER.items():
        for name in names:
            shutil.move(held / name, root / name)
        code, log, _ = nightly(day.split()[0])
        assert code == 0, (day, log[-3000:])
        assert "transform ran" in log, (day, log[-3000:])

    # The fresh build sees the same files: Yahoo's shorter file of the first night too (each
    # published row names the first file that delivered it).
    fresh_root, fresh = imported_builds(tmp_path / "fresh")
    (fresh_root / "yahoo_prices" / "earlier").mkdir()
    (fresh_root / "yahoo_prices" / "earlier" / "KC=F.csv").write_text("".join(lines[:-15]))
    code, log, _ = fresh("2026-01-07")
    assert code == 0, log[-3000:]
    got = _data_files(tmp_path / "nightly" / "dist")
    want = _data_files(tmp_path / "fresh" / "dist")
    assert sorted(got) == sorted(want)
    differ = [name for name in want if got[name] != want[name]]
    assert not differ, differ
    # the held-back files did change published data (else this test proves nothing)
    changed = [name for name in want if first.get(name) != want[name]]
    for dataset in ("cot_disaggregated", "weather_daily", "ice_certified_stocks", "prices_daily"):
        assert any(f"/{dataset}." in name for name in changed), (dataset, changed)


def test_a_file_that_reverts_a_correction_is_published_as_a_fresh_build_publishes_it(
    tmp_path: Path,
) -> None:
    """Yahoo's file on three nights: A, then B correcting one close, then C repeating A's
    close (and a day more). C's row for that day is one A had delivered; it still decides the
    day, because C is the newest release: the nightly must publish A's close again."""
    root, nightly = imported_builds(tmp_path / "nightly")
    lines = (root / PRICES).read_text().splitlines(keepends=True)
    day, *fields = lines[100].split(",")
    fields[3] = f"{float(fields[3]) * 1.5:.6f}"  # the close
    a = "".join(lines[:-2])
    b = "".join([*lines[:100], ",".join([day, *fields]), *lines[101:-1]])
    c = "".join(lines)
    for night, text in zip(("2026-01-05", "2026-01-06", "2026-01-07"), (a, b, c), strict=True):
        (root / PRICES).write_text(text)
        code, log, _ = nightly(night)
        assert code == 0, (night, log[-3000:])

    fresh_root, fresh = imported_builds(tmp_path / "fresh")
    for name, text in (("a", a), ("b", b), ("c", c)):
        (fresh_root / "yahoo_prices" / name).mkdir()
        (fresh_root / "yahoo_prices" / name / "KC=F.csv").write_text(text)
    (fresh_root / PRICES).unlink()
    code, log, _ = fresh("2026-01-07")
    assert code == 0, log[-3000:]
    got = _data_files(tmp_path / "nightly" / "dist")
    want = _data_files(tmp_path / "fresh" / "dist")
    assert [n for n in want if got.get(n) != want[n]] == []
    published = (tmp_path / "nightly/dist/data/free/prices_daily.csv").read_text()
    row = next(r for r in published.splitlines() if r.startswith(f"KC=F,{day},"))
    assert abs(float(row.split(",")[5]) - float(lines[100].split(",")[4])) < 1e-6, row
