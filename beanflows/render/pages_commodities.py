"""Commodity pages: an index of every configured commodity and one page each.

The commodities come from the catalog (`commodities`, from commodities.toml), their numbers
from the three generic datasets, free tier only, like every public page. A page shows the
sections its commodity is configured for (balance, positioning, prices) and says plainly what
is missing and why (USDA PSD has no cocoa; a price file not fetched yet) instead of failing.
The navigation gets one entry whatever the count: the index is a sortable-at-a-glance table
(latest close, its year change, managed money, world production), so 40 commodities read as
40 rows, not 40 menu items.

Series are cut in SQL before they reach a chart (weekly closes, one report per week, yearly
balance), so a page stays a few KB however long the history.
"""

from __future__ import annotations

from typing import Any

from markupsafe import Markup, escape

from beanflows.render import charts
from beanflows.render import layout as L
from beanflows.render.data import Data, fmt, iso, signed
from beanflows.render.helpers import clean_rows, kpi, latest_table, page_base, pct

BALANCE = "commodity_balance"
POSITIONING = "commodity_positioning"
PRICES = "commodity_prices_daily"
NAMES = [BALANCE, POSITIONING, PRICES]
# World balance lines: USDA attribute ids shared by the PSD commodities.
BALANCE_LINES = {"028": "Production", "125": "Domestic consumption", "176": "Ending stocks"}
COFFEE_PAGES = [
    ("Supply", "/supply/"), ("Origins", "/origins/"), ("Positioning", "/positioning/"),
    ("Prices", "/prices/"), ("Warehouse", "/warehouse/"), ("Weather", "/weather/"),
]  # fmt: skip


def build(data: Data) -> list[dict[str, Any]]:
    """The index page, then one page per configured commodity (file order)."""
    commodities = data.catalog.get("commodities") or []
    pages = [_commodity_page(data, c) for c in commodities]
    return [_index(data, commodities), *pages]


_IDS = ", ".join(f"'{a}'" for a in BALANCE_LINES)
_LABELS = " ".join(f"WHEN '{a}' THEN '{label}'" for a, label in BALANCE_LINES.items())
# What each section reads ({view}: the dataset's table), cut for a chart: every commodity in
# one query, split by `commodity` (Data.group), oldest first within each.
QUERIES = {
    # (symbol, t, v, unit): the last close of each week
    "closes": (PRICES, 'SELECT commodity, symbol, "date" AS t, close AS v, quote_unit AS unit '
               "FROM {view} QUALIFY ROW_NUMBER() OVER (PARTITION BY commodity, symbol, "
               "DATE_TRUNC('week', \"date\") ORDER BY \"date\" DESC) = 1 "
               "ORDER BY commodity, symbol, t"),
    # futures-only weekly positioning of each commodity's first market
    "positions": (POSITIONING, "SELECT commodity, report_date AS t, mm_net AS v, mm_net_pct_oi, "
                  "noncomm_net, cot_index_mm_52w, market_code, market_name FROM {view} "
                  "WHERE report_type = 'futures_only' AND (commodity, market_code) IN "
                  "(SELECT commodity, MIN(market_code) FROM {view} GROUP BY commodity) "
                  "ORDER BY commodity, t"),
    # world totals per market year of production, consumption and ending stocks [1000 t]
    "balance": (BALANCE, f"SELECT commodity, market_year, CASE attribute_id {_LABELS} END AS "
                "series, SUM(value_1000t) AS v FROM {view} WHERE attribute_id IN "
                f"({_IDS}) AND value_1000t IS NOT NULL GROUP BY ALL "
                "ORDER BY commodity, market_year, series"),
}  # fmt: skip


def _query(data: Data, what: str, slug: str) -> list[dict[str, Any]]:
    """The rows of QUERIES[what] for one commodity; none when the dataset is not published
    (its section then says why)."""
    name, sql = QUERIES[what]
    ds = data.get(name)
    if not ds.ok:
        return []
    return data.group(sql.format(view=f'"{ds.view}"'), "commodity", slug)


def _missing(c: dict[str, Any], section: str, ds_name: str, data: Data) -> str:
    """Why a section has nothing to show, in the reader's words."""
    if section == "balance" and not c.get("psd_codes"):
        return f"USDA PSD does not cover {c['name']}: there is no supply and demand balance."
    if section == "prices" and not c.get("symbols"):
        return f"No futures symbol is configured for {c['name']}."
    if not data.get(ds_name).ok:
        return L.no_data(data.get(ds_name))
    return f"No {section} data for {c['name']} in the published files yet."


