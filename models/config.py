"""SQLMesh configuration of BeanFlows: one gateway, DuckDB unless Spark is asked for.

Paths are relative to the current directory, which the build sets to the var folder (default
./var): the warehouse file and the landing Parquet live there. Relative, because absolute
paths in `variables` would enter model fingerprints (a moved checkout would then look like a
breaking change).

`BEANFLOWS_GATEWAY` picks the engine: `local` (default, DuckDB in var/warehouse.duckdb) or
`spark` (the same models on Apache Spark; README "Outgrowing one box"). The config holds only
the chosen gateway because SQLMesh opens a connection for every gateway a config lists: a
Spark gateway merely listed would start a JVM (+10 s, +300 MB) on every DuckDB build.

Spark settings (only read when BEANFLOWS_GATEWAY=spark):
    BEANFLOWS_SPARK_MASTER   unset: local mode on this machine, `local[2]`, everything
                             (warehouse, Hive metastore, temporary files, SQLMesh state) under
                             var/spark/; set (e.g. `spark://host:7077`, `yarn`): that cluster,
                             with its warehouse, metastore and credentials from
                             $SPARK_CONF_DIR/spark-defaults.conf
    BEANFLOWS_LANDING        where the raw models read landing Parquet (default `landing`,
                             relative to var/; on a cluster e.g. `s3a://bucket/landing`)
"""

from __future__ import annotations

import os
from pathlib import Path

from sqlmesh.core.config import (
    Config,
    DuckDBConnectionConfig,
    GatewayConfig,
    ModelDefaultsConfig,
    SparkConnectionConfig,
)

from beanflows import commodities


def duckdb_gateway() -> GatewayConfig:
    """The default: one DuckDB file holds the tables and SQLMesh's state; extensions are never
    downloaded (parquet, json and icu are built in)."""
    return GatewayConfig(
        connection=DuckDBConnectionConfig(
            database="warehouse.duckdb",
            extensions=[],
            # Column meanings are published from the model metadata (catalog, methodology);
            # COMMENT ON statements in the warehouse would cost ~1,600 statements a fresh plan.
            register_comments=False,
            # Two models at a time: SQLMesh's Python work for one (rendering, audits, state)
            # overlaps DuckDB's work for the other (coffee full build: run 8.5 s -> 7.0 s).
            concurrent_tasks=2,
            connector_config={
                "autoinstall_known_extensions": False,
                "autoload_known_extensions": True,
            },
        )
    )


def spark_settings(master: str | None, spark_dir: Path) -> dict[str, str]:
    """Spark session settings: portable ones always, local-mode ones when no master is given.

    Portable: UTC session time zone (DuckDB's dates and timestamps are zone-free), Parquet
    schemas merged by column name (DuckDB's `union_by_name`: a landing table whose extractor
    gained a column keeps its older files readable), data source tables rather than Hive
    SerDe tables (TIMESTAMP_NTZ columns), few shuffle partitions (the tables are small).
    """
    settings = {
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.parquet.mergeSchema": "true",
        "spark.sql.legacy.createHiveTableByDefault": "false",
        "spark.sql.shuffle.partitions": "2",
    }
    if master:
        return {**settings, "spark.master": master}
    tmp = spark_dir / "tmp"
    return {
        **settings,
        "spark.master": "local[2]",
        "spark.driver.host": "127.0.0.1",  # loopback only: nothing listens on the network
        "spark.driver.bindAddress": "127.0.0.1",
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.warehouse.dir": str(spark_dir / "warehouse"),
        "spark.local.dir": str(tmp),
        # Small tables on one machine: planning, not data, costs the time. Adaptive
        # re-planning after every stage and whole-stage code generation (a Java compile per
        # query) spend more CPU than they save here.
        "spark.sql.adaptive.enabled": "false",
        "spark.sql.codegen.wholeStage": "false",
        # Derby (the local Hive metastore) writes metastore_db/ and derby.log into the
        # current directory unless told otherwise.
        "spark.driver.extraJavaOptions": (
            f"-Dderby.system.home={spark_dir / 'metastore'} "
            f"-Dderby.stream.error.file={spark_dir / 'derby.log'} -Djava.io.tmpdir={tmp} "
            "-XX:+UseSerialGC"
        ),
    }


def spark_gateway() -> GatewayConfig:
    """Spark for tables; SQLMesh's state stays in a DuckDB file (Spark cannot hold it: no
    transactions), as do the unit tests (they need no cluster)."""
    spark_dir = Path("spark").resolve()  # var/spark: the session's own files (local mode)
    (spark_dir / "tmp").mkdir(parents=True, exist_ok=True)
    master = os.environ.get("BEANFLOWS_SPARK_MASTER") or None
    return GatewayConfig(
        connection=SparkConnectionConfig(
            config=spark_settings(master, spark_dir),
            concurrent_tasks=2,
            # Column meanings live in the DuckDB build's model metadata; a Hive metastore
            # (Derby in local mode) caps comments at 256 characters.
            register_comments=False,
        ),
        state_connection=DuckDBConnectionConfig(database="spark/state.duckdb"),
        test_connection=DuckDBConnectionConfig(),
    )


GATEWAYS = {"local": duckdb_gateway, "spark": spark_gateway}
gateway = os.environ.get("BEANFLOWS_GATEWAY") or "local"
if gateway not in GATEWAYS:
    raise ValueError(f"BEANFLOWS_GATEWAY={gateway!r}: expected one of {', '.join(GATEWAYS)}")

config = Config(
    gateways={gateway: GATEWAYS[gateway]()},
    default_gateway=gateway,
    model_defaults=ModelDefaultsConfig(
        dialect="duckdb",
        start="2000-01-01",
        cron="@daily",
        # SQLMesh optimizes (qualifies, types, simplifies) every model's query again on every
        # run, for every interval: a quarter of a nightly's run time (coffee: run 7.5-8.2 s
        # optimized, 5.9-6.4 s not). The engine plans the query either way; the published
        # files are byte-identical. Column types then come from the engine (tables are created
        # from the query), and unit tests type null-only input columns themselves.
        optimize_query=False,
    ),
    variables={
        # Where raw models read landing Parquet (models/macros/landing.py).
        "landing_root": os.environ.get("BEANFLOWS_LANDING") or "landing",
        # Which PSD codes, CFTC markets and symbols make which commodity
        # (commodities.toml or $BEANFLOWS_COMMODITIES; models/macros/commodities.py).
        "commodities": commodities.sql_rows(commodities.load()),
        "psd_mass_units": commodities.PSD_MASS_UNITS,
    },
    disable_anonymized_analytics=True,
    # The project has no Python models: skip scanning every installed package for
    # requirements (importlib.metadata.packages_distributions costs ~2 s on every plan).
    infer_python_dependencies=False,
)
