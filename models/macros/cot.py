"""SQLMesh macros for the two COT report shapes (disaggregated and legacy).

Both shapes go through the same steps, only their columns differ: every published version of a
week is kept in staging with its figures as one string (`@cot_values_key`); cleaned keeps the
newest figures of each week with the file that first published them (`@cot_newest_figures`);
revisions list the figures a later file changed (`@cot_revisions`); serving derives, per
trader class, the share of open interest, the weekly change and the COT index (`@cot_pct_oi`,
`@cot_net_change`, `@cot_index`). Writing each step once keeps the shapes from drifting apart.

Macros return SQL in the project's dialect; column meanings stay as comments in the models.
"""

from __future__ import annotations

from sqlglot import exp, parse_one
from sqlmesh import macro

KEY = ("report_type", "market_code", "report_date")
SERIES = "PARTITION BY market_code, report_type ORDER BY report_date"


def _sql(evaluator, node: exp.Expression) -> str:  # noqa: ANN001 - MacroEvaluator
    return node.sql(dialect=evaluator.dialect)


def _parse(evaluator, sql: str) -> exp.Expression:  # noqa: ANN001
    return parse_one(sql, dialect=evaluator.dialect)


@macro()
def cot_values_key(evaluator, *columns: exp.Expression) -> exp.Expression:  # noqa: ANN001
    """The published figures of a row as one string: two versions of a week differ iff it does."""
    parts = ", ".join(f"COALESCE(CAST({_sql(evaluator, c)} AS VARCHAR), '')" for c in columns)
    return _parse(evaluator, f"CONCAT_WS('|', {parts})")


@macro()
def cot_newest_figures(evaluator, table: exp.Expression, start, end) -> exp.Expression:  # noqa: ANN001
    """Per week and market, the figures of the newest file that published the week (newest =
    larger release, ties by raw_sha256 for determinism), with `first_release`,
    `first_raw_sha256` and `first_raw_line` of the first file that published exactly these
    figures: a file that only repeats a week changes nothing downstream."""
    key = ", ".join(KEY)
    on = " AND ".join(f"v.{k} = r.{k}" for k in KEY)
    on_f = " AND ".join(f"w.{k} = f.{k}" for k in KEY)
    src, lo, hi = (_sql(evaluator, e) for e in (table, start, end))
    return _parse(
        evaluator,
        f"""(
  WITH versions AS (
    SELECT * FROM {src} WHERE report_date BETWEEN {lo} AND {hi}
  ), ranked AS (
    SELECT *, ROW_NUMBER() OVER (
      PARTITION BY {key} ORDER BY release DESC, raw_sha256 DESC
    ) AS newest_rank
    FROM versions
  ), first_publication AS (
    SELECT v.report_type, v.market_code, v.report_date, v.release, v.raw_sha256, v.raw_line,
      ROW_NUMBER() OVER (PARTITION BY {", ".join("v." + k for k in KEY)}
                         ORDER BY v.release, v.raw_sha256) AS first_rank
    FROM versions AS v
    JOIN ranked AS r ON r.newest_rank = 1 AND {on} AND v.values_key = r.values_key
  )
  SELECT w.*, f.release AS first_release, f.raw_sha256 AS first_raw_sha256,
    f.raw_line AS first_raw_line
  FROM ranked AS w
  JOIN first_publication AS f ON f.first_rank = 1 AND {on_f}
  WHERE w.newest_rank = 1
)""",
    )


