"""Positioning (CFTC COT), Prices, Warehouse (ICE certified stocks) and Weather pages.

Daily series are cut to weekly points in SQL (the last trading day of each week) before they
reach a chart: five years stay around 260 points per line, a few KB gzip per page.
"""

from __future__ import annotations

from typing import Any

from beanflows.render import charts
from beanflows.render import layout as L
from beanflows.render import series as S
from beanflows.render.data import Data, fmt, iso, signed
from beanflows.render.pages_supply import pct, tier_note

COT = "cot_positioning"
MM_NET = ("mm_net", "managed_money_net", "m_money_net", "money_manager_net", "mm_net_contracts")
COMM_NET = (
    "commercial_net",
    "comm_net",
    "prod_merc_net",
    "producer_merchant_net",
    "commercials_net",
)
MM_PCT = ("mm_net_pct_oi", "mm_net_oi_pct", "mm_pct_oi", "managed_money_net_pct_oi", "mm_net_pct")
COT_IDX = {
    w: (f"cot_index_mm_{w}w", f"cot_index_{w}w", f"mm_cot_index_{w}w") for w in (26, 52, 156)
}
PRICES = "prices_daily"
INDICATORS = "price_indicators"
NAMES = {"KC=F": "Coffee C (arabica)", "RC=F": "Robusta"}


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
        "direction": "up" if (ch or 0) >= 0 else "down",
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


def cot_series(data: Data) -> S.Series | None:
    return S.pick(data, COT, MM_NET, prefer=("coffee c", "kc", "coffee"))


def positioning(data: Data) -> dict[str, Any]:
    names = [COT, PRICES]
    desc = "Who is long coffee: CFTC managed-money and commercial net positions, COT index."
    s = cot_series(data)
    if s is None:
        return L.page(
            "positioning",
            "positioning",
            "Positioning",
            desc,
            takeaway="No positioning data yet.",
            blocks=[
                L.empty_block("none", "Commitments of Traders", L.no_data(data.get(COT)), full=True)
            ],
            **_base(data, names),
        )
    ds = s.ds
    comm = S.value_column(ds, COMM_NET)
    mpct = S.value_column(ds, MM_PCT)
    idx = {w: S.value_column(ds, c) for w, c in COT_IDX.items()}
    extra = tuple(c for c in [comm, mpct, *idx.values()] if c)
    rows = S.points(data, s, columns=extra)
    if not rows:
        return L.page(
            "positioning",
            "positioning",
            "Positioning",
            desc,
            takeaway="No positioning rows yet.",
            **_base(data, names),
        )
    last = rows[-1]
    i52 = idx.get(52)
    side = "net long" if (last["v"] or 0) >= 0 else "net short"
    takeaway = (
        f"Managed money is {side} {fmt(abs(last['v']))} contracts"
        + (f" ({fmt(last[mpct], 1)}% of open interest)" if mpct else "")
        + (f"; COT index (52 w) {fmt(last[i52], 0)} of 100" if i52 else "")
        + f", week of {iso(last['t'])}."
    )
    kpis = [kpi("Managed money net", rows, unit=" contracts", change_unit="")]
    if mpct:
        kpis.append(
            kpi(
                "MM net % of OI",
                [{"t": r["t"], "v": r[mpct]} for r in rows],
                digits=1,
                unit="%",
                change_unit=" pt",
            )
        )
    for w, c in idx.items():
        if c:
            kpis.append(
                kpi(f"COT index {w} w", [{"t": r["t"], "v": r[c]} for r in rows], change_unit=" pt")
            )
    long = [{"t": r["t"], "group": "Managed money", "net": r["v"]} for r in rows]
    if comm:
        long += [{"t": r["t"], "group": "Commercials", "net": r[comm]} for r in rows]
    blocks = [
        L.chart_block(
            "nets",
            "Net positions",
            charts.line(_t(long), "t", "net", y_title="Contracts", color="group", zero=True),
            f"Line chart of weekly net positions; managed money latest {fmt(last['v'])} contracts.",
            table=_table(
                rows,
                [("Week", "t", 0), ("MM net", "v", 0)]
                + ([("Commercial net", comm, 0)] if comm else []),
            ),
            full=True,
        )
    ]
    idx_rows = [
        {"t": r["t"], "window": f"{w} w", "index": r[c]} for r in rows for w, c in idx.items() if c
    ]
    if idx_rows:
        blocks.append(
            L.chart_block(
                "cotidx",
                "COT index (managed money)",
                charts.line(
                    _t([r for r in idx_rows if r["index"] is not None]),
                    "t",
                    "index",
                    y_title="0 = lowest, 100 = highest net",
                    color="window",
                    zero=True,
                ),
                "Line chart of the COT index over 26, 52 and 156 weeks.",
                note="COT index = (net − min net) / (max net − min net) × 100 over the window.",
            )
        )
    if mpct:
        blocks.append(
            L.chart_block(
                "pctoi",
                "Managed money net, % of open interest",
                charts.line(
                    _t([{"t": r["t"], "pct": r[mpct]} for r in rows]),
                    "t",
                    "pct",
                    y_title="%",
                    zero=True,
                    fmt=".1f",
                ),
                "Line chart of managed-money net position as a share of open interest.",
            )
        )
    price = S.pick(data, PRICES, ("close", "settle", "price"), prefer=("KC",))
    if price:
        pr = {iso(r["t"]): r["v"] for r in S.points(data, price)}
        both = [{"t": iso(r["t"]), "net": r["v"], "price": pr.get(iso(r["t"]))} for r in rows]
        both = [b for b in both if b["price"] is not None]
        if both:
            blocks.append(
                L.chart_block(
                    "vsprice",
                    "Managed money against the Coffee C price",
                    charts.dual(both, "t", "net", "MM net (contracts)", "price", "Price (US c/lb)"),
                    "Managed-money net position (area) against the front-month price (line).",
                    full=True,
                )
            )
    return L.page(
        "positioning",
        "positioning",
        "Positioning",
        desc,
        takeaway=takeaway,
        kpis=kpis,
        blocks=blocks,
        **_base(data, names),
    )


