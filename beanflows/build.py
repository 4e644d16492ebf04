"""The nightly build: ingest every source, transform with SQLMesh, export, render.

One direction of flow, each step a function over the previous step's output:
    ingest (per source, isolated) -> transform (SQLMesh; restates what changed)
    -> export (datasets + catalog; failed sources keep their last good files, marked stale)
    -> render (the site reads the published files, never the warehouse)
A failure in one source never stops the others; the build exits non-zero when any source
failed so cron/CI notice, but everything good is still published.
"""

from __future__ import annotations

import hashlib
import os
import time
import traceback
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape

from beanflows import catalog as catalog_mod
from beanflows import (
    errors,
    export,
    failures,
    gate,
    layout,
    transform_child,
    transform_state,
    vega_bundle,
)
from beanflows.config import Settings
from ingest import archive, http
from ingest.route import demo_files, ignored, import_files  # noqa: F401 - kept importable here
from ingest.run import (
    SourceResult,
    ingest_source,
    load_source,
    prepare_landing,
    source_names,
)

console = Console(stderr=True, soft_wrap=True)  # log lines stay whole (grep-able)


@dataclass
class BuildReport:
    sources: dict[str, SourceResult] = field(default_factory=dict)
    failed_models: dict[str, str] = field(default_factory=dict)
    transform_skipped: bool = False
    restated: list[str] = field(default_factory=list)
    datasets: dict[str, Any] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    render: dict[str, Any] | None = None
    gate: dict[str, Any] = field(default_factory=dict)  # models held by failed audits
    ignored: list[str] = field(default_factory=list)  # imported files no source recognises

    def sources_with_failed_models(self) -> set[str]:
        """Sources one of whose models failed or was skipped (its audits blocked publishing)."""
        model_source = layout.family_of()
        return {model_source[m] for m in self.failed_models if m in model_source}

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.sources.values()) and not self.failed_models


def _traceback() -> None:
    """Tracebacks go to the log only with --debug; the summary names what failed."""
    if errors.debug():
        console.print(traceback.format_exc(), style="dim")


def now_utc() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _ingest_all(
    settings: Settings, names: list[str], files: list[Path] | None, today: date, report: BuildReport
) -> None:
    guard = http.Guard(settings.http)  # one per build: host breakers, fetch-phase deadline
    report.ignored = ignored(files) if files is not None else []
    for name in names:
        t0 = time.perf_counter()
        with console.status(f"[bold]ingest[/bold] {name}"):
            try:
                res = ingest_source(
                    name,
                    settings.var_dir,
                    settings.sources.get(name, {}),
                    settings.http,
                    files,
                    today,
                    guard,
                )
            except Exception as exc:  # noqa: BLE001 - isolation: one source's bug never stops the rest
                res = SourceResult(name, errors=[f"[{name}] unexpected error: {exc!r}"])
                _traceback()
        report.sources[name] = res
        errors.checkpoint("ingest")
        report.seconds[f"ingest:{name}"] = time.perf_counter() - t0
        for err in res.errors:
            console.print(f"[red]error[/red] {escape(err)}")
        for note in res.notes:
            console.print(f"[yellow]note[/yellow] {escape(note)}")


