"""The SQLMesh project itself: unit tests, conventions, and portability beyond DuckDB."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from beanflows.layout import MODELS_DIR

SQL_FILES = sorted((MODELS_DIR / "models").glob("*/*.sql"))
DUCKDB_ONLY = re.compile(r"\b(read_parquet|read_csv\w*|read_json\w*|glob)\s*\(", re.I)


@pytest.fixture(scope="module")
def ctx(tmp_path_factory):
    from sqlmesh import Context

    cwd = Path.cwd()
    os.chdir(tmp_path_factory.mktemp("sqlmesh"))  # relative warehouse path lands here
    try:
        yield Context(paths=str(MODELS_DIR))
    finally:
        os.chdir(cwd)


def test_model_unit_tests_pass(ctx) -> None:
    result = ctx.test()
    assert result.testsRun >= 5
    assert result.wasSuccessful(), [str(e) for _, e in result.failures + result.errors]


def test_every_model_opens_with_grain_source_unit() -> None:
    assert SQL_FILES
    for path in SQL_FILES:
        text = path.read_text(encoding="utf-8")
        header = text.split("MODEL", 1)[0]
        assert header.lstrip().startswith("--"), f"{path.name}: no opening comment"
        for word in ("grain", "source", "unit"):
            assert word in header.lower(), f"{path.name}: opening comment lacks {word}"


def test_only_raw_models_read_files(ctx) -> None:
    for name, model in ctx.models.items():
        layer = name.split(".")[-2].strip('"')
        sql = model.render_query_or_raise().sql(dialect="duckdb")
        if layer != "raw":
            assert not DUCKDB_ONLY.search(sql), f"{name} reads files outside the raw layer"


def test_raw_models_read_landing_with_duckdb_reader(ctx) -> None:
    """`@landing` renders DuckDB's reader exactly as the models spelled it before the macro
    (same SQL, same warehouse); tests/test_spark.py covers Spark's reader."""
    raw = {n: m for n, m in ctx.models.items() if n.split(".")[-2].strip('"') == "raw"}
    assert len(raw) >= 10
    for name, model in raw.items():
        sql = model.render_query_or_raise().sql(dialect="duckdb")
        assert re.fullmatch(
            r"SELECT \* FROM READ_PARQUET\('landing/\w+/\w+/\*\.parquet', "
            r'"union_by_name" = TRUE\) AS "_0"',
            sql,
        ), f"{name}: {sql}"


def test_incremental_models_are_not_partitioned_by_day(ctx) -> None:
    """On Spark a table partitioned by its time column gets one partition per day (thousands of
    tiny files and metastore entries); the tables are small enough to need none."""
    incremental = [m for m in ctx.models.values() if m.kind.is_incremental_by_time_range]
    assert len(incremental) >= 10
    for model in incremental:
        assert not model.partitioned_by, f"{model.name}: add partition_by_time_column FALSE"


@pytest.mark.parametrize("dialect", ["trino", "spark"])
def test_non_raw_models_render_for_distributed_engines(ctx, dialect: str) -> None:
    from sqlglot import ErrorLevel, exp, parse_one

    rendered = 0
    for name, model in ctx.models.items():
        if name.split(".")[-2].strip('"') == "raw":
            continue
        query = model.render_query_or_raise()
        sql = query.sql(dialect=dialect, unsupported_level=ErrorLevel.RAISE)
        assert sql.strip(), name
        # Spark's SQL has no nested WITH: sqlglot hoists every CTE to the top, where two of the
        # same name (e.g. one macro called twice) are a syntax error on the engine.
        ctes = [cte.alias for cte in parse_one(sql, read=dialect).find_all(exp.CTE)]
        assert len(ctes) == len(set(ctes)), f"{name}: CTE names repeat: {sorted(ctes)}"
        rendered += 1
    assert rendered >= 10


def test_published_columns_have_meanings(ctx) -> None:
    from beanflows.layout import dataset_specs

    for name, spec in dataset_specs().items():
        model = ctx.get_model(spec["model"])
        assert model is not None, f"{name}: model {spec['model']} not found"
        missing = [c for c in model.columns_to_types if not model.column_descriptions.get(c)]
        assert not missing, f"{name}: columns without a meaning: {missing}"
