"""Origins: a page per producing country, and a comparison page across countries.

Each country page shows its balance, production by type (arabica/robusta from psd_coffee) and
how USDA's estimate moved across releases (psd_coffee_vintages, when a free file exists).
"""

from __future__ import annotations

from typing import Any

from markupsafe import Markup, escape

from beanflows.render import layout as L
from beanflows.render.data import Data, fmt, signed
from beanflows.render.helpers import (
    WORLD,
    balance_table,
    country_vintages,
    kpi_mbags,
    mbags,
    no_data_page,
    page_meta,
    pct,
    tier_note,
    year_lines,
)

DS = ["coffee_balance", "psd_coffee", "psd_coffee_vintages"]
TYPES = {"029": "Arabica", "053": "Robusta", "056": "Other"}


def producers(data: Data) -> list[dict[str, Any]]:
    """Countries with production in the latest free year, largest first."""
    ds = data.get("coffee_balance")
    if not ds.ok:
        return []
    return data.rows(
        f"""WITH y AS (SELECT MAX(market_year) AS y FROM "{ds.view}")
           SELECT c.country_code, c.country, c.marketing_year, c.production, c.exports,
                  c.domestic_consumption, c.ending_stocks, c.stock_to_use,
                  p.production AS prev_production,
                  c.production / NULLIF(w.production, 0) * 100 AS share
           FROM "{ds.view}" c JOIN y ON c.market_year = y.y
           LEFT JOIN "{ds.view}" p ON p.country_code = c.country_code
                AND p.market_year = c.market_year - 1
           LEFT JOIN "{ds.view}" w ON w.country_code = ? AND w.market_year = c.market_year
           WHERE c.country_code <> ? AND c.production > 0
           ORDER BY c.production DESC, c.country""",
        [WORLD, WORLD],
    )


def slug(country: str) -> str:
    return "origins/" + L.slugify(country)


def build(data: Data) -> list[dict[str, Any]]:
    base = {**page_meta(data, DS), "tier_note": tier_note(data, DS)}
    prods = producers(data)
    desc = "Coffee producing countries compared: production, exports, share, stock-to-use."
    if not prods:
        ds = data.get("coffee_balance")
        return [
            no_data_page(
                "origins", "Origins", desc, "No origin data yet.", "Producing countries", ds, **base
            )
        ]
    pages = [_comparison(data, prods, base, desc)]
    for p in prods:
        pages.append(_country(data, p, base))
    return pages


def _comparison(
    data: Data, prods: list[dict[str, Any]], base: dict[str, Any], desc: str
) -> dict[str, Any]:
    ym = prods[0]["marketing_year"]
    top = prods[:5]
    share5 = sum(p["share"] or 0 for p in top)
    takeaway = (
        f"The top 5 origins grow {fmt(share5, 0)}% of the world's coffee in {ym}; "
        f"{prods[0]['country']} alone {fmt(prods[0]['share'], 0)}%."
    )
    ds = data.get("coffee_balance")
    codes = [p["country_code"] for p in prods[:8]]
    hist = data.rows(
        f"""SELECT country, market_year, production FROM "{ds.view}"
           WHERE country_code IN (SELECT UNNEST(?)) ORDER BY market_year, country""",
        [codes],
    )
    order = {p["country"]: i for i, p in enumerate(prods)}
    hist.sort(key=lambda r: (order[r["country"]], r["market_year"]))
    spec = year_lines(
        [
            {
                "country": r["country"],
                "market_year": r["market_year"],
                "mbags": mbags(r["production"]),
            }
            for r in hist
        ],
        "country",
        ",.1f",
        color_title="Origin",
    )
    rows = [
        [
            Markup(f'<a href="/{slug(p["country"])}/">{escape(p["country"])}</a>'),
            fmt(p["production"]),
            signed(pct(p["production"], p["prev_production"]), 1),
            fmt(p["share"], 1),
            fmt(p["exports"]),
            fmt(p["domestic_consumption"]),
            fmt(p["ending_stocks"]),
            fmt(p["stock_to_use"], 1),
        ]
        for p in prods
    ]
    tbl = L.table(
        [
            ("Origin", False),
            ("Production", True),
            ("y/y %", True),
            ("World share %", True),
            ("Exports", True),
            ("Consumption", True),
            ("Ending stocks", True),
            ("Stock-to-use %", True),
        ],
        rows,
        f"{ym}, 1000 60 kg bags; click a country for its page",
    )
    return L.page(
        "origins",
        "origins",
        "Origins",
        desc,
        takeaway=takeaway,
        blocks=[
            L.chart_block(
                "top8",
                "Production of the 8 largest origins",
                spec,
                "Line chart of production by market year for the eight largest origins: "
                + ", ".join(p["country"] for p in prods[:8])
                + ".",
                full=True,
                dataset="coffee_balance",
                note="Press an origin in the key to isolate it.",
            ),
            L.table_block("all", f"All producing countries, {ym}", tbl, full=True),
        ],
        **base,
    )


