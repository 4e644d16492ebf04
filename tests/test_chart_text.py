"""Charts in words and shapes: latest values, data tables, gaps, legends, time ticks, signs."""

from __future__ import annotations

from beanflows.render import chart_text, charts
from beanflows.render import layout as L
from beanflows.render.data import direction, signed


def weekly(values: list[float | None], start_day: int = 1) -> list[dict]:
    return [{"t": f"2025-01-{start_day + 7 * i:02d}", "v": v} for i, v in enumerate(values)]


def test_a_missing_week_is_a_gap_a_holiday_shift_is_not() -> None:
    rows = [
        {"t": "2025-01-03", "v": 1.0},
        {"t": "2025-01-10", "v": 2.0},
        {"t": "2025-01-16", "v": 3.0},  # Thursday close (holiday Friday): 6 days, no gap
        {"t": "2025-01-24", "v": 4.0},  # 8 days: still no gap
        {"t": "2025-02-14", "v": 5.0},  # two weeks missing: a gap
        {"t": "2025-02-21", "v": 6.0},
    ]
    out = charts.with_gaps(rows, "t", "v", None)
    gaps = [r for r in out if r["v"] is None]
    assert len(gaps) == 1 and "2025-01-24" < gaps[0]["t"] < "2025-02-14"
    assert [r["v"] for r in out if r["v"] is not None] == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]


def test_a_series_without_values_has_no_key_entry() -> None:
    rows = [{"t": "2025-01-03", "g": "Managed money", "net": 5}] + [
        {"t": "2025-01-03", "g": "Commercials", "net": None}
    ]
    spec = charts.line(rows, "t", "net", color="g")
    assert {r["g"] for r in spec["data"]["values"]} == {"Managed money"}
    assert spec["encoding"]["color"]["legend"] is None  # the page's key names the series
    assert spec["encoding"]["color"]["scale"]["domain"] == ["Managed money"]
    assert charts.key(spec) == {"title": "", "items": [{"name": "Managed money", "i": 0}]}


def test_the_key_gives_each_series_its_palette_colour() -> None:
    names = [f"s{i}" for i in range(10)]
    rows = [{"t": "2025-01-03", "g": g, "v": i} for i, g in enumerate(names)]
    spec = charts.line(rows, "t", "v", color="g", color_title="Origin")
    key = charts.key(spec)
    assert key["title"] == "Origin"
    assert [k["name"] for k in key["items"]] == names  # first appearance, as the scale's domain
    assert [k["i"] for k in key["items"]] == [0, 1, 2, 3, 4, 5, 6, 7, 0, 1]  # Vega cycles too
    assert charts.key(charts.line(rows, "t", "v")) is None  # one line, no key


def test_the_drawing_colours_each_series_as_its_key_swatch() -> None:
    import re

    import vl_convert

    from beanflows.render import static_charts

    names = ["Brazil", "Vietnam", "Colombia"]
    rows = [{"t": f"2025-01-{d:02d}", "g": g, "v": d * (i + 1)}
            for i, g in enumerate(names) for d in (3, 10, 17)]  # fmt: skip
    spec = charts.line(rows, "t", "v", color="g")
    svg = vl_convert.vegalite_to_svg(static_charts.sized(spec, 500))
    strokes = re.findall(r'<path d="M[^"]*" stroke="(#[0-9a-f]{6})"', svg)
    key = charts.key(spec)
    assert strokes == [charts.PALETTE[k["i"]] for k in key["items"]]  # Brazil, Vietnam, Colombia
    css = static_charts.key_css()
    for k in key["items"]:
        assert f".key .k{k['i']}{{background:{charts.PALETTE[k['i']]}}}" in css
        assert f".key .k{k['i']}{{background:{charts.DARK_PALETTE[k['i']]}}}" in css  # dark


def test_time_ticks_follow_the_span() -> None:
    short = charts.line(weekly([1, 2, 3, 4]), "t", "v")
    assert short["encoding"]["x"]["axis"]["format"] == "%-d %b"  # not "Tue 05 Sat 09"
    year = [{"t": f"2024-{m:02d}-01", "v": m} for m in range(1, 13)]
    assert charts.line(year, "t", "v")["encoding"]["x"]["axis"]["format"] == "%b %Y"
    years = [{"t": f"{y}-06-01", "v": y} for y in range(2018, 2026)]
    axis = charts.line(years, "t", "v")["encoding"]["x"]["axis"]
    assert axis["format"] == "%Y" and axis["tickCount"] == {"interval": "year"}
    dual = charts.dual(weekly([1, 2]), "t", "v", "Net", "v", "Price")
    assert all(layer["encoding"]["x"]["axis"]["format"] == "%-d %b" for layer in dual["layer"])


def test_the_description_states_the_latest_value_of_each_series() -> None:
    rows = [
        {"market_year": y, "series": s, "mbags": v}
        for y, vals in ((2024, (170.0, 160.0)), (2025, (175.5, 168.25)))
        for s, v in zip(("Production", "Consumption"), vals, strict=True)
    ]
    spec = charts.line(rows, "market_year", "mbags", x_type="O", y_title="M bags", color="series")
    assert chart_text.latest(spec) == ("Latest, 2024/25: Production 176; Consumption 168 (M bags).")
    block = L.chart_block("b", "World balance", spec, "Line chart of world balance.")
    assert block["desc"] == "Line chart of world balance. " + chart_text.latest(spec)
    table = block["table"]
    assert [c["label"] for c in table["columns"]] == ["Market year", "Production", "Consumption"]
    assert table["rows"][0] == ["2024/25", "176", "168"]  # newest first
    assert table["caption"].startswith("All 2 rows, newest first")


def test_bars_and_single_lines_read_back() -> None:
    bars = charts.bars(
        [{"country": "Brazil", "mbags": 65.0}, {"country": "Vietnam", "mbags": 29.5}],
        "country",
        "mbags",
        x_title="M bags",
        fmt=",.1f",
    )
    assert chart_text.latest(bars) == "Largest: Brazil 65.0, Vietnam 29.5 (M bags)."
    assert chart_text.table(bars)["rows"] == [["Brazil", "65.0"], ["Vietnam", "29.5"]]
    price = charts.line(weekly([240.0, 244.45]), "t", "v", y_title="US cents/lb", fmt=",.2f")
    assert chart_text.latest(price) == "Latest, 2025-01-08: US cents/lb 244.45."
    many = charts.line(weekly([1.0] * 4) * 30, "t", "v")
    assert len(chart_text.table(many)["rows"]) == chart_text.TABLE_ROWS


def test_a_zero_change_is_neutral() -> None:
    assert signed(0.0, 1, "%") == "0.0%" and signed(-0.04, 1) == "0.0"
    assert signed(1.25, 1, "%") == "+1.2%" or signed(1.25, 1, "%") == "+1.3%"
    assert direction(0.0) == "flat" and direction(0.04) == "flat" and direction(None) == "flat"
    assert direction(0.3) == "up" and direction(-2) == "down"
