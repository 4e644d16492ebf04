"""The operator's commands: status, runs, rebuild, request-rebuild, run-requests, alert-test,
restore-raw.

Kept apart from cli.py (the build itself) so that `status` and `runs` import nothing heavy:
they read two files and answer in milliseconds. Every run (build, rebuild, queued request)
is recorded in var/runs.jsonl and followed by alerting through `begin`/`finish`.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from beanflows import layout, runs


def _settings(args: argparse.Namespace) -> Any:
    from beanflows.config import load

    return load(
        getattr(args, "config", None), getattr(args, "var", None), getattr(args, "out", None)
    )


def _today(args: argparse.Namespace) -> date:
    return (
        date.fromisoformat(args.today) if getattr(args, "today", None) else datetime.now(UTC).date()
    )


def begin(settings: Any, args: argparse.Namespace) -> dict[str, Any]:
    """Note a run's start and the catalog before it (to tell which datasets changed)."""
    from beanflows import status

    before = status.load_catalog(settings.out_dir) or {}
    request = getattr(args, "run_request", None)
    extra = {"request": request} if request else {}
    return {
        "settings": settings,
        "kind": getattr(args, "run_kind", "build"),
        "argv": sys.argv[1:],
        "started_at": runs.now_utc(),
        "clock": time.perf_counter(),
        "datasets": before.get("datasets") or {},
        "extra": extra,
    }


def finish(run: dict[str, Any], code: int, report: Any, error: BaseException | None) -> None:
    """Record the run in var/runs.jsonl and alert; never raises (the run's outcome stands)."""
    from beanflows import alerts, errors

    settings = run["settings"]
    why = None
    if error is not None:  # the code and line the operator sees (errors.run_clean)
        code, why = errors.one_line(error) if isinstance(error, Exception) else (130, "interrupted")
    try:
        entry = runs.entry(
            run["kind"],
            run["started_at"],
            code,
            report,
            run["datasets"],
            why,
            args=run["argv"],
            started_clock=run["clock"],
            **run["extra"],
        )
        runs.record(settings.var_dir, entry)
    except Exception as exc:  # noqa: BLE001 - history must not turn a good build into a crash
        print(f"beanflows: could not record the run in runs.jsonl: {exc}", file=sys.stderr)
    alerts.notify_quietly(settings.var_dir, settings.out_dir, getattr(settings, "alerts", None))


def cmd_status(args: argparse.Namespace) -> int:
    from beanflows import status

    settings = _settings(args)
    catalog = status.load_catalog(settings.out_dir)
    rep = status.report(
        catalog, runs.recent(settings.var_dir), _today(args), args.max_run_age_hours
    )
    if args.json:
        print(json.dumps(rep, indent=1, sort_keys=True))
    else:
        print(status.format_status(rep))
    if catalog is None:
        return status.EXIT_NO_CATALOG
    return status.EXIT_OK if rep["ok"] else status.EXIT_PROBLEM


def cmd_runs(args: argparse.Namespace) -> int:
    from beanflows import status

    history = runs.load(_settings(args).var_dir, args.limit)
    if args.json:
        for row in history:
            print(json.dumps(row, sort_keys=True))
    else:
        print(status.format_runs(history))
    return 0


def _rebuild_args(args: argparse.Namespace, source: str, restate: list[str] | None) -> Any:
    """The build command's arguments for a rebuild of one source from the archive.

    A demo state folder stays labelled demo: the flag comes from the published catalog.
    """
    from beanflows import rebuilds, status

    rng = rebuilds.parse_range(restate)
    ranges = rebuilds.restate_ranges(source, *(rng or (None, None)), _today(args))
    demo = bool((status.load_catalog(_settings(args).out_dir) or {}).get("demo"))
    return argparse.Namespace(
        **{**vars(args), "source": [source], "raw_from": None, "demo": demo},
        restate_models=ranges,
    )


def cmd_rebuild(args: argparse.Namespace) -> int:
    from beanflows import cli
    from ingest.run import source_names

    if args.source not in source_names():
        print(f"--source: unknown {args.source!r}; sources are {source_names()}", file=sys.stderr)
        return 2
    try:
        build_args = _rebuild_args(args, args.source, args.restate)
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    build_args.run_kind = "rebuild"
    return cli.cmd_build(build_args)


def cmd_request_rebuild(args: argparse.Namespace) -> int:
    from beanflows import rebuilds
    from ingest.run import source_names

    if args.source not in source_names():
        print(f"--source: unknown {args.source!r}; sources are {source_names()}", file=sys.stderr)
        return 2
    try:
        rng = rebuilds.parse_range(args.restate)
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    var_dir = _settings(args).var_dir
    rid, new = rebuilds.submit(var_dir, args.source, rng, args.by)
    where = layout.requests_dir(var_dir, "pending") / f"{rid}.json"
    print(f"request {rid} {'queued' if new else 'was already queued'}: {where}")
    return 0


