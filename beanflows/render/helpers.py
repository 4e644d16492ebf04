"""Helpers the page modules share: every page imports these (and layout, charts, series,
data), never another page. Dataset names that more than one page reads live here too.
"""

from __future__ import annotations

import re
from typing import Any

from beanflows.render import charts
from beanflows.render import layout as L
from beanflows.render import series as S
from beanflows.render.data import Data, direction, fmt, iso, signed

WORLD = "WORLD"
PRICES = "prices_daily"
COT = "cot_positioning"
ALERTS = "weather_alerts"
MM_NET = ("mm_net", "managed_money_net", "m_money_net", "money_manager_net", "mm_net_contracts")
COT_IDX = {
    w: (f"cot_index_mm_{w}w", f"cot_index_{w}w", f"mm_cot_index_{w}w") for w in (26, 52, 156)
}


def mbags(v: float | None) -> float | None:
    return None if v is None else round(v / 1000.0, 3)


def pct(new: float | None, old: float | None) -> float | None:
    if new is None or old in (None, 0):
        return None
    return (new - old) / abs(old) * 100.0


def tier_note(data: Data, names: list[str]) -> str:
    """The free-tier notice, with the windows the catalog states for the page's datasets."""
    years = set()
    for n in names:
        m = re.search(r"(\d+) (?:market )?years?", str(data.get(n).meta.get("free_window") or ""))
        if m:
            years.add(int(m.group(1)))
    span = f"the most recent {max(years)} years" if years else "the most recent years"
    return (
        f"Public page (free tier): {span} of each dataset. The full history is in the Pro "
        "files listed on the Downloads page."
    )


# --- pages of the market data --------------------------------------------------------------


def page_meta(data: Data, names: list[str]) -> dict[str, Any]:
    """What every page states about its datasets: as-of dates, sources and stale banners."""
    return {
        "as_of": L.as_of(data, names),
        "sources": L.sources_for(data, names),
        "banners": L.banners_for(data, names),
    }


def page_base(data: Data, names: list[str]) -> dict[str, Any]:
    """page_meta plus the free-tier notice for the datasets that have a file."""
    return {
        **page_meta(data, names),
        "tier_note": tier_note(data, [n for n in names if data.get(n).ok]),
    }


def no_data_page(
    slug: str, title: str, desc: str, takeaway: str, block: str, ds: Any, **base: Any
) -> dict[str, Any]:
    """A section's page while its dataset has no free file: one full-width block saying why."""
    return L.page(
        slug,
        slug,
        title,
        desc,
        takeaway=takeaway,
        blocks=[L.empty_block("none", block, L.no_data(ds), full=True)],
        **base,
    )


def year_lines(rows: list[dict[str, Any]], color: str, fmt: str, **kw: Any) -> dict[str, Any]:
    """Lines of `mbags` (million bags) by market year, one per `color` value, with points."""
    kw.setdefault("y_title", "M bags")
    return charts.line(
        rows, "market_year", "mbags", x_type="O", color=color, point=True, fmt=fmt, **kw
    )


def clean_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
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


def latest_table(rows: list[dict[str, Any]], cols: list[tuple[str, str, int]], n: int = 12) -> dict:
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


COFFEE_C_MARKET = "083731"  # cot_positioning holds every configured commodity's market


def cot_series(data: Data) -> S.Series | None:
    """Coffee C's managed money net: the coffee pages never fall back to another market."""
    s = S.pick(data, COT, MM_NET, prefer=(COFFEE_C_MARKET, "coffee c"))
    group = str(s.group).lower() if s is not None and s.g else COFFEE_C_MARKET
    if COFFEE_C_MARKET not in group and "coffee c" not in group:
        return None  # no Coffee C rows: another commodity's are no substitute
    return s


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


# --- USDA supply and its revisions -------------------------------------------------------


def world_rows(data: Data) -> list[dict[str, Any]]:
    ds = data.get("coffee_balance")
    return data.rows(
        f"""SELECT market_year, marketing_year, production, imports, exports, domestic_consumption,
                  ending_stocks, stock_to_use
           FROM "{ds.view}" WHERE country_code = ? ORDER BY market_year""",
        [WORLD],
    )


