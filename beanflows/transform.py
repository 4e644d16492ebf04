"""Run the SQLMesh project (models/) on DuckDB and report which models failed.

SQLMesh runs with the current directory set to the var folder, because the project's paths
(warehouse.duckdb, landing/...) are relative: absolute paths would enter model fingerprints and
make a moved checkout look like a breaking change. Failures are collected per model (an audit
that found bad rows, a query error) so the build can freeze only the affected sources.
"""

from __future__ import annotations

import json
import logging
import os
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from beanflows import layout

# A restated range that ends this close before the run's day is stretched to it: the days
# between are recomputed (the same rows), and SQLMesh runs the restatement and the new day's
# interval as one batch instead of two evaluations of every model on the way (about 0.2 s
# each at 40 commodities). A week's new COT report lands 3 days before the nightly sees it.
JOIN_NEW_DAYS_WITHIN = timedelta(days=7)

os.environ.setdefault("SQLMESH__DISABLE_ANONYMIZED_ANALYTICS", "1")


@dataclass
class TransformResult:
    failed: dict[str, str] = field(default_factory=dict)  # model name -> error text
    skipped: set[str] = field(default_factory=set)
    restated: list[str] = field(default_factory=list)
    audit_queries: list = field(default_factory=list)  # (model, sqlmesh AuditError)
    seconds: dict[str, float] = field(default_factory=dict)  # SQLMesh's own steps
    failed_audits: dict[str, dict[str, int]] = field(default_factory=dict)  # model -> audit -> rows
    rechecked: list[str] = field(default_factory=list)  # gated models whose audits now pass


def _console(result: TransformResult):  # noqa: ANN202 - SQLMesh console subclass
    from sqlmesh.core.console import NoopConsole, _format_node_errors

    class Collecting(NoopConsole):
        """Keeps failed and skipped model names instead of printing them."""

        def log_failed_models(self, errors):  # noqa: ANN001, ANN202
            for name, msg in _format_node_errors(errors).items():
                result.failed[_short(name)] = msg.strip()
            for err in errors:
                cause = err.__cause__
                for audit in getattr(cause, "errors", []) or []:
                    if hasattr(audit, "query"):
                        result.audit_queries.append((audit.model_name or "", audit))

        def log_skipped_models(self, snapshot_names):  # noqa: ANN001, ANN202
            result.skipped |= {_short(n) for n in snapshot_names}

    return Collecting()


def _short(name: str) -> str:
    """'"warehouse"."serving"."psd_coffee"' -> 'serving.psd_coffee'."""
    parts = [p.strip('"') for p in name.split(".")]
    return ".".join(parts[-2:])


def context(  # noqa: ANN201
    models_dir: Path,
    result: TransformResult | None = None,
    only: set[str] | None = None,
    typed: bool = True,
):
    """A SQLMesh context for the nightly build: unit-test YAML is not parsed (it costs ~2.5 s
    of ruamel parsing); the test suite loads the project with its tests instead.

    `only` (model names) loads just those models' files: a `--source` build parses and types
    the models it runs, not the whole project (models outside the selection keep their
    production version, which SQLMesh reads from its state when planning a selection).

    `typed` False skips SQLMesh's typing of every model's columns and its fingerprints of
    them (`Context.load(update_schemas=False)`, 40 % of loading the project): a run whose
    models did not change since their plan reads its models from SQLMesh's state, and only
    their names from the project. A plan, a whole run and audit rechecks need them typed:
    `execute` loads them again for those.
    """
    from sqlmesh import Context
    from sqlmesh.core.console import set_console
    from sqlmesh.core.loader import SqlMeshLoader

    scan = layout.models(models_dir) if only is not None else {}
    files = None if only is None else {scan[name].path for name in only}
    models_root = models_dir / "models"

    class BuildLoader(SqlMeshLoader):
        def load_model_tests(self):  # noqa: ANN202
            return []

        def _glob_paths(self, path, ignore_patterns=None, extension=None):  # noqa: ANN001, ANN202
            for found in super()._glob_paths(path, ignore_patterns, extension):
                model_file = found.suffix == ".sql" and models_root in found.parents
                if files is None or not model_file or found.resolve() in files:
                    yield found

    logging.getLogger("sqlmesh").setLevel(logging.ERROR)
    set_console(_console(result or TransformResult()))
    ctx = Context(paths=str(models_dir), loader=BuildLoader, load=False)
    return ctx.load(update_schemas=typed)


