"""What the operator asks each morning: is everything ok, and if not, since when and why.

`beanflows status` and `beanflows runs` read only the published catalog
(`dist/data/catalog.json`) and the run history (`var/runs.jsonl`): never the warehouse, so
they answer in milliseconds, also while a build holds its lock. `incidents()` is the one
definition of "something is wrong" shared by `status` (its exit code) and alerting.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from beanflows import freshness, runs

# Exit codes of `beanflows status` (documented in ops/README.md).
EXIT_OK, EXIT_PROBLEM, EXIT_NO_CATALOG = 0, 1, 2
LOCK_HELD = 75  # a run that found another build holding the lock did nothing


def load_catalog(out_dir: Path) -> dict[str, Any] | None:
    """The published catalog, or None when there is none (never built, or unreadable)."""
    path = out_dir / "data" / "catalog.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def incidents(catalog: dict[str, Any], history: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Everything wrong now, by a key stable for as long as the problem lasts.

    Keys: `run:failed` (the last run exited non-zero), `source:<s>:stale`, `source:<s>:late`,
    `commodity:<slug>:stale`, `dataset:<d>:stale` and `dataset:<d>:late`. A dataset is listed only
    when none of its sources already is in the same state, so one failing source gives one
    incident, not one per dataset. Values: {"since", "text"} (one line each).
    """
    out: dict[str, dict[str, Any]] = {}
    last = next((r for r in reversed(history) if r.get("exit_code") != LOCK_HELD), None)
    if last is not None and last.get("exit_code") not in (0, None):
        failed = [n for n, s in (last.get("sources") or {}).items() if s.get("outcome") != "ok"]
        steps = last.get("failed_steps") or []
        why = last.get("error") or (
            f"failed sources: {', '.join(failed)}"
            if failed
            else (f"failed: {', '.join(steps[:5])}" if steps else "")
        )
        out["run:failed"] = {
            "since": runs.failing_since(history) or last.get("started_at"),
            "text": f"the last {last.get('kind', 'build')} exited {last.get('exit_code')}"
            + (f": {why}" if why else ""),
        }
    sources = catalog.get("sources") or {}
    for name, src in sorted(sources.items()):
        state = src.get("status")
        if state == "stale":
            out[f"source:{name}:stale"] = {
                "since": src.get("stale_since"),
                "text": f"source {name} is stale: {src.get('error') or 'failed'}",
            }
        elif state == "late":
            out[f"source:{name}:late"] = {
                "since": src.get("data_as_of"),
                "text": f"source {name} is late: newest data {src.get('data_as_of') or '?'}"
                f" (schedule allows {src.get('stale_after_days', '?')} days)",
            }
    for c in catalog.get("commodities") or []:
        if c.get("status") == "stale":
            out[f"commodity:{c.get('slug')}:stale"] = {
                "since": c.get("stale_since"),
                "text": f"commodity {c.get('slug')} is stale: {c.get('stale_reason') or 'failed'}",
            }
    for name, ds in sorted((catalog.get("datasets") or {}).items()):
        state = ds.get("status")
        if state not in ("stale", "late"):
            continue
        # a dataset is late because a source is late, stale mostly because a source failed
        upstream = [sources.get(s) or {} for s in ds.get("sources") or [ds.get("source")]]
        blamed = {"stale"} if state == "stale" else {"stale", "late"}
        if any(s.get("status") in blamed or (state == "late" and s.get("late")) for s in upstream):
            continue
        since = ds.get("stale_since") if state == "stale" else ds.get("as_of")
        why = ds.get("stale_reason") if state == "stale" else f"newest data {ds.get('as_of')}"
        out[f"dataset:{name}:{state}"] = {
            "since": since,
            "text": f"dataset {name} is {state}: {why or '?'}",
        }
    return out


