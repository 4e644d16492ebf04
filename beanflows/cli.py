"""The `beanflows` command: build (the nightly job), serve (preview), publish (to R2)."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from beanflows import errors

if TYPE_CHECKING:
    from beanflows.build import BuildReport
    from beanflows.config import Settings


def _summary(report: BuildReport) -> None:
    from rich.markup import escape
    from rich.table import Table

    from beanflows import build as build_mod

    table = Table(title="BeanFlows build", title_justify="left")
    for col in ("source", "files new", "unchanged", "rows landed", "audits", "seconds", "status"):
        table.add_column(col, justify="right" if col not in ("source", "status") else "left")
    blocked = report.sources_with_failed_models()
    for name, res in report.sources.items():
        failed = name in blocked
        table.add_row(
            name,
            str(res.files_new),
            str(res.files_unchanged),
            f"{res.rows_landed:,}",
            "skipped" if report.transform_skipped else ("FAILED" if failed else "ok"),
            f"{report.seconds.get(f'ingest:{name}', 0):.2f}",
            "[red]failed[/red]"
            if not res.ok or failed
            else ("[yellow]partial[/yellow]" if res.commodity_errors else "[green]ok[/green]"),
        )
    build_mod.console.print(table)
    for model, err in report.failed_models.items():
        build_mod.console.print(f"[red]failed[/red] {model}:\n{escape(err)}")
    rejected = [f"[{n}] {f}" for n, res in report.sources.items() for f in res.rejected]
    if rejected:  # the reasons were printed as errors above; var/rejected/ keeps the files
        build_mod.console.print(
            f"[red]rejected[/red] {len(rejected)} file(s), kept in var/rejected/: "
            + escape(", ".join(rejected))
        )
    if report.ignored:
        more = len(report.ignored) - 5
        build_mod.console.print(
            f"[yellow]ignored[/yellow] {len(report.ignored)} file(s) no source recognises: "
            + escape(", ".join(report.ignored[:5]) + (f" and {more} more" if more > 0 else ""))
        )
    by_status: dict[str, list[str]] = {"ok": [], "late": [], "stale": []}
    for n, d in report.datasets.items():
        by_status.setdefault(d.get("status") or "?", []).append(n)
    secs = ", ".join(f"{k} {v:.2f}s" for k, v in report.seconds.items() if ":" not in k)
    sqlmesh = [f"{k[8:]} {v:.2f}s" for k, v in report.seconds.items() if k.startswith("sqlmesh:")]
    if sqlmesh:  # its start-up ran beside the ingest, so it is not part of the wait above
        secs += f" (SQLMesh process: {', '.join(sqlmesh)})"
    stale = by_status["stale"]
    build_mod.console.print(
        f"datasets: {len(by_status['ok'])} ok, {len(by_status['late'])} late "
        f"(upstream older than its schedule), {len(stale)} stale"
        + (f" ({', '.join(stale)})" if stale else "")
        + f"; transform {'skipped (no change)' if report.transform_skipped else 'ran'}; {secs}"
    )


def cmd_build(args: argparse.Namespace) -> int:
    from beanflows import transform_child

    # SQLMesh takes seconds to import: its process starts first, before our own imports and
    # checks (a third of a second), or already did (`python -m beanflows build`). It waits for
    # its settings and writes nothing before them, so a build that stops here (bad option,
    # lock held) just stops it.
    child = getattr(args, "transform_child", None) or transform_child.start()
    try:
        return _locked_build(args, child)
    finally:
        if child.poll() is None:  # the build stopped before the transform
            transform_child.cancel(child)


def _locked_build(args: argparse.Namespace, child: object) -> int:
    from beanflows.config import load
    from beanflows.lock import build_lock
    from ingest.run import source_names

    var = args.var or (Path("var/demo") if args.demo else None)
    only = tuple(n.strip() for arg in args.source or () for n in arg.split(",") if n.strip())
    unknown = sorted(set(only) - set(source_names()))
    if unknown:
        print(f"--source: unknown {unknown}; sources are {source_names()}", file=sys.stderr)
        return 2
    if args.raw_from and not args.raw_from.is_dir():
        print(f"--raw-from: {args.raw_from} is not a folder", file=sys.stderr)
        return 2
    settings = load(args.config, var, args.out, only)
    # One build per var folder, locked before anything is written (held: LockHeld, exit 75).
    with build_lock(settings.var_dir):
        return _build(args, settings, child)


def _build(args: argparse.Namespace, settings: Settings, child: object) -> int:
    from beanflows import build as build_mod
    from beanflows import ops_cli
    from ingest.route import demo_files, import_files

    restate = getattr(args, "restate_models", None)  # a rebuild: the archive only, no fetch
    if restate is not None:
        files = []
    elif args.demo:
        files = demo_files()
    elif args.raw_from:
        files = import_files(args.raw_from)
    else:
        files = None
    today = date.fromisoformat(args.today) if args.today else None
    # Every run is recorded in var/runs.jsonl and followed by alerting, crashed runs too.
    run = ops_cli.begin(settings, args)
    code, report = errors.EXIT_INTERNAL, None
    try:
        report = build_mod.build(
            settings, files, demo=args.demo, today=today, child=child, restate=restate
        )
        _summary(report)
        code = 0 if report.ok else errors.EXIT_FAILED
        from beanflows.brief.cli import after_build  # weekly brief + subscriber alerts

        code = max(code, after_build(settings, today, demo=args.demo))
        return code
    finally:
        ops_cli.finish(run, code, report, sys.exc_info()[1])


def cmd_serve(args: argparse.Namespace) -> int:
    from beanflows import render
    from beanflows.config import load

    settings = load(args.config, None, args.out)
    render.serve(settings.out_dir, args.port)
    return 0


def cmd_publish(argv: list[str]) -> int:
    from beanflows import publish

    return publish.main(argv)


def main(argv: list[str] | None = None, child: subprocess.Popen | None = None) -> int:
    """Run one command; `child`: the build's SQLMesh process, started before this module was
    imported (`beanflows.__main__`), for `build` to use (any other command stops it)."""
    try:
        return _main(list(sys.argv[1:] if argv is None else argv), child)
    finally:
        if child is not None and child.poll() is None:  # not handed to a build
            from beanflows import transform_child

            transform_child.cancel(child)


def _main(argv: list[str], child: subprocess.Popen | None) -> int:
    if argv[:1] == ["publish"]:  # its own options (publish.py); the same one-line errors
        debug = "--debug" in argv
        rest = [a for a in argv[1:] if a != "--debug"]
        return errors.run_clean(lambda _: cmd_publish(rest), argparse.Namespace(), debug=debug)
    if argv[:1] == ["auth"]:  # the accounts service: beanflows/auth/cli.py
        from beanflows.auth.cli import main as auth_main

        return auth_main(argv[1:])
    common = argparse.ArgumentParser(add_help=False)  # --debug before or after the command
    common.add_argument(
        "--debug", action="store_true", default=argparse.SUPPRESS, help="show tracebacks"
    )
    parser = argparse.ArgumentParser(prog="beanflows", description=__doc__, parents=[common])
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser(
        "build", help="fetch (or import), transform, export and render", parents=[common]
    )
    src = b.add_mutually_exclusive_group()
    src.add_argument("--raw-from", type=Path, help="import recognised upstream files under DIR")
    src.add_argument("--demo", action="store_true", help="build from the shipped demo fixtures")
    b.add_argument("--out", type=Path, help="output folder (default ./dist)")
    b.add_argument("--var", type=Path, help="local state folder (default ./var)")
    b.add_argument("--config", type=Path, help="settings TOML (URLs, timeouts, folders)")
    b.add_argument(
        "--source", action="append", help="build only this source (repeatable, or a,b,c)"
    )
    b.add_argument("--today", help="pretend today is YYYY-MM-DD (backfills, tests)")
    b.set_defaults(func=cmd_build)
    s = sub.add_parser("serve", help="preview the built site on 127.0.0.1", parents=[common])
    s.add_argument("--out", type=Path, help="output folder (default ./dist)")
    s.add_argument("--port", type=int, default=8000)
    s.add_argument("--config", type=Path)
    s.set_defaults(func=cmd_serve)
    sub.add_parser("publish", help="upload the build to R2 (see publish.py --help)")
    sub.add_parser("auth", help="the accounts service: serve|backup|restore (docs/auth.md)")
    from beanflows import ops_cli

    ops_cli.add_parsers(sub, common)
    from beanflows.brief.cli import add_parsers as brief_parsers

    brief_parsers(sub, common)
    args = parser.parse_args(argv)
    if args.func is cmd_build:
        args.transform_child = child
    return errors.run_clean(args.func, args, debug=getattr(args, "debug", False))


def entry(child: subprocess.Popen | None = None) -> None:
    """The console command: run, flush, and leave without tearing the interpreter down.

    A build's SQLMesh process starts first (`child`, when `python -m beanflows` started it
    even earlier). Freeing SQLMesh's, Altair's and DuckDB's modules at exit costs about half
    a second and does nothing useful: every file the build writes is closed by the time
    main() returns.
    """
    from beanflows import children

    code = main(child=child or children.start_transform_for(sys.argv[1:]))
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
