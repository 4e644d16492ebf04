"""The build's transform step: decide what SQLMesh must do, have the child do it, report.

Inputs are the landed files and the state the last complete build left (beanflows.transform_state);
the output is a `TransformStep` the build folds into its report, plus the state to save once
export and render have also succeeded. Nothing here writes state: a crash anywhere after this
step leaves the previous state, so the next build redoes what is owed.

    unchanged inputs, no gate, no request  -> skip: the child is stopped, nothing runs
    otherwise                              -> restate what landed since (per model family),
                                              re-audit gated models, plan if models changed;
                                              run only the restated models and their
                                              downstream, unless models changed or the last
                                              run failed (then every model runs what is due)
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from beanflows import errors, gate, layout, transform_child, transform_state
from ingest.run import load_source, prepare_landing, source_names


@dataclass
class TransformStep:
    skipped: bool = False  # nothing it reads changed since the last complete build
    failed: dict[str, str] = field(default_factory=dict)  # model -> first reason
    restated: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    gate: gate.Gate = field(default_factory=dict)  # models held by failed audits
    state: dict[str, Any] | None = None  # to save after export and render succeed
    prestarted: Any = None  # render_step.prestart(): processes started while SQLMesh ran


def restatements(
    var_dir: Path,
    names: list[str],
    previous: dict[str, Any],
    forced: dict[str, tuple[date, date]] | None,
) -> dict[str, tuple[date, date]]:
    """model -> (first, last) day to restate: owed by a crashed transform, asked for by
    `beanflows rebuild`, and owed by files landed since the warehouse last took its family in."""
    restate: dict[str, tuple[date, date]] = {
        m: (date.fromisoformat(a), date.fromisoformat(b))
        for m, (a, b) in previous.get("pending_restate", {}).items()
    }

    def widen(model: str, lo: date, hi: date) -> None:
        if model in restate:
            lo, hi = min(lo, restate[model][0]), max(hi, restate[model][1])
        restate[model] = (lo, hi)

    for model, (lo, hi) in (forced or {}).items():
        widen(model, lo, hi)
    families = layout.model_families()
    for (source, table), (lo, hi) in transform_state.owed(var_dir, names, previous).items():
        # the raw models of the landing tables the files wrote (the transform restates what
        # they feed); the whole family when the index entry does not say which tables
        family = families.get(source, [])
        raws = [m for m in family if table is None or m.landing == f"{source}/{table}"]
        for model in raws:
            widen(model.name, lo, hi)
    return restate


def models_changed(var_dir: Path, names: list[str], models_fp: str) -> bool:
    """True when the models (`models_fp`: transform_state.models_fingerprint, which includes
    the commodities they read) changed since the last plan of this selection of sources:
    known before ingest, so the child can plan while it runs."""
    previous = transform_state.load(var_dir)
    partial = set(names) != set(source_names())
    if partial and previous.get("partial_plans", {}).get(",".join(sorted(names))) == models_fp:
        return False
    return previous.get("models") != models_fp


def prepare_landings(var_dir: Path) -> None:
    """Every model family needs its landing globs (schema files), built this run or not."""
    for name in source_names():
        prepare_landing(var_dir, load_source(name)[0])


def run(
    var_dir: Path,
    names: list[str],
    today: date,
    child: transform_child.Child,
    now: str,
    forced: dict[str, tuple[date, date]] | None = None,
    prestart: Any = None,
    *,
    models_fp: str,
    changed: bool,
    planned_early: bool = False,
) -> TransformStep:
    """Hand the SQLMesh child (started before ingest) its work, or stop it when nothing it
    reads changed since the last complete build. `prestart()` starts work to overlap with
    SQLMesh (the render's mkdocs and drawing processes). `models_fp` and `changed` are the build's
    (`models_changed`, worked out once before ingest); `planned_early`: the child was told to
    plan during ingest, so it is never stopped half-way through that plan."""
    fingerprint = transform_state.inputs_fingerprint(var_dir, source_names(), models_fp, names)
    previous = transform_state.load(var_dir)
    old_gate: gate.Gate = previous.get("gate", {})
    unchanged = previous.get("fingerprint") == fingerprint and not previous.get("failed")
    if unchanged and not old_gate and not forced and not planned_early:
        transform_child.cancel(child)
        return TransformStep(skipped=True, gate=old_gate)
    prepare_landings(var_dir)
    restate = restatements(var_dir, names, previous, forced)
    family_of = layout.family_of()
    partial = set(names) != set(source_names())
    recheck = [m for m in old_gate if not partial or family_of.get(m) in names]
    # A plan applies model changes: needed when the models changed since the last full plan,
    # unless this very selection of sources (--source) was planned since then.
    selection = ",".join(sorted(names))
    partial_plans = {
        k: fp for k, fp in previous.get("partial_plans", {}).items() if fp == models_fp
    }
    t0 = time.perf_counter()
    # After a model change or a failed run every model runs what it is due; otherwise only
    # the restated models and what they feed (the others' inputs did not change).
    run_all = changed or bool(previous.get("failed")) or bool(recheck)
    transform_child.order(
        child,
        restate,
        today,
        models_changed=changed,
        recheck=recheck,
        run_all=run_all,
    )
    errors.checkpoint("transform")
    step = TransformStep(prestarted=prestart() if prestart else None)
    result = transform_child.result(child)
    crashed = "transform" in result.failed
    step.seconds["transform"] = time.perf_counter() - t0  # after ingest: the wait
    for name, secs in result.seconds.items():  # SQLMesh's start-up overlapped the ingest
        step.seconds[f"sqlmesh:{name}"] = secs
    step.failed = dict(result.failed)
    for model in result.skipped:
        step.failed.setdefault(model, "skipped: an upstream model failed")
    step.restated = result.restated
    step.gate = (
        old_gate if crashed else gate.update(old_gate, result.failed_audits, result.rechecked, now)
    )
    for model, entry in step.gate.items():  # gated, even when SQLMesh had nothing to run
        step.failed.setdefault(model, gate.reason(model, entry))
    landed = dict(previous.get("landed", {}))
    if not crashed:  # the warehouse took these files in (a crash owes them to the next build)
        landed.update({n: transform_state.landed_keys(var_dir, n) for n in names})
    planned = previous.get("models")
    if not crashed:
        if partial:
            partial_plans[selection] = models_fp
        else:
            planned = models_fp
    step.state = {
        "fingerprint": fingerprint,
        "models": planned,
        "partial_plans": partial_plans if partial else {},
        "failed": step.failed,
        "gate": step.gate,
        "landed": landed,
        "pending_restate": (
            {m: [a.isoformat(), b.isoformat()] for m, (a, b) in restate.items()} if crashed else {}
        ),
    }
    return step
