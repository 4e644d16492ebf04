"""The one place where the models read files: `@landing(@landing_root, 'source/table')`.

Raw models read the landing Parquet of one table (`<root>/<source>/<table>/*.parquet`, one file
per raw file, written by ingest). Reading files is not portable SQL, so each engine gets its own
reader: DuckDB's `read_parquet` with `union_by_name` (a column added to the extractor leaves
older files readable), and on Spark the Parquet relation (parquet.`path`), whose schemas Spark
merges by name when `spark.sql.parquet.mergeSchema` is on (models/config.py sets it). Staging
and later layers read only models, so they run unchanged on any engine SQLMesh supports.

The engine is the one the model is evaluated on; while SQLMesh loads the project (no engine
yet) the model's own dialect, DuckDB, stands in: loading only derives names and dependencies.
"""

from __future__ import annotations

from sqlglot import exp
from sqlmesh import macro


@macro()
def landing(evaluator, root: exp.Expression, table: exp.Expression) -> exp.Expression:  # noqa: ANN001 - MacroEvaluator
    """A relation over every landed file of `table` ('usda_psd/bulk') under `root`."""
    path = exp.Literal.string(f"{root.name}/{table.name}/*.parquet")
    adapter = evaluator.locals.get("engine_adapter")
    engine = adapter.dialect if adapter is not None else evaluator.dialect
    if engine == "duckdb":
        union = exp.EQ(this=exp.column("union_by_name"), expression=exp.true())
        return exp.ReadParquet(expressions=[path, union])
    if engine in ("spark", "databricks"):
        return exp.ReadParquet(expressions=[path])  # parquet.`path`
    # e.g. Trino reads files only through external tables (README, "Outgrowing one box")
    raise ValueError(f"no landing-file reader for engine {engine!r} (models/macros/landing.py)")
