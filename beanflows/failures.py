"""Failure attribution: which source and which datasets a failure freezes, and why.

A failed ingest freezes its source and every dataset that depends on it: nothing new of that
source arrived whole. A failed model (an audit, a query, a skipped downstream) marks its
source failed (status page, alerts) and freezes exactly the datasets whose rows flow through
it, i.e. whose serving model is that model or reads it, directly or not (layout.upstream):
one source now feeds many commodities, and wheat arriving in a new unit must stop wheat's
balance, not coffee's. A frozen dataset keeps its last good files, marked stale with the first
reason. Pure functions over the build report: no state of their own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from beanflows import layout

if TYPE_CHECKING:
    from beanflows.build import BuildReport


def failed_sources(names: list[str], report: BuildReport) -> dict[str, str]:
    """source -> first reason it failed this build (ingest error or a failed model)."""
    model_source = layout.family_of()
    failed: dict[str, str] = {}  # ingest errors first, then models
    for name in names:
        if not report.sources[name].ok:
            failed[name] = report.sources[name].errors[0]
    for model, err in report.failed_models.items():
        src = model_source.get(model)
        if src in names:
            failed.setdefault(src, f"{model}: {err.splitlines()[0] if err else 'failed'}")
    return failed


def stale_reasons(names: list[str], report: BuildReport) -> dict[str, str]:
    """Why each dataset cannot be refreshed this build (missing key = fresh): its own model
    failed, a source it depends on failed to ingest, a model it reads failed, or the
    transform as a whole did (in that order of reasons)."""
    ingest = {n: report.sources[n].errors[0] for n in names if not report.sources[n].ok}
    reasons = {}
    for ds, spec in layout.dataset_specs().items():
        bad = [ingest[s] for s in spec["sources"] if s in ingest]
        reads = layout.upstream(spec["model"])
        bad += [_line(m, err) for m, err in report.failed_models.items() if m in reads]
        if "transform" in report.failed_models:
            bad.append(report.failed_models["transform"].splitlines()[0])
        if spec["model"] in report.failed_models:
            bad.insert(0, _line(spec["model"], report.failed_models[spec["model"]]))
        if bad:
            reasons[ds] = bad[0]
    return reasons


def _line(model: str, err: str) -> str:
    return f"{model}: {err.splitlines()[0] if err else 'failed'}"
