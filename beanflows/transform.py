"""Run the SQLMesh project (models/) on DuckDB and report which models failed.

SQLMesh runs with the current directory set to the var folder, because the project's paths
(warehouse.duckdb, landing/...) are relative: absolute paths would enter model fingerprints and
make a moved checkout look like a breaking change. Failures are collected per model (an audit
that found bad rows, a query error) so the build can freeze only the affected sources.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

os.environ.setdefault("SQLMESH__DISABLE_ANONYMIZED_ANALYTICS", "1")

MODELS_DIR = Path(__file__).resolve().parent.parent / "models"


@dataclass
class TransformResult:
    failed: dict[str, str] = field(default_factory=dict)  # model name -> error text
    skipped: set[str] = field(default_factory=set)
    restated: list[str] = field(default_factory=list)
    audit_queries: list = field(default_factory=list)  # (model, sqlmesh AuditError)


@contextlib.contextmanager
def _cwd(path: Path) -> Iterator[None]:
    old = Path.cwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(old)


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


def context(var_dir: Path, result: TransformResult | None = None):  # noqa: ANN201
    """A SQLMesh context for the nightly build: unit-test YAML is not parsed (it costs ~2.5 s
    of ruamel parsing); the test suite loads the project with its tests instead."""
    from sqlmesh import Context
    from sqlmesh.core.console import set_console
    from sqlmesh.core.loader import SqlMeshLoader

    class BuildLoader(SqlMeshLoader):
        def load_model_tests(self):  # noqa: ANN202
            return []

    logging.getLogger("sqlmesh").setLevel(logging.ERROR)
    set_console(_console(result or TransformResult()))
    return Context(paths=str(MODELS_DIR), loader=BuildLoader)


def run(
    var_dir: Path,
    restate: dict[str, tuple[date, date]],
    today: date | None = None,
    models_changed: bool = True,
    sources: list[str] | None = None,
) -> TransformResult:
    """Plan (apply model changes), restate models whose raw data changed, run what is due.

    The no-op plan costs seconds, so it is skipped when the model files did not change since
    the last transform (`models_changed=False`). `sources` limits plan and run to the models
    fed only by those sources (a `--source` build, cross-source models included when all their
    inputs are built), so one source's build does not pay for every other family.

    `restate` maps model names to (first, last) day of newly landed data: SQLMesh marks
    incremental intervals done even when they were empty, so late or corrected files must
    re-open exactly their own intervals (and only those).
    """
    from sqlmesh.utils.errors import PlanError

    result = TransformResult()
    var_dir.mkdir(parents=True, exist_ok=True)
    end = today or date.today()
    with _cwd(var_dir):
        ctx = context(var_dir, result)
        select = None if sources is None else _models_fed_by(ctx, sources)
        try:
            # Backfill happens in run(), not in plan(): run() isolates failures per model (an
            # audit failing in one source skips only its downstream), plan() would abort all.
            # Model unit tests run in the test suite (tests/test_sqlmesh_project.py), not nightly.
            if models_changed:
                ctx.plan(
                    "prod",
                    auto_apply=True,
                    no_prompts=True,
                    skip_backfill=True,
                    skip_tests=True,
                    select_models=select,
                )
            known = {_short(n) for n in ctx.models}
            by_range: dict[tuple[date, date], list[str]] = {}
            for model, bounds in sorted(restate.items()):
                if model in known:
                    by_range.setdefault(bounds, []).append(model)
            for (first, last), models in sorted(by_range.items()):
                # Restatement backfills inside plan(); a failure there is recorded by the
                # console like any other and must not stop the other sources' restatements.
                with contextlib.suppress(PlanError):
                    ctx.plan(
                        "prod",
                        auto_apply=True,
                        no_prompts=True,
                        restate_models=models,
                        skip_tests=True,
                        start=first,
                        end=last + timedelta(days=1),
                    )
                result.restated.extend(models)
            ctx.run("prod", end=end, select_models=select)
            _add_failing_rows(ctx, result)
            write_model_metadata(ctx, var_dir / "state" / "models.json")
        finally:
            ctx.close()
    return result


def _models_fed_by(ctx, sources: list[str]) -> list[str]:  # noqa: ANN001 - sqlmesh Context
    """Models whose raw inputs all belong to `sources` (raw models are raw.<source>_<what>).

    Models with no raw input at all (reference tables, seeds) are always included: they cost
    nothing and the selected models may depend on them.
    """

    def source_of(raw: str) -> str | None:
        table = raw.split(".", 1)[1]
        return next((s for s in sources if table.startswith(s + "_")), None)

    chosen = []
    for fqn in ctx.models:
        ups = [u for u in ctx.dag.upstream(fqn) | {fqn} if _short(u).startswith("raw.")]
        if all(source_of(_short(u)) for u in ups):
            chosen.append(_short(fqn))
    return sorted(chosen)


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


def write_model_metadata(ctx, path: Path) -> None:  # noqa: ANN001 - sqlmesh Context
    """Dump what the catalog and methodology need from the models: descriptions, column
    meanings and units, kind, grain, audits, upstream models and file. Export and render read
    this file instead of importing SQLMesh (which alone costs seconds)."""
    repo = MODELS_DIR.parent
    out = {}
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
