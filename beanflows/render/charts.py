"""Altair chart specs for the site: interactive (tooltips, a series picked from the key).

Altair builds each chart *shape* once (cached on its structural arguments, 2-20 ms each); the
rows are attached afterwards as inline values. Dozens of origin pages share one shape, which
keeps the whole render within its few-second budget. Shapes are also kept on disk (`chart_shapes`),
so a nightly does not pay Altair's fifth of a second again. Every selection/param has a fixed
name so specs are byte-identical from build to build.
"""

from __future__ import annotations

import copy
import json
from datetime import date
from typing import Any

import altair as alt

from beanflows.render.chart_shapes import kept as _kept

PALETTE = ["#1f5f8b", "#c0392b", "#2e8b57", "#b9770e", "#6c3483", "#117a8b", "#7f8c8d", "#a04000"]
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"

# Text in charts never goes below 12 px (phones included); the x axis asks for one tick per
# ~90 px of width and hides labels that would touch, so 375 px screens get fewer, readable ticks.
CONFIG: dict[str, Any] = {
    "font": FONT,
    "background": "transparent",
    "aria": False,  # the chart's container is one named image; per-mark labels are noise
    "view": {"stroke": None, "continuousHeight": 220},
    "axis": {
        "labelColor": "#3d4852",
        "titleColor": "#3d4852",
        "labelFontSize": 12,
        "titleFontSize": 12,
        "titleFontWeight": 500,
        "gridColor": "#e6e9ed",
        "domainColor": "#aab2bd",
        "tickColor": "#aab2bd",
        "labelOverlap": True,
        "labelSeparation": 8,
    },
    "axisX": {"tickCount": {"expr": "ceil(width / 90)"}},
    "legend": {
        "labelFontSize": 12,
        "titleFontSize": 12,
        "orient": "top",
        "labelColor": "#3d4852",
        "titleColor": "#3d4852",
    },
    "range": {"category": PALETTE},
    "mark": {"color": PALETTE[0]},
    "style": {"second": {"color": PALETTE[1]}},  # the second series of a dual-axis chart
    "line": {"strokeWidth": 1.8},
}

# What changes when the reader's system is dark (site.js merges it into each spec's config):
# light text, faint grid, and a palette lifted so every line keeps >= 3:1 on the dark card.
DARK_PALETTE = ["#7cb8e8", "#f08a7e", "#5cc98a", "#e0b050", "#c39be0", "#5fc4d4", "#b8c2cc"]
DARK_CONFIG: dict[str, Any] = {
    "axis": {
        "labelColor": "#c9d3dc",
        "titleColor": "#c9d3dc",
        "gridColor": "#2c3a47",
        "domainColor": "#5b6b7a",
        "tickColor": "#5b6b7a",
    },
    "legend": {"labelColor": "#c9d3dc", "titleColor": "#c9d3dc"},
    "range": {"category": [*DARK_PALETTE, "#f0a070"]},
    "mark": {"color": DARK_PALETTE[0]},
    "style": {"second": {"color": DARK_PALETTE[1]}},
}


def dark_config_json() -> str:
    """DARK_CONFIG as JSON safe inside a <script> element (one copy per page)."""
    return json.dumps(DARK_CONFIG, sort_keys=True, separators=(",", ":")).replace("</", "<\\/")


def _finish(chart: alt.TopLevelMixin) -> dict[str, Any]:
    with alt.utils.schemapi.debug_mode(False):
        spec = chart.properties(width="container").to_dict(validate=False)
    spec["config"] = CONFIG
    spec["autosize"] = {"type": "fit-x", "contains": "padding"}
    spec.pop("data", None)
    # data-less layers get a placeholder dataset from Altair: drop it so layers inherit ours
    spec.pop("datasets", None)
    for layer in spec.get("layer", []):
        layer.pop("data", None)
    return spec


def _color(field: str | None, title: str) -> tuple[dict[str, Any], list[Any]]:
    """Color encoding without a Vega legend, and a `pick` param that isolates one series.

    The page shows the series as an HTML key of buttons above the chart (layout.chart_block,
    site.js sets `pick` from it): the same key for the build-time drawing and for Vega's, so
    the page does not move when the chart is upgraded, it works from the keyboard, and a
    drawing without a legend costs vl-convert about a third less.
    """
    if not field:
        return {}, []
    pick = alt.param(name="pick", value=None)
    enc = {
        "color": alt.Color(f"{field}:N", title=title or None, sort=None, legend=None),
        "opacity": alt.condition(
            f"pick === null || datum[{json.dumps(field)}] === pick", alt.value(1.0), alt.value(0.15)
        ),
    }
    return enc, [pick]


