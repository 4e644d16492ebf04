"""The SQLMesh half of the nightly build, in a child process started before ingest.

Importing SQLMesh and loading the project cost seconds of CPU and do not depend on what ingest
lands, so the build starts this process first: it opens the project while the parent fetches
and lands files (on another core), then waits for the parent's word. The parent either sends
the restatement ranges ingest produced (plan, restate, run) or closes the pipe when nothing
changed (the child exits without touching the warehouse; it may also simply be killed, since
until then it has written nothing but SQLMesh's own atomic cache files).

When the models changed since the last plan (a fresh var folder, an upgrade), the parent
says so at start (`plan`) and the child applies the plan right after loading, while ingest
still runs: a plan creates tables and views and reads only the landing files' schemas (every
landing table has its schema file). If that early plan fails (a landing folder rebuilt under
it), the child plans again after ingest, as it would have without it. Such a child has written
to the warehouse; killed half-way (the build stopped or crashed), DuckDB drops its unfinished
transaction and the build state still says the models changed, so the next build plans again.

One JSON line each way:
    stdin 1   {"var_dir", "models_dir", "sources", "commodities", "plan", "typed", "cache_dir"}
                                                                         (at start)
    stdin 2   {"restate": {model: [first, last]}, "today", "models_changed", "recheck",
               "run_all"}                                                       (after ingest)
    result    {"failed", "skipped", "restated"} or {"error"}           (on the result pipe)
Anything SQLMesh prints goes to stderr: the result pipe carries nothing but the result.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import signal
import subprocess
import sys
import threading
import time
import traceback
from datetime import date
from pathlib import Path
from typing import Any

from beanflows import children, commodities, errors, layout, plan_cache, transform

Child = subprocess.Popen


def start() -> Child:
    """Start the child; it imports SQLMesh right away (call `open_project` to say which)."""
    return children.start_transform()


def open_project(
    proc: Child,
    var_dir: Path,
    sources: list[str] | None,
    models_dir: Path = layout.MODELS_DIR,
    commodities: Path | None = None,
    plan: bool = False,
    typed: bool = True,
) -> None:
    """Tell the child which var folder and sources to load the project for (`models_dir`: a
    test or benchmark may run a smaller project the same way), with which commodities file
    (the project's `commodities` variable; None: $BEANFLOWS_COMMODITIES or the default), and
    whether to apply the plan as soon as the project is loaded (`plan`: the models changed;
    the landing folders must hold their schema files, `ingest.run.prepare_landing`).
    `typed` False: the models did not change since their plan, so the child loads them
    without typing them (`transform.context`) unless the order turns out to need it."""
    var_dir.mkdir(parents=True, exist_ok=True)
    hello = {
        "var_dir": str(var_dir),
        "models_dir": str(models_dir),
        "sources": sources,
        "commodities": str(commodities) if commodities else None,
        "plan": plan,
        "typed": typed or plan,
        # set by the build after this process started: where a planned warehouse is kept
        "cache_dir": os.environ.get("BEANFLOWS_CACHE_DIR"),
    }
    with contextlib.suppress(BrokenPipeError, OSError):  # a dead child: `result` reports it
        _send(proc, hello)


def order(
    proc: Child,
    restate: dict[str, tuple[date, date]],
    today: date | None,
    models_changed: bool,
    recheck: list[str] | tuple[str, ...] = (),
    run_all: bool = True,
) -> None:
    """Hand the child its work: plan if models changed, restate these ranges, run to today
    (every model, or with `run_all` False only what the restatement re-opened), audit again
    the models an earlier build's audits stopped (`recheck`)."""
    message = {
        "restate": {m: [a.isoformat(), b.isoformat()] for m, (a, b) in restate.items()},
        "today": today.isoformat() if today else None,
        "models_changed": models_changed,
        "recheck": list(recheck),
        "run_all": run_all,
    }
    with contextlib.suppress(BrokenPipeError, OSError):  # a dead child: `result` reports it
        _send(proc, message)
        proc.stdin.close()


def result(proc: Child) -> transform.TransformResult:
    """Wait for the child's result (a crash becomes a 'transform' failure)."""
    out = proc.stdout.read()
    code = proc.wait()
    try:
        reply = json.loads(out.strip().splitlines()[-1])
    except (ValueError, IndexError):
        reply = {"error": f"transform process exited with code {code} and no result"}
    if "error" in reply:
        return transform.TransformResult(failed={"transform": f"SQLMesh failed: {reply['error']}"})
    return transform.TransformResult(
        failed=reply["failed"],
        skipped=set(reply["skipped"]),
        restated=reply["restated"],
        seconds=reply.get("seconds", {}),
        failed_audits=reply.get("failed_audits", {}),
        rechecked=reply.get("rechecked", []),
    )


def run(
    var_dir: Path,
    restate: dict[str, tuple[date, date]],
    today: date,
    sources: list[str] | None = None,
    models_dir: Path = layout.MODELS_DIR,
) -> transform.TransformResult:
    """One whole transform in a child, as the build runs it (plan, restate, run, audit)."""
    proc = start()
    try:
        open_project(proc, var_dir, sources, models_dir)
        order(proc, restate, today, models_changed=True)
        return result(proc)
    finally:
        if proc.poll() is None:
            cancel(proc)


def cancel(proc: Child) -> None:
    """Nothing to transform: stop the child (it has not touched the warehouse)."""
    # SQLMesh loads models in a fork pool: kill the whole group, or a worker stopped mid-load
    # would hold the build's output pipes open forever.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.kill()
    proc.wait()
    for pipe in (proc.stdin, proc.stdout):
        if pipe:
            pipe.close()


def _send(proc: Child, message: dict[str, Any]) -> None:
    proc.stdin.write(json.dumps(message) + "\n")
    proc.stdin.flush()


def die_with_parent() -> None:
    """Exit as soon as the build that started this process is gone, however it ended.

    A `kill -9` of the build must not leave SQLMesh running and holding the warehouse (the
    next build could not open it). On Linux the kernel kills this process with its parent
    (`beanflows.children`); this watcher covers other systems and the start-up race.
    """
    parent = int(os.environ.get("BEANFLOWS_PARENT_PID") or os.getppid())
    children.forks_die_with_this_process()  # SQLMesh's fork pool dies with this process

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.2)
        os._exit(1)

    if os.getppid() != parent:  # the parent died before this process started
        os._exit(1)
    threading.Thread(target=watch, daemon=True).start()