def report(
    catalog: dict[str, Any] | None,
    history: list[dict[str, Any]],
    today: date,
    max_run_age_hours: float,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The status as data (printed as a table, or as JSON with `--json`)."""
    now = now or datetime.now(UTC)
    problems: list[str] = []
    rows = []
    cat = catalog or {}
    # why a source that is ok again failed last time: the catalog keeps only the current error
    failures: dict[str, str] = {}
    for run in reversed(history):
        for name, res in (run.get("sources") or {}).items():
            if res.get("outcome") == "failed" and res.get("error"):
                failures.setdefault(name, res["error"])
    for name, src in sorted((cat.get("sources") or {}).items()):
        as_of = src.get("data_as_of") or src.get("release")
        why = src.get("error") or (failures.get(name) if src.get("last_failure") else None)
        rows.append(
            {
                "source": name,
                "status": src.get("status") or "?",
                "data_as_of": as_of,
                "age_days": freshness.age_days(as_of, today),
                "last_success": src.get("last_success"),
                "last_failure": src.get("last_failure"),
                "error": why,
                "stale_since": src.get("stale_since"),
                "stale_after_days": src.get("stale_after_days"),
            }
        )
    found = incidents(cat, history)
    problems += [i["text"] for i in found.values()]
    last = history[-1] if history else None
    if catalog is None:
        problems.insert(0, "no catalog: nothing has been built (or catalog.json is unreadable)")
    if last is not None and max_run_age_hours > 0:
        started = _parse_time(last.get("started_at"))
        if started and (now - started).total_seconds() > max_run_age_hours * 3600:
            problems.append(
                f"no run for {(now - started).total_seconds() / 3600:.0f} hours"
                f" (the last started {last.get('started_at')}): is the timer running?"
            )
    datasets = cat.get("datasets") or {}
    counts: dict[str, list[str]] = {}
    for name, ds in sorted(datasets.items()):
        counts.setdefault(ds.get("status") or "?", []).append(name)
    return {
        "ok": not problems,
        "built_at": cat.get("built_at"),
        "demo": cat.get("demo"),
        "sources": rows,
        "datasets": counts,
        "last_run": last,
        "failing_since": runs.failing_since(history),
        "problems": problems,
    }


def _parse_time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return None


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    """Plain aligned columns: greppable, and no terminal library to import (status is fast)."""
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    return [
        "  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
        for r in [header, *rows]
    ]


def _names(names: list[str], shown: int = 6) -> str:
    more = f", +{len(names) - shown} more" if len(names) > shown else ""
    return ", ".join(names[:shown]) + more


def format_status(rep: dict[str, Any]) -> str:
    """The human view of `report()`."""
    lines = []
    bad = sum(1 for r in rep["sources"] if r["status"] != "ok")
    head = "BeanFlows status: " + ("ok" if rep["ok"] else "ATTENTION")
    head += f" ({bad} of {len(rep['sources'])} sources not ok"
    head += f"; catalog built {rep['built_at'] or 'never'}"
    head += ", DEMO data)" if rep.get("demo") else ")"
    lines.append(head)
    rows = [
        [
            r["source"],
            r["status"],
            r["data_as_of"] or "-",
            "-" if r["age_days"] is None else f"{r['age_days']} d",
            r["last_success"] or "never",
            r["last_failure"] or "-",
            (r["error"] or "")[:120],
        ]
        for r in rep["sources"]
    ]
    header = ["source", "state", "data as of", "age", "last success", "last failure", "why"]
    lines += _table(header, rows) if rows else ["(no sources in the catalog)"]
    ds = rep["datasets"]
    if ds:
        parts = [f"{len(v)} {k}" + (f" ({_names(v)})" if k != "ok" else "") for k, v in ds.items()]
        lines.append("datasets: " + "; ".join(parts))
    last = rep["last_run"]
    if last:
        line = (
            f"last run: {last.get('kind')} started {last.get('started_at')},"
            f" exit {last.get('exit_code')}, {last.get('seconds')} s"
        )
        if rep["failing_since"]:
            line += f"; runs failing since {rep['failing_since']}"
        lines.append(line)
    else:
        lines.append("last run: none recorded in runs.jsonl")
    for problem in rep["problems"]:
        lines.append(f"problem: {problem}")
    return "\n".join(lines)


def format_runs(history: list[dict[str, Any]]) -> str:
    """`beanflows runs`: one line per run, newest last (like a log)."""
    rows = []
    for r in history:
        srcs = r.get("sources") or {}
        failed = [n for n, s in srcs.items() if s.get("outcome") != "ok"]
        changed = r.get("datasets_changed") or []
        steps = [] if failed else (r.get("failed_steps") or [])
        detail = r.get("error") or (
            f"failed: {', '.join(failed or steps[:5])}" if failed or steps else ""
        )
        if r.get("request"):
            detail = f"request {r['request'].get('id')} by {r['request'].get('by')} " + detail
        rows.append(
            [
                r.get("started_at") or "?",
                r.get("ended_at") or "?",
                r.get("kind") or "?",
                str(r.get("exit_code")),
                f"{len(srcs) - len(failed)}/{len(srcs)}",
                str(r.get("files_new", 0)),
                f"{len(changed)}" + (f" {','.join(changed)}" if 0 < len(changed) <= 3 else ""),
                detail[:140],
            ]
        )
    if not rows:
        return "no runs recorded yet (var/runs.jsonl is written by every build)"
    header = ["started", "ended", "kind", "exit", "sources ok", "files new", "changed", "notes"]
    return "\n".join(_table(header, rows))