def _country(data: Data, p: dict[str, Any], base: dict[str, Any]) -> dict[str, Any]:
    name, code = p["country"], p["country_code"]
    ds = data.get("coffee_balance")
    hist = data.group(
        f"""SELECT country_code, market_year, marketing_year, production, exports,
                  domestic_consumption, ending_stocks, stock_to_use
           FROM "{ds.view}" ORDER BY market_year""",
        "country_code",
        code,
    )
    ch = pct(p["production"], p["prev_production"])
    takeaway = (
        f"USDA puts {name}'s {p['marketing_year']} crop at {fmt(mbags(p['production']), 2)} M "
        f"bags ({signed(ch, 1, '%')} y/y), {fmt(p['share'], 1)}% of world production."
        if ch is not None
        else f"USDA puts {name}'s {p['marketing_year']} crop at "
        f"{fmt(mbags(p['production']), 2)} M bags."
    )
    kpis = [
        kpi_mbags("Production", hist, "production", 2),
        kpi_mbags("Exports", hist, "exports", 2),
        kpi_mbags("Domestic consumption", hist, "domestic_consumption", 2),
        kpi_mbags("Ending stocks", hist, "ending_stocks", 2),
    ]
    long = [
        {"market_year": r["market_year"], "series": s, "mbags": mbags(r[c])}
        for r in hist
        for s, c in (
            ("Production", "production"),
            ("Exports", "exports"),
            ("Consumption", "domestic_consumption"),
            ("Ending stocks", "ending_stocks"),
        )
        if r[c] is not None
    ]
    blocks = [
        L.chart_block(
            "balance",
            "Balance",
            year_lines(long, "series", ",.2f"),
            f"Line chart of {name}'s production, exports, consumption and ending stocks.",
            dataset="coffee_balance",
            table=balance_table(hist, "1000 60 kg bags", imports=False),
        )
    ]
    blocks.append(_types(data, code, name))
    blocks.append(_revisions(data, code, name))
    return L.page(
        slug(name),
        "origins",
        f"{name} coffee",
        f"{name} coffee production, exports, stocks and USDA revisions, by market year.",
        takeaway=takeaway,
        kpis=kpis,
        blocks=blocks,
        **base,
    )


def _types(data: Data, code: str, name: str) -> dict[str, Any]:
    ds = data.get("psd_coffee")
    if not ds.ok:
        return L.empty_block("types", "Arabica and robusta", L.no_data(ds))
    rows = data.group(
        f"""SELECT country_code, market_year, marketing_year, attribute_id, value
           FROM "{ds.view}" WHERE attribute_id IN ('029', '053', '056')
           ORDER BY market_year, attribute_id""",
        "country_code",
        code,
    )
    rows = [r for r in rows if r["value"]]
    if not rows:
        return L.empty_block("types", "Arabica and robusta", f"No split by type for {name}.")
    vals = [
        {
            "market_year": r["market_year"],
            "type": TYPES[r["attribute_id"]],
            "mbags": mbags(r["value"]),
        }
        for r in rows
    ]
    return L.chart_block(
        "types",
        "Arabica and robusta",
        year_lines(vals, "type", ",.2f"),
        f"Line chart of {name}'s production by coffee type.",
        dataset="psd_coffee",
        table=L.table(
            [("Market year", False), ("Type", False), ("1000 bags", True)],
            [[r["marketing_year"], TYPES[r["attribute_id"]], fmt(r["value"])] for r in rows],
        ),
    )


def _revisions(data: Data, code: str, name: str) -> dict[str, Any]:
    title = "Production estimate in each USDA release"
    ds = data.get("psd_coffee_vintages")
    if not ds.ok:
        return L.empty_block("revisions", title, L.no_data(ds), full=True)
    block = country_vintages(data, code, "028", name, "revisions", title)
    return block or L.empty_block("revisions", title, f"No releases cover {name} yet.", full=True)