def _price_blocks(data: Data, c: dict[str, Any], full: bool) -> tuple[list[dict], list[dict]]:
    rows = _query(data, "closes", c["slug"])
    if not rows:
        text = _missing(c, "prices", PRICES, data)
        return [], [L.empty_block("prices", "Futures price", text, full=full)]
    kpis, blocks = [], []
    for symbol in dict.fromkeys(r["symbol"] for r in rows):
        pts = [r for r in rows if r["symbol"] == symbol]
        unit = pts[-1]["unit"] or ""
        kpis.append(kpi(f"{symbol} close", pts, digits=2, unit=f" {unit}", pct_change=True))
        blocks.append(
            L.chart_block(
                f"price-{L.slugify(symbol)}",
                f"{c['name']} futures ({symbol})",
                charts.line(clean_rows(pts), "t", "v", y_title=unit, fmt=",.2f"),
                f"Line chart of the weekly closing price of {symbol}, in {unit}.",
                table=latest_table(pts, [("Week's last close", "t", 0), ("Close", "v", 2)]),
                dataset=PRICES,
                note="The last trading day of each week is drawn.",
                full=full,
            )
        )
    return kpis, blocks


def _positioning_blocks(data: Data, c: dict[str, Any], full: bool) -> tuple[list[dict], list[dict]]:
    rows = _query(data, "positions", c["slug"])
    if not rows:
        text = _missing(c, "positioning", POSITIONING, data)
        return [], [L.empty_block("positioning", "Positioning", text, full=full)]
    market = f"{rows[-1]['market_name']} ({rows[-1]['market_code']})"
    card = kpi("Managed money net", rows, unit=" contracts", change_unit=" contracts")
    lines = [{"t": r["t"], "series": "Managed money net", "v": r["v"]} for r in rows]
    lines += [{"t": r["t"], "series": "Non-commercial net (legacy)", "v": r["noncomm_net"]}
              for r in rows]  # fmt: skip
    block = L.chart_block(
        "positioning",
        "Positioning (CFTC, futures only)",
        charts.line(
            clean_rows(lines),
            "t",
            "v",
            y_title="contracts",
            color="series",
            color_title="Trader class",
        ),  # fmt: skip
        f"Line chart of the weekly net positions of managed money and non-commercial traders "
        f"in {market}.",
        table=latest_table(
            rows,
            [
                ("Report date", "t", 0),
                ("Managed money net", "v", 0),
                ("% of open interest", "mm_net_pct_oi", 1),
                ("COT index 52 w", "cot_index_mm_52w", 0),
            ],
        ),  # fmt: skip
        dataset=POSITIONING,
        note=f"Market: {market}. Net = long minus short contracts.",
        full=full,
    )
    return [card], [block]


def _balance_blocks(data: Data, c: dict[str, Any], full: bool) -> tuple[list[dict], list[dict]]:
    rows = _query(data, "balance", c["slug"])
    if not rows:
        text = _missing(c, "balance", BALANCE, data)
        return [], [L.empty_block("balance", "Supply and demand", text, full=full)]
    prod = [{"t": r["market_year"], "v": r["v"]} for r in rows if r["series"] == "Production"]
    card = kpi("World production", prod, unit=" 1000 t", change_unit=" 1000 t")
    if prod:
        card["sub"] = f"market year {_marketing_year(prod[-1]['t'])}"
    block = L.chart_block(
        "balance",
        "World supply and demand (USDA PSD)",
        charts.line(
            clean_rows(rows),
            "market_year",
            "v",
            x_type="O",
            y_title="1000 t",
            color="series",
            color_title="Item",
            point=True,
        ),  # fmt: skip
        f"Line chart of {c['name']} world production, domestic consumption and ending stocks "
        "by market year, in thousand metric tonnes.",
        dataset=BALANCE,
        note="Sum of USDA's country figures, converted from the commodity's PSD unit "
        f"{c.get('psd_unit') or ''} to thousand metric tonnes.",
        full=full,
    )
    return ([card] if prod else []), [block]


DATASETS = {"balance": BALANCE, "positioning": POSITIONING, "prices": PRICES}
SECTIONS = {"balance": _balance_blocks, "positioning": _positioning_blocks, "prices": _price_blocks}


