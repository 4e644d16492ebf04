"""Positioning page: CFTC Commitments of Traders nets, % of open interest, COT index."""

from typing import Any

from beanflows.render import charts
from beanflows.render import layout as L
from beanflows.render import series as S
from beanflows.render.data import Data, fmt, iso
from beanflows.render.helpers import (
    COT,
    COT_IDX,
    PRICES,
    clean_rows,
    cot_series,
    kpi,
    latest_table,
    no_data_page,
    page_base,
)

COMM_NET = (
    "commercial_net",
    "comm_net",
    "prod_merc_net",
    "producer_merchant_net",
    "commercials_net",
)
MM_PCT = ("mm_net_pct_oi", "mm_net_oi_pct", "mm_pct_oi", "managed_money_net_pct_oi", "mm_net_pct")


def positioning(data: Data) -> dict[str, Any]:
    names = [COT, PRICES]
    desc = "Who is long coffee: CFTC managed-money and commercial net positions, COT index."
    s = cot_series(data)
    if s is None:
        return no_data_page(
            "positioning",
            "Positioning",
            desc,
            "No positioning data yet.",
            "Commitments of Traders",
            data.get(COT),
            **page_base(data, names),
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
            **page_base(data, names),
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
            charts.line(
                clean_rows(long), "t", "net", y_title="Contracts", color="group", zero=True
            ),
            "Line chart of weekly net positions of managed money and commercials.",
            table=latest_table(
                rows,
                [("Week", "t", 0), ("MM net", "v", 0)]
                + ([("Commercial net", comm, 0)] if comm else []),
            ),
            full=True,
            dataset=COT,
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
                    clean_rows([r for r in idx_rows if r["index"] is not None]),
                    "t",
                    "index",
                    y_title="0 = lowest, 100 = highest net",
                    color="window",
                    zero=True,
                ),
                "Line chart of the managed-money COT index over "
                + " and ".join(
                    str(w) for w, c in idx.items() if c and any(r[c] is not None for r in rows)
                )
                + " weeks.",
                dataset=COT,
                note="COT index = (net − min net) / (max net − min net) × 100 over the window.",
            )
        )
    if mpct:
        blocks.append(
            L.chart_block(
                "pctoi",
                "Managed money net, % of open interest",
                charts.line(
                    clean_rows([{"t": r["t"], "pct": r[mpct]} for r in rows]),
                    "t",
                    "pct",
                    y_title="%",
                    zero=True,
                    fmt=".1f",
                ),
                "Line chart of managed-money net position as a share of open interest.",
                dataset=COT,
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
                    dataset=COT,
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
        **page_base(data, names),
    )


# --- Prices -----------------------------------------------------------------------------------
