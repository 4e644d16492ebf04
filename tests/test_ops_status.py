"""`beanflows status` and `beanflows runs` over small catalogs and run histories.

The real command in a subprocess (exit codes are what monitoring reads); the files are
written here in the shapes a build writes (tests/test_ops_builds.py checks real builds).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from beanflows import runs
from tests.conftest import run_cli

NOW = datetime.now(UTC).replace(microsecond=0)


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def _write(tmp_path: Path, sources: dict, datasets: dict | None = None) -> tuple[Path, Path]:
    var, out = tmp_path / "var", tmp_path / "dist"
    (out / "data").mkdir(parents=True)
    base = {"status": "ok", "last_success": _iso(NOW), "last_failure": None, "error": None,
            "stale_since": None, "data_as_of": (NOW - timedelta(days=3)).date().isoformat(),
            "late": False, "stale_after_days": 10}  # fmt: skip
    catalog = {"built_at": _iso(NOW), "demo": False,
               "sources": {n: {**base, **s} for n, s in sources.items()},
               "datasets": datasets or {}}  # fmt: skip
    (out / "data/catalog.json").write_text(json.dumps(catalog))
    return var, out


def _status(var: Path, out: Path, *extra: str):  # noqa: ANN202
    return run_cli("status", "--var", str(var), "--out", str(out), *extra, cwd=var.parent)


def test_status_ok_stale_late_and_exit_codes(tmp_path: Path) -> None:
    var, out = _write(tmp_path, {"usda_psd": {}, "fred": {}},
                      {"psd_coffee": {"status": "ok", "sources": ["usda_psd"]}})  # fmt: skip
    runs.record(var, {"kind": "build", "started_at": _iso(NOW), "exit_code": 0, "seconds": 3})
    res = _status(var, out, "--today", NOW.date().isoformat())  # pinned: runs near midnight
    assert res.returncode == 0, res.stdout + res.stderr
    assert "BeanFlows status: ok" in res.stdout and "usda_psd" in res.stdout
    assert "3 d" in res.stdout  # data age, in days

    var, out = _write(tmp_path / "b", {
        "usda_psd": {"status": "stale", "error": "[usda_psd] HTTP 503 for psd_coffee_csv.zip",
                     "stale_since": "2026-11-28T05:30:00Z", "last_failure": "2026-11-30T05:30:00Z"},
        "yahoo_prices": {"status": "late", "late": True, "data_as_of": "2026-10-01"},
        "fred": {},
    })  # fmt: skip
    runs.record(var, {"kind": "build", "started_at": _iso(NOW), "exit_code": 1, "seconds": 3,
                      "sources": {"usda_psd": {"outcome": "failed"}}})  # fmt: skip
    res = _status(var, out)
    assert res.returncode == 1
    line = next(ln for ln in res.stdout.splitlines() if ln.startswith("usda_psd"))
    assert "stale" in line and "2026-11-30T05:30:00Z" in line and "HTTP 503" in line
    assert "problem: source yahoo_prices is late" in res.stdout
    assert "problem: the last build exited 1: failed sources: usda_psd" in res.stdout
    data = json.loads(_status(var, out, "--json").stdout)
    assert data["ok"] is False and len(data["problems"]) == 3
    assert {r["source"]: r["status"] for r in data["sources"]}["fred"] == "ok"


def test_status_without_catalog_or_recent_run(tmp_path: Path) -> None:
    res = _status(tmp_path / "var", tmp_path / "dist")
    assert res.returncode == 2 and "no catalog" in res.stdout

    var, out = _write(tmp_path, {"fred": {}})
    old = _iso(NOW - timedelta(hours=50))
    runs.record(var, {"kind": "build", "started_at": old, "exit_code": 0})
    res = _status(var, out)
    assert res.returncode == 1 and "no run for 50 hours" in res.stdout
    assert _status(var, out, "--max-run-age-hours", "0").returncode == 0


def test_runs_history_and_a_torn_line(tmp_path: Path) -> None:
    var = tmp_path / "var"
    runs.record(var, {"kind": "build", "started_at": "2026-11-29T05:30:00Z",
                      "ended_at": "2026-11-29T05:31:00Z", "exit_code": 0, "files_new": 2,
                      "sources": {"usda_psd": {"outcome": "ok"}, "fred": {"outcome": "ok"}},
                      "datasets_changed": ["psd_coffee"]})  # fmt: skip
    with (var / "runs.jsonl").open("a") as fh:
        fh.write('{"kind": "build", "started_at": "2026-11-30')  # a kill mid-write
    failed = {"usda_psd": {"outcome": "failed", "error": "audit"}}
    runs.record(var, {"kind": "rebuild", "started_at": "2026-11-30T09:00:00Z", "exit_code": 1,
                      "sources": failed})  # fmt: skip
    assert [r["kind"] for r in runs.load(var)] == ["build", "rebuild"]
    res = run_cli("runs", "--var", str(var), cwd=tmp_path)
    assert res.returncode == 0
    lines = res.stdout.splitlines()
    assert lines[0].split()[:4] == ["started", "ended", "kind", "exit"]
    assert "2/2" in lines[1] and "psd_coffee" in lines[1]
    assert "rebuild" in lines[2] and "failed: usda_psd" in lines[2]
    res = run_cli("runs", "--var", str(var), "--limit", "1", "--json", cwd=tmp_path)
    assert [json.loads(ln)["kind"] for ln in res.stdout.splitlines()] == ["rebuild"]
    assert runs.failing_since(runs.load(var)) == "2026-11-30T09:00:00Z"


def test_history_tail_reads_and_long_failing_streaks(tmp_path: Path) -> None:
    var = tmp_path / "var"
    for i in range(30):
        runs.record(var, {"kind": "build", "started_at": f"ok-{i:03d}", "exit_code": 0})
    for i in range(500):  # a very long failing streak: its start lies beyond the tail
        runs.record(var, {"kind": "build", "started_at": f"bad-{i:03d}", "exit_code": 1,
                          "padding": "x" * 300})  # fmt: skip
    assert [r["started_at"] for r in runs.load(var, 3)] == ["bad-497", "bad-498", "bad-499"]
    assert len(runs.load(var, 100)) == 100 and len(runs.load(var)) == 530
    assert runs.failing_since(runs.recent(var, limit=50)) == "bad-000"


def test_a_failed_render_is_named_in_the_run_incident() -> None:
    from beanflows import status

    history = [{"kind": "build", "exit_code": 1, "started_at": "t", "failed_steps": ["render"],
                "sources": {"fred": {"outcome": "ok"}}}]  # fmt: skip
    assert status.incidents({}, history)["run:failed"]["text"].endswith("exited 1: failed: render")
