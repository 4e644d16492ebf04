"""SQLMesh macros for row-level lineage (the `raw_sha256` lists of rows that combine files).

`@distinct_set(x)`: the distinct non-null values of x as a list, also as a window function
(`@distinct_set(raw_sha256) OVER (...)`). DuckDB gets LIST(DISTINCT x) FILTER (WHERE x IS NOT
NULL); Spark, which allows neither DISTINCT nor FILTER in window functions, gets
COLLECT_SET(x) (nulls skipped). Sorting stays with the caller (LIST_SORT), so every engine
publishes the same list.

The engine is the one the model is evaluated on (as in landing.py); while SQLMesh loads the
project the model's own dialect, DuckDB, stands in.
"""

from __future__ import annotations

from sqlglot import exp
from sqlmesh import macro


@macro()
def distinct_set(evaluator, column: exp.Expression) -> exp.Expression:  # noqa: ANN001
    adapter = evaluator.locals.get("engine_adapter")
    engine = adapter.dialect if adapter is not None else evaluator.dialect
    if engine in ("spark", "databricks"):
        return exp.Anonymous(this="COLLECT_SET", expressions=[column])
    return exp.ArrayUniqueAgg(this=column)