def _commodity_page(data: Data, c: dict[str, Any]) -> dict[str, Any]:
    kpis: list[dict[str, Any]] = []
    blocks: list[dict[str, Any]] = []
    shown = [s for s in ("prices", "positioning", "balance") if s in c.get("pages", [])]
    # Positioning and balance share a row (half cards, each chart drawn at two widths, not
    # three: at 40 commodities 80 drawings fewer a full render); a section alone spans it.
    pair = {"positioning", "balance"} <= set(shown)
    for section in shown:
        k, b = SECTIONS[section](data, c, section == "prices" or not pair)
        kpis += k
        blocks += b
    if c["slug"] == "coffee":
        links = " · ".join(f'<a href="{href}">{label}</a>' for label, href in COFFEE_PAGES)
        blocks.append(L.html_block("more", "More on coffee", f"<p>{links}</p>", full=True))
    blocks.append(L.html_block("all", "Other commodities",
                               '<p><a href="/commodities/">All commodities</a></p>'))  # fmt: skip
    cards = [k for k in kpis if not k.get("empty")]
    takeaway = (
        f"{c['name']}: "
        + "; ".join(f"{k['label']} {k['value']}{k.get('unit', '')}" for k in cards)
        + "."
        if cards
        else f"No published data for {c['name']} yet."
    )
    base = page_base(data, [DATASETS[s] for s in shown])
    if c.get("status") == "stale":  # a file only it needs failed: its rows are the last landed
        own = {"what": f"{c['name']}", "since": str(c.get("stale_since") or "?"),
               "why": str(c.get("stale_reason") or "")}  # fmt: skip
        base["banners"] = [own, *base["banners"]]
    return L.page(
        f"commodities/{c['slug']}",
        "commodities",
        c["name"],
        f"{c['name']}: futures price, CFTC positioning and USDA supply and demand.",
        takeaway=takeaway,
        kpis=kpis,
        blocks=blocks,
        **base,
    )


def _index_row(data: Data, c: dict[str, Any]) -> list[Any]:
    closes = _query(data, "closes", c["slug"])
    first = closes[0]["symbol"] if closes else None
    closes = [r for r in closes if r["symbol"] == first]
    year = (
        [r for r in closes if str(iso(r["t"])) >= _year_before(closes[-1]["t"])] if closes else []
    )
    change = pct(closes[-1]["v"], year[0]["v"]) if year else None
    pos = _query(data, "positions", c["slug"])
    prod = [r for r in _query(data, "balance", c["slug"]) if r["series"] == "Production"]
    link = Markup(f'<a href="/commodities/{escape(c["slug"])}/">{escape(c["name"])}</a>')
    if c.get("status") == "stale":
        link += Markup(' <span class="pill stale">stale</span>')
    spark = Markup(charts.spark_svg([r["v"] for r in closes[-52:]]))
    return [
        link,
        f"{fmt(closes[-1]['v'], 2)} {closes[-1]['unit']} ({first}, {iso(closes[-1]['t'])})"
        if closes
        else "—",
        signed(change, 1, "%") if change is not None else "—",
        spark,
        f"{fmt(pos[-1]['v'])} ({fmt(pos[-1]['mm_net_pct_oi'], 1)}% of OI)" if pos else "—",
        f"{fmt(prod[-1]['v'])} ({_marketing_year(prod[-1]['market_year'])})" if prod else "—",
    ]


def _marketing_year(market_year: int) -> str:
    """USDA's Market_Year 2025 is the 2024/25 marketing year."""
    return f"{market_year - 1}/{market_year % 100:02d}"


def _year_before(t: Any) -> str:
    day = str(iso(t))
    return f"{int(day[:4]) - 1}{day[4:]}"


def _index(data: Data, commodities: list[dict[str, Any]]) -> dict[str, Any]:
    rows = [_index_row(data, c) for c in commodities]
    table = L.table(
        [("Commodity", False), ("Latest close", True), ("1 year", True), ("Last year", False),
         ("Managed money net", True), ("World production, 1000 t (market year)", True)],
        rows,
        f"{len(rows)} commodities: the latest figures of each, from the generic datasets",
    )  # fmt: skip
    blocks = [L.table_block("all", "Every commodity", table, full=True)]
    if not commodities:
        blocks = [L.empty_block("all", "Commodities", "No commodity is configured.", full=True)]
    return L.page(
        "commodities",
        "commodities",
        "Commodities",
        f"{len(commodities)} commodities: futures prices, CFTC positioning and USDA supply and "
        "demand, one page each.",
        takeaway=f"{len(commodities)} commodities, one row each; open one for its charts.",
        blocks=blocks,
        **page_base(data, NAMES),
    )