def _log_traceback() -> None:
    """The traceback goes to the log only with --debug: operators read one-line errors."""
    if errors.debug():
        traceback.print_exc()


def _plan_early(ctx, result: transform.TransformResult, select: list[str] | None) -> bool:  # noqa: ANN001
    """Apply the plan while the parent ingests; True when it was applied. A failure is not
    the transform's: it is forgotten and the plan is made again once ingest is done."""
    t0 = time.perf_counter()
    try:
        transform.plan(ctx, select)
    except Exception:  # noqa: BLE001 - retried after ingest, where a failure is reported
        _log_traceback()
        result.failed.clear()
        result.skipped.clear()
        result.audit_queries.clear()
        return False
    result.seconds["plan during ingest"] = time.perf_counter() - t0
    return True


def _keep_plan(ctx, plan_key: str, var_dir: Path) -> None:  # noqa: ANN001 - sqlmesh Context
    """Keep the planned warehouse for the next fresh var/; a failure only costs that speed."""
    try:
        plan_cache.save(ctx, plan_key, var_dir)
    except Exception:  # noqa: BLE001 - an optimisation: the build goes on without it
        _log_traceback()


def main() -> None:
    """Child side: open the project, wait for the order, run, reply on the result pipe."""
    die_with_parent()
    t0 = time.perf_counter()
    # Importing SQLMesh and loading the project build hundreds of thousands of objects that
    # live as long as this process: the cyclic collector would walk them again and again for
    # nothing (a tenth of the start-up). It is off until the project is loaded, then those
    # objects are frozen out of its sight and it runs as usual through plan and run.
    gc.disable()
    result_pipe = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)  # stray prints (SQLMesh, libraries) go to the log, not into the result
    # SQLMesh loads and types the models in a pool of forked processes, one per core. Here
    # the build's other core is busy ingesting, and the models come from SQLMesh's cache
    # (models/.cache): in-process loading takes half the time of forking and pickling the
    # models back (2 cores: 2.7 s instead of 5.8 s to open the project).
    os.environ.setdefault("MAX_FORK_WORKERS", "1")
    import pandas  # noqa: F401 - SQLMesh's loader imports it: pay for it while ingest runs
    import sqlmesh.core.context  # noqa: F401 - the slow imports, before the parent has settled
    import sqlmesh.core.loader  # noqa: F401

    line = sys.stdin.readline()
    if not line:  # the parent stopped before it had settings
        return
    hello = json.loads(line)
    var_dir = Path(hello["var_dir"])
    if hello.get("commodities"):  # read by models/config.py (beanflows.commodities)
        os.environ[commodities.ENV] = hello["commodities"]
    if hello.get("cache_dir"):  # beanflows.plan_cache
        os.environ["BEANFLOWS_CACHE_DIR"] = hello["cache_dir"]
    os.chdir(var_dir)  # the project's paths (warehouse.duckdb, landing/) are relative to var
    planned = False
    # A fresh var/ of a full build starts from the planned warehouse of this project, when
    # an earlier build kept one (beanflows.plan_cache); else it keeps the plan it makes.
    plan_key, restored_in = None, None
    if hello.get("plan") and hello["sources"] is None and plan_cache.fresh(var_dir):
        t1 = time.perf_counter()
        plan_key = plan_cache.key(Path(hello["models_dir"]), var_dir)
        if plan_cache.restore(plan_key, var_dir):
            restored_in = time.perf_counter() - t1
    try:
        ctx, result, select = transform.open_project(
            Path(hello["models_dir"]), hello["sources"], hello.get("typed", True)
        )
        result.seconds["start-up"] = time.perf_counter() - t0
        if restored_in is not None:
            result.seconds["plan restored"] = restored_in
    except Exception as exc:  # noqa: BLE001 - reported to the parent as the transform's failure
        _log_traceback()
        ctx, failure = None, f"{type(exc).__name__}: {exc}"
    gc.freeze()
    gc.enable()
    if ctx is not None and hello.get("plan") and restored_in is not None:
        planned = True  # the copy is the plan this project makes of a fresh var/
    elif ctx is not None and hello.get("plan"):
        planned = _plan_early(ctx, result, select)
        if planned and plan_key is not None:
            _keep_plan(ctx, plan_key, var_dir)
    line = sys.stdin.readline()
    if not line:  # the parent found nothing to transform
        return
    order = json.loads(line)
    if ctx is None:
        reply: dict[str, Any] = {"error": failure}
    else:
        restate = {
            m: (date.fromisoformat(a), date.fromisoformat(b))
            for m, (a, b) in order["restate"].items()
        }
        today = date.fromisoformat(order["today"]) if order["today"] else None
        try:
            t1 = time.perf_counter()
            transform.execute(
                ctx,
                result,
                select,
                var_dir,
                restate,
                today,
                order["models_changed"] and not planned,
                order.get("recheck", ()),
                order.get("run_all", True),
                hello.get("typed", True),
            )
            result.seconds["after ingest"] = time.perf_counter() - t1
            reply = {
                "failed": result.failed,
                "skipped": sorted(result.skipped),
                "restated": result.restated,
                "seconds": result.seconds,
                "failed_audits": result.failed_audits,
                "rechecked": result.rechecked,
            }
        except Exception as exc:  # noqa: BLE001 - reported to the parent, traceback in the log
            _log_traceback()
            reply = {"error": f"{type(exc).__name__}: {exc}"}
        finally:
            ctx.close()
    result_pipe.write(json.dumps(reply) + "\n")
    result_pipe.close()
    sys.stderr.flush()
    os._exit(0)  # the warehouse is closed; skip a second of interpreter teardown


if __name__ == "__main__":
    main()
