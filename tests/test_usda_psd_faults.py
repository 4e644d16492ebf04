"""Bad upstream files through the real HTTP path: clear errors, nothing lost, last good stays.

One ordered scenario (each step depends on the state the previous one left), against a real
HTTP server on 127.0.0.1 and the real `beanflows build` command.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import duckdb

from tests.conftest import run_cli
from tests.usda_fixtures import bulk_csv, bulk_zip, psd_settings


def _zip(member: str, payload: bytes) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr(member, payload)
    return buf.getvalue()


BAD = {
    "truncated zip": bulk_zip(bulk_csv())[:-300],
    "HTML error page": b"<!DOCTYPE html><html><head><title>Maintenance</title></head></html>",
    "renamed column": _zip("psd_coffee.csv", bulk_csv().replace(b"Attribute_ID", b"Attr_ID", 1)),
    "missing column": _zip("psd_coffee.csv", bulk_csv().replace(b",Month", b"", 1)),
    "duplicated rows": bulk_zip(bulk_csv(duplicate=True)),
    "unit change": bulk_zip(bulk_csv(unit="(1000 MT)")),
    "empty file": b"",
    "non-UTF-8 byte": bulk_zip(bulk_csv().replace(b"Vietnam", b"Vi\xeatnam", 1)),
}
EXPECT = {
    "truncated zip": "truncated or corrupt zip",
    "HTML error page": "HTML page",
    "renamed column": "header changed",
    "missing column": "header changed",
    "duplicated rows": "duplicated keys",
    "unit change": "unit '(1000 MT)'",
    "empty file": "empty body",
    "non-UTF-8 byte": "non-UTF-8 byte 0xea",
}


def _files(catalog: dict) -> dict:
    return {n: d["files"] for n, d in catalog["datasets"].items() if d.get("family") == "usda_psd"}


def test_bad_files_never_replace_good_data(upstream, http_root: Path, tmp_path: Path) -> None:
    zip_path = http_root / "psd_coffee_csv.zip"
    config = tmp_path / "beanflows.toml"
    config.write_text(psd_settings(upstream, http_root))
    var, out = tmp_path / "var", tmp_path / "dist"

    def build() -> tuple[int, str, dict]:
        res = run_cli("build", "--config", str(config), "--var", str(var), "--out", str(out),
                      "--source", "usda_psd", cwd=tmp_path)  # fmt: skip
        catalog = json.loads((out / "data/catalog.json").read_text())
        return res.returncode, res.stderr.replace("\n", " "), catalog

    # 1. a good release
    zip_path.write_bytes(bulk_zip(bulk_csv(release="2024-12")))
    code, log, good = build()
    assert code == 0, log[-2000:]
    manifest_rows = len((var / "raw/manifest.jsonl").read_text().splitlines())

    # 2. every kind of broken file: refused, named, kept apart; published files untouched
    for case, payload in BAD.items():
        zip_path.write_bytes(payload)
        code, log, catalog = build()
        assert code == 1, case
        assert "[usda_psd]" in log and "psd_coffee_csv.zip" in log and EXPECT[case] in log, case
        assert _files(catalog) == _files(good), case
        ds = catalog["datasets"]["coffee_balance"]
        assert ds["status"] == "stale" and EXPECT[case] in ds["stale_reason"], case
        assert catalog["sources"]["usda_psd"]["status"] == "stale"
        assert len((var / "raw/manifest.jsonl").read_text().splitlines()) == manifest_rows, case
    rejected = (var / "rejected/rejected.jsonl").read_text().splitlines()
    assert len(rejected) == len(BAD)  # every refused body is kept apart, with its reason

    # 3. upstream fixed: the same good file again (a 304), fresh again, same bytes
    zip_path.write_bytes(bulk_zip(bulk_csv(release="2024-12")))
    code, log, catalog = build()
    assert code == 0 and _files(catalog) == _files(good)
    assert catalog["datasets"]["coffee_balance"]["status"] in ("ok", "late")

    # 4. a backfill: an older release adds its vintage, the latest values stay
    zip_path.write_bytes(bulk_zip(bulk_csv(release="2024-06", bump=900)))
    code, log, catalog = build()
    assert code == 0, log[-2000:]
    assert catalog["datasets"]["psd_coffee"]["files"] == good["datasets"]["psd_coffee"]["files"]
    assert catalog["datasets"]["psd_coffee_vintages"]["releases"] == ["2024-06", "2024-12"]

    # 5. a new release changes exactly what it changes
    zip_path.write_bytes(bulk_zip(bulk_csv(release="2025-06", bump=250)))
    code, log, newer = build()
    assert code == 0, log[-2000:]
    psd = out / "data/pro/psd_coffee.parquet"
    changed = duckdb.sql(
        f"SELECT country_code, market_year, attribute_id FROM '{psd}' WHERE release = '2025-06' "
        "EXCEPT SELECT country_code, market_year, attribute_id FROM ("
        "SELECT * FROM read_parquet('" + str(psd) + "')) WHERE false"
    ).fetchall()
    assert len(changed) > 0
    assert {r[0] for r in duckdb.sql(f"SELECT DISTINCT release FROM '{psd}'").fetchall()} == {
        "2025-06"
    }

    # 6. a release whose balance sheet does not close: the audit blocks it and shows the rows
    zip_path.write_bytes(bulk_zip(bulk_csv(release="2025-12", tweak={("CO", 2025, "086"): 500})))
    code, log, catalog = build()
    assert code == 1
    assert "balance_identity" in log and "CO" in log
    assert catalog["datasets"]["coffee_balance"]["status"] == "stale"
    assert (
        catalog["datasets"]["coffee_balance"]["files"]
        == newer["datasets"]["coffee_balance"]["files"]
    )

    # 7. the same night again: the gate holds (SQLMesh has nothing left to run, the audit
    #    is run again over the table as it is, and still fails): nothing published
    code, log, again = build()
    assert code == 1, log[-2000:]
    ds = again["datasets"]["coffee_balance"]
    assert ds["status"] == "stale" and "balance_identity" in ds["stale_reason"]
    assert ds["files"] == newer["datasets"]["coffee_balance"]["files"]
    failed = {(f["model"], f["audit"]) for f in ds["failed_audits"]}
    assert ("serving.coffee_balance", "balance_identity") in failed
    assert all(f["rows"] >= 1 and f["since"] for f in ds["failed_audits"])
    assert again["sources"]["usda_psd"]["status"] == "stale"

    # 8. USDA corrects the release (same month, balanced figures): the later delivery wins,
    #    the gate lifts, and the change is recorded as a revision
    zip_path.write_bytes(bulk_zip(bulk_csv(release="2025-12")))
    code, log, fixed = build()
    assert code == 0, log[-3000:]
    ds = fixed["datasets"]["coffee_balance"]
    assert ds["status"] != "stale" and ds["failed_audits"] == []
    assert ds["files"] != newer["datasets"]["coffee_balance"]["files"]
    corrections = fixed["datasets"]["psd_coffee_corrections"]["files"]["pro"]["parquet"]
    rows = duckdb.sql(
        f"SELECT release, country_code, market_year, attribute_id, old_value - new_value "
        f"FROM '{out / corrections['path']}'"
    ).fetchall()
    assert rows == [("2025-12", "CO", 2025, "086", 500)]
    assert fixed["datasets"]["psd_coffee_vintages"]["releases"][-1] == "2025-12"
