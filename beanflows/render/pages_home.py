"""Home ("pulse"): the few numbers a coffee trader checks first, each with change and sparkline.

Every card degrades on its own: a source that has not arrived shows "no data yet" while the
others stay live.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from beanflows.render import charts
from beanflows.render import helpers as H
from beanflows.render import layout as L
from beanflows.render import series as S
from beanflows.render.data import Data, fmt, iso

DS = ["prices_daily", "ice_certified_stocks", "cot_positioning", "coffee_balance", "weather_alerts"]

SECTIONS = [
    ("/supply/", "Supply", "World balance, stock-to-use, top producers"),
    ("/origins/", "Origins", "One page per producing country"),
    ("/revisions/", "Revisions", "How each USDA release changed the estimates"),
    ("/positioning/", "Positioning", "CFTC managed money and commercials"),
    ("/prices/", "Prices", "Coffee C, Robusta, monthly references"),
    ("/warehouse/", "Warehouse", "ICE certified stocks by port"),
    ("/weather/", "Weather", "Frost and dry-spell alerts"),
    ("/downloads/", "Downloads", "Every dataset as Parquet and CSV"),
]


def _day(rows: list[dict[str, Any]]) -> str:
    """The date of the newest point of a series, as YYYY-MM-DD."""
    return str(rows[-1]["t"])[:10]


def _brief_link(data: Data) -> list[tuple[str, str, str]]:
    """The latest weekly brief (beanflows/brief/), first among the sections, when one exists."""
    weeks = sorted(p.parent.name for p in Path(data.out_dir, "briefs").glob("*-W*/brief.json"))
    if not weeks:
        return []
    return [(f"/briefs/{weeks[-1]}/", f"Weekly brief {weeks[-1]}", "The Coffee Data Brief; "
             "all briefs at /briefs/")]  # fmt: skip


def build(data: Data) -> dict[str, Any]:
    kpis: list[dict[str, Any]] = []
    said: list[str] = []
    blocks: list[dict[str, Any]] = []
    price = S.pick(data, H.PRICES, ("close", "settle", "price"), prefer=("KC",))
    prows = S.points(data, price) if price else []
    kpis.append(
        H.kpi(
            "Coffee C front month", prows, digits=2, unit=" ¢/lb", pct_change=True, href="/prices/"
        )
    )
    if prows:
        said.append(f"Coffee C {fmt(prows[-1]['v'], 2)} ¢/lb on {_day(prows)}")
    st = S.pick(data, "ice_certified_stocks", ("bags", "value"), group_cols=())
    srows = S.points(data, st) if st else []
    kpis.append(H.kpi("ICE certified stocks", srows, unit=" bags", href="/warehouse/"))
    if srows:
        said.append(f"certified stocks {fmt(srows[-1]['v'])} bags on {_day(srows)}")
    cot = H.cot_series(data)
    crows = S.points(data, cot) if cot else []
    kpis.append(H.kpi("Managed money net", crows, unit=" lots", href="/positioning/"))
    if cot and crows:
        said.append(
            f"managed money {'long' if crows[-1]['v'] >= 0 else 'short'} "
            f"{fmt(abs(crows[-1]['v']))} lots in the report of {_day(crows)}"
        )
        idx = S.value_column(cot.ds, H.COT_IDX[52])
        if idx:
            irows = S.points(data, S.Series(cot.ds, cot.t, idx, cot.g, cot.group))
            kpis.append(H.kpi("COT index 52 w", irows, href="/positioning/", change_unit=" pt"))
    else:
        kpis.append(
            {
                "label": "COT index 52 w",
                "value": "no data yet",
                "empty": True,
                "href": "/positioning/",
            }
        )
    bal = data.get("coffee_balance")
    if bal.ok and (world := H.world_rows(data)):
        kpis.append(
            H.kpi_pct("World stock-to-use", world, "stock_to_use", world[-1]["marketing_year"])
        )
        said.append(
            f"world stock-to-use {fmt(world[-1]['stock_to_use'], 1)}% "
            f"({world[-1]['marketing_year']})"
        )
    else:
        kpis.append(
            {
                "label": "World stock-to-use",
                "value": "no data yet",
                "empty": True,
                "href": "/supply/",
            }
        )
    if data.get(H.ALERTS).ok:
        alerts = H.active_alerts(data)
        kpis.append(
            {
                "label": "Active weather alerts",
                "value": str(len(alerts)),
                "sub": "frost and dry-spell",
                "href": "/weather/",
            }
        )
        said.append(f"{len(alerts)} weather alert(s) as of {L.as_of(data, [H.ALERTS]) or '?'}")
    else:
        kpis.append(
            {
                "label": "Active weather alerts",
                "value": "no data yet",
                "empty": True,
                "href": "/weather/",
            }
        )
    if prows:
        weekly = S.points(data, price, bucket="week")
        blocks.append(
            L.chart_block(
                "price",
                "Coffee C, weekly close",
                charts.line(
                    charts.clean([{"t": r["t"], "price": r["v"]} for r in weekly]),
                    "t",
                    "price",
                    y_title="US cents/lb",
                    fmt=",.2f",
                ),
                "Line chart of the Coffee C front-month close, one point per week.",
                dataset=H.PRICES,
            )
        )
    elif bal.ok and (world := H.world_rows(data)):
        long = [
            {"market_year": r["market_year"], "series": s, "mbags": H.mbags(r[c])}
            for r in world
            for s, c in (("Production", "production"), ("Consumption", "domestic_consumption"))
        ]
        blocks.append(
            L.chart_block(
                "world",
                "World production and consumption",
                H.year_lines(long, "series", ",.1f"),
                "Line chart of world coffee production and consumption by market year.",
                dataset="coffee_balance",
            )
        )
    links = "".join(
        f'<li><a href="{h}">{t}</a> <span class="sub">— {d}</span></li>'
        for h, t, d in _brief_link(data) + SECTIONS
    )
    blocks.append(L.html_block("sections", "Sections", f'<ul class="sections">{links}</ul>'))
    # Every headline value carries its own date: old data must never read as today's.
    takeaway = ("Latest: " + "; ".join(said) + ".") if said else "Data is on its way."
    as_of = L.as_of(data, DS)
    return L.page(
        "",
        "home",
        "Coffee market pulse",
        "Coffee market pulse: Coffee C price, ICE certified stocks, managed-money positioning, "
        "world stock-to-use and weather alerts, from public data.",
        takeaway=takeaway,
        as_of=iso(as_of),
        sources=L.sources_for(data, DS),
        banners=L.banners_for(data, DS),
        kpis=kpis,
        blocks=blocks,
        tier_note=H.tier_note(data, [n for n in DS if data.get(n).ok]),
    )
