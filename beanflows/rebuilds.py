"""Rebuilds from the raw archive, and the queue of rebuild requests.

`beanflows rebuild --source X [--restate FROM TO]` re-runs X's transforms from what is
already archived and landed: nothing is fetched or imported. SQLMesh restates every model of
X's family (and, through SQLMesh, everything downstream of them) over [FROM, TO], or over the
whole history when no range is given; export and render follow as in a nightly build.

A request is a small JSON file in a spool folder, so anything that can write a file (the
`request-rebuild` command, the account service's admin page) can ask for a rebuild without
taking the build lock or waiting for it:

    VAR/requests/pending/<id>.json   waiting (id = hash of source and range: idempotent)
    VAR/requests/running/<id>.json   taken by the runner (moved back if the runner died;
                                     failed after the runner died on it 3 times)
    VAR/requests/done/<id>.<ended>.json, failed/<id>.<ended>.json   with the result
    {"id", "source", "restate": [FROM, TO] | null, "requested_by", "requested_at",
     "attempts" (runner deaths), "result": {"exit_code", "started_at", "ended_at"}}

`beanflows run-requests` (started by the systemd path unit watching pending/) runs them one
by one, each as a rebuild under the build lock, each logged in var/runs.jsonl.
"""

from __future__ import annotations

import contextlib
import fcntl
import getpass
import hashlib
import json
import os
import socket
import time
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

from beanflows import layout, runs

EARLIEST = date(1900, 1, 1)  # "all of history": SQLMesh clamps it to each model's start


def restate_ranges(source: str, first: date | None, last: date | None, today: date) -> dict:
    """model -> (first, last) for every model of the source's family (whole history if None)."""

    lo, hi = first or EARLIEST, last or today
    return {m.name: (lo, hi) for m in layout.model_families().get(source, [])}


def parse_range(values: list[str] | None) -> tuple[date, date] | None:
    """`--restate FROM TO` -> dates; ValueError with a one-line message when wrong."""
    if not values:
        return None
    try:
        first, last = (date.fromisoformat(v) for v in values)
    except ValueError:
        raise ValueError(f"--restate: dates are YYYY-MM-DD, got {' '.join(values)}") from None
    if first > last:
        raise ValueError(f"--restate: FROM {first} is after TO {last}")
    return first, last


def _folder(var_dir: Path, state: str) -> Path:
    path = layout.requests_dir(var_dir, state)
    path.mkdir(parents=True, exist_ok=True)
    return path


def request_id(source: str, restate: tuple[date, date] | None) -> str:
    """Same source and range, same id: asking twice queues one rebuild."""
    what = {"source": source, "restate": [d.isoformat() for d in restate] if restate else None}
    return hashlib.sha256(json.dumps(what, sort_keys=True).encode()).hexdigest()[:16]


def _write_atomically(path: Path, data: dict[str, Any]) -> None:
    """Write to a temporary name beside the requests folders, then rename into place: the
    path unit and the runner never see half a file."""
    folder = path.parents[1] / "tmp"  # VAR/requests/tmp: same file system, not watched
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f"{path.name}.{os.getpid()}"
    tmp.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
    os.replace(tmp, path)


def submit(
    var_dir: Path, source: str, restate: tuple[date, date] | None, by: str | None = None
) -> tuple[str, bool]:
    """Queue a rebuild; returns (id, False when the same request was already waiting)."""
    rid = request_id(source, restate)
    path = _folder(var_dir, "pending") / f"{rid}.json"
    if path.exists():
        return rid, False
    _write_atomically(
        path,
        {
            "id": rid,
            "source": source,
            "restate": [d.isoformat() for d in restate] if restate else None,
            "requested_by": by or _who(),
            "requested_at": runs.now_utc(),
        },
    )
    return rid, True


def _who() -> str:
    try:
        user = os.environ.get("SUDO_USER") or getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return f"{user}@{socket.gethostname()}"


def pending(var_dir: Path) -> list[dict[str, Any]]:
    """Waiting requests, oldest first (unreadable files are reported as failed by the runner)."""
    out = []
    for path in sorted(_folder(var_dir, "pending").glob("*.json")):
        try:
            req = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            req = {"id": path.stem, "invalid": f"unreadable request file: {exc}"}
        req["_path"] = str(path)
        out.append(req)
    return sorted(out, key=lambda r: (str(r.get("requested_at", "")), str(r.get("id"))))


