"""Failure attribution: which source and which datasets a failure freezes, and why.

A failed ingest freezes its source; a failed model (an audit, a query, a skipped downstream)
freezes the source whose model family it belongs to (the model's folder in models/models/);
every dataset that depends on a frozen source keeps its last good files, marked stale with
the first reason. Pure functions over the build report: no state of their own.
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
    """Why each dataset cannot be refreshed this build (missing key = fresh)."""
    failed = failed_sources(names, report)
    reasons = {}
    for ds, spec in layout.dataset_specs().items():
        bad = [failed[s] for s in spec["sources"] if s in failed]
        if "transform" in report.failed_models:
            bad.append(report.failed_models["transform"].splitlines()[0])
        if spec["model"] in report.failed_models:
            first_line = report.failed_models[spec["model"]].splitlines()[0]
            bad.insert(0, f"{spec['model']}: {first_line}")
        if bad:
            reasons[ds] = bad[0]
    return reasons
