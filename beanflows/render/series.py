"""Find and aggregate time series in datasets whose exact columns may still change.

The market datasets (COT, prices, ICE stocks, weather) are built by other families and grow
over time, so pages look columns up by meaning (candidate names) instead of hard-coding one
spelling. A dataset that has no matching column yields None and the page says "no data yet".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from beanflows.render.data import Data, Dataset

TIME = ("date", "report_date", "as_of_date", "trade_date", "day", "week", "month", "period")
GROUPS = ("symbol", "market", "contract", "series", "commodity", "instrument", "region")


@dataclass(frozen=True)
class Series:
    ds: Dataset
    t: str  # time column
    v: str  # value column
    g: str | None = None  # group column
    group: Any = None  # the chosen group value (None: all rows)

    def where(self) -> tuple[str, list[Any]]:
        # COT publishes futures-only and futures+options rows for the same week: keep one
        base = "report_type = 'futures_only'" if "report_type" in self.ds.columns else "TRUE"
        if self.g is None or self.group is None:
            return base, []
        return f'{base} AND "{self.g}" = ?', [self.group]


def time_column(ds: Dataset) -> str | None:
    t = ds.meta.get("time_column")
    if t and t in ds.columns:
        return t
    return ds.column(*TIME)


def value_column(ds: Dataset, candidates: tuple[str, ...]) -> str | None:
    col = ds.column(*candidates)
    return col if col and ds.numeric(col) else None


def groups(data: Data, ds: Dataset, g: str) -> list[Any]:
    """Group values, most rows first (the main contract/region leads)."""
    rows = data.rows(
        f'SELECT "{g}" AS g, COUNT(*) AS n FROM "{ds.view}" GROUP BY 1 ORDER BY 2 DESC, 1'
    )
    return [r["g"] for r in rows if r["g"] is not None]


def pick(
    data: Data,
    name: str,
    values: tuple[str, ...],
    *,
    group_cols: tuple[str, ...] = GROUPS,
    prefer: tuple[str, ...] = (),
) -> Series | None:
    """The dataset's main series: time column, first matching value column, main group."""
    ds = data.get(name)
    if not ds.ok:
        return None
    t, v = time_column(ds), value_column(ds, values)
    if not t or not v:
        return None
    g = ds.column(*group_cols) if group_cols else None
    if g in (t, v):
        g = None
    group = None
    if g:
        vals = groups(data, ds, g)
        for p in prefer:
            hit = [x for x in vals if p.lower() in str(x).lower()]
            if hit:
                group = hit[0]
                break
        else:
            group = vals[0] if vals else None
    return Series(ds, t, v, g, group)


def points(
    data: Data, s: Series, *, bucket: str | None = None, columns: tuple[str, ...] = ()
) -> list[dict[str, Any]]:
    """(t, v, *columns) ordered by time; `bucket` ('week', 'month') keeps each bucket's last row."""
    where, params = s.where()
    extra = "".join(f', "{c}"' for c in columns)
    if bucket:
        sql = f"""SELECT * FROM (
                    SELECT "{s.t}" AS t, "{s.v}" AS v{extra},
                           ROW_NUMBER() OVER (PARTITION BY DATE_TRUNC('{bucket}', "{s.t}")
                                              ORDER BY "{s.t}" DESC) AS rn
                    FROM "{s.ds.view}" WHERE {where} AND "{s.v}" IS NOT NULL)
                  WHERE rn = 1 ORDER BY t"""
    else:
        sql = f"""SELECT "{s.t}" AS t, "{s.v}" AS v{extra} FROM "{s.ds.view}"
                  WHERE {where} AND "{s.v}" IS NOT NULL ORDER BY "{s.t}" """
    rows = data.rows(sql, params)
    for r in rows:
        r.pop("rn", None)
    return rows


def latest_change(rows: list[dict[str, Any]], key: str = "v") -> tuple[Any, Any, Any]:
    """(latest value, change vs previous row, previous time) of ordered rows."""
    if not rows:
        return None, None, None
    last = rows[-1][key]
    if len(rows) < 2 or last is None or rows[-2][key] is None:
        return last, None, None
    return last, last - rows[-2][key], rows[-2]["t"]
