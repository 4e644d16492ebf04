"""SQLMesh macros shared by sources that publish whole releases (vintages) of a series.

`@release_rows(raw table, start, end)`: the landed rows of one file per (release, series_id,
date), dropping missing values. Two different files may carry the same release label (a
re-download that differs by a byte); the one with the higher sha256 wins, so the choice is
deterministic and never mixes rows of two files.
"""

from __future__ import annotations

from sqlglot import exp, parse_one
from sqlmesh import macro


@macro()
def release_rows(evaluator, table: exp.Expression, start, end) -> exp.Expression:  # noqa: ANN001
    src, lo, hi = (e.sql(dialect=evaluator.dialect) for e in (table, start, end))
    return parse_one(
        f"""(
  WITH landed AS (
    SELECT * FROM {src} WHERE date BETWEEN {lo} AND {hi} AND NOT value IS NULL
  ), winner AS (
    SELECT _release, series_id, date, MAX(_raw_sha256) AS _raw_sha256
    FROM landed
    GROUP BY _release, series_id, date
  )
  SELECT l.*
  FROM landed AS l
  JOIN winner AS w
    ON l._release = w._release AND l.series_id = w.series_id AND l.date = w.date
    AND l._raw_sha256 = w._raw_sha256
)""",
        dialect=evaluator.dialect,
    )
