"""What the brief says: SQL over the published Parquet files (OUT/data/pro), nothing else.

Every section takes the newest data on or before the week's end (Sunday) and carries that
date; a section whose date falls before the week's Monday says so. Every number is a `fact`
naming the dataset and column it comes from, so pages link it to its methodology page and
tests/test_brief_numbers.py can recompute it independently.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from beanflows.brief import weeks

KC, RC = "KC=F", "RC=F"
COFFEE_C_MARKET = "083731"
COT_EXTREME_POINTS = 10  # COT index <= 10 or >= 90 is flagged as an extreme
DATASETS = (
    "prices_daily",
    "cot_positioning",
    "ice_certified_stocks",
    "ice_certified_stocks_by_port",
    "psd_coffee_vintages",
    "weather_alerts",
    "weather_daily",
)


def connect(out_dir: Path) -> duckdb.DuckDBPyConnection:
    """In-memory DuckDB with one view per published dataset present in OUT."""
    con = duckdb.connect(config={"autoinstall_known_extensions": False})
    for name in DATASETS:
        path = Path(out_dir) / "data" / "pro" / f"{name}.parquet"
        if path.is_file():
            con.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet('{path}')")
    return con


def has(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return bool(con.execute("SELECT 1 FROM duckdb_views() WHERE view_name = ?", [name]).fetchone())


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    cur = con.execute(sql, params)
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]


def fact(value: Any, unit: str, day: Any, dataset: str, column: str) -> dict[str, Any]:
    """One published number with where it comes from (dataset, column, date)."""
    if isinstance(value, Decimal | float):
        value = round(float(value), 6)  # no last-bit noise in the brief's bytes
    return {"value": value, "unit": unit, "date": str(day)[:10] if day else None,
            "dataset": dataset, "column": column}  # fmt: skip


def _section(key: str, title: str, as_of: Any, monday: date, **rest: Any) -> dict[str, Any]:
    day = str(as_of)[:10] if as_of else None
    return {"key": key, "title": title, "as_of": day,
            "older": bool(day and day < monday.isoformat()), **rest}  # fmt: skip


_PRICE = """
WITH s AS (SELECT date, close, high, low FROM prices_daily
           WHERE symbol = ? AND close IS NOT NULL AND date <= ?),
now AS (SELECT date, close FROM s ORDER BY date DESC LIMIT 1),
prev AS (SELECT s.date, s.close FROM s, now WHERE s.date <= now.date - 7
         ORDER BY s.date DESC LIMIT 1)
SELECT now.date, now.close, prev.date AS prev_date, prev.close AS prev_close,
       (SELECT MAX(high) FROM s WHERE s.date BETWEEN now.date - 364 AND now.date) AS high_52w,
       (SELECT MIN(low) FROM s WHERE s.date BETWEEN now.date - 364 AND now.date) AS low_52w
