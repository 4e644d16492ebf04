"""The commodity configuration as relations the generic models join: `@commodity_keys('cot')`.

commodities.toml (beanflows/commodities.py) reaches the project as the `commodities` variable,
one row per (commodity, kind, key, unit): kind `psd` (a USDA PSD commodity code, unit = the
mass unit PSD publishes it in), `cot` (a CFTC market code) or `symbol` (a futures symbol, unit
= its quotation unit). Because the models read it through `evaluator.var`, SQLMesh counts the
variable in their fingerprints: adding a commodity re-runs exactly the models that use it.

The relations are literal VALUES, so they run unchanged on DuckDB and Spark; an empty set (no
commodity has that kind of key) is a typed relation with no rows, not a syntax error.
"""

from __future__ import annotations

from sqlglot import exp
from sqlmesh import macro

COLUMNS = ("commodity", "key", "unit", "to_1000t")


def _relation(rows: list[tuple[str, str, str | None, float | None]], alias: str) -> exp.Expression:
    """VALUES rows AS alias(commodity, key, unit, to_1000t), or a typed empty relation."""
    if not rows:
        empty = exp.select(
            *(
                exp.cast(exp.null(), "DOUBLE" if c == "to_1000t" else "VARCHAR").as_(c)
                for c in COLUMNS
            )  # fmt: skip
        ).where(exp.false())
        return exp.Subquery(this=empty, alias=exp.TableAlias(this=exp.to_identifier(alias)))
    values = exp.values(
        [
            tuple(
                exp.Literal.number(v)
                if isinstance(v, float)
                else (exp.Literal.string(v) if v is not None else exp.null())
                for v in row
            )
            for row in rows
        ],  # fmt: skip
        alias=alias,
        columns=list(COLUMNS),
    )
    return values


@macro()
def commodity_keys(evaluator, kind: exp.Expression, alias: exp.Expression = None) -> exp.Expression:  # noqa: ANN001, E501 - MacroEvaluator
    """(commodity, key, unit, to_1000t) of every configured key of `kind` (psd, cot, symbol);
    to_1000t: what a PSD value in the key's mass unit is multiplied by to give 1000 t."""
    factors = evaluator.var("psd_mass_units") or {}
    rows = [
        (r["commodity"], r["key"], r["unit"] or None, factors.get(r["unit"]))
        for r in evaluator.var("commodities") or []
        if r["kind"] == kind.name
    ]
    return _relation(sorted(rows), alias.name if alias is not None else "commodity_keys")


@macro()
def psd_mass_units(evaluator) -> exp.Expression:  # noqa: ANN001 - MacroEvaluator
    """The mass units USDA PSD prints, as a tuple for IN: a quantity row in one of them that
    is not its commodity's configured unit is a unit change upstream."""
    units = sorted(evaluator.var("psd_mass_units") or {})
    return exp.Tuple(expressions=[exp.Literal.string(u) for u in units])