def balance_table(rows: list[dict[str, Any]], caption: str, *, imports: bool) -> Any:
    """The balance rows of coffee_balance as a table, newest market year first."""
    cols = ["production", "imports", "exports", "domestic_consumption", "ending_stocks"]
    cols = [c for c in cols if imports or c != "imports"]
    heads = {"domestic_consumption": "Consumption", "ending_stocks": "Ending stocks"}
    return L.table(
        [("Market year", False)]
        + [(heads.get(c, c.capitalize()), True) for c in cols]
        + [("Stock-to-use %", True)],
        [
            [r["marketing_year"], *(fmt(r[c]) for c in cols), fmt(r["stock_to_use"], 1)]
            for r in reversed(rows)
        ],
        caption,
    )


def kpi_pct(label: str, rows: list[dict[str, Any]], col: str, ym: str) -> dict[str, Any]:
    vals = [r[col] for r in rows]
    new, old = vals[-1], (vals[-2] if len(vals) > 1 else None)
    ch = None if new is None or old is None else new - old
    return {
        "label": label,
        "value": fmt(new, 1),
        "unit": "%",
        "change": f"{signed(ch, 1)} pt y/y" if ch is not None else "",
        "direction": direction(ch),
        "sub": ym,
        "spark": charts.spark_svg(vals),
        "href": "/supply/",
    }


def kpi_mbags(
    label: str, rows: list[dict[str, Any]], col: str, digits: int, **extra: Any
) -> dict[str, Any]:
    """A KPI card of a balance column by market year: million bags, change in % y/y."""
    vals = [r[col] for r in rows]
    new, old = vals[-1], (vals[-2] if len(vals) > 1 else None)
    ch = pct(new, old)
    return {
        "label": label,
        "value": fmt(mbags(new), digits),
        "unit": "M bags",
        "change": f"{signed(ch, 1, '%')} y/y" if ch is not None else "",
        "direction": direction(ch),
        "sub": rows[-1]["marketing_year"],
        "spark": charts.spark_svg(vals),
        **extra,
    }


def country_vintages(
    data: Data, code: str, attribute_id: str, name: str, bid: str, title: str
) -> dict[str, Any] | None:
    """Chart + table: one key's value per market year in every vintage (USDA's view then)."""
    ds = data.get("psd_coffee_vintages")
    rows = data.group(
        f"""SELECT country_code, release || ' ' || REPLACE(release_type, '_', ' ') AS vintage,
                  market_year, marketing_year, value
           FROM "{ds.view}" WHERE attribute_id = ?
           ORDER BY release, release_type, market_year""",
        "country_code",
        code,
        [attribute_id],
    )
    if not rows:
        return None
    vins = list(dict.fromkeys(r["vintage"] for r in rows))
    years = sorted({(r["market_year"], r["marketing_year"]) for r in rows}, reverse=True)
    cell = {(r["vintage"], r["market_year"]): r["value"] for r in rows}
    table_rows = []
    for my, label in years:
        vals = [cell.get((v, my)) for v in vins]
        known = [x for x in vals if x is not None]
        change = known[-1] - known[0] if len(known) > 1 else None
        table_rows.append([label, *[fmt(x) for x in vals], signed(change)])
    spec = year_lines(
        [
            {"vintage": r["vintage"], "market_year": r["market_year"], "mbags": mbags(r["value"])}
            for r in rows
        ],
        "vintage",
        ",.2f",
        color_title="USDA release",
    )
    latest = years[0][1]
    return L.chart_block(
        bid,
        title,
        spec,
        f"Line chart of {name}'s estimate by market year, one line per USDA release "
        f"({', '.join(vins)}).",
        table=L.table(
            [("Market year", False), *[(v, True) for v in vins], ("Revised by", True)],
            table_rows,
            f"{name}, 1000 60 kg bags; latest market year {latest}",
        ),
        full=True,
        dataset="psd_coffee_vintages",
    )