@macro()
def cot_revisions(  # noqa: ANN201
    evaluator,  # noqa: ANN001
    dataset: exp.Expression,
    table: exp.Expression,
    start,  # noqa: ANN001
    end,  # noqa: ANN001
    *columns: exp.Expression,
):
    """Every figure of `columns` that a later file changed, one row per (week, column, file):
    consecutive versions of a week are compared in file order (release, raw_sha256)."""
    names = [c.name for c in columns]
    lags = ",\n".join(f"LAG({n}) OVER w AS old_{n}" for n in names)
    old = " ".join(f"WHEN '{n}' THEN c.old_{n}" for n in names)
    new = " ".join(f"WHEN '{n}' THEN c.{n}" for n in names)
    values = ", ".join(f"('{n}')" for n in names)
    src, lo, hi, ds = (_sql(evaluator, e) for e in (table, start, end, dataset))
    # The CTE is named per dataset: a model calls this once per report shape, and engines
    # whose SQL has no nested WITH (Spark) get every CTE hoisted to the top, where two
    # `versions` would clash.
    versions = f"{dataset.name}_versions"
    return _parse(
        evaluator,
        f"""(
  WITH {versions} AS (
    SELECT {", ".join(KEY)}, release, raw_sha256, values_key, {", ".join(names)},
      LAG(values_key) OVER w AS old_values_key,
      LAG(release) OVER w AS old_release,
      LAG(raw_sha256) OVER w AS old_raw_sha256,
      {lags}
    FROM {src}
    WHERE report_date BETWEEN {lo} AND {hi}
    WINDOW w AS (PARTITION BY {", ".join(KEY)} ORDER BY release, raw_sha256)
  )
  SELECT {ds} AS dataset, c.report_type, c.market_code, c.report_date, n.column_name,
    CASE n.column_name {old} END AS old_value,
    CASE n.column_name {new} END AS new_value,
    c.old_release, c.release AS new_release, c.old_raw_sha256, c.raw_sha256 AS new_raw_sha256
  FROM {versions} AS c
  CROSS JOIN (VALUES {values}) AS n(column_name)
  WHERE NOT c.old_values_key IS NULL AND c.old_values_key <> c.values_key
)""",
    )


@macro()
def cot_week_nets(evaluator, *classes: exp.Expression) -> list[exp.Expression]:  # noqa: ANN001
    """The projections of one report shape's weekly nets: the week's key, market name and open
    interest, `<class>_long - <class>_short AS <class>_net` per trader class, and raw_sha256."""
    nets = [f"{c.name}_long - {c.name}_short AS {c.name}_net" for c in classes]
    columns = ["report_type", "market_code", "report_date", "market_name", "open_interest", *nets]
    return [_parse(evaluator, c) for c in [*columns, "raw_sha256"]]


@macro()
def cot_pct_oi(evaluator, net: exp.Expression) -> exp.Expression:  # noqa: ANN001
    """A net position as a share of open interest [%], 2 decimals."""
    return _parse(
        evaluator,
        f"CAST(ROUND(100.0 * {_sql(evaluator, net)} / NULLIF(open_interest, 0), 2) AS DOUBLE)",
    )


@macro()
def cot_net_change(evaluator, net: exp.Expression) -> exp.Expression:  # noqa: ANN001
    """Change since the previous report of the series; null when that is over 14 days older."""
    n = _sql(evaluator, net)
    return _parse(
        evaluator,
        f"CASE WHEN LAG(report_date) OVER ({SERIES}) >= report_date - INTERVAL 14 DAY "
        f"THEN {n} - LAG({n}) OVER ({SERIES}) END",
    )


@macro()
def cot_index(evaluator, net: exp.Expression, reports: int) -> exp.Expression:  # noqa: ANN001
    """100 * (net - min) / (max - min) over the last `reports` reports incl. this one; null
    until that many reports have a value, when max = min, or when the reports span more than
    `reports` weeks + 3 days (a hole in the archive must not stretch the window in time)."""
    n = _sql(evaluator, net)
    frame = f"{SERIES} ROWS BETWEEN {reports - 1} PRECEDING AND CURRENT ROW"
    lo, hi = f"MIN({n}) OVER ({frame})", f"MAX({n}) OVER ({frame})"
    return _parse(
        evaluator,
        f"""CASE
  WHEN COUNT({n}) OVER ({frame}) = {reports} AND {hi} > {lo}
    AND MIN(report_date) OVER ({frame}) >= report_date - INTERVAL {reports * 7 + 3} DAY
  THEN CAST(ROUND(100.0 * ({n} - {lo}) / ({hi} - {lo}), 2) AS DOUBLE)
END""",
    )
