"""Charts before scripts, and the chart fixes a reader sees, in headless Chromium.

The sample site plus one page of hand-made cases (a missing stretch of weeks, a seven-week
span, a price that did not move), all rendered by the real pipeline: build-time SVG from
vl-convert, then Vega in the browser once the reader reaches for a chart.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from beanflows.render import charts, render_site, static_charts
from beanflows.render import layout as L
from beanflows.render.assets import Assets
from beanflows.render.helpers import kpi
from tests.sample_site import write_sample
from tests.site_server import background
from tests.test_browser_site import browser, open_page  # noqa: F401 - fixture

pytestmark = pytest.mark.browser

WEEKDAY = re.compile(r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun)\b")
DAY_MONTH = re.compile(r"^\d{1,2} [A-Z][a-z]{2}$")
VEGA = "/assets/vega."


def _weeks(days: list[str], values: list[float], key: str = "v") -> list[dict]:
    return [{"t": d, key: v} for d, v in zip(days, values, strict=True)]


def fixes_page(out: Path) -> None:
    """/fixes/: a weekly line with three missing weeks, a short dual axis, a zero change."""
    days = ["2025-01-03", "2025-01-10", "2025-01-17", "2025-02-14", "2025-02-21"]
    gaps = charts.line(_weeks(days, [1.0, 2.0, 1.5, 3.0, 2.5]), "t", "v", y_title="Stocks")
    both = [
        {"t": d, "net": n, "price": p}
        for d, n, p in zip(
            days, [-10, -5, 3, 8, 6], [250.0, 255.5, 249.0, 260.0, 262.5], strict=True
        )
    ]
    dual = charts.dual(both, "t", "net", "MM net (contracts)", "price", "Price (US c/lb)")
    flat = kpi("Flat price", _weeks(days[-2:], [150.0, 150.0]), digits=2, pct_change=True)
    pg = L.page(
        "fixes",
        "",
        "Chart cases",
        "Cases for the browser tests.",
        kpis=[flat],
        blocks=[
            L.chart_block("gaps", "Weekly with a gap", gaps, "Line chart of a weekly series."),
            L.chart_block("dual", "Managed money against price", dual, "Managed money."),
        ],
    )
    drawer = static_charts.Drawer()
    static_charts.submit_page(drawer, pg)
    static_charts.finish_page(pg)
    drawer.close()
    assets = Assets(out)
    ctx = {"assets": assets.urls, "nav": L.NAV, "built_at": "", "demo": False}
    ctx["chart_dark"] = charts.dark_config_json()
    html = L.render_page(L.environment(), pg, ctx)
    L.write_if_changed(L.page_path(out, "fixes"), html.replace(VEGA_PH, assets.finish()))


VEGA_PH = "/assets/__vega_bundle__.js"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("dist")
    catalog = write_sample(out)
    (out / "data" / "catalog.json").write_text(json.dumps(catalog, indent=1, sort_keys=True))
    assert render_site(out, catalog)["errors"] == []
    fixes_page(out)
    server, url = background(out)
    yield url
    server.shutdown()
    server.server_close()


def vega_requests(log: dict) -> list[str]:
    return [u for u in log["requests"] if VEGA in u]


SHOWN = """el => [...el.querySelectorAll('svg')].filter(s => s.getBoundingClientRect().width > 0)
  .map(s => ({cls: s.getAttribute('class') || '', natural: Number(s.getAttribute('width')),
              width: s.getBoundingClientRect().width, height: s.getBoundingClientRect().height,
              labels: [...s.querySelectorAll('.role-axis-label text')].map(t => t.textContent),
              lines: [...s.querySelectorAll('.mark-line path')].map(p => p.getAttribute('d'))}))"""


def test_home_shows_its_charts_without_javascript(browser, site):  # noqa: F811
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, java_script_enabled=False)
    page = ctx.new_page()
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url))
    try:
        page.goto(site + "/", wait_until="load")
        ids = page.eval_on_selector_all(".chart[data-spec]", "cs => cs.map(c => c.id)")
        assert ids
        for cid in ids:
            shown = page.eval_on_selector(f"#{cid}", SHOWN)
            assert len(shown) == 1, (cid, shown)  # exactly one drawing fits the card
            assert shown[0]["width"] > 300 and shown[0]["height"] > 150, shown[0]
            assert shown[0]["labels"], cid  # axes with their labels
            assert page.get_attribute(f"#{cid}", "role") == "img"
            assert page.get_attribute(f"#{cid} .static svg >> nth=0", "aria-hidden") == "true"
        assert not [u for u in asked if VEGA in u or u.endswith(".js")], asked
    finally:
        ctx.close()


def test_a_first_visit_fetches_no_vega_until_the_reader_reaches_for_a_chart(browser, site):  # noqa: F811
    ctx, page, log = open_page(browser, site)
    try:
        page.goto(site + "/", wait_until="load")
        page.wait_for_timeout(1500)  # idle time passes: a first visit still fetches no bundle
        assert vega_requests(log) == []
        assert page.locator(".chart[data-drawn]").count() == 0
        page.hover("#c-price")
        page.wait_for_selector("#c-price[data-drawn] .vega-embed svg", timeout=15000)
        assert len(vega_requests(log)) == 1
        assert page.locator("#c-price .static").count() == 0  # the drawing made way
        assert page.get_attribute("#c-price", "role") == "img"
        assert log["errors"] == [] and log["outside"] == []
    finally:
        ctx.close()


def test_a_returning_visit_upgrades_charts_in_view_when_idle(browser, site):  # noqa: F811
    # no request interception here: Playwright's routing turns the HTTP cache off
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    page = ctx.new_page()
    log: dict[str, list[str]] = {"errors": []}
    page.on("pageerror", lambda e: log["errors"].append(str(e)))
    try:
        page.goto(site + "/", wait_until="load")
        page.hover("#c-price")
        page.wait_for_selector("#c-price[data-drawn]", timeout=15000)
        page.goto(site + "/positioning/", wait_until="load")  # no interaction on this page
        page.wait_for_selector("#c-nets[data-drawn] .vega-embed svg", timeout=15000)
        sizes = page.evaluate(
            "() => performance.getEntriesByType('resource')"
            ".filter(e => e.name.includes('/assets/vega.')).map(e => e.transferSize)"
        )
        assert sizes == [0], sizes  # from the browser's cache: no transfer
        assert log["errors"] == []
    finally:
        ctx.close()


@pytest.mark.parametrize("width", [375, 800, 1152, 1280])  # 1152: half cards ~525 px
def test_build_time_drawings_fit_their_card_without_shrinking_text(browser, site, width):  # noqa: F811
    ctx = browser.new_context(viewport={"width": width, "height": 900}, java_script_enabled=False)
    page = ctx.new_page()
    try:
        for path in ("/", "/supply/", "/positioning/", "/origins/brazil/"):
            page.goto(site + path, wait_until="load")
            for cid in page.eval_on_selector_all(".chart", "cs => cs.map(c => c.id)"):
                (shown,) = page.eval_on_selector(f"#{cid}", SHOWN)
                card = page.eval_on_selector(f"#{cid}", "c => c.clientWidth")
                assert abs(shown["width"] - card) <= 1, (path, cid, shown["width"], card)
                # 12 px text is never drawn smaller than ~11.6 px
                assert shown["width"] / shown["natural"] >= 0.97, (path, cid, width, shown)
                # ... nor blown up (a phone's drawing stretched 1.7x over a laptop's half card)
                assert shown["width"] / shown["natural"] <= 1.65, (path, cid, width, shown)
            scroll, client = page.evaluate(
                "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
            )
            assert scroll <= client, (path, width)
    finally:
        ctx.close()


def test_dark_systems_get_recoloured_drawings_without_javascript(browser, site):  # noqa: F811
    ctx = browser.new_context(color_scheme="dark", java_script_enabled=False)
    page = ctx.new_page()
    try:
        page.goto(site + "/", wait_until="load")
        fill = page.eval_on_selector(
            "#c-price .static svg.w-m .role-axis-label text", "t => getComputedStyle(t).fill"
        )
        dark = charts.DARK_CONFIG["axis"]["labelColor"]
        assert fill == "rgb({}, {}, {})".format(*(int(dark[i : i + 2], 16) for i in (1, 3, 5)))
        line = page.eval_on_selector(
            "#c-price .static svg.w-m .mark-line path", "p => getComputedStyle(p).stroke"
        )
        assert line != "rgb(31, 95, 139)", line  # the light palette's first colour
    finally:
        ctx.close()


def test_a_range_button_upgrades_its_chart(browser, site):  # noqa: F811
    ctx, page, log = open_page(browser, site)
    try:
        page.goto(site + "/supply/", wait_until="load")
        button = page.locator('.range[data-chart="c-balance"] button:not([disabled])').last
        button.click()
        page.wait_for_selector("#c-balance[data-drawn] .vega-embed svg", timeout=15000)
        assert button.get_attribute("aria-pressed") == "true"
        assert log["errors"] == []
    finally:
        ctx.close()


# --- the fixes of issue 11, item 6, as a reader sees them ------------------------------------


def _check_fixes(page, where: str) -> None:  # noqa: ANN001
    (gaps,) = page.eval_on_selector("#c-gaps", SHOWN)
    assert gaps["lines"] and gaps["lines"][0].count("M") == 2, (where, gaps["lines"])
    for cid in ("#c-gaps", "#c-dual"):
        (shown,) = page.eval_on_selector(cid, SHOWN)
        x_labels = [t for t in shown["labels"] if not re.match(r"^[−-]?[\d,.]+$", t)]
        assert x_labels and all(DAY_MONTH.match(t) for t in x_labels), (where, cid, x_labels)
        assert not [t for t in shown["labels"] if WEEKDAY.match(t)], (where, cid)


def test_gaps_short_time_ticks_and_a_neutral_zero(browser, site):  # noqa: F811
    ctx, page, log = open_page(browser, site)
    try:
        page.goto(site + "/fixes/", wait_until="load")
        _check_fixes(page, "build-time drawing")
        for cid in ("#c-gaps", "#c-dual"):
            page.hover(cid)
            page.wait_for_selector(f"{cid}[data-drawn] .vega-embed svg", timeout=15000)
        _check_fixes(page, "Vega")
        change = page.locator(".kpi .change")
        assert change.inner_text().startswith("0.0%"), change.inner_text()  # no "+"
        assert change.get_attribute("class") == "change flat"
        colour = change.evaluate("c => getComputedStyle(c).color")
        flat = page.evaluate(
            "() => { const d = document.createElement('span'); d.className = 'flat';"
            " document.body.append(d); return getComputedStyle(d).color; }"
        )
        up = page.evaluate(
            "() => { const d = document.createElement('span'); d.className = 'up';"
            " document.body.append(d); return getComputedStyle(d).color; }"
        )
        assert colour == flat and colour != up, (colour, flat, up)
        assert page.get_attribute(".kpi svg.spark", "class") == "spark flat"
        assert log["errors"] == []
    finally:
        ctx.close()


def test_downloads_show_the_csv_recipe_with_codes_as_text(browser, site):  # noqa: F811
    ctx, page, _ = open_page(browser, site)
    try:
        page.goto(site + "/downloads/", wait_until="load")
        card = page.locator("#h-cot-positioning").locator("xpath=..")
        card.get_by_text("Read the CSV with codes kept as text").click()
        code = card.locator("pre code").first
        assert code.is_visible()
        text = code.inner_text()
        assert re.search(r'dtype=\{"\w+": "string"', text), text  # codes stay text in pandas
        assert re.search(r"types = \{'\w+': 'VARCHAR'", text), text  # and in DuckDB
    finally:
        ctx.close()