def models_fed_by(sources: list[str], models_dir: Path = layout.MODELS_DIR) -> list[str]:
    """Models whose raw inputs all belong to `sources` (raw models are raw.<source>_<what>),
    with everything upstream of them, reference tables without raw input included only
    when a chosen model reads them (each model costs a few hundred ms to plan and run)."""

    def fed(raw: str) -> bool:
        return any(raw.split(".", 1)[1].startswith(s + "_") for s in sources)

    chosen = set()
    for name in layout.models(models_dir):
        reads = layout.upstream(name, models_dir)
        raws = {m for m in reads | {name} if m.startswith("raw.")}
        if raws and all(fed(r) for r in raws):
            chosen |= {name} | reads
    return sorted(chosen)


def open_project(models_dir: Path, sources: list[str] | None, typed: bool = True):  # noqa: ANN201
    """(context, result collector, selected model names or None) for one transform.

    `sources` limits plan and run to the models fed only by those sources (a `--source`
    build, cross-source models included when all their inputs are built), so one source's
    build does not load, plan or run every other family. Call with the var folder as cwd.
    `typed`: see `context`.
    """
    result = TransformResult()
    select = None if sources is None else models_fed_by(sources, models_dir)
    ctx = context(models_dir, result, None if select is None else set(select), typed)
    if select is not None and not _closed(ctx, models_dir):
        # the file scan missed a dependency: load everything
        ctx = context(models_dir, result, typed=typed)
    return ctx, result, select


def _closed(ctx, models_dir: Path) -> bool:  # noqa: ANN001 - sqlmesh Context
    """True when every project model a loaded model depends on was loaded too."""
    project, loaded = set(layout.models(models_dir)), {_short(n) for n in ctx.models}
    deps = {_short(d) for m in ctx.models.values() for d in m.depends_on}
    return not (deps & project) - loaded


def plan(ctx, select: list[str] | None) -> None:  # noqa: ANN001 - sqlmesh Context
    """Apply model changes to prod: create the new models' tables and views, nothing filled.

    It reads no landed rows (only the landing files' schemas, through the raw views), so the
    build runs it while ingest is still landing files (`transform_child`, `plan_early`).
    """
    ctx.plan(
        "prod",
        auto_apply=True,
        no_prompts=True,
        skip_backfill=True,
        skip_tests=True,
        select_models=select,
    )


def execute(
    ctx,  # noqa: ANN001 - sqlmesh Context
    result: TransformResult,
    select: list[str] | None,
    var_dir: Path,
    restate: dict[str, tuple[date, date]],
    today: date | None = None,
    models_changed: bool = True,
    recheck: list[str] | tuple[str, ...] = (),
    run_all: bool = True,
    typed: bool = True,
) -> TransformResult:
    """Plan (apply model changes), restate models whose raw data changed, run what is due.

    `run_all`: every model runs the intervals it is due (after a model change or a failed
    run); False runs only what the restatement re-opened: a model whose inputs did not change
    would only compute the same rows again (every FULL model is due on each new day).

    `recheck` names models whose blocking audits failed in an earlier build: SQLMesh may have
    marked their intervals done, so a run alone would never look at them again. Their audits
    run again over the whole table; only a pass lifts the gate (beanflows.gate).

    The no-op plan costs seconds, so it is skipped when the model files did not change since
    the last transform (`models_changed=False`).

    `restate` maps model names to (first, last) day of newly landed data: SQLMesh marks
    incremental intervals done even when they were empty, so late or corrected files must
    re-open exactly their own intervals (and only those).
    """

    end = today or date.today()
    if not typed and (models_changed or run_all or recheck):
        ctx.load()  # a plan, a whole run and audit rechecks read the project's typed models
        typed = True
    # Backfill happens in run(), not in plan(): run() isolates failures per model (an audit
    # failing in one source skips only its downstream), plan() would abort all. Model unit
    # tests run in the test suite (tests/test_sqlmesh_project.py), not nightly.
    t0 = time.perf_counter()
    if models_changed:
        plan(ctx, select)
        result.seconds["plan"] = time.perf_counter() - t0
    known = {_short(n) for n in ctx.models}
    cleared, snapshots = clear_intervals(
        ctx, {m: joined(r, end) for m, r in restate.items() if m in known}
    )
    result.restated.extend(sorted(m for m in restate if m in known))
    t1 = time.perf_counter()
    if cleared:
        result.seconds["restate"] = t1 - t0 - result.seconds.get("plan", 0)
    if run_all:
        ctx.run("prod", end=end, select_models=select)
    elif cleared:
        run_cleared(ctx, cleared, snapshots, end)
    result.seconds["run"] = time.perf_counter() - t1
    _add_failing_rows(ctx, result)
    _recheck(ctx, [m for m in recheck if m in known], result, end)
    metadata = layout.state_file(var_dir, "models.json")
    if typed or not metadata.exists():  # else: the models are those the last plan wrote down
        write_model_metadata(ctx, metadata)
    return result