FROM now LEFT JOIN prev ON TRUE
"""


def prices(con: duckdb.DuckDBPyConnection, monday: date, sunday: date) -> dict[str, Any]:
    """Coffee C and Robusta: close, change over a week, 52-week range (US cents/lb)."""
    items = []
    for symbol, label in ((KC, "Coffee C"), (RC, "Robusta")):
        row = _rows(con, _PRICE, [symbol, sunday]) if has(con, "prices_daily") else []
        if not row:
            continue
        r = row[0]
        change = r["close"] - r["prev_close"] if r["prev_close"] is not None else None
        pct = 100 * change / r["prev_close"] if change is not None and r["prev_close"] else None
        ds = "prices_daily"
        items.append({
            "symbol": symbol, "label": label,
            "close": fact(r["close"], "US cents/lb", r["date"], ds, "close"),
            "change": fact(change, "US cents/lb", r["date"], ds, "close"),
            "change_pct": fact(pct, "%", r["date"], ds, "close"),
            "prev_date": str(r["prev_date"]) if r["prev_date"] else None,
            "high_52w": fact(r["high_52w"], "US cents/lb", r["date"], ds, "high"),
            "low_52w": fact(r["low_52w"], "US cents/lb", r["date"], ds, "low"),
        })  # fmt: skip
    as_of = max((i["close"]["date"] for i in items), default=None)
    return _section("price", "Price", as_of, monday, items=items)


def positioning(con: duckdb.DuckDBPyConnection, monday: date, sunday: date) -> dict[str, Any]:
    """Managed money in Coffee C (futures only): net, weekly change, COT index 52 w.

    A report without the disaggregated (managed money) figures falls back to the legacy
    non-commercial net, and says so: the section never mixes the two in one number.
    """
    rows = []
    if has(con, "cot_positioning"):
        rows = _rows(
            con,
            """SELECT report_date, mm_net, mm_net_change, cot_index_mm_52w, noncomm_net,
                      noncomm_net_change, cot_index_noncomm_52w FROM cot_positioning
               WHERE market_code = ? AND report_type = 'futures_only' AND report_date <= ?
               ORDER BY report_date DESC LIMIT 1""",
            [COFFEE_C_MARKET, sunday],
        )
    if not rows:
        return _section("positioning", "Positioning", None, monday, net=None, items=[])
    r, ds = rows[0], "cot_positioning"
    group = "mm" if r["mm_net"] is not None else "noncomm"
    label = "Managed money" if group == "mm" else "Non-commercial (legacy report)"
    idx = r[f"cot_index_{group}_52w"]
    extreme = None
    if idx is not None and idx >= 100 - COT_EXTREME_POINTS:
        extreme = "extreme long"
    elif idx is not None and idx <= COT_EXTREME_POINTS:
        extreme = "extreme short"
    day = r["report_date"]
    return _section(
        "positioning", "Positioning", day, monday, group=group, label=label,
        net=fact(r[f"{group}_net"], "contracts", day, ds, f"{group}_net"),
        change=fact(r[f"{group}_net_change"], "contracts", day, ds, f"{group}_net_change"),
        index=fact(idx, "", day, ds, f"cot_index_{group}_52w"),  # 0-100
        extreme=extreme,
    )  # fmt: skip


_PORTS = """
WITH d AS (SELECT MAX(date) AS now FROM ice_certified_stocks_by_port WHERE date <= ?),
p AS (SELECT MAX(date) AS prev FROM ice_certified_stocks_by_port, d WHERE date <= d.now - 7),
a AS (SELECT port, port_name, bags, date FROM ice_certified_stocks_by_port, d WHERE date = d.now),
b AS (SELECT port, bags FROM ice_certified_stocks_by_port, p WHERE date = p.prev)
SELECT a.date, a.port, a.port_name, a.bags, a.bags - b.bags AS change
FROM a JOIN b ON a.port = b.port
WHERE a.bags <> b.bags
ORDER BY ABS(a.bags - b.bags) DESC, a.port
"""


def stocks(con: duckdb.DuckDBPyConnection, monday: date, sunday: date) -> dict[str, Any]:
    """ICE certified Arabica stocks: level, change over a week, the ports that moved most."""
    total = []
    if has(con, "ice_certified_stocks"):
        total = _rows(
            con,
            """WITH now AS (SELECT date, bags FROM ice_certified_stocks WHERE date <= ?
                            ORDER BY date DESC LIMIT 1)
               SELECT now.date, now.bags,
                      (SELECT bags FROM ice_certified_stocks s WHERE s.date <= now.date - 7
                       ORDER BY s.date DESC LIMIT 1) AS prev_bags,
                      (SELECT MAX(date) FROM ice_certified_stocks s
                       WHERE s.date <= now.date - 7) AS prev_date
               FROM now""",
            [sunday],
        )
    ports = _rows(con, _PORTS, [sunday]) if has(con, "ice_certified_stocks_by_port") else []
    ports = ports[:3]  # a port missing on either day has no weekly change: not ranked
    if not total:
        return _section("stocks", "Certified stocks", None, monday, bags=None, ports=[])
    r, ds = total[0], "ice_certified_stocks"
    change = r["bags"] - r["prev_bags"] if r["prev_bags"] is not None else None
    pds = "ice_certified_stocks_by_port"
    return _section(
        "stocks", "Certified stocks", r["date"], monday,
        bags=fact(r["bags"], "bags of 60 kg", r["date"], ds, "bags"),
        change=fact(change, "bags of 60 kg", r["date"], ds, "bags"),
        prev_date=str(r["prev_date"]) if r["prev_date"] else None,
        ports=[{"port": p["port"], "name": p["port_name"] or p["port"],
                "bags": fact(p["bags"], "bags of 60 kg", p["date"], pds, "bags"),
                "change": fact(p["change"], "bags of 60 kg", p["date"], pds, "bags")}
               for p in ports],
    )  # fmt: skip


_REVISIONS = """
WITH v AS (
  SELECT release, release_type, country_code, country, marketing_year, attribute_id, attribute,
         value, LAG(value) OVER k AS prev_value, LAG(release) OVER k AS prev_release
  FROM psd_coffee_vintages
  WHERE release <= ?
  WINDOW k AS (PARTITION BY country_code, market_year, attribute_id ORDER BY release, release_type)
)
SELECT release, country_code, country, marketing_year, attribute, value, prev_value,
       prev_release, value - prev_value AS revision