@contextlib.contextmanager
def runner_lock(var_dir: Path) -> Iterator[bool]:
    """One queue runner at a time (True when this process got it): two runners would take
    the same request twice. Builds have their own lock; this one only guards the queue."""
    fd = os.open(_folder(var_dir, "tmp").parent / ".runner.lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)


def _recover(var_dir: Path, max_attempts: int = 3) -> None:
    """Requests a killed runner left in running/ go back to pending/ (a rebuild is
    idempotent: running it again is safe), unless the runner died on them `max_attempts`
    times: then they fail, so one request that kills its runner cannot loop forever."""
    for path in _folder(var_dir, "running").glob("*.json"):
        target = _folder(var_dir, "pending") / path.name
        try:
            req = json.loads(path.read_text())
        except (OSError, ValueError):
            req = {"id": path.stem}
        req["attempts"] = int(req.get("attempts") or 0) + 1
        if target.exists():  # asked again meanwhile: that request stands
            path.unlink()
        elif req["attempts"] >= max_attempts:
            now = runs.now_utc()
            error = f"the runner stopped during this request {req['attempts']} times"
            req["result"] = {"exit_code": None, "ended_at": now, "error": error}
            stamp = now.replace(":", "").replace("-", "")
            _write_atomically(_folder(var_dir, "failed") / f"{req['id']}.{stamp}.json", req)
            path.unlink()
        else:
            _write_atomically(target, req)
            path.unlink()


def validate(req: dict[str, Any], sources: list[str]) -> str | None:
    """Why a request cannot run (None when it can)."""
    if req.get("invalid"):
        return req["invalid"]
    if req.get("source") not in sources:
        return f"unknown source {req.get('source')!r}; sources are {sources}"
    try:
        parse_range(req.get("restate"))
    except (ValueError, TypeError) as exc:
        return str(exc)
    return None


def run_queue(
    var_dir: Path,
    sources: list[str],
    run_one: Callable[[dict[str, Any]], int],
    log: Callable[[str], None],
) -> int:
    """Run every pending request; 0 when all succeeded, 1 when one failed, 75 when the build
    lock stayed held (the rest stays pending for the next trigger)."""
    with runner_lock(var_dir) as mine:
        if not mine:
            log("run-requests: another runner is processing the queue; nothing to do here")
            return 0
        _recover(var_dir)
        worst = 0
        for req in pending(var_dir):
            source_path = Path(req.pop("_path"))
            running = _folder(var_dir, "running") / source_path.name
            try:
                os.replace(source_path, running)
            except FileNotFoundError:
                continue  # withdrawn meanwhile
            problem = validate(req, sources)
            started = runs.now_utc()
            if problem:
                code = 2
                log(f"run-requests: request {req.get('id')} refused: {problem}")
            else:
                what = f"rebuild {req['source']} restate {req.get('restate') or 'all'}"
                log(f"run-requests: request {req['id']}: {what} (by {req.get('requested_by')})")
                code = run_one(req)
            if code == 75:
                os.replace(running, source_path)  # still wanted: run it next time
                return 75
            req["result"] = {"exit_code": code, "started_at": started, "ended_at": runs.now_utc()}
            if problem:
                req["result"]["error"] = problem
            state = "done" if code == 0 else "failed"
            stamp = req["result"]["ended_at"].replace(":", "").replace("-", "")
            _write_atomically(_folder(var_dir, state) / f"{req.get('id')}.{stamp}.json", req)
            running.unlink(missing_ok=True)
            worst = max(worst, 0 if code == 0 else 1)
        return worst


def wait_for_lock(
    attempt: Callable[[], int], wait_seconds: float, poll_seconds: float = 5.0
) -> int:
    """Call `attempt` (a build) until the build lock was free for it, or time runs out (75)."""
    from beanflows.lock import EXIT_LOCKED, LockHeld

    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            return attempt()
        except LockHeld:
            if time.monotonic() >= deadline:
                return EXIT_LOCKED
        time.sleep(min(poll_seconds, max(0.0, deadline - time.monotonic())))
