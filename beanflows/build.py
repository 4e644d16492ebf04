"""The nightly build: ingest every source, transform with SQLMesh, export, render.

One direction of flow, each step a function over the previous step's output:
    ingest (per source, isolated) -> transform (SQLMesh; restates what changed)
    -> export (datasets + catalog; failed sources keep their last good files, marked stale)
    -> render (the site reads the published files, never the warehouse)
A failure in one source never stops the others; the build exits non-zero when any source
failed so cron/CI notice, but everything good is still published.
"""

from __future__ import annotations

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
    failures,
    layout,
    render_step,
    transform_child,
    transform_state,
    transform_step,
    vega_bundle,
)
from beanflows.config import Settings, source_settings
from ingest import http
from ingest.route import ignored
from ingest.run import (
    SourceResult,
    ingest_source,
    landing_outdated,
    load_source,
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

    def commodity_problems(self) -> dict[str, list[str]]:
        """commodity slug -> '<source>: <error>' of the files only it needed that failed."""
        out: dict[str, list[str]] = {}
        for name, res in self.sources.items():
            for slug, errs in res.commodity_errors.items():
                out.setdefault(slug, []).extend(f"{name}: {e}" for e in errs)
        return out

    @property
    def ok(self) -> bool:
        """Everything refreshed: a commodity's own failed file also makes the run fail (cron
        and alerts notice) though the rest was published."""
        sources_ok = all(r.ok and not r.commodity_errors for r in self.sources.values())
        return sources_ok and not self.failed_models


def _traceback() -> None:
    """Tracebacks go to the log only with --debug; the summary names what failed."""
    if errors.debug():
        console.print(traceback.format_exc(), style="dim")


def _source_cfg(settings: Settings, name: str) -> dict[str, Any]:
    """A source's whole settings as ingest merges them: source.toml, then the build's."""
    return {**load_source(name)[1], **source_settings(settings, name)}


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
                    source_settings(settings, name),
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
        for slug, errs in res.commodity_errors.items():
            for err in errs:
                console.print(
                    f"[red]error[/red] {escape(err)} (only {slug} needs this file: its rows stay"
                    " as last landed, marked stale; the rest of the source is refreshed)"
                )
        for note in res.notes:
            console.print(f"[yellow]note[/yellow] {escape(note)}")


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
    # Changed models are planned while ingest runs (a plan reads no landed rows, only the
    # landing tables' schema files, which must exist first), unless ingest is about to rebuild
    # a landing folder (a new extractor version): the plan then waits for the rebuilt files.
    models_fp = transform_state.models_fingerprint(settings.commodities_file)
    changed = transform_step.models_changed(settings.var_dir, names, models_fp)
    plan_early = changed and not any(
        landing_outdated(settings.var_dir, load_source(n)[0], _source_cfg(settings, n))
        for n in names
    )
    if plan_early:
        transform_step.prepare_landings(settings.var_dir)
    transform_child.open_project(
        child,
        settings.var_dir,
        names if partial else None,
        commodities=settings.commodities_file,
        plan=plan_early,
        typed=changed,  # unchanged models run from SQLMesh's state: no need to type them
    )
    try:
        _ingest_all(settings, names, files, today, report)
        with console.status("[bold]transform[/bold] SQLMesh plan + run"):
            step = transform_step.run(
                settings.var_dir,
                names,
                today,
                child,
                now_utc(),
                restate,
                prestart=render_step.prestart,
                models_fp=models_fp,
                changed=changed,
                planned_early=plan_early,
            )
    finally:
        if child.poll() is None:  # an exception before the child got its order
            transform_child.cancel(child)
    if "transform" in step.failed:
        console.print(f"[red]error[/red] {escape(step.failed['transform'])}")
    report.transform_skipped = step.skipped
    report.failed_models = dict(step.failed)
    report.restated = step.restated
    report.seconds.update(step.seconds)
    report.gate = step.gate
    now = now_utc()
    t0 = time.perf_counter()
    configs = {n: _source_cfg(settings, n) for n in names}
    with console.status("[bold]export[/bold] datasets"):
        catalog, unwritten = catalog_mod.assemble(
            settings.var_dir,
            settings.out_dir,
            names,
            configs,
            failures.failed_sources(names, report),
            failures.stale_reasons(names, report),
            {n: report.sources[n].notes for n in names},
            report.gate,
            demo,
            now,
            today,
            reuse=report.transform_skipped,
            commodities=settings.commodities,
            commodity_problems=report.commodity_problems(),
        )
    for name, reason in unwritten.items():  # meant to be refreshed but could not be written
        report.failed_models[f"export {name}"] = reason
    report.datasets = catalog["datasets"]
    report.seconds["export"] = time.perf_counter() - t0
    vega_bundle.finish_prewarm(bundle)
    errors.checkpoint("render")
    with console.status("[bold]render[/bold] site"):
        report.render, problems, seconds = render_step.run(
            settings.out_dir, settings.var_dir, catalog, step.prestarted, settings.site_url
        )
    for problem in problems:
        report.failed_models.setdefault("render", problem)
    if seconds:
        report.seconds["render"] = seconds
    if step.state is not None:
        # Advance only after every step succeeded: a failed export or render is redone next
        # build instead of being taken for "no change" (the restatements stay done).
        if any(k == "render" or k.startswith("export ") for k in report.failed_models):
            step.state["fingerprint"] = None
        transform_state.save(settings.var_dir, step.state)
    report.seconds["total"] = time.perf_counter() - t_start
    return report