# --- Prices -----------------------------------------------------------------------------------


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
        **_base(data, names),
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
        charts.line(_t(weekly), "t", "price", y_title=unit or "Price", color="series", fmt=",.2f"),
        f"Line chart of {label} closes with moving averages; latest {fmt(rows[-1]['v'], 2)}.",
        table=_table(rows, [("Day", "t", 0), ("Close", "v", 2)]),
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
                _t(rows),
                "t",
                "v",
                y_title=s.ds.unit(s.v) or "Price",
                color="series",
                color_title="Series",
                fmt=",.2f",
            ),
            "Line chart of monthly reference coffee prices (World Bank, FRED/IMF).",
            full=True,
        )
    ]


# --- Warehouse --------------------------------------------------------------------------------


def warehouse(data: Data) -> dict[str, Any]:
    main, port_ds, rec = (
        "ice_certified_stocks",
        "ice_certified_stocks_by_port",
        "ice_certified_stocks_reconciliation",
    )
    names = [main, port_ds, rec]
    desc = "ICE certified Arabica stocks: daily total, by delivery port, source disagreements."
    s = S.pick(data, main, ("bags", "value", "stocks"), group_cols=())
    kpis, blocks = [], []
    takeaway = "No certified-stock data yet."
    if s is None:
        blocks.append(
            L.empty_block("total", "Certified stocks", L.no_data(data.get(main)), full=True)
        )
    else:
        rows = S.points(data, s)
        if rows:
            last, ch, _ = S.latest_change(rows)
            yago = [r for r in rows if (rows[-1]["t"] - r["t"]).days >= 365]
            y_ch = pct(last, yago[-1]["v"]) if yago else None
            takeaway = (
                f"ICE certified Arabica stocks stand at {fmt(last)} bags on {iso(rows[-1]['t'])}"
                + (f", {signed(y_ch, 1, '%')} on a year earlier." if y_ch is not None else ".")
            )
            kpis.append(kpi("Certified stocks", rows, unit=" bags", href="/warehouse/"))
            weekly = S.points(data, s, bucket="week")
            blocks.append(
                L.chart_block(
                    "total",
                    "Certified Arabica stocks",
                    charts.line(
                        _t([{"t": r["t"], "bags": r["v"]} for r in weekly]),
                        "t",
                        "bags",
                        y_title="Bags (60 kg)",
                    ),
                    f"Line chart of certified stocks, latest {fmt(last)} bags.",
                    table=_table(rows, [("Day", "t", 0), ("Bags", "v", 0)]),
                    full=True,
                )
            )
    ps = S.pick(data, port_ds, ("bags", "value"), group_cols=())
    if ps and (pcol := ps.ds.column("port_name", "port")):
        prow = data.rows(
            f"""SELECT DATE_TRUNC('month', "{ps.t}") AS t, "{pcol}" AS port,
                      ARG_MAX("{ps.v}", "{ps.t}") AS bags
               FROM "{ps.ds.view}" GROUP BY ALL ORDER BY port, t"""
        )
        blocks.append(
            L.chart_block(
                "ports",
                "By delivery port (month-end)",
                charts.line(
                    _t(prow),
                    "t",
                    "bags",
                    y_title="Bags (60 kg)",
                    color="port",
                    color_title="Port",
                    zero=True,
                ),
                "Line chart of certified stocks by delivery port, month-end values.",
                full=True,
            )
        )
    else:
        blocks.append(L.empty_block("ports", "By delivery port", L.no_data(data.get(port_ds))))
    r = data.get(rec)
    if r.ok:
        t = S.time_column(r)
        rrows = data.rows(f'SELECT * FROM "{r.view}" ORDER BY "{t}" DESC LIMIT 15') if t else []
        cols = [c for c in r.columns][:7]
        blocks.append(
            L.table_block(
                "recon",
                "Reconciliation flags: days the upstream forms disagree",
                L.table(
                    [(c.replace("_", " "), r.numeric(c)) for c in cols],
                    [
                        [fmt(x.get(c)) if r.numeric(c) else iso(x.get(c)) for c in cols]
                        for x in rrows
                    ],
                    "Newest first; nothing is averaged",
                ),
                note="No disagreements on file." if not rrows else "",
                full=True,
            )
        )
    else:
        blocks.append(L.empty_block("recon", "Reconciliation flags", L.no_data(r)))
    return L.page(
        "warehouse",
        "warehouse",
        "Warehouse",
        desc,
        takeaway=takeaway,
        kpis=kpis,
        blocks=blocks,
        **_base(data, names),
    )