def cmd_run_requests(args: argparse.Namespace) -> int:
    from beanflows import cli, errors, rebuilds
    from ingest.run import source_names

    settings = _settings(args)

    def run_one(req: dict[str, Any]) -> int:
        build_args = _rebuild_args(args, req["source"], req.get("restate"))
        build_args.run_kind = "request"
        build_args.run_request = {
            "id": req["id"],
            "by": req.get("requested_by"),
            "requested_at": req.get("requested_at"),
        }
        try:
            return rebuilds.wait_for_lock(lambda: cli.cmd_build(build_args), args.wait_seconds)
        except Exception as exc:  # noqa: BLE001 - one request's crash must not stop the queue
            code, line = errors.one_line(exc)
            log(f"run-requests: request {req['id']} stopped: {line}")
            return code

    def log(line: str) -> None:
        print(line, file=sys.stderr)

    running = layout.requests_dir(settings.var_dir, "running")
    if not rebuilds.pending(settings.var_dir) and not any(running.glob("*.json")):
        print("run-requests: no pending requests")
        return 0
    return rebuilds.run_queue(settings.var_dir, source_names(), run_one, log)


def add_parsers(sub: Any, common_args: argparse.ArgumentParser) -> None:
    """Register the operator's subcommands on the `beanflows` parser (`common_args`: --debug)."""

    def common(p: argparse.ArgumentParser, out: bool = True) -> None:
        if out:
            p.add_argument("--out", type=Path, help="output folder (default ./dist)")
        p.add_argument("--var", type=Path, help="local state folder (default ./var)")
        p.add_argument("--config", type=Path, help="settings TOML")

    s = sub.add_parser(
        "status",
        help="per-source state; exit 1 when anything is stale or late",
        parents=[common_args],
    )
    common(s)
    s.add_argument("--json", action="store_true", help="machine-readable output")
    s.add_argument("--today", help="pretend today is YYYY-MM-DD (data ages)")
    s.add_argument(
        "--max-run-age-hours",
        type=float,
        default=26.0,
        help="a problem when the last run started longer ago (0: off; default 26)",
    )
    s.set_defaults(func=cmd_status)

    r = sub.add_parser("runs", help="the run history (var/runs.jsonl)", parents=[common_args])
    common(r, out=False)
    r.add_argument("--limit", type=int, default=20, help="the last N runs (default 20; 0: all)")
    r.add_argument("--json", action="store_true", help="the JSON lines as recorded")
    r.set_defaults(func=cmd_runs)

    rb = sub.add_parser(
        "rebuild", help="re-run one source's transforms from the raw archive", parents=[common_args]
    )
    common(rb)
    rb.add_argument("--source", required=True, help="the source to rebuild")
    rb.add_argument(
        "--restate",
        nargs=2,
        metavar=("FROM", "TO"),
        help="restate only these days (YYYY-MM-DD; default: all history)",
    )
    rb.add_argument("--today", help="pretend today is YYYY-MM-DD")
    rb.set_defaults(func=cmd_rebuild)

    q = sub.add_parser(
        "request-rebuild", help="queue a rebuild for the request runner", parents=[common_args]
    )
    common(q, out=False)
    q.add_argument("--source", required=True, help="the source to rebuild")
    q.add_argument("--restate", nargs=2, metavar=("FROM", "TO"), help="days to restate")
    q.add_argument("--by", help="who asks (default user@host)")
    q.set_defaults(func=cmd_request_rebuild)

    rr = sub.add_parser(
        "run-requests", help="run every queued rebuild request", parents=[common_args]
    )
    common(rr)
    rr.add_argument(
        "--wait-seconds",
        type=float,
        default=3600.0,
        help="wait this long for a running build's lock (default 3600)",
    )
    rr.add_argument("--today", help="pretend today is YYYY-MM-DD")
    rr.set_defaults(func=cmd_run_requests)

    at = sub.add_parser(
        "alert-test", help="send a test alert to every configured channel", parents=[common_args]
    )
    at.add_argument("--config", type=Path, help="settings TOML ([alerts])")
    at.set_defaults(func=cmd_alert_test)

    rs = sub.add_parser(
        "restore-raw",
        help="download the raw archive backup from R2 into DEST",
        parents=[common_args],
    )
    rs.add_argument("dest", type=Path, help="folder to restore into (then: build --raw-from DEST)")
    rs.add_argument("--bucket", required=True, help="the raw backup bucket")
    rs.add_argument("--prefix", default="raw/", help="key prefix of the backup (default raw/)")
    rs.add_argument(
        "--endpoint-url",
        default=os.environ.get("AWS_ENDPOINT_URL_S3"),
        help="https://<ACCOUNT_ID>.r2.cloudflarestorage.com (default: AWS_ENDPOINT_URL_S3)",
    )
    rs.set_defaults(func=cmd_restore_raw)


def cmd_alert_test(args: argparse.Namespace) -> int:
    from beanflows import alerts

    try:
        outcome = alerts.send_test(_settings(args).alerts)
    except ValueError as exc:
        print(f"alert-test: {exc}", file=sys.stderr)
        return 2
    if not outcome:
        print("alert-test: no channel configured ([alerts] or BEANFLOWS_ALERTS_*)", file=sys.stderr)
        return 2
    for name, result in outcome.items():
        print(f"{name}: {result}")
    return 0 if all(r == "sent" for r in outcome.values()) else 1


def cmd_restore_raw(args: argparse.Namespace) -> int:
    from beanflows import restore

    return restore.cmd_restore_raw(args)