@_kept
def _line(
    x: str,
    x_type: str,
    y: str,
    y_title: str,
    color: str | None,
    color_title: str,
    height: int,
    point: bool,
    zero: bool,
    year_param: bool,
    fmt: str,
) -> str:
    enc, params = _color(color, color_title)
    tooltip = [
        alt.Tooltip(f"{x}:{x_type}", title=x.replace("_", " ")),
        alt.Tooltip(f"{y}:Q", title=y_title, format=fmt),
    ]
    if color:
        tooltip.insert(0, alt.Tooltip(f"{color}:N", title=color_title or color))
    axis = alt.Axis(labelAngle=0)
    if x_type == "T":  # multi-year daily/weekly series: a bare "April" is ambiguous
        axis = alt.Axis(labelAngle=0, format="%b %Y", labelOverlap=True)
    if x == "market_year":  # USDA Market_Year 2023 is the 2022/23 crop: label it so
        axis = alt.Axis(
            labelAngle=0,
            labelExpr="toString(datum.value - 1) + '/' + substring(toString(datum.value), 2)",
        )
    base = alt.Chart().encode(
        x=alt.X(f"{x}:{x_type}", title=None, axis=axis),
        y=alt.Y(f"{y}:Q", title=y_title, scale=alt.Scale(zero=zero)),
        tooltip=tooltip,
        **enc,
    )
    chart = (
        base.mark_line(point=point).add_params(*params) if params else base.mark_line(point=point)
    )
    if year_param:
        years = alt.param(name="years", value=5)
        chart = (
            chart.add_params(years)
            .transform_joinaggregate(_last=f"max({x})")
            .transform_filter(f"datum.{x} > datum._last - years")
        )
    return json.dumps(_finish(chart.properties(height=height)))


def line(
    rows: list[dict[str, Any]],
    x: str,
    y: str,
    *,
    x_type: str = "T",
    y_title: str = "",
    color: str | None = None,
    color_title: str = "",
    height: int = 220,
    point: bool = False,
    zero: bool = False,
    year_param: bool = False,
    fmt: str = ",.0f",
) -> dict[str, Any]:
    """A line chart (one line per `color` value); `year_param` adds the 5/10/max range param."""
    spec = json.loads(
        _line(x, x_type, y, y_title, color, color_title, height, point, zero, year_param, fmt)
    )
    rows = with_data(rows, y, color)
    if x_type == "T":
        rows = with_gaps(rows, x, y, color)
        spec["encoding"]["x"]["axis"].update(time_axis(rows, x))
    if color:
        spec["encoding"]["color"]["scale"] = {"domain": series(rows, color)}
    spec["data"] = {"values": rows}
    return spec


def with_data(rows: list[dict[str, Any]], y: str, color: str | None) -> list[dict[str, Any]]:
    """Drop the series that have no value at all: the key lists only lines that are drawn."""
    if not color:
        return rows
    drawn = {r.get(color) for r in rows if r.get(y) is not None}
    return [r for r in rows if r.get(color) in drawn]


