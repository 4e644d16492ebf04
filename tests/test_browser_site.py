"""The site in headless Chromium (Debian package, driven by Playwright).

Every page loads without a console error, every chart container ends up with a drawn SVG,
no request leaves 127.0.0.1 (every request is intercepted and recorded; anything else is
aborted and fails the test), and the home page has no horizontal scroll at phone width.
Screenshots of each page go to test-artifacts/screens/ for review.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlparse

import pytest

from beanflows.render import render_site
from tests.browser import chromium
from tests.sample_site import write_sample
from tests.site_server import background

pytestmark = pytest.mark.browser

SCREENS = Path(__file__).resolve().parents[1] / "test-artifacts" / "screens"
PAGES = [
    "/", "/supply/", "/origins/", "/origins/brazil/", "/revisions/", "/positioning/",
    "/prices/", "/warehouse/", "/weather/", "/downloads/", "/status/", "/methodology/",
    "/methodology/datasets/coffee_balance/", "/no-such-page/",
]  # fmt: skip


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory):
    with chromium(tmp_path_factory.mktemp("home")) as b:
        yield b


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("dist")
    catalog = write_sample(out)
    (out / "data" / "catalog.json").write_text(json.dumps(catalog, indent=1, sort_keys=True))
    summary = render_site(out, catalog)
    assert summary["errors"] == []
    server, url = background(out)
    yield url
    server.shutdown()
    server.server_close()


def open_page(browser, base_url: str, width: int = 1280, height: int = 900):
    """A page whose every request is recorded; requests off 127.0.0.1 are aborted."""
    ctx = browser.new_context(viewport={"width": width, "height": height})
    page = ctx.new_page()
    log = {"requests": [], "outside": [], "errors": []}

    def route(r):  # noqa: ANN001, ANN202
        url = r.request.url
        log["requests"].append(url)
        host = urlparse(url).hostname
        if url.startswith("data:") or host == "127.0.0.1":
            r.continue_()
        else:
            log["outside"].append(url)
            r.abort()

    page.route("**/*", route)
    page.on("console", lambda m: log["errors"].append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: log["errors"].append(str(e)))
    return ctx, page, log


def test_every_page_loads_draws_and_stays_local(browser, base_url):
    SCREENS.mkdir(parents=True, exist_ok=True)
    ctx, page, log = open_page(browser, base_url)
    try:
        for path in PAGES:
            log["errors"].clear()
            resp = page.goto(base_url + path, wait_until="load")
            assert resp is not None
            assert resp.status == (404 if path == "/no-such-page/" else 200), path
            charts = page.locator(".chart[data-spec]")
            n = charts.count()
            if n:
                page.wait_for_function(
                    "() => [...document.querySelectorAll('.chart[data-spec]')]"
                    ".every(c => c.querySelector('svg, canvas') || c.dataset.error)",
                    timeout=15000,
                )
            for i in range(n):
                el = charts.nth(i)
                assert el.get_attribute("data-error") is None, (
                    path,
                    el.get_attribute("data-error"),
                )
                assert el.locator("svg, canvas").count() >= 1, (path, i)
                assert el.get_attribute("aria-label"), (path, i)
            # 404s of the page under test itself are expected; nothing else may log an error
            errors = [e for e in log["errors"] if not (path == "/no-such-page/" and "404" in e)]
            assert errors == [], (path, errors)
            name = path.strip("/").replace("/", "_") or "home"
            page.screenshot(path=str(SCREENS / f"{name}.png"), full_page=True)
        assert log["outside"] == [], log["outside"]
        assert all(urlparse(u).hostname == "127.0.0.1" for u in log["requests"])
        assert len(log["requests"]) >= len(PAGES)
    finally:
        ctx.close()


def test_home_fits_a_phone(browser, base_url):
    ctx, page, log = open_page(browser, base_url, width=375, height=740)
    try:
        page.goto(base_url + "/", wait_until="load")
        page.wait_for_function(
            "() => [...document.querySelectorAll('.chart[data-spec]')]"
            ".every(c => c.querySelector('svg, canvas'))",
            timeout=15000,
        )
        scroll, client = page.evaluate(
            "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        assert scroll <= client, f"horizontal scroll at 375 px: {scroll} > {client}"
        page.screenshot(path=str(SCREENS / "home_phone.png"), full_page=True)
        assert log["errors"] == [] and log["outside"] == []
    finally:
        ctx.close()


def _line_opacities(page, chart: str) -> list[str]:  # noqa: ANN001
    return page.eval_on_selector_all(
        f"{chart} .vega-embed .mark-line path",
        "ps => ps.map(p => p.getAttribute('opacity') || '1')",
    )


def test_range_switch_and_key_selection(browser, base_url):
    ctx, page, log = open_page(browser, base_url)
    try:
        page.goto(base_url + "/positioning/", wait_until="load")
        key = page.locator('.key[data-chart="c-nets"] button')
        # the key names every series above the drawing, and no drawing carries a legend
        assert key.all_inner_texts() == ["Managed money", "Commercials"]
        assert page.locator("#c-nets .role-legend").count() == 0
        # pressing a series in the key upgrades the drawing to Vega and isolates that series
        key.nth(1).click()
        page.wait_for_selector("#c-nets[data-drawn] .vega-embed svg")
        page.wait_for_timeout(300)
        assert key.nth(1).get_attribute("aria-pressed") == "true"
        assert key.nth(0).get_attribute("aria-pressed") == "false"
        faded = _line_opacities(page, "#c-nets")
        assert sorted(faded) == ["0.15", "1"], faded
        # the page did not move: the key is the same before and after Vega drew the chart
        assert page.locator("#c-nets .role-legend").count() == 0
        # the same series pressed again: every series at full strength
        key.nth(1).click()
        page.wait_for_timeout(300)
        assert set(_line_opacities(page, "#c-nets")) == {"1"}
        assert key.nth(1).get_attribute("aria-pressed") == "false"
        # from the keyboard: focus the first entry and press Enter
        key.nth(0).focus()
        page.keyboard.press("Enter")
        page.wait_for_timeout(300)
        assert key.nth(0).get_attribute("aria-pressed") == "true"
        assert sorted(_line_opacities(page, "#c-nets")) == ["0.15", "1"]
        page.goto(base_url + "/supply/", wait_until="load")
        page.wait_for_selector("#c-balance svg")
        buttons = page.locator('.range[data-chart="c-balance"] button')
        assert buttons.count() == 3
        assert buttons.nth(0).get_attribute("aria-pressed") == "true"
        assert buttons.nth(1).is_disabled()  # free data holds 5 years: 10 y is Pro
        assert log["errors"] == []
    finally:
        ctx.close()
