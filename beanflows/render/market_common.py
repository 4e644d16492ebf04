"""Helpers shared by the market pages (Positioning, Prices, Warehouse, Weather)."""

from typing import Any

from beanflows.render import charts
from beanflows.render import layout as L
from beanflows.render import series as S
from beanflows.render.data import Data, direction, fmt, iso, signed
from beanflows.render.pages_supply import pct, tier_note


def _base(data: Data, names: list[str]) -> dict[str, Any]:
    return {
        "as_of": L.as_of(data, names),
        "sources": L.sources_for(data, names),
        "banners": L.banners_for(data, names),
        "tier_note": tier_note(data, [n for n in names if data.get(n).ok]),
    }


def _t(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return charts.clean(rows)


def kpi(
    label: str,
    rows: list[dict[str, Any]],
    *,
    digits: int = 0,
    unit: str = "",
    href: str = "",
    change_unit: str = "",
    pct_change: bool = False,
) -> dict[str, Any]:
    """A KPI card from ordered (t, v) rows: latest value, change vs the previous point, spark."""
    if not rows:
        return {"label": label, "value": "no data yet", "empty": True, "href": href}
    last, ch, _ = S.latest_change(rows)
    prev = rows[-2]["v"] if len(rows) > 1 else None
    if pct_change and ch is not None:
        change = f"{signed(pct(last, prev), 1, '%')} vs {iso(rows[-2]['t'])}"
    elif ch is not None:
        change = f"{signed(ch, digits, change_unit)} vs {iso(rows[-2]['t'])}"
    else:
        change = ""
    return {
        "label": label,
        "value": fmt(last, digits),
        "unit": unit,
        "change": change,
        "direction": direction(pct(last, prev) if pct_change else ch, 1 if pct_change else digits),
        "sub": f"as of {iso(rows[-1]['t'])}",
        "spark": charts.spark_svg([r["v"] for r in rows[-60:]]),
        "href": href,
    }


def _table(rows: list[dict[str, Any]], cols: list[tuple[str, str, int]], n: int = 12) -> dict:
    """The last n rows (newest first) as an HTML table: (label, key, digits)."""
    return L.table(
        [(label, key != "t") for label, key, _ in cols],
        [
            [iso(r[k]) if k == "t" else fmt(r.get(k), d) for _, k, d in cols]
            for r in rows[-n:][::-1]
        ],
        f"Latest {min(n, len(rows))} points, newest first",
    )


# --- Positioning ------------------------------------------------------------------------------