FROM v WHERE release = ? AND prev_value IS NOT NULL AND value <> prev_value
ORDER BY ABS(value - prev_value) DESC, country_code, marketing_year, attribute
LIMIT 5
"""


def supply(con: duckdb.DuckDBPyConnection, monday: date, sunday: date) -> dict[str, Any]:
    """USDA PSD: the newest release by the week's end; revisions when it came out this week.

    USDA dates a release by month only: a release counts as out in the first ISO week whose
    Sunday falls in its month (docs/brief.md).
    """
    if not has(con, "psd_coffee_vintages"):
        return _section("supply", "Supply", None, monday, release=None, new=False, revisions=[])
    month = sunday.strftime("%Y-%m")
    release = con.execute(
        "SELECT MAX(release) FROM psd_coffee_vintages WHERE release <= ?", [month]
    ).fetchone()[0]
    new = bool(release == month and (sunday - timedelta(days=7)).strftime("%Y-%m") < month)
    revisions = []
    if new:
        ds = "psd_coffee_vintages"
        revisions = [
            {"country": r["country"], "year": r["marketing_year"], "attribute": r["attribute"],
             "prev_release": r["prev_release"],
             "value": fact(r["value"], "1000 60 kg bags", release + "-01", ds, "value"),
             "revision": fact(r["revision"], "1000 60 kg bags", release + "-01", ds, "value")}
            for r in _rows(con, _REVISIONS, [release, release])
        ]  # fmt: skip
    as_of = f"{release}-01" if release else None
    return _section("supply", "Supply", as_of, monday, release=release, new=new,
                    revisions=revisions)  # fmt: skip


def weather(con: duckdb.DuckDBPyConnection, monday: date, sunday: date) -> dict[str, Any]:
    """Frost and dry-spell alerts running in the 7 days up to the newest weather day."""
    if not (has(con, "weather_alerts") and has(con, "weather_daily")):
        return _section("weather", "Weather", None, monday, alerts=[])
    day = con.execute("SELECT MAX(date) FROM weather_daily WHERE date <= ?", [sunday]).fetchone()[0]
    if day is None:
        return _section("weather", "Weather", None, monday, alerts=[])
    rows = _rows(
        con,
        """SELECT region, region_name, alert_type, start_date, end_date, days, tmin_c,
                  precip_mm, is_forecast
           FROM weather_alerts WHERE start_date <= ? AND end_date >= ?
           ORDER BY alert_type, region, start_date""",
        [day, day - timedelta(days=6)],
    )
    ds = "weather_alerts"
    alerts = [
        {"region": r["region_name"] or r["region"], "type": r["alert_type"],
         "start": str(r["start_date"]), "end": str(r["end_date"]),
         "forecast": bool(r["is_forecast"]),
         "days": fact(r["days"], "days", r["end_date"], ds, "days"),
         "tmin_c": fact(r["tmin_c"], "°C", r["end_date"], ds, "tmin_c"),
         "precip_mm": fact(r["precip_mm"], "mm", r["end_date"], ds, "precip_mm")}
        for r in rows
    ]  # fmt: skip
    return _section("weather", "Weather", day, monday, alerts=alerts)


def changes(sections: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """The "what changed this week" table: one row per headline number."""
    out = []
    for item in sections["price"]["items"]:
        out.append({"what": f"{item['label']} close", "now": item["close"],
                    "change": item["change"]})  # fmt: skip
    pos = sections["positioning"]
    if pos["net"] is not None:
        out.append({"what": f"{pos['label']} net", "now": pos["net"], "change": pos["change"]})
        out.append({"what": "COT index 52 w", "now": pos["index"], "change": None})
    st = sections["stocks"]
    if st["bags"] is not None:
        out.append({"what": "ICE certified stocks", "now": st["bags"], "change": st["change"]})
    sup = sections["supply"]
    if sup["new"]:
        out.append({"what": f"USDA release {sup['release']}", "now": None, "change": None,
                    "note": f"{len(sup['revisions'])} largest revisions listed"})  # fmt: skip
    w = sections["weather"]
    if w["as_of"]:
        n = fact(len(w["alerts"]), "", w["as_of"], "weather_alerts", "alert_type")
        out.append({"what": "Active weather alerts", "now": n, "change": None})
    return out


def select(out_dir: Path, week: str) -> dict[str, Any]:
    """The whole brief's content for an ISO week, from OUT's published datasets."""
    monday, sunday = weeks.parse(week)
    con = connect(out_dir)
    try:
        sections = {
            "price": prices(con, monday, sunday),
            "positioning": positioning(con, monday, sunday),
            "stocks": stocks(con, monday, sunday),
            "supply": supply(con, monday, sunday),
            "weather": weather(con, monday, sunday),
        }
    finally:
        con.close()
    return {"week": week, "start": monday.isoformat(), "end": sunday.isoformat(),
            "sections": sections, "changes": changes(sections)}  # fmt: skip
