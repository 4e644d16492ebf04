"""The SQLMesh project on a distributed engine: the demo landing through Spark equals DuckDB.

The same landing files go through the whole project twice: on the default DuckDB gateway, in a
child process exactly as the build runs it, and on the Spark gateway (`BEANFLOWS_GATEWAY=spark`,
pyspark in local mode on OpenJDK 17, the metastore and warehouse under the test's var folder).
Every serving table must hold the same rows on both engines: same columns, same row count,
same values (dates, strings and integers exactly, floats to 1e-9 relative or one unit of the
6th decimal, the models' rounding).

Marked `spark` (`pytest -m spark`); skipped with the reason when pyspark or Java 17 is missing
(`./dev.sh test` installs both). The JVM is stopped at the end: nothing keeps running.
"""

from __future__ import annotations

import glob
import importlib.util
import math
import os
import shutil
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pytest

from beanflows import layout, transform, transform_child
from tests.demo_site import demo_dist

pytestmark = pytest.mark.spark

TODAY = date(2026, 12, 1)  # after every demo fixture's date: nothing depends on the wall clock


def java17_home() -> str | None:
    """JAVA_HOME for Spark 3.5: the given one if it is Java 17, else Debian's OpenJDK 17."""
    given = os.environ.get("JAVA_HOME")
    if given and "17" in Path(given).resolve().name and Path(given, "bin", "java").exists():
        return given
    found = sorted(glob.glob("/usr/lib/jvm/java-17-openjdk-*/bin/java"))
    return str(Path(found[0]).parent.parent) if found else None


@pytest.fixture(scope="module")
def java_home() -> str:
    if importlib.util.find_spec("pyspark") is None:
        pytest.skip("pyspark is not installed (uv sync --group spark; ./dev.sh test does it)")
    home = java17_home()
    if home is None:
        pytest.skip("no Java 17 (apt-get install openjdk-17-jre-headless; ./dev.sh test does it)")
    return home


def _serving_models() -> list[str]:
    return sorted(n for n in layout.models(layout.MODELS_DIR) if n.startswith("serving."))


def _value_key(value: Any) -> tuple:
    """A sort key across types and NULLs; floats rounded so last-bit noise cannot reorder."""
    if value is None:
        return (0, "")
    if isinstance(value, float):
        return (1, "" if math.isnan(value) else f"{value:.9g}")
    return (2, str(value))


def _sorted(rows: list[tuple]) -> list[tuple]:
    return sorted(rows, key=lambda row: tuple(_value_key(v) for v in row))


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        if a is None or b is None:
            return a is b
        # Models round to 6 decimals; a sum of doubles may differ in its last bit between
        # engines, which can move the rounded value by one unit of the 6th decimal.
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1.000001e-6)
    return a == b


def _spark_transform(var: Path, java: str, monkeypatch: pytest.MonkeyPatch):
    """Plan and run the project on the Spark gateway in this process; return its context
    (its Spark session reads the results)."""
    monkeypatch.setenv("BEANFLOWS_GATEWAY", "spark")
    monkeypatch.setenv("JAVA_HOME", java)
    monkeypatch.setenv("SPARK_LOCAL_IP", "127.0.0.1")
    monkeypatch.chdir(var)  # relative paths (landing/, spark/) as in the build's child
    ctx, result, select = transform.open_project(layout.MODELS_DIR, None)
    transform.execute(ctx, result, select, var, {}, TODAY)
    return ctx, result


def _read(spark, name: str) -> tuple[list[str], list[tuple]]:  # noqa: ANN001 - SparkSession
    """(column names, rows) of one table as Spark returns them."""
    df = spark.table(name)
    return [f.name.lower() for f in df.schema.fields], [tuple(row) for row in df.collect()]


def _stop_jvm() -> None:
    """Stop the Spark session and the JVM pyspark started for this process."""
    from pyspark import SparkContext
    from pyspark.sql import SparkSession

    session = SparkSession.getActiveSession()
    if session is not None:
        session.stop()
    gateway = SparkContext._gateway
    if gateway is not None:
        gateway.shutdown()
        gateway.proc.kill()
        gateway.proc.wait()
        SparkContext._gateway = SparkContext._jvm = None


def test_serving_rows_on_spark_equal_duckdb(
    java_home: str,
    tmp_path: Path,
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    landing = demo_dist(tmp_path_factory).parent / "var" / "landing"
    duck_var, spark_var = tmp_path / "duckdb", tmp_path / "spark"
    for var in (duck_var, spark_var):
        shutil.copytree(landing, layout.landing_dir(var))

    # DuckDB in the build's child process, meanwhile Spark here (the child's env is fixed at
    # start, before the Spark settings are made).
    child = transform_child.start()
    try:
        transform_child.open_project(child, duck_var, None)
        transform_child.order(child, {}, TODAY, models_changed=True)
        try:
            ctx, spark_result = _spark_transform(spark_var, java_home, monkeypatch)
            assert not spark_result.failed, spark_result.failed
            assert not spark_result.skipped, spark_result.skipped
            on_spark = {name: _read(ctx.engine_adapter.spark, name) for name in _serving_models()}
            ctx.close()
        finally:
            _stop_jvm()
        duck_result = transform_child.result(child)
    finally:
        if child.poll() is None:
            transform_child.cancel(child)
    assert not duck_result.failed and not duck_result.skipped, duck_result.failed

    con = duckdb.connect(str(layout.warehouse_file(duck_var)), read_only=True)
    compared = 0
    for name, (spark_columns, spark_rows) in on_spark.items():
        rel = con.sql(f"SELECT * FROM {name}")
        assert [c.lower() for c in rel.columns] == spark_columns, name
        duck_rows = rel.fetchall()
        assert len(duck_rows) == len(spark_rows), f"{name}: {len(duck_rows)} vs {len(spark_rows)}"
        for d_row, s_row in zip(_sorted(duck_rows), _sorted(spark_rows), strict=True):
            assert all(map(_same, d_row, s_row)), f"{name}: DuckDB {d_row} != Spark {s_row}"
        compared += len(duck_rows)
    con.close()
    assert len(on_spark) >= 20 and compared > 1000, (len(on_spark), compared)