# --- Weather ----------------------------------------------------------------------------------

ALERTS = "weather_alerts"
DAILY = "weather_daily"


def active_alerts(data: Data) -> list[dict[str, Any]]:
    """Alerts on the newest alert day (the 'active' ones)."""
    ds = data.get(ALERTS)
    t = S.time_column(ds) if ds.ok else None
    if not t:
        return []
    end = ds.column("end_date") or t
    # active: still running on the newest day the dataset covers
    return data.rows(
        f"""SELECT * FROM "{ds.view}" WHERE "{end}" >= (SELECT MAX("{end}") FROM "{ds.view}")
           ORDER BY ALL"""
    )


def weather(data: Data) -> dict[str, Any]:
    names = [DAILY, ALERTS]
    desc = "Weather in coffee regions: temperature, rain, frost and dry-spell alerts."
    blocks, kpis = [], []
    alerts = active_alerts(data)
    ads = data.get(ALERTS)
    kind = ads.column("alert", "alert_type", "kind", "type") if ads.ok else None
    region = ads.column("region_name", "region", "location", "area") if ads.ok else None
    takeaway = "No weather data yet."
    if ads.ok:
        takeaway = (
            f"{len(alerts)} active alert(s): "
            + ", ".join(f"{a.get(kind, 'alert')} in {a.get(region, '?')}" for a in alerts[:4])
            if alerts
            else "No active frost or dry-spell alerts."
        )
        kpis.append(
            {
                "label": "Active weather alerts",
                "value": str(len(alerts)),
                "sub": "frost and dry-spell",
                "href": "/weather/",
            }
        )
        cols = ads.columns[:7]
        t = S.time_column(ads)
        recent = data.rows(f'SELECT * FROM "{ads.view}" ORDER BY "{t}" DESC LIMIT 20')
        blocks.append(
            L.table_block(
                "alerts",
                "Frost and dry-spell alerts",
                L.table(
                    [(c.replace("_", " "), ads.numeric(c)) for c in cols],
                    [
                        [fmt(x.get(c), 1) if ads.numeric(c) else iso(x.get(c)) for c in cols]
                        for x in recent
                    ],
                    "Newest first",
                ),
                note="" if recent else "No alerts on file.",
                full=True,
            )
        )
    else:
        blocks.append(L.empty_block("alerts", "Alerts", L.no_data(ads), full=True))
    d = data.get(DAILY)
    reg = d.column("region_name", "region", "location", "area") if d.ok else None
    t = S.time_column(d) if d.ok else None
    if d.ok and reg and t:
        for label, cands, agg, unit in (
            (
                "Minimum temperature (weekly low)",
                ("tmin_c", "tmin", "temperature_min", "temp_min", "temperature_2m_min"),
                "MIN",
                "°C",
            ),
            (
                "Rainfall (weekly total)",
                ("precip_mm", "precip", "precipitation", "rain", "precipitation_sum"),
                "SUM",
                "mm",
            ),
        ):
            col = S.value_column(d, cands)
            if not col:
                continue
            rows = data.rows(
                f"""SELECT DATE_TRUNC('week', "{t}") AS t, "{reg}" AS region,
                          ROUND({agg}("{col}"), 1) AS v
                   FROM "{d.view}" WHERE "{t}" > (SELECT MAX("{t}") FROM "{d.view}")
                        - INTERVAL 1 YEAR
                   GROUP BY ALL ORDER BY region, t"""
            )
            blocks.append(
                L.chart_block(
                    f"w-{L.slugify(label)}",
                    label + ", last 12 months",
                    charts.line(
                        _t(rows),
                        "t",
                        "v",
                        y_title=unit,
                        color="region",
                        color_title="Region",
                        fmt=".1f",
                    ),
                    f"Line chart of {label.lower()} per coffee region over the last year.",
                    full=True,
                )
            )
    else:
        blocks.append(L.empty_block("daily", "Daily weather", L.no_data(d), full=True))
    return L.page(
        "weather",
        "weather",
        "Weather",
        desc,
        takeaway=takeaway,
        kpis=kpis,
        blocks=blocks,
        **_base(data, names),
    )
