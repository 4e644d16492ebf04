"""The run history: one JSON line per build, rebuild or queued request, in `VAR/runs.jsonl`.

`beanflows runs` and `beanflows status` read it, and alerting uses it to tell a failing
streak from a new failure. A line is written when a run ends, crashed runs included (the
CLI records in a `finally`), so the history answers "what happened last night" without a
log. The file only grows by one line of ~1 KB a run: years of nightly runs stay small.

A line:
    {"kind": "build" | "rebuild" | "request", "started_at", "ended_at", "seconds",
     "exit_code", "args", "sources": {name: {"outcome": "ok" | "partial" | "failed", "error",
     "files_new", "files_unchanged"}}, "files_new", "datasets_changed", "datasets_stale",
     "datasets_late", "failed_steps": [model | "transform" | "render" | "export D"],
     "transform": "ran" | "skipped" | null, "restated": [model],
     "error", "request": {"id", "by", "requested_at"} (queued requests only)}
"""

from __future__ import annotations

import json
import os
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from beanflows import layout


def now_utc() -> str:
    """The current time as the catalog writes it (ISO 8601, seconds, Z)."""
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def record(var_dir: Path, entry: dict[str, Any]) -> None:
    """Append one run as a JSON line.

    One `write` on an O_APPEND descriptor: two processes recording at once (a build and a
    `request-rebuild` runner waiting for the lock) never interleave their lines. A last line
    torn by a kill is ended first, so it costs only itself.
    """
    var_dir.mkdir(parents=True, exist_ok=True)
    line = (json.dumps(entry, sort_keys=True, ensure_ascii=False) + "\n").encode()
    fd = os.open(layout.runs_file(var_dir), os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        size = os.fstat(fd).st_size
        if size and os.pread(fd, 1, size - 1) != b"\n":  # a line torn by a kill: end it
            line = b"\n" + line
        os.write(fd, line)
    finally:
        os.close(fd)


def load(var_dir: Path, limit: int | None = None) -> list[dict[str, Any]]:
    """The recorded runs, oldest first (the last `limit` only, when given).

    With a limit only the end of the file is read: years of history cost `status` nothing.
    A line cut short (disk full, a kill during the write) is skipped, not fatal: the history
    is for reading, and one damaged line must not hide the others.
    """
    path = layout.runs_file(var_dir)
    if not path.is_file():
        return []
    rows = []
    for line in _tail_lines(path, limit):
        try:
            row = json.loads(line)
        except ValueError:
            continue
        if isinstance(row, dict):
            rows.append(row)
    return rows[-limit:] if limit else rows


def _tail_lines(path: Path, limit: int | None, block: int = 1 << 16) -> list[bytes]:
    """The file's lines, or (with a limit) at least its last `limit` + 1 whole lines."""
    with path.open("rb") as fh:
        size = fh.seek(0, os.SEEK_END)
        start = size
        data = b""
        while start > 0 and (not limit or data.count(b"\n") <= limit + 1):
            start = max(0, start - block)
            fh.seek(start)
            data = fh.read(size - start)
    lines = data.splitlines()
    return lines[1:] if start > 0 else lines  # the first may be cut at the block edge


def recent(var_dir: Path, limit: int = 400) -> list[dict[str, Any]]:
    """The last runs, enough to see the current failing streak whole (all when it is longer)."""
    rows = load(var_dir, limit)
    if len(rows) >= limit and failing_since(rows) == rows[0].get("started_at"):
        return load(var_dir)
    return rows


def entry(
    kind: str,
    started_at: str,
    exit_code: int,
    report: Any = None,
    previous_datasets: dict[str, Any] | None = None,
    error: str | None = None,
    args: list[str] | None = None,
    started_clock: float | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """The history line of one run, from the build report (None when the run crashed first).

    `previous_datasets` are the catalog's datasets before the run: a dataset changed when its
    published files (hashes) differ afterwards.
    """
    row: dict[str, Any] = {
        "kind": kind,
        "started_at": started_at,
        "ended_at": now_utc(),
        "seconds": round(time.perf_counter() - started_clock, 2) if started_clock else None,
        "exit_code": exit_code,
        "args": args or [],
        "sources": {},
        "files_new": 0,
        "datasets_changed": [],
        "datasets_stale": [],
        "datasets_late": [],
        "transform": None,
        "error": error,
        **extra,
    }
    if report is None:
        return row
    blocked = report.sources_with_failed_models()
    model_errors = _model_errors(report)
    for name, res in report.sources.items():
        own = [f"{slug}: {e}" for slug, errs in res.commodity_errors.items() for e in errs]
        reason = res.errors[0] if res.errors else model_errors.get(name) or next(iter(own), None)
        failed = bool(res.errors) or name in blocked
        row["sources"][name] = {
            "outcome": "failed" if failed else ("partial" if own else "ok"),
            "error": _one_line(reason) if failed or own else None,
            "files_new": res.files_new,
            "files_unchanged": res.files_unchanged,
        }
    row["files_new"] = sum(r.files_new for r in report.sources.values())
    before = previous_datasets or {}
    for name, ds in sorted((report.datasets or {}).items()):
        status = ds.get("status")
        if status == "stale":
            row["datasets_stale"].append(name)
        elif status == "late":
            row["datasets_late"].append(name)
        if status != "stale" and ds.get("files") != (before.get(name) or {}).get("files"):
            row["datasets_changed"].append(name)
    row["failed_steps"] = sorted(report.failed_models)  # models, "transform", "render", ...
    row["transform"] = "skipped" if report.transform_skipped else "ran"
    row["restated"] = sorted(report.restated or [])
    return row


def _model_errors(report: Any) -> dict[str, str]:
    """source -> "model: first line of its failure" for sources whose models failed."""
    try:
        model_source = layout.family_of()
    except Exception:  # noqa: BLE001 - the history must be written even if this lookup breaks
        return {}
    out: dict[str, str] = {}
    for model, err in report.failed_models.items():
        src = model_source.get(model)
        if src:
            out.setdefault(src, f"{model}: {_one_line(err) or 'failed'}")
    return out


def _one_line(text: str | None, limit: int = 300) -> str | None:
    """The first non-empty line, cut to `limit` characters (history lines stay short)."""
    if not text:
        return None
    first = next((ln.strip() for ln in str(text).splitlines() if ln.strip()), "")
    return first[:limit]


def failing_since(runs: list[dict[str, Any]]) -> str | None:
    """Start of the current streak of failed runs (None when the last run succeeded).

    Exit 75 (another build held the lock) did nothing and neither starts nor ends a streak.
    """
    since = None
    for run in reversed(runs):
        code = run.get("exit_code")
        if code == 75:
            continue
        if code == 0:
            break
        since = run.get("started_at")
    return since
