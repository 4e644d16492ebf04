"""The rebuild request queue's bookkeeping: idempotent requests, a killed runner, the lock.

`run_queue` runs here with a small stand-in for the rebuild (the real rebuild through the
queue is in tests/test_ops_builds.py); the spool folders and the runner lock are real.
"""

from __future__ import annotations

import json
import os
from datetime import date
from pathlib import Path

from beanflows import rebuilds

SOURCES = ["usda_psd", "fred"]


def _folder(var: Path, state: str) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted((var / "requests" / state).glob("*.json"))]


def test_requests_are_idempotent_and_run_oldest_first(tmp_path: Path) -> None:
    var = tmp_path / "var"
    rid, new = rebuilds.submit(var, "usda_psd", None, "alice")
    assert new and rebuilds.submit(var, "usda_psd", None, "bob") == (rid, False)
    ranged, _ = rebuilds.submit(var, "usda_psd", (date(2024, 1, 1), date(2024, 2, 1)), "carol")
    assert ranged != rid and len(_folder(var, "pending")) == 2
    assert not list((var / "requests/tmp").iterdir())  # no half-written leftovers
    ran: list[tuple] = []
    code = rebuilds.run_queue(var, SOURCES, lambda r: ran.append((r["id"], r["restate"])) or 0,
                              log=lambda _: None)  # fmt: skip
    assert code == 0 and ran == [(rid, None), (ranged, ["2024-01-01", "2024-02-01"])]
    done = _folder(var, "done")
    assert [d["result"]["exit_code"] for d in done] == [0, 0]
    assert {d["requested_by"] for d in done} == {"alice", "carol"}
    # the same request after it ran is a new request (new data may have arrived since)
    assert rebuilds.submit(var, "usda_psd", None, "alice") == (rid, True)


def test_killed_runner_lock_held_and_refused_requests(tmp_path: Path) -> None:
    var = tmp_path / "var"
    rid, _ = rebuilds.submit(var, "usda_psd", None)
    running = var / "requests/running"
    running.mkdir(parents=True)
    os.replace(var / f"requests/pending/{rid}.json", running / f"{rid}.json")  # runner killed
    stuck = {"id": "deadbeef", "source": "fred", "restate": None, "attempts": 2}
    (running / "deadbeef.json").write_text(json.dumps(stuck))
    bad = {"id": "b1", "source": "nope", "restate": None, "requested_at": "0"}
    (var / "requests/pending/b1.json").write_text(json.dumps(bad))

    logged: list[str] = []
    code = rebuilds.run_queue(var, SOURCES, lambda r: 75, logged.append)  # the lock stays held
    assert code == 75
    assert [r["id"] for r in _folder(var, "pending")] == [rid]  # back in the queue, once
    assert _folder(var, "pending")[0]["attempts"] == 1
    failed = {r["id"]: r["result"] for r in _folder(var, "failed")}
    assert "stopped during this request 3 times" in failed["deadbeef"]["error"]
    assert "unknown source 'nope'" in failed["b1"]["error"] and failed["b1"]["exit_code"] == 2

    with rebuilds.runner_lock(var) as mine:  # another runner is busy
        assert mine
        assert rebuilds.run_queue(var, SOURCES, lambda r: 0, logged.append) == 0
        assert "another runner" in logged[-1] and _folder(var, "pending")
    assert rebuilds.run_queue(var, SOURCES, lambda r: 1, logged.append) == 1
    assert {r["id"]: r["result"]["exit_code"] for r in _folder(var, "failed")}[rid] == 1


def test_restate_ranges_cover_the_source_family() -> None:
    ranges = rebuilds.restate_ranges("usda_psd", None, None, date(2026, 12, 1))
    assert "staging.usda_psd_bulk" in ranges and "serving.psd_coffee" in ranges
    assert set(ranges.values()) == {(rebuilds.EARLIEST, date(2026, 12, 1))}
    assert not any(m.startswith(("raw.cftc", "serving.cot")) for m in ranges)
    assert rebuilds.parse_range(["2024-01-01", "2024-01-31"]) == (date(2024, 1, 1),
                                                                    date(2024, 1, 31))  # fmt: skip