def joined(days: tuple[date, date], end: date) -> tuple[date, date]:
    """The restated days, up to the run's day when they end within JOIN_NEW_DAYS_WITHIN of it."""
    first, last = days
    return (first, end) if timedelta(0) < end - last <= JOIN_NEW_DAYS_WITHIN else days


def clear_intervals(
    ctx,  # noqa: ANN001 - sqlmesh Context
    restate: dict[str, tuple[date, date]],
) -> tuple[list[str], dict[str, Any]]:
    """Re-open the restated days of these models and of everything downstream of them in
    SQLMesh's state, so that the run that follows recomputes them. This is what a restatement
    plan does (`sqlmesh.core.plan.builder.PlanBuilder._build_restatements` and the plan's
    restatement stage) without its seconds of planning, and with the run's per-model failure
    isolation (a plan aborts every model on the first failure; here a model that fails keeps
    its days open for the next build). Views pass the restatement on and are not cleared
    (they read their inputs when queried).

    Returns the models cleared, and model name -> snapshot of them and of the models they
    read (only these are read from the state; `run_cleared` runs them).
    """
    from sqlmesh.utils.date import to_timestamp

    project = layout.models(Path(ctx.path))
    reach = layout.downstream(list(restate), Path(ctx.path))
    env = ctx.state_sync.get_environment("prod") if reach else None
    if env is None:
        return [], {}
    read = reach | {p for n in reach for p in project[n].depends_on}
    ids = [s.snapshot_id for s in env.snapshots if _short(s.name) in read]
    snapshots = {_short(s.name): s for s in ctx.state_sync.get_snapshots(ids).values()}
    asked: dict[str, tuple[date, date]] = {}  # model -> days to restate (its own or a parent's)
    removed: dict[str, tuple[int, int]] = {}  # model -> interval to remove from state
    for name in sorted(reach, key=lambda n: len(layout.upstream(n, Path(ctx.path)))):
        snapshot = snapshots.get(name)
        parents = [p for p in project[name].depends_on if p in asked]
        own = restate.get(name)
        if snapshot is None or (own is None and not parents):
            continue
        if snapshot.is_seed or snapshot.disable_restatement:
            continue
        spans = [asked[p] for p in parents] + ([own] if own else [])
        first, last = min(s[0] for s in spans), max(s[1] for s in spans)
        asked[name] = (first, last)
        if snapshot.is_view:
            continue
        candidates = {removed[p] for p in parents if p in removed and snapshots[p].is_incremental}
        candidates.add(
            snapshot.get_removal_interval(first, last + timedelta(days=1), None, strict=False)
        )
        start, stop = min(c[0] for c in candidates), max(c[1] for c in candidates)
        # A restated range inside one interval of a coarser model re-opens that whole interval.
        unit = snapshot.node.interval_unit
        if to_timestamp(unit.cron_floor(stop)) < stop:
            start = to_timestamp(unit.cron_floor(start))
            stop = to_timestamp(unit.cron_next(unit.cron_floor(stop)))
        removed[name] = (start, stop)
    ctx.state_sync.remove_intervals(
        snapshot_intervals=[(snapshots[n], span) for n, span in removed.items()],
        remove_shared_versions=True,
    )
    needed = set(removed) | {p for n in removed for p in project[n].depends_on}
    return sorted(removed), {n: s for n, s in snapshots.items() if n in needed}


