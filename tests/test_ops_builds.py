"""Operator controls on real builds: alerting, run history, rebuild, the request queue.

USDA PSD fetched from a real HTTP server on 127.0.0.1 (the path of a nightly), the real
`beanflows` command in subprocesses, a real webhook receiver. Each test is one ordered
scenario: every step depends on the state the previous one left.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import duckdb

from beanflows.lock import build_lock
from tests.alert_receivers import webhook
from tests.conftest import run_cli
from tests.usda_fixtures import bulk_csv, bulk_zip, psd_settings

TODAY = "2025-01-05"  # the fixtures' release 2024-12 is then within its schedule: ok, not late
FAMILY = ("psd_coffee", "psd_coffee_vintages", "coffee_balance")


def _setup(tmp_path: Path, upstream, http_root: Path) -> tuple[Path, Path, Path]:
    (http_root / "psd_coffee_csv.zip").write_bytes(bulk_zip(bulk_csv(release="2024-12")))
    config = tmp_path / "beanflows.toml"
    config.write_text(psd_settings(upstream, http_root))
    return config, tmp_path / "var", tmp_path / "dist"


def _cli(cmd: str, config: Path, var: Path, out: Path, *extra: str, env: dict | None = None):  # noqa: ANN202
    return run_cli(cmd, "--config", str(config), "--var", str(var), "--out", str(out), *extra,
                   cwd=var.parent, env=env)  # fmt: skip


def _files(out: Path) -> dict:
    catalog = json.loads((out / "data/catalog.json").read_text())
    return {n: catalog["datasets"][n]["files"] for n in FAMILY}


def _runs(var: Path) -> list[dict]:
    return [json.loads(line) for line in (var / "runs.jsonl").read_text().splitlines()]


def test_alerts_and_history_through_real_builds(upstream, http_root: Path, tmp_path: Path) -> None:
    config, var, out = _setup(tmp_path, upstream, http_root)
    with webhook() as hook:
        env = {"BEANFLOWS_ALERTS_WEBHOOK_URL": hook.url}

        def build():  # noqa: ANN202
            return _cli("build", config, var, out, "--source", "usda_psd", "--today", TODAY,
                        env=env)  # fmt: skip

        res = build()
        assert res.returncode == 0, res.stderr[-3000:]
        assert hook.posts == []  # a good night is quiet
        status = _cli("status", config, var, out, "--today", TODAY)
        assert status.returncode == 0, status.stdout

        upstream.faults["/psd_coffee_csv.zip"] = {"status": 503}
        res = build()
        assert res.returncode == 1
        assert len(hook.posts) == 1, hook.posts
        text = hook.posts[0]["text"]
        assert "PROBLEM source usda_psd is stale" in text and "503" in text
        assert "PROBLEM the last build exited 1: failed sources: usda_psd" in text
        status = _cli("status", config, var, out, "--today", TODAY)
        assert status.returncode == 1
        row = next(ln for ln in status.stdout.splitlines() if ln.startswith("usda_psd"))
        assert "stale" in row and "503" in row

        assert build().returncode == 1  # still failing: no second alert
        assert len(hook.posts) == 1

        del upstream.faults["/psd_coffee_csv.zip"]
        assert build().returncode == 0
        assert len(hook.posts) == 2
        assert "RESOLVED source usda_psd was stale" in hook.posts[1]["text"]
        status = _cli("status", config, var, out, "--today", TODAY)
        assert status.returncode == 0
        row = next(ln for ln in status.stdout.splitlines() if ln.startswith("usda_psd"))
        assert " ok " in row and "503" in row  # ok again; the last failure and its reason shown

    history = _runs(var)
    assert [r["exit_code"] for r in history] == [0, 1, 1, 0]
    first, failed = history[0], history[1]
    assert first["kind"] == "build" and first["files_new"] == 2  # coffee + all commodities
    assert set(first["datasets_changed"]) >= set(FAMILY) and first["transform"] == "ran"
    assert failed["sources"]["usda_psd"]["outcome"] == "failed"
    assert "503" in failed["sources"]["usda_psd"]["error"]
    assert failed["datasets_changed"] == [] and set(FAMILY) <= set(failed["datasets_stale"])
    listing = run_cli("runs", "--var", str(var), cwd=tmp_path).stdout.splitlines()
    assert len(listing) == 5 and "failed: usda_psd" in listing[2]


def _empty_staging(var: Path, where: str = "true") -> int:
    """Delete rows of the physical table behind staging.usda_psd_bulk (a damaged warehouse)."""
    con = duckdb.connect(str(var / "warehouse.duckdb"))
    try:
        sql = con.execute(
            "SELECT sql FROM duckdb_views() WHERE schema_name = 'staging' "
            "AND view_name = 'usda_psd_bulk'"
        ).fetchone()[0]
        table = re.search(r"FROM\s+([\w.\"]+)", sql).group(1)
        return con.execute(f"DELETE FROM {table} WHERE {where}").fetchone()[0]
    finally:
        con.close()


def test_rebuild_and_request_queue(upstream, http_root: Path, tmp_path: Path) -> None:
    config, var, out = _setup(tmp_path, upstream, http_root)
    res = _cli("build", config, var, out, "--source", "usda_psd", "--today", TODAY)
    assert res.returncode == 0, res.stderr[-3000:]
    good = _files(out)
    hits = len(upstream.hits)

    # a damaged warehouse: a range the damage is not in restores nothing, the right range does
    assert _empty_staging(var) > 0
    res = _cli("rebuild", config, var, out, "--source", "usda_psd", "--restate",
               "2019-01-01", "2019-12-31", "--today", TODAY)  # fmt: skip
    assert res.returncode == 0, res.stderr[-3000:]
    assert _files(out)["psd_coffee"] != good["psd_coffee"]
    res = _cli("rebuild", config, var, out, "--source", "usda_psd", "--restate",
               "2024-12-01", "2024-12-31", "--today", TODAY)  # fmt: skip
    assert res.returncode == 0, res.stderr[-3000:]
    assert _files(out) == good
    assert len(upstream.hits) == hits  # a rebuild never fetches

    # the whole history, without a range
    assert _empty_staging(var) > 0
    res = _cli("rebuild", config, var, out, "--source", "usda_psd", "--today", TODAY)
    assert res.returncode == 0, res.stderr[-3000:]
    assert _files(out) == good
    last = _runs(var)[-1]
    assert last["kind"] == "rebuild" and "staging.usda_psd_bulk" in last["restated"]
    bad = _cli("rebuild", config, var, out, "--source", "usda_psd", "--restate", "2024-12-31",
               "2024-01-01")  # fmt: skip
    assert bad.returncode == 2 and "after" in bad.stderr and "Traceback" not in bad.stderr

    # the queue: idempotent requests, held back while a build holds the lock, then run
    assert _empty_staging(var) > 0
    ask = ("request-rebuild", "--var", str(var), "--source", "usda_psd", "--by", "ops@test")
    first, again = run_cli(*ask, cwd=tmp_path), run_cli(*ask, cwd=tmp_path)
    assert first.returncode == 0 and "queued" in first.stdout
    assert "already queued" in again.stdout
    pending = list((var / "requests/pending").glob("*.json"))
    assert len(pending) == 1
    (var / "requests/pending/broken.json").write_text("{not json")
    with build_lock(var):
        held = _cli("run-requests", config, var, out, "--wait-seconds", "0", "--today", TODAY)
    assert held.returncode == 75, held.stderr[-2000:]
    assert pending[0].exists()  # still waiting, not lost
    assert "broken" in held.stderr and "unreadable request file" in held.stderr
    res = _cli("run-requests", config, var, out, "--today", TODAY)
    assert res.returncode == 0, res.stderr[-3000:]
    assert _files(out) == good
    assert not list((var / "requests/pending").glob("*.json"))
    done = [json.loads(p.read_text()) for p in (var / "requests/done").glob("*.json")]
    assert len(done) == 1 and done[0]["result"]["exit_code"] == 0
    assert done[0]["requested_by"] == "ops@test" and done[0]["source"] == "usda_psd"
    failed = [json.loads(p.read_text()) for p in (var / "requests/failed").glob("*.json")]
    assert len(failed) == 1 and "unreadable" in failed[0]["result"]["error"]
    last = _runs(var)[-1]
    assert last["kind"] == "request" and last["request"]["id"] == done[0]["id"]
    nothing = _cli("run-requests", config, var, out)
    assert nothing.returncode == 0 and "no pending requests" in nothing.stdout
