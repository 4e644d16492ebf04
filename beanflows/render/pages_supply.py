"""Supply page: world and country balance, stock-to-use, top producers and exporters.

Reads coffee_balance (free file only). Figures are USDA's in 1000 60 kg bags; the page shows
million bags, the unit traders quote.
"""

from __future__ import annotations

from typing import Any

from beanflows.render import charts
from beanflows.render import layout as L
from beanflows.render.data import Data, fmt, signed
from beanflows.render.helpers import (
    WORLD,
    balance_table,
    kpi_mbags,
    kpi_pct,
    mbags,
    no_data_page,
    page_meta,
    pct,
    tier_note,
    world_rows,
    year_lines,
)

DS = ["coffee_balance"]


def range_buttons(years_available: int) -> list[dict[str, Any]]:
    """5 y / 10 y / max; ranges the free data cannot fill are disabled and say why."""
    out = []
    for label, years in (("5 y", 5), ("10 y", 10), ("Max", 1000)):
        enabled = years == 5 or years_available > 5
        out.append(
            {
                "label": label,
                "years": years,
                "active": years == 5,
                "enabled": enabled,
                "why": "" if enabled else "Longer history is in the Pro files",
            }
        )
    return out


def build(data: Data) -> list[dict[str, Any]]:
    ds = data.get("coffee_balance")
    base = page_meta(data, DS)
    desc = "World coffee supply and demand: production, consumption, stocks, stock-to-use."
    if not ds.ok:
        return [
            no_data_page(
                "supply", "Supply", desc, "No supply data yet.", "World balance", ds, **base
            )
        ]
    world = world_rows(data)
    if not world:
        return [
            L.page(
                "supply", "supply", "Supply", desc, takeaway="No world balance rows yet.", **base
            )
        ]
    last, prev = world[-1], (world[-2] if len(world) > 1 else {})
    ym = last["marketing_year"]
    takeaway = (
        f"USDA puts {ym} world production at {fmt(mbags(last['production']), 1)} M bags "
        f"({signed(pct(last['production'], prev.get('production')), 1, '%')} y/y); "
        f"world stock-to-use {fmt(last['stock_to_use'], 1, '%')} "
        f"vs {fmt(prev.get('stock_to_use'), 1, '%')} a year earlier."
    )
    kpis = [
        kpi_mbags("World production", world, "production", 1, href="/supply/"),
        kpi_mbags("World consumption", world, "domestic_consumption", 1, href="/supply/"),
        kpi_mbags("World ending stocks", world, "ending_stocks", 1, href="/supply/"),
        kpi_pct("World stock-to-use", world, "stock_to_use", ym),
    ]
    years = len(world)
    long = [
        {
            "market_year": r["market_year"],
            "year": r["marketing_year"],
            "series": s,
            "mbags": mbags(r[c]),
        }
        for r in world
        for s, c in (
            ("Production", "production"),
            ("Consumption", "domestic_consumption"),
            ("Ending stocks", "ending_stocks"),
        )
    ]
    bal_spec = year_lines(long, "series", ",.1f", y_title="M 60 kg bags", year_param=True)
    stu = [{"market_year": r["market_year"], "stock_to_use": r["stock_to_use"]} for r in world]
    stu_spec = charts.line(
        stu,
        "market_year",
        "stock_to_use",
        x_type="O",
        y_title="Stock-to-use %",
        point=True,
        year_param=True,
        fmt=".1f",
    )
    world_table = balance_table(world, "World balance, 1000 60 kg bags", imports=True)
    blocks = [
        L.chart_block(
            "balance",
            "World balance",
            bal_spec,
            "Line chart of world production, consumption and ending stocks by market year.",
            table=world_table,
            range_=range_buttons(years),
        ),
        L.chart_block(
            "stu",
            "World stock-to-use",
            stu_spec,
            "Line chart of world stock-to-use (ending stocks over consumption) by market year.",
            dataset="coffee_balance",
            range_=range_buttons(years),
            note="Ending stocks / domestic consumption (world exports are other countries' "
            "imports).",
        ),
    ]
    blocks += _top(data, ds.view, last["market_year"], ym)
    return [
        L.page(
            "supply",
            "supply",
            "Supply",
            desc,
            takeaway=takeaway,
            kpis=kpis,
            blocks=blocks,
            tier_note=tier_note(data, DS),
            **base,
        )
    ]


def _top(data: Data, view: str, year: int, ym: str) -> list[dict[str, Any]]:
    """Top producers and exporters of the latest year, and the biggest y/y changes."""
    rows = data.rows(
        f"""SELECT c.country, c.production, c.exports, p.production AS prev_production
           FROM "{view}" c LEFT JOIN "{view}" p
             ON p.country_code = c.country_code AND p.market_year = c.market_year - 1
           WHERE c.market_year = ? AND c.country_code <> ? AND c.production > 0
           ORDER BY c.production DESC, c.country""",
        [year, WORLD],
    )
    if not rows:
        return []
    top = [{"country": r["country"], "mbags": mbags(r["production"])} for r in rows[:12]]
    exp = sorted((r for r in rows if r["exports"]), key=lambda r: (-r["exports"], r["country"]))[
        :12
    ]
    expo = [{"country": r["country"], "mbags": mbags(r["exports"])} for r in exp]
    yoy = sorted(
        (r for r in rows if r["prev_production"] is not None),
        key=lambda r: (-abs(r["production"] - r["prev_production"]), r["country"]),
    )[:12]
    yoy_table = L.table(
        [("Country", False), ("Previous", True), (ym, True), ("Change", True), ("%", True)],
        [
            [
                r["country"],
                fmt(r["prev_production"]),
                fmt(r["production"]),
                signed(r["production"] - r["prev_production"]),
                signed(pct(r["production"], r["prev_production"]), 1),
            ]
            for r in yoy
        ],
        "Production, 1000 60 kg bags; largest absolute changes first",
    )
    return [
        *(
            L.chart_block(
                what,
                f"Top {what} {ym}",
                charts.bars(bars, "country", "mbags", x_title="M bags", fmt=",.1f"),
                f"Bar chart of the {len(bars)} largest {what} in {ym}, largest first.",
                dataset="coffee_balance",
            )
            for what, bars in (("producers", top), ("exporters", expo))
        ),
        L.table_block("yoy", "Year-over-year change in production", yoy_table, full=True),
    ]
