"""The audit gate: a model whose blocking audit failed stays failed until its audits pass.

SQLMesh may mark an interval done even though the audit after it failed (a restatement that
failed its audit is not re-run by the next `run`), so the next build would publish the very
rows the audit refused. The gate remembers every failed (model, audit, rows, since) in the
`gate` of VAR/state/transform.json; each later build audits those models again over their
whole table (`transform.execute(recheck=...)`); only a pass on the then-current input lifts
them.
"""

from __future__ import annotations

from typing import Any

Gate = dict[str, dict[str, Any]]  # model -> {"audits": {audit: rows}, "since": iso time}


def update(
    gate: Gate, failed_audits: dict[str, dict[str, int]], passed: list[str], now: str
) -> Gate:
    """The gate after a transform: new failures added (keeping their first `since`), models
    whose audits passed again removed, everything not looked at kept as it was."""
    out = {m: dict(v) for m, v in gate.items() if m not in passed}
    for model, audits in failed_audits.items():
        out[model] = {
            "audits": dict(sorted(audits.items())),
            "since": gate.get(model, {}).get("since") or now,
        }
    return dict(sorted(out.items()))


def reason(model: str, entry: dict[str, Any]) -> str:
    """One line for the catalog, the status page and the CLI."""
    audits = ", ".join(f"{a} ({n} rows)" for a, n in entry["audits"].items())
    return f"{model}: audit failed since {entry['since']}: {audits}"


def failed_audits(lineage: list[str], gate: Gate) -> list[dict[str, Any]]:
    """The gate's entries for the models a dataset is made from, for its catalog entry."""
    return [
        {"model": m, "audit": a, "rows": n, "since": gate[m]["since"]}
        for m in lineage
        if m in gate
        for a, n in gate[m]["audits"].items()
    ]