def _transform(
    settings: Settings,
    names: list[str],
    today: date,
    report: BuildReport,
    child: Any,
    now: str,
    forced: dict[str, tuple[date, date]] | None = None,
) -> tuple[Any, dict[str, Any] | None]:
    """Hand the SQLMesh child (started before ingest) its restatements, or stop it when
    nothing it reads changed since the last complete build.

    Returns (a methodology process started while SQLMesh runs, or None; the transform state
    to save once the whole build succeeded, or None when the transform was skipped). The
    state is not written here: export and render must succeed before a rerun may say
    "no change" (beanflows.transform_state).
    """
    var_dir = settings.var_dir
    models_fp = transform_state.models_fingerprint()
    fingerprint = transform_state.inputs_fingerprint(var_dir, source_names(), models_fp, names)
    previous = transform_state.load(var_dir)
    old_gate: gate.Gate = previous.get("gate", {})
    unchanged = previous.get("fingerprint") == fingerprint and not previous.get("failed")
    if unchanged and not old_gate and not forced:
        report.transform_skipped = True
        transform_child.cancel(child)
        return None, None
    for name in source_names():  # every model family needs its landing globs, built or not
        prepare_landing(var_dir, load_source(name)[0])
    restate: dict[str, tuple[date, date]] = {  # owed by a transform that crashed
        m: (date.fromisoformat(a), date.fromisoformat(b))
        for m, (a, b) in previous.get("pending_restate", {}).items()
    }
    for model, (a, b) in (forced or {}).items():  # `beanflows rebuild`: restated on request
        lo, hi = restate.get(model, (a, b))
        restate[model] = (min(lo, a), max(hi, b))
    families = layout.model_families()
    for name, (lo, hi) in transform_state.owed(var_dir, names, previous).items():
        for m in families.get(name, []):
            if m.incremental:
                model = m.name
                if model in restate:
                    lo, hi = min(lo, restate[model][0]), max(hi, restate[model][1])
                restate[model] = (lo, hi)
    family_of = layout.family_of()
    partial = set(names) != set(source_names())
    recheck = [m for m in old_gate if not partial or family_of.get(m) in names]
    t0 = time.perf_counter()
    with console.status("[bold]transform[/bold] SQLMesh plan + run"):
        # A plan applies model changes: needed when the models changed since the last full
        # plan, unless this very selection of sources (--source) was planned since then.
        selection = ",".join(sorted(names))
        partial_plans = {
            k: fp for k, fp in previous.get("partial_plans", {}).items() if fp == models_fp
        }
        changed = previous.get("models") != models_fp and selection not in partial_plans
        transform_child.order(child, restate, today, models_changed=changed, recheck=recheck)
        errors.checkpoint("transform")
        mkdocs = _prestart_methodology()
        result = transform_child.result(child)
    crashed = "transform" in result.failed
    if crashed:
        console.print(f"[red]error[/red] {escape(result.failed['transform'])}")
    report.seconds["transform"] = time.perf_counter() - t0  # after ingest: the wait
    for step, secs in result.seconds.items():  # SQLMesh's start-up overlapped the ingest
        report.seconds[f"sqlmesh:{step}"] = secs
    report.failed_models = dict(result.failed)
    for model in result.skipped:
        report.failed_models.setdefault(model, "skipped: an upstream model failed")
    report.restated = result.restated
    new_gate = (
        old_gate if crashed else gate.update(old_gate, result.failed_audits, result.rechecked, now)
    )
    for model, entry in new_gate.items():  # gated, even when SQLMesh had nothing to run
        report.failed_models.setdefault(model, gate.reason(model, entry))
    report.gate = new_gate
    landed = dict(previous.get("landed", {}))
    if not crashed:  # the warehouse took these files in (a crash owes them to the next build)
        landed.update({n: transform_state.landed_keys(var_dir, n) for n in names})
    if not partial and not crashed:
        planned = models_fp
    else:
        planned = previous.get("models")
        if not crashed:
            partial_plans[selection] = models_fp
    state = {
        "fingerprint": fingerprint,
        "models": planned,
        "partial_plans": {} if not partial else partial_plans,
        "failed": report.failed_models,
        "gate": new_gate,
        "landed": landed,
        "pending_restate": {m: [a.isoformat(), b.isoformat()] for m, (a, b) in restate.items()}
        if crashed
        else {},
    }
    return mkdocs, state