def run_cleared(ctx, cleared: list[str], snapshots: dict[str, Any], end: date) -> None:  # noqa: ANN001
    """Run the cleared models' open intervals and nothing else. `Context.run` would first read
    every model's snapshot from the state (about a second at 65 models, most of a new COT
    week's run); this scheduler holds only the cleared models and the models they read."""
    scheduler = ctx.create_scheduler(snapshots.values(), ctx.snapshot_evaluator)
    scheduler.run(
        "prod",
        end=end,
        selected_snapshots={s.name for n, s in snapshots.items() if n in cleared},
        auto_restatement_enabled=True,
        run_environment_statements=True,
    )


def _add_failing_rows(ctx, result: TransformResult, limit: int = 5) -> None:  # noqa: ANN001
    """Append the first rows each failed audit found, so the log says which rows failed."""
    for model, audit in result.audit_queries:
        try:
            df = ctx.engine_adapter.fetchdf(audit.query.limit(limit))
            rows = df.to_string(index=False, max_colwidth=40)
        except Exception as exc:  # noqa: BLE001 - diagnostics only
            rows = f"(could not fetch failing rows: {exc})"
        name = _short(model)
        text = f"audit {audit.audit_name}: {audit.count} failing rows, first {limit}:\n{rows}"
        result.failed[name] = (result.failed.get(name, "") + "\n" + text).strip()
        result.failed_audits.setdefault(name, {})[audit.audit_name] = int(audit.count)


def _recheck(ctx, models: list[str], result: TransformResult, end: date) -> None:  # noqa: ANN001
    """Run the blocking audits of earlier-failed models over their whole table, as it is now.

    A model that failed again (or was skipped) this run keeps its failure; the others pass
    only when every blocking audit finds no rows.
    """
    for name in models:
        if name in result.failed or name in result.skipped:
            continue
        snapshot = ctx.get_snapshot(name, raise_if_missing=True)
        failing: dict[str, int] = {}
        for audit in ctx.snapshot_evaluator.audit(
            snapshot=snapshot,
            start=date(1900, 1, 1),
            end=end + timedelta(days=1),
            snapshots=ctx.snapshots,
        ):
            if not audit.skipped and audit.count and audit.blocking:
                failing[audit.audit.name] = int(audit.count)
        if failing:
            result.failed_audits[name] = failing
            result.failed[name] = "; ".join(
                f"audit {a}: {n} failing rows (still failing on the current input)"
                for a, n in sorted(failing.items())
            )
        else:
            result.rechecked.append(name)


def write_model_metadata(ctx, path: Path) -> None:  # noqa: ANN001 - sqlmesh Context
    """Dump what the catalog and methodology need from the models: descriptions, column
    meanings and units, kind, grain, audits, upstream models and file. Export and render read
    this file instead of importing SQLMesh (which alone costs seconds)."""
    repo = Path(ctx.path).parent  # file paths are given relative to the repository
    # A --source build loads only its models: keep the others' entries from earlier builds.
    old = json.loads(path.read_text()) if path.exists() else {}
    current = layout.models(Path(ctx.path))
    out = {name: meta for name, meta in old.items() if name in current}
    for model in ctx.models.values():
        name = _short(model.name)
        path_rel = model._path.resolve().relative_to(repo).as_posix() if model._path else None
        out[name] = {
            "description": model.description or "",
            "kind": model.kind.name.value
            if hasattr(model.kind.name, "value")
            else str(model.kind.name),
            "grain": [g.sql() for g in model.grains],
            "columns": dict(model.column_descriptions),
            "depends_on": sorted(_short(d) for d in model.depends_on),
            "audits": sorted({a[0] for a in model.audits}),
            "file": path_rel,
        }
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(out, indent=1, sort_keys=True) + "\n"
    if not path.exists() or path.read_text() != text:
        path.write_text(text)
