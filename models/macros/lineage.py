"""SQLMesh macros for row-level lineage (the `raw_sha256` lists of rows that combine files).

`@distinct_set(x)`: the distinct non-null values of x as a list, also as a window function
(`@distinct_set(raw_sha256) OVER (...)`). DuckDB gets LIST(DISTINCT x) FILTER (WHERE x IS NOT
NULL); Spark, which has no DISTINCT in window functions, gets COLLECT_SET(x). Sorting stays
with the caller (LIST_SORT), so every engine publishes the same list.
"""

from __future__ import annotations

from sqlglot import exp
from sqlmesh import macro


@macro()
def distinct_set(evaluator, column: exp.Expression) -> exp.Expression:  # noqa: ANN001, ARG001
    return exp.ArrayUniqueAgg(this=column)
