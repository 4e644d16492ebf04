"""Weather page: growing-region daily weather with frost and dry-spell alerts."""

from typing import Any

from beanflows.render import charts
from beanflows.render import layout as L
from beanflows.render import series as S
from beanflows.render.data import Data, fmt, iso
from beanflows.render.helpers import ALERTS, active_alerts, clean_rows, page_base

DAILY = "weather_daily"


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
                        clean_rows(rows),
                        "t",
                        "v",
                        y_title=unit,
                        color="region",
                        color_title="Region",
                        fmt=".1f",
                    ),
                    f"Line chart of {label.lower()} per coffee region over the last year.",
                    dataset=DAILY,
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
        **page_base(data, names),
    )