def build(
    settings: Settings,
    files: list[Path] | None,
    demo: bool = False,
    today: date | None = None,
    child: transform_child.Child | None = None,
    restate: dict[str, tuple[date, date]] | None = None,
) -> BuildReport:
    """Run the whole build; files=None fetches from upstream, else imports those files.

    `child` is a transform process the caller started early (`transform_child.start()`), so
    SQLMesh's imports overlap the caller's own start-up too. `restate` (model -> first and
    last day; `beanflows rebuild`) forces those restatements even when no input changed.
    """
    today = today or date.today()
    report = BuildReport()
    t_start = time.perf_counter()
    names = [n for n in source_names() if not settings.only or n in settings.only]
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    # The ~900 KB Vega bundle depends only on the installed vl-convert: cache it once.
    os.environ.setdefault(
        "BEANFLOWS_CACHE_DIR", str(vega_bundle.default_cache_dir(settings.var_dir))
    )
    bundle = vega_bundle.prewarm()
    # SQLMesh imports and loads the project in a child process while ingest runs.
    partial = set(names) != set(source_names())
    child = child or transform_child.start()
    transform_child.open_project(child, settings.var_dir, names if partial else None)
    try:
        _ingest_all(settings, names, files, today, report)
        mkdocs, state = _transform(settings, names, today, report, child, now_utc(), restate)
    finally:
        if child.poll() is None:  # an exception before the child got its order
            transform_child.cancel(child)
    now = now_utc()
    t0 = time.perf_counter()
    stale = failures.stale_reasons(names, report)
    specs = layout.dataset_specs()
    untouched = {d for d, spec in specs.items() if not set(spec["sources"]) <= set(names)}
    fresh = set(specs) - set(stale) - untouched
    manifest = archive.load_manifest(layout.raw_dir(settings.var_dir))
    raw_files = {n: [r for r in manifest if r["source"] == n] for n in names}
    with console.status("[bold]export[/bold] datasets"):
        datasets = export.export_datasets(
            settings.var_dir,
            settings.out_dir,
            fresh,
            stale,
            raw_files,
            demo,
            now,
            untouched=untouched,
            reuse=report.transform_skipped,
        )
    for name in fresh:  # meant to be refreshed but could not be written
        if datasets.get(name, {}).get("status") == "stale":
            report.failed_models[f"export {name}"] = datasets[name]["stale_reason"]
    previous = export._previous(settings.out_dir)
    configs = {n: {**load_source(n)[1], **settings.sources.get(n, {})} for n in names}
    sources = catalog_mod.source_entries(
        names,
        configs,
        manifest,
        failures.failed_sources(names, report),
        {n: report.sources[n].notes for n in names},
        previous.get("sources", {}),
        now,
        today,
    )
    if state is not None:
        report.gate = state["gate"]
    else:  # transform skipped: the gate is as the last build left it (empty)
        report.gate = transform_state.load(settings.var_dir).get("gate", {})
    catalog_mod.apply_freshness(datasets, sources, report.gate)
    catalog = {
        "catalog_version": 1,
        "built_at": now,
        "demo": demo,
        "datasets": datasets,
        "sources": sources,
    }
    export.write_catalog(settings.out_dir, catalog)
    report.datasets = datasets
    report.seconds["export"] = time.perf_counter() - t0
    vega_bundle.finish_prewarm(bundle)
    errors.checkpoint("render")
    report.render = _render(settings.out_dir, settings.var_dir, catalog, report, mkdocs)
    if state is not None:
        # Advance only after every step succeeded: a failed export or render is redone next
        # build instead of being taken for "no change" (the restatements stay done).
        if any(k == "render" or k.startswith("export ") for k in report.failed_models):
            state["fingerprint"] = None
        transform_state.save(settings.var_dir, state)
    report.seconds["total"] = time.perf_counter() - t_start
    return report


def _render_fingerprint(out_dir: Path) -> str:
    """Hash of what the site is made from: the catalog and the render code and templates."""
    repo = layout.REPO
    h = hashlib.sha256((out_dir / "data" / "catalog.json").read_bytes())
    for folder in ("templates", "site", "beanflows/render"):
        for path in sorted((repo / folder).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                h.update(path.relative_to(repo).as_posix().encode() + path.read_bytes())
    return h.hexdigest()


def _prestart_methodology() -> Any:
    """A mkdocs process loading its libraries while SQLMesh runs (None if unavailable)."""
    try:
        from beanflows.render import methodology

        return methodology.prestart()
    except Exception:  # noqa: BLE001 - an optimisation only: render starts its own
        return None


def _render(
    out_dir: Path, var_dir: Path, catalog: dict[str, Any], report: BuildReport, mkdocs: Any = None
) -> dict[str, Any] | None:
    """Render the site from the published files; skipped when nothing it reads changed.

    `mkdocs` (a prestarted methodology process) is handed to the render, or stopped here.
    """
    try:
        from beanflows import render
    except Exception as exc:  # noqa: BLE001 - a broken renderer must not hide the summary
        _traceback()
        report.failed_models.setdefault("render", f"render import failed: {exc!r}")
        render = None
    # Internal state lives in var/, never in the published folder (publish refuses dot files).
    (out_dir / "data" / ".render-state").unlink(missing_ok=True)  # where older builds kept it
    state = layout.state_file(var_dir, "render-state")
    fingerprint = f"{out_dir}\n{_render_fingerprint(out_dir)}"  # one var/ may render two outs
    unchanged = state.exists() and state.read_text() == fingerprint
    if render is None or (unchanged and (out_dir / "index.html").exists()):
        if mkdocs is not None:
            mkdocs.kill()
            mkdocs.communicate()
        return None if render is None else {"skipped": True}
    t0 = time.perf_counter()
    with console.status("[bold]render[/bold] site"):
        try:
            summary = render.render_site(out_dir, catalog, mkdocs)
        except Exception as exc:  # noqa: BLE001 - a render bug must not hide the build summary
            _traceback()
            summary = {"errors": [repr(exc)]}
    for err in (summary or {}).get("errors") or []:
        report.failed_models.setdefault("render", str(err))
    if not (summary or {}).get("errors"):
        state.parent.mkdir(parents=True, exist_ok=True)
        state.write_text(fingerprint)
    report.seconds["render"] = time.perf_counter() - t0
    return summary
