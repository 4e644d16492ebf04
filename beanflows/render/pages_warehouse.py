"""Warehouse page: ICE certified Arabica stocks, by port, and reconciliation flags."""

from typing import Any

from beanflows.render import charts
from beanflows.render import layout as L
from beanflows.render import series as S
from beanflows.render.data import Data, fmt, iso, signed
from beanflows.render.helpers import clean_rows, kpi, latest_table, page_base, pct


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
                        clean_rows([{"t": r["t"], "bags": r["v"]} for r in weekly]),
                        "t",
                        "bags",
                        y_title="Bags (60 kg)",
                    ),
                    "Line chart of ICE certified Arabica stocks, one point per week.",
                    table=latest_table(rows, [("Day", "t", 0), ("Bags", "v", 0)]),
                    dataset=main,
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
                    clean_rows(prow),
                    "t",
                    "bags",
                    y_title="Bags (60 kg)",
                    color="port",
                    color_title="Port",
                    zero=True,
                ),
                "Line chart of certified stocks by delivery port, month-end values.",
                dataset=port_ds,
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
        **page_base(data, names),
    )


# --- Weather ----------------------------------------------------------------------------------
