"""The fault suite, build side: the real `beanflows build --raw-from`, faults in half the sources.

Four builds on one state folder (bounded: the first is the only full transform):
  A. every source's demo fixtures: exit 0, all ok or late (the last good);
  B. broken files for usda_psd, cftc_cot, yahoo_prices and ico, a weather file that fails its
     blocking audit, and new good data for fred, worldbank and ice_stocks;
  C. B's broken files gone; broken files for fred, worldbank, ice_stocks and open_meteo, and
     new good data (with UTF-8 BOMs) for usda_psd, cftc_cot, yahoo_prices and ico;
  D. C again unchanged: the same failures, the same files, no duplicate rejected rows.
Every fault: exit 1, a line naming source and file, nothing stored as good, the source's
datasets keep their last good files and turn stale, every other source's datasets update.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

from beanflows.layout import dataset_specs
from ingest import archive
from tests.conftest import run_cli
from tests.fault_cases import (
    BOM,
    CASES,
    COT_LEGACY,
    COT_WEEK,
    ICE_CSV,
    METEO,
    PINK,
    PSD_TABLE,
    REPO,
    fixture,
    json_edit,
    member,
    sub,
    xlsx_edit,
)
from tests.usda_fixtures import bulk_csv, bulk_zip

BY_ID = {c.id: c for c in CASES}
FAULTS_B = ["usda_psd-HTML_page_as_zip", "cftc_cot-HTML_page_as_zip", "yahoo_prices-empty_CSV",
            "ico-Latin-1"]  # fmt: skip
FAULTS_C = ["fred-renamed_column", "worldbank-unit_change", "ice_stocks-duplicate_keys",
            "open_meteo-HTML_page_as_JSON"]  # fmt: skip


def _hot_day(doc: dict) -> None:
    """One more day, 75 °C: passes parsing, fails the blocking `weather_plausible` audit."""
    daily = doc["daily"]
    daily["time"].append("2025-09-01")
    daily["temperature_2m_min"].append(18.0)
    daily["temperature_2m_max"].append(75.0)
    daily["precipitation_sum"].append(0.0)


def _new_pink_vintage(ws: object) -> None:
    ws["A4"] = "Updated on October 04, 2022"  # type: ignore[index]
    ws["D8"] = 2.9  # type: ignore[index]  # a revised 2019M01 Arabica price


UP = ("ok", "late")  # built from the latest good input (the demo's upstream data is old: late)

GOOD_B = {  # new good data for the sources that stay healthy in B
    "fred/new/fred_vintage_2022-04_PCOFFOTMUSDM.csv": lambda: (
        fixture("fred", "fred_vintage_2022-03_PCOFFOTMUSDM.csv").rstrip(b"\n")
        + b"\n2022-03-01,140.5\n"
    ),
    f"worldbank/new/{PINK}": lambda: xlsx_edit(fixture("worldbank", PINK), _new_pink_vintage),
    f"ice_stocks/new/{ICE_CSV}": lambda: sub(
        fixture("ice_stocks", ICE_CSV), b";Close\r\n", b";Close\r\n02.01.2026;191000\r\n"
    ),
    f"open_meteo/new/{METEO}": lambda: json_edit(fixture("open_meteo", METEO), _hot_day),
}
GOOD_C = {  # new good data, with BOMs, for the sources that failed in B
    "usda_psd/new/psd_coffee_csv_2025-06.zip": lambda: bulk_zip(bulk_csv("2025-06", bump=250)),
    "usda_psd/bom/Coffee_Production.csv": lambda: BOM + fixture("usda_psd", PSD_TABLE),
    f"cftc_cot/new/{COT_WEEK}": lambda: (
        BOM + fixture("cftc_cot", COT_WEEK).replace(b"250805,2025-08-05", b"250812,2025-08-12")
    ),
    "incoming/annual.txt": lambda: BOM + member(fixture("cftc_cot", COT_LEGACY)),
    "yahoo_prices/new/KC=F.csv": lambda: (
        BOM
        + fixture("yahoo_prices", "KC=F.csv").rstrip(b"\n")
        + b"\n2022-01-20,150.0,151.5,149.2,150.4,150.4,18000\n"
    ),
    "ico/new/Coffee_export.csv": lambda: (
        BOM + b"Country,2015,2016,2017,2018,2019,Total_export\nBrazil,1,2,3,4,5,15\n"
    ),
}


def _build(root: Path, tmp: Path) -> tuple[int, str, dict]:
    res = run_cli("build", "--raw-from", str(root), "--var", str(tmp / "var"),
                  "--out", str(tmp / "dist"), cwd=tmp)  # fmt: skip
    text = (tmp / "dist/data/catalog.json").read_text()
    assert str(tmp) not in text, "a local path leaked into the public catalog"
    return res.returncode, res.stderr.replace("\n", " "), json.loads(text)


def _put(root: Path, files: dict[str, object]) -> list[str]:
    """Write files (rel path -> bytes maker) under root; return their sha256."""
    digests = []
    for rel, make in files.items():
        data = make()  # type: ignore[operator]
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
        digests.append(archive.sha256(data))
    return digests


def _family(source: str) -> list[str]:
    return [d for d, spec in dataset_specs().items() if source in spec["sources"]]


def _check_published(dist: Path, catalog: dict) -> None:
    """Every listed file is on disk with the listed hash (stale ones included)."""
    for entry in catalog["datasets"].values():
        for fmts in (entry["files"] or {}).values():
            for facts in (fmts or {}).values():
                data = (dist / facts["path"]).read_bytes()
                assert hashlib.sha256(data).hexdigest() == facts["sha256"], facts["path"]


def _check_round(tmp: Path, code: int, log: str, catalog: dict, before: dict,
                 faults: list[str], good: list[str], bad_digests: list[str]) -> None:  # fmt: skip
    assert code == 1, log[-3000:]
    _check_published(tmp / "dist", catalog)
    failed = {BY_ID[f].source for f in faults}
    for fault_id in faults:
        case = BY_ID[fault_id]
        assert f"[{case.source}] {case.place}" in log and case.expect in log, (
            fault_id,
            log[-3000:],
        )
        assert catalog["sources"][case.source]["status"] == "stale"
        assert case.place in catalog["sources"][case.source]["error"]
    for source in failed:
        for ds in _family(source):
            entry = catalog["datasets"][ds]
            assert entry["status"] == "stale" and entry["stale_reason"], ds
            assert entry["files"] == before["datasets"][ds]["files"], ds  # last good kept
    for source in good:
        family = _family(source)
        assert catalog["sources"][source]["status"] in UP, source
        mine = [d for d in family if not set(dataset_specs()[d]["sources"]) & failed]
        assert mine and all(catalog["datasets"][d]["status"] in UP for d in mine), source
        changed = [
            d for d in mine if catalog["datasets"][d]["files"] != before["datasets"][d]["files"]
        ]
        assert changed, f"{source}: new data was not published"
    stored = {r["sha256"] for r in archive.load_manifest(tmp / "var/raw")}
    assert not stored & set(bad_digests)  # nothing bad stored as good
    rows = (tmp / "var/rejected/rejected.jsonl").read_text().splitlines()
    assert len(rows) == len({(json.loads(r)["sha256"], json.loads(r)["source"]) for r in rows})
    assert "ignored 1 file(s) no source recognises: README.txt" in log


def test_faults_in_half_the_sources_never_stop_the_other_half(tmp_path: Path) -> None:
    root = tmp_path / "in"
    for folder in sorted((REPO / "ingest").glob("*/fixtures")):
        shutil.copytree(folder, root / folder.parent.name,
                        ignore=shutil.ignore_patterns("*.py", "__pycache__"))  # fmt: skip
    (root / "README.txt").write_text("upstream files, as downloaded\n")

    code, log, a = _build(root, tmp_path)
    assert code == 0, log[-3000:]
    assert all(d["status"] in UP for d in a["datasets"].values())

    # B: four broken files, one audit failure, three sources with new data
    bad_b = _put(root, {BY_ID[f].place: BY_ID[f].make for f in FAULTS_B})
    _put(root, GOOD_B)
    code, log, b = _build(root, tmp_path)
    _check_round(tmp_path, code, log, b, a, FAULTS_B, ["fred", "worldbank", "ice_stocks"], bad_b)
    assert "weather_plausible" in log and catalog_stale(b, "weather_daily")
    assert b["datasets"]["weather_daily"]["files"] == a["datasets"]["weather_daily"]["files"]

    # C: those fixed (files removed), four other sources broken, BOM files accepted
    for f in FAULTS_B:
        (root / BY_ID[f].place).unlink()
    bad_c = _put(root, {BY_ID[f].place: BY_ID[f].make for f in FAULTS_C})
    good_c = _put(root, GOOD_C)
    code, log, c = _build(root, tmp_path)
    good = ["usda_psd", "cftc_cot", "yahoo_prices", "ico"]
    _check_round(tmp_path, code, log, c, b, FAULTS_C, good, bad_c)
    assert set(good_c) <= {r["sha256"] for r in archive.load_manifest(tmp_path / "var/raw")}
    assert c["datasets"]["weather_daily"]["files"] == a["datasets"]["weather_daily"]["files"]

    # D: the same input again: same failures, same published files, the log does not grow
    rejected = (tmp_path / "var/rejected/rejected.jsonl").read_text()
    code, log, d = _build(root, tmp_path)
    assert code == 1
    assert {n: e["files"] for n, e in d["datasets"].items()} == {
        n: e["files"] for n, e in c["datasets"].items()
    }
    assert (tmp_path / "var/rejected/rejected.jsonl").read_text() == rejected


def catalog_stale(catalog: dict, dataset: str) -> bool:
    return catalog["datasets"][dataset]["status"] == "stale"
