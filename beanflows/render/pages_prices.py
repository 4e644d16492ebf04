"""Prices page: Coffee C and Robusta daily bars with moving averages; monthly references.

Daily series are cut to weekly points in SQL (the last trading day of each week) before they
reach a chart: five years stay around 260 points per line, a few KB gzip per page.
"""

from typing import Any

from beanflows.render import charts
from beanflows.render import layout as L
from beanflows.render import series as S
from beanflows.render.data import Data, fmt, iso, signed
from beanflows.render.helpers import PRICES, clean_rows, kpi, latest_table, page_base, pct

INDICATORS = "price_indicators"
NAMES = {"KC=F": "Coffee C (arabica)", "RC=F": "Robusta"}


def price_rows(data: Data, symbol: Any) -> tuple[S.Series | None, list[dict[str, Any]]]:
    s = S.pick(data, PRICES, ("close", "settle", "price"), prefer=(str(symbol),))
    if s is None:
        return None, []
    if s.g:
        s = S.Series(s.ds, s.t, s.v, s.g, symbol)
    return s, S.points(data, s)


def prices(data: Data) -> dict[str, Any]:
    names = [PRICES, INDICATORS, "prices_monthly"]
    desc = "Coffee C and Robusta futures with moving averages; monthly reference prices."
    main = S.pick(data, PRICES, ("close", "settle", "price"), prefer=("KC",))
    blocks: list[dict[str, Any]] = []
    kpis: list[dict[str, Any]] = []
    takeaway = "No price data yet."
    if main is None:
        blocks.append(L.empty_block("daily", "Futures", L.no_data(data.get(PRICES)), full=True))
    else:
        symbols = S.groups(data, main.ds, main.g) if main.g else [None]
        for sym in symbols[:4]:
            _, rows = price_rows(data, sym)
            if not rows:
                continue
            label = NAMES.get(str(sym), str(sym or "Price"))
            unit = main.ds.unit(main.v) or ""
            kpis.append(
                kpi(
                    label,
                    rows,
                    digits=2,
                    unit=f" {unit}" if unit else "",
                    pct_change=True,
                    href="/prices/",
                )
            )
            blocks.append(_price_chart(data, sym, label, rows, unit))
        last = _first_rows(data, main)
        if last:
            lv, _, _ = S.latest_change(last)
            yr = [r for r in last if str(iso(r["t"])) <= str(iso(last[-1]["t"]))][-253:]
            ch = pct(lv, yr[0]["v"]) if yr else None
            takeaway = (
                f"{NAMES.get(str(main.group), str(main.group or 'Coffee'))} settled at "
                f"{fmt(lv, 2)} on {iso(last[-1]['t'])}"
                + (f", {signed(ch, 1, '%')} over the past year." if ch is not None else ".")
            )
    blocks.extend(_monthly(data))
    return L.page(
        "prices",
        "prices",
        "Prices",
        desc,
        takeaway=takeaway,
        kpis=kpis,
        blocks=blocks,
        **page_base(data, names),
    )


def _first_rows(data: Data, s: S.Series) -> list[dict[str, Any]]:
    return S.points(data, s)


def _price_chart(
    data: Data, sym: Any, label: str, rows: list[dict[str, Any]], unit: str
) -> dict[str, Any]:
    weekly = [{"t": r["t"], "series": "Close", "price": r["v"]} for r in rows[::5]]
    ind = S.pick(data, INDICATORS, ("ma_50", "ma_20", "sma_50"), prefer=(str(sym),))
    if ind:
        for col in [c for c in ind.ds.columns if c.lower().startswith(("ma_", "sma_"))][:3]:
            s2 = S.Series(ind.ds, ind.t, col, ind.g, sym if ind.g else None)
            pts = S.points(data, s2, bucket="week")
            weekly += [
                {"t": p["t"], "series": col.upper().replace("_", " "), "price": p["v"]} for p in pts
            ]
    return L.chart_block(
        f"p-{L.slugify(str(sym or 'price'))}",
        label,
        charts.line(
            clean_rows(weekly), "t", "price", y_title=unit or "Price", color="series", fmt=",.2f"
        ),
        f"Line chart of {label} closes with moving averages.",
        table=latest_table(rows, [("Day", "t", 0), ("Close", "v", 2)]),
        dataset=PRICES,
        note="Every 5th trading day is drawn; moving averages are weekly points.",
        full=True,
    )


def _monthly(data: Data) -> list[dict[str, Any]]:
    s = S.pick(
        data,
        "prices_monthly",
        ("value", "price", "close"),
        group_cols=("series", "series_id", "symbol", "indicator", "name"),
    )
    if s is None:
        return [
            L.empty_block(
                "monthly",
                "Monthly reference prices",
                L.no_data(data.get("prices_monthly")),
                full=True,
            )
        ]
    d = s.ds
    if "coffee_type" in d.columns and "source" in d.columns:
        label = "coffee_type || ' (' || source || ')'"
    else:
        label = f'"{s.g}"' if s.g else "'value'"
    where_all = f'SELECT "{s.t}" AS t, {label} AS series, "{s.v}" AS v FROM "{d.view}"'
    rows = data.rows(where_all + " WHERE v IS NOT NULL ORDER BY series, t")
    return [
        L.chart_block(
            "monthly",
            "Monthly reference prices",
            charts.line(
                clean_rows(rows),
                "t",
                "v",
                y_title=s.ds.unit(s.v) or "Price",
                color="series",
                color_title="Series",
                fmt=",.2f",
            ),
            "Line chart of monthly reference coffee prices (World Bank, FRED/IMF).",
            full=True,
            dataset="prices_monthly",
        )
    ]


# --- Warehouse --------------------------------------------------------------------------------