def _day(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def with_gaps(
    rows: list[dict[str, Any]], x: str, y: str, color: str | None
) -> list[dict[str, Any]]:
    """Missing periods become gaps: a null point where a series skips more than 1.5 steps.

    The step is the series' median spacing (a week for weekly data, a month for monthly), so
    weekends and holidays in weekly points never break a line, a missing week does.
    """
    series: dict[Any, list[dict[str, Any]]] = {}
    for r in rows:
        series.setdefault(r.get(color) if color else None, []).append(r)
    out: list[dict[str, Any]] = []
    for key, items in series.items():
        days = [(_day(r[x]), r) for r in items if r.get(y) is not None]
        days = sorted(((d, r) for d, r in days if d is not None), key=lambda p: p[0])
        steps = sorted((b[0] - a[0]).days for a, b in zip(days, days[1:], strict=False))
        step = steps[len(steps) // 2] if steps else 0
        if days:
            out.append(days[0][1])
        for (d0, _), (d1, r1) in zip(days, days[1:], strict=False):
            if step and (d1 - d0).days > 1.5 * step:
                gap = {x: (d0 + (d1 - d0) / 2).isoformat(), y: None}
                if color:
                    gap[color] = key
                out.append(gap)
            out.append(r1)
    return out


def time_axis(rows: list[dict[str, Any]], x: str) -> dict[str, Any]:
    """Tick labels for the span shown: years for long series (one tick a year), month and
    year for a few months to two years, day and month for short spans (weather, recent COT)."""
    days = [d for d in (_day(r.get(x)) for r in rows) if d is not None]
    span = (max(days) - min(days)).days if days else 0
    if span > 730:
        return {"format": "%Y", "tickCount": {"interval": "year"}, "labelAngle": 0}
    return {"format": "%b %Y" if span >= 120 else "%-d %b", "labelAngle": 0}


def series(rows: list[dict[str, Any]], color: str) -> list[Any]:
    """The series in order of first appearance: the color scale's domain, so the i-th series
    has the palette's i-th colour in every drawing and in the page's key."""
    return list(dict.fromkeys(r.get(color) for r in rows))


def key(spec: dict[str, Any]) -> dict[str, Any] | None:
    """The page's key of a chart with a color field: its title and (series, palette index)."""
    color = (spec.get("encoding") or {}).get("color") or {}
    domain = (color.get("scale") or {}).get("domain")
    if not color.get("field") or not domain:
        return None
    items = [{"name": str(name), "i": i % len(PALETTE)} for i, name in enumerate(domain)]
    return {"title": color.get("title") or "", "items": items}


@_kept
def _bars(y: str, x: str, x_title: str, color: str | None, height: int, fmt: str) -> str:
    enc, params = _color(color, "")
    chart = (
        alt.Chart()
        .mark_bar()
        .encode(
            y=alt.Y(f"{y}:N", sort=None, title=None),
            x=alt.X(f"{x}:Q", title=x_title),
            tooltip=[alt.Tooltip(f"{y}:N"), alt.Tooltip(f"{x}:Q", title=x_title, format=fmt)],
            **enc,
        )
        .properties(height=height)
    )
    if params:
        chart = chart.add_params(*params)
    return json.dumps(_finish(chart))


def bars(
    rows: list[dict[str, Any]],
    y: str,
    x: str,
    *,
    x_title: str = "",
    color: str | None = None,
    fmt: str = ",.0f",
) -> dict[str, Any]:
    """Horizontal bars in the given row order (rows are sorted in SQL)."""
    height = max(80, 18 * len({r[y] for r in rows}))
    spec = json.loads(_bars(y, x, x_title, color, height, fmt))
    if color:
        spec["encoding"]["color"]["scale"] = {"domain": series(rows, color)}
    spec["data"] = {"values": rows}
    return spec


@_kept
def _dual(x: str, left: str, left_title: str, right: str, right_title: str, height: int) -> str:
    base = alt.Chart().encode(x=alt.X(f"{x}:T", title=None))
    tips = [
        alt.Tooltip(f"{x}:T"),
        alt.Tooltip(f"{left}:Q", title=left_title, format=",.0f"),
        alt.Tooltip(f"{right}:Q", title=right_title, format=",.2f"),
    ]
    a = base.mark_area(opacity=0.35).encode(y=alt.Y(f"{left}:Q", title=left_title), tooltip=tips)
    b = base.mark_line(style="second").encode(
        y=alt.Y(f"{right}:Q", title=right_title, scale=alt.Scale(zero=False)), tooltip=tips
    )
    chart = alt.layer(a, b).resolve_scale(y="independent").properties(height=height)
    return json.dumps(_finish(chart))


def dual(
    rows: list[dict[str, Any]], x: str, left: str, left_title: str, right: str, right_title: str
) -> dict[str, Any]:
    """Area (left axis) against a line (right axis): positioning against price."""
    spec = json.loads(_dual(x, left, left_title, right, right_title, 240))
    for layer in spec["layer"]:
        layer["encoding"]["x"]["axis"] = time_axis(rows, x)
    spec["data"] = {"values": rows}
    return spec


def spark_svg(values: list[float | None], width: int = 120, height: int = 28) -> str:
    """A tiny inline SVG polyline (server-side, so the pulse reads without JavaScript)."""
    pts = [v for v in values if v is not None]
    if len(pts) < 2:
        return ""
    lo, hi = min(pts), max(pts)
    span = (hi - lo) or 1.0
    step = (width - 2) / (len(values) - 1)
    coords = []
    for i, v in enumerate(values):
        if v is None:
            continue
        coords.append(f"{1 + i * step:.1f},{height - 2 - (v - lo) / span * (height - 4):.1f}")
    trend = "flat" if pts[-1] == pts[0] else "up" if pts[-1] > pts[0] else "down"
    return (
        f'<svg class="spark {trend}" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" aria-hidden="true" focusable="false">'
        f'<polyline fill="none" stroke-width="1.5" points="{" ".join(coords)}"/></svg>'
    )


def clean(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows as JSON-safe plain values (dates as ISO text, floats rounded for compact specs)."""
    out = []
    for r in rows:
        item = {}
        for k, v in r.items():
            if hasattr(v, "isoformat"):
                v = v.isoformat()
            elif isinstance(v, float):
                v = round(v, 4)
            elif v is not None and not isinstance(v, int | str | bool):
                v = float(v)
            item[k] = v
        out.append(item)
    return out


def deepcopy(spec: dict[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(spec)
