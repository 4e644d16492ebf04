"""Every reader: axe-core, phones, keyboards, dark systems and paper, in headless Chromium.

The site is the real demo build (`beanflows build --demo`), served on 127.0.0.1. axe-core comes
from npm (tests/a11y/package.json, installed by `./dev.sh test`) and is injected into each page
from disk: no request leaves the machine (the shared `open_page` aborts any that would). Every
page family runs at 375 and 1280 px, light and dark, with `target-size` on; serious or critical
violations fail. Reports go to test-artifacts/axe/, 375 px screenshots to test-artifacts/screens/.
"""

from __future__ import annotations

import json

import pytest

from beanflows.render.layout import NAV
from tests.conftest import REPO, run_cli
from tests.site_server import background
from tests.test_browser_site import SCREENS, browser, open_page  # noqa: F401 - fixture

pytestmark = pytest.mark.browser

AXE = REPO / "tests" / "a11y" / "node_modules" / "axe-core" / "axe.min.js"
REPORTS = REPO / "test-artifacts" / "axe"
# one page per family: every menu entry (new pages join by being in the menu), a country page,
# a methodology dataset page and the 404 page
PAGES = [item["href"] for item in NAV] + [
    "/origins/brazil/",
    "/methodology/datasets/coffee_balance/",
    "/no-such-page/",
]
DRAWN = (
    "() => [...document.querySelectorAll('.chart[data-spec]')]"
    ".every(c => c.querySelector('svg') || c.dataset.error)"
)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory):
    if not AXE.is_file():
        pytest.skip(f"{AXE} missing: run ./dev.sh test (it runs npm ci in tests/a11y)")
    tmp = tmp_path_factory.mktemp("a11y")
    res = run_cli(
        "build", "--demo", "--var", str(tmp / "var"), "--out", str(tmp / "dist"), cwd=REPO
    )
    assert res.returncode == 0, res.stderr[-2000:]
    server, url = background(tmp / "dist")
    yield url
    server.shutdown()
    server.server_close()


def visit(page, url: str) -> None:  # noqa: ANN001
    resp = page.goto(url, wait_until="load")
    assert resp is not None and resp.status in (200, 404), url
    if page.locator(".chart[data-spec]").count():
        page.wait_for_function(DRAWN, timeout=20000)


def axe_run(page) -> list[dict]:  # noqa: ANN001
    page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    return page.evaluate(
        """async () => {
            const r = await axe.run(document, {rules: {'target-size': {enabled: true}}});
            return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => ({target: n.target.join(' '), why: n.failureSummary}))}));
        }"""
    )


@pytest.mark.parametrize(
    ("width", "scheme"), [(375, "light"), (1280, "light"), (375, "dark"), (1280, "dark")]
)
def test_axe_finds_nothing_serious(browser, site, width, scheme):  # noqa: F811
    ctx, page, log = open_page(browser, site, width=width, height=800)
    page.emulate_media(color_scheme=scheme)
    report, serious = {}, []
    try:
        for path in PAGES:
            visit(page, site + path)
            states = [("", axe_run(page))]
            if width == 1280 and page.locator(".chart[data-spec]").count():
                # and once the reader's pointer has upgraded the charts to Vega
                for cid in page.eval_on_selector_all(".chart", "cs => cs.map(c => c.id)"):
                    page.hover(f"#{cid}")
                    page.wait_for_selector(f"#{cid}[data-drawn]", timeout=20000)
                states.append((" (Vega)", axe_run(page)))
            for state, found in states:
                report[path + state] = found
                serious += [
                    f"{path}{state} {v['id']} ({v['impact']}): {n['target']} — {n['why']}"
                    for v in found
                    if v["impact"] in ("serious", "critical")
                    for n in v["nodes"]
                ]
        REPORTS.mkdir(parents=True, exist_ok=True)
        (REPORTS / f"{width}-{scheme}.json").write_text(json.dumps(report, indent=1))
        assert serious == [], "\n".join(serious[:30])
        assert log["outside"] == [], log["outside"]
    finally:
        ctx.close()


def ax_node(page, selector: str) -> dict[str, str]:  # noqa: ANN001
    """Chromium's own accessibility node for an element: role, name, description."""
    cdp = page.context.new_cdp_session(page)
    root = cdp.send("DOM.getDocument")["root"]["nodeId"]
    node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
    ax = cdp.send("Accessibility.getPartialAXTree", {"nodeId": node, "fetchRelatives": False})
    first = ax["nodes"][0]
    return {
        k: str((first.get(k) or {}).get("value") or "") for k in ("role", "name", "description")
    }


def test_a_drawn_chart_keeps_its_own_name_and_description(browser, site):  # noqa: F811
    ctx, page, _ = open_page(browser, site)
    try:
        for path in ("/", "/positioning/", "/warehouse/", "/supply/"):
            page.goto(site + path, wait_until="domcontentloaded")
            ids = page.eval_on_selector_all(".chart[data-spec]", "cs => cs.map(c => c.id)")
            assert ids, path
            visit(page, site + path)
            for cid in ids:
                title = page.inner_text(f"#h-{cid[2:]}").strip()
                desc = page.inner_text(f"#d-{cid[2:]}").strip()
                assert page.locator(f"#{cid} svg").count() >= 1, (path, cid)
                node = ax_node(page, f"#{cid}")
                assert node == {"role": "image", "name": title, "description": desc}, (path, node)
                # the description says what is shown and its latest value(s)
                assert desc.startswith(("Line chart", "Bar chart", "Managed")), desc
                assert "Latest" in desc or "Largest" in desc, desc
                # and the chart has its data as a table
                assert page.locator(f"#{cid} ~ details.data table tbody tr").count() >= 1, cid
                # upgraded to Vega when the reader reaches for it: still the same named image
                page.hover(f"#{cid}")
                page.wait_for_selector(f"#{cid}[data-drawn] .vega-embed svg", timeout=20000)
                node = ax_node(page, f"#{cid}")
                assert node == {"role": "image", "name": title, "description": desc}, (path, node)
    finally:
        ctx.close()


def test_every_chart_in_the_static_html_is_named_described_and_tabulated(site):
    import urllib.request

    for path in PAGES[:-3]:
        with urllib.request.urlopen(site + path) as resp:  # noqa: S310 - loopback
            html = resp.read().decode()
        n = html.count('class="chart"')
        assert html.count('role="img" aria-label="') >= n, path
        assert html.count('<p class="desc" id="d-') == n, path
        assert html.count('<details class="data"><summary>Data table') == n, path
    with urllib.request.urlopen(site + "/methodology/") as resp:  # noqa: S310
        assert 'role="dialog" aria-label="Search the methodology"' in resp.read().decode()


PHONE_CHECKS = """() => {
  const out = {cut: [], outside: [], overlap: [], legend: [], small: [], body: null};
  for (const c of document.querySelectorAll('.chart[data-spec]')) {
    // the drawing shown: Vega's, or the build-time one that fits the card (others are hidden)
    const svg = [...c.querySelectorAll('svg')].find(s => s.getClientRects().length);
    if (!svg) continue;
    const box = svg.getBoundingClientRect();
    const spec = JSON.parse(document.getElementById(c.dataset.spec).textContent);
    const color = spec.encoding && spec.encoding.color && spec.encoding.color.field;
    // every series drawn is named once in the chart's key, in full and on screen; no drawing
    // carries a legend of its own
    if (svg.querySelector('.role-legend')) out.legend.push([c.id, 'a legend in the drawing']);
    if (color) {
      const y = spec.encoding.y.field;
      const drawn = spec.data.values.filter(r => r[y] !== null);
      const series = new Set(drawn.map(r => String(r[color])));
      const key = document.querySelector(`.key[data-chart="${c.id}"]`);
      const items = key ? [...key.querySelectorAll('button')] : [];
      const shown = items.map(b => b.textContent);
      if (shown.length !== series.size || !shown.every(s => series.has(s)))
        out.legend.push([c.id, shown, [...series]]);
      for (const b of items) {
        const r = b.getBoundingClientRect();
        if (b.scrollWidth > b.clientWidth + 1 || r.left < 0 || r.right > innerWidth)
          out.cut.push([c.id, b.textContent]);
      }
    }
    for (const t of svg.querySelectorAll('.role-axis-label text')) {
      if (t.textContent.endsWith('…')) out.cut.push([c.id, t.textContent]);
      const r = t.getBoundingClientRect();
      if (r.width && (r.left < box.left - 1 || r.right > box.right + 1
                      || r.top < box.top - 1 || r.bottom > box.bottom + 1))
        out.outside.push([c.id, t.textContent]);
    }
    for (const axis of svg.querySelectorAll('.role-axis')) {
      const shown = [...axis.querySelectorAll('.role-axis-label text')]
        .filter(t => (t.getAttribute('opacity') || '1') !== '0' && t.textContent)
        .map(t => t.getBoundingClientRect());
      for (let i = 1; i < shown.length; i++) {
        const a = shown[i - 1], b = shown[i];
        if (a.right > b.left && a.left < b.right && a.bottom > b.top && a.top < b.bottom)
          out.overlap.push([c.id, i]);
      }
    }
  }
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const el = walker.currentNode.parentElement;
    if (!walker.currentNode.textContent.trim() || !el.getClientRects().length) continue;
    if (el.closest('[aria-hidden="true"]:not(.vega-target), .vh, .skip')) continue;
    const size = parseFloat(getComputedStyle(el).fontSize);
    const text = walker.currentNode.textContent.slice(0, 30);
    if (size < 12) out.small.push([el.tagName + '.' + el.className, size, text]);
  }
  const para = document.querySelector('main p') || document.body;
  out.body = parseFloat(getComputedStyle(para).fontSize);
  return out;
}"""


def test_phone_keys_axes_text_and_targets(browser, site):  # noqa: F811
    SCREENS.mkdir(parents=True, exist_ok=True)
    ctx, page, _ = open_page(browser, site, width=375, height=740)
    try:
        for path in PAGES:
            visit(page, site + path)
            found = page.evaluate(PHONE_CHECKS)
            for key in ("cut", "outside", "overlap", "legend", "small"):
                assert found[key] == [], (path, key, found[key][:5])
            # the same once every chart is Vega's (a touch upgrades it)
            ids = page.eval_on_selector_all(".chart[data-spec]", "cs => cs.map(c => c.id)")
            for cid in ids:
                page.hover(f"#{cid}")
                page.wait_for_selector(f"#{cid}[data-drawn] .vega-embed svg", timeout=20000)
            if ids:
                found = page.evaluate(PHONE_CHECKS)
                for key in ("cut", "outside", "overlap", "legend", "small"):
                    assert found[key] == [], (path, "Vega", key, found[key][:5])
            assert found["body"] >= 14, (path, found["body"])
            # main-menu and range buttons: at least 24 x 24 px each
            sizes = page.eval_on_selector_all(
                "nav.main a, .range button, .key button, a.pill, .files a",
                "es => es.map(e => [e.textContent, e.getBoundingClientRect().width,"
                " e.getBoundingClientRect().height])",
            )
            assert all(w >= 24 and h >= 24 for _, w, h in sizes), (path, sizes)
            scroll, client = page.evaluate(
                "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
            )
            assert scroll <= client, (path, scroll, client)
            name = path.strip("/").replace("/", "_") or "home"
            page.screenshot(path=str(SCREENS / f"{name}_375.png"), full_page=True)
    finally:
        ctx.close()


def test_wide_tables_scroll_by_keyboard_with_a_hint(browser, site):  # noqa: F811
    ctx, page, _ = open_page(browser, site, width=375, height=740)
    try:
        visit(page, site + "/status/")
        wrap = page.locator(".tablewrap").first
        assert wrap.get_attribute("tabindex") == "0"
        assert wrap.get_attribute("role") == "region" and wrap.get_attribute("aria-label")
        assert page.locator(".tablebox.scrolls .scroll-hint").first.is_visible()
        page.keyboard.press("Tab")  # skip link first; Tab until the table has focus
        for _ in range(40):
            if page.evaluate("() => document.activeElement.classList.contains('tablewrap')"):
                break
            page.keyboard.press("Tab")
        assert page.evaluate("() => document.activeElement.classList.contains('tablewrap')")
        page.keyboard.press("ArrowRight")
        page.keyboard.press("ArrowRight")
        page.wait_for_timeout(200)
        assert page.evaluate("() => document.activeElement.scrollLeft") > 0
    finally:
        ctx.close()


FOCUS_CONTRAST = """() => {
  const lum = c => { const m = c.match(/[\\d.]+/g).map(Number);
    const f = v => { v /= 255;
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(m[0]) + 0.7152 * f(m[1]) + 0.0722 * f(m[2]); };
  const el = document.activeElement, s = getComputedStyle(el);
  if (el === document.body) return null;  // tabbed past the last control
  if (s.outlineStyle === 'none' || parseFloat(s.outlineWidth) < 2)
    return [el.outerHTML.slice(0, 60), 0];
  // what the ring is drawn on: the element just outside the focused one's left (or right) edge
  const r = el.getBoundingClientRect(), gap = parseFloat(s.outlineOffset) + 1;
  const x = r.left - gap > 0 ? r.left - gap : r.right + gap, y = r.top + r.height / 2;
  const under = document.elementsFromPoint(x, y).find(e => e !== el && !el.contains(e));
  let p = under || el.parentElement, bg = 'rgb(255, 255, 255)';
  for (; p; p = p.parentElement) {
    const b = getComputedStyle(p).backgroundColor;
    if (b && !b.startsWith('rgba(0, 0, 0, 0)') && b !== 'transparent') { bg = b; break; }
  }
  if (!p) bg = getComputedStyle(document.documentElement).backgroundColor;
  const a = lum(s.outlineColor), b = lum(bg);
  return [el.outerHTML.slice(0, 60), (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05)];
}"""


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_focus_ring_is_visible_on_every_background(browser, site, scheme):  # noqa: F811
    ctx, page, _ = open_page(browser, site)
    page.emulate_media(color_scheme=scheme)
    try:
        for path in ("/", "/supply/", "/downloads/"):
            visit(page, site + path)
            for _ in range(30):
                page.keyboard.press("Tab")
                found = page.evaluate(FOCUS_CONTRAST)
                if found is None:
                    break
                what, ratio = found
                assert ratio >= 3, (path, scheme, what, ratio)
    finally:
        ctx.close()


def test_dark_charts_use_the_dark_config(browser, site):  # noqa: F811
    ctx, page, _ = open_page(browser, site)
    page.emulate_media(color_scheme="dark")
    try:
        visit(page, site + "/")
        dark = json.loads(page.inner_text("#chart-dark"))["axis"]["labelColor"]
        rgb = "rgb({}, {}, {})".format(*(int(dark[i : i + 2], 16) for i in (1, 3, 5)))
        # the build-time drawing, recoloured by CSS ...
        fill = page.eval_on_selector(
            "#c-price .static svg.w-m .role-axis-label text", "t => getComputedStyle(t).fill"
        )
        assert fill == rgb, fill
        # ... and Vega's drawing, with the dark config, once the reader reaches for the chart
        page.hover("#c-price")
        page.wait_for_selector("#c-price[data-drawn] .vega-embed svg", timeout=20000)
        fill = page.eval_on_selector(
            "#c-price .role-axis-label text", "t => t.getAttribute('fill')"
        )
        assert fill == dark
        bg = page.evaluate("() => getComputedStyle(document.body).backgroundColor")
        assert bg != "rgb(245, 247, 249)", bg  # the dark palette, not the light one
    finally:
        ctx.close()


def test_print_hides_navigation_and_fits_a4(browser, site):  # noqa: F811
    a4_px = 680  # 210 mm minus 2 x 15 mm margins, at 96 px per inch
    ctx, page, _ = open_page(browser, site, width=a4_px, height=1000)
    try:
        for path in ("/supply/", "/prices/", "/status/"):
            visit(page, site + path)
            page.emulate_media(media="print")
            page.evaluate("() => window.dispatchEvent(new Event('beforeprint'))")
            page.wait_for_timeout(300)
            assert not page.locator("header.top").is_visible(), path
            assert page.locator("details.data:not([open])").count() == 0, path
            widths = page.eval_on_selector_all(
                ".chart svg, table", "es => es.map(e => e.getBoundingClientRect().right)"
            )
            assert max(widths, default=0) <= a4_px + 1, (path, max(widths))
            page.emulate_media(media="screen")
    finally:
        ctx.close()


def test_methodology_404_links_resolve_from_any_depth(browser, site):  # noqa: F811
    ctx, page, log = open_page(browser, site)
    failed: list[str] = []
    page.on("response", lambda r: failed.append(r.url) if r.status >= 400 else None)
    try:
        page.goto(site + "/methodology/404.html", wait_until="load")
        assert failed == [] and log["errors"] == [], (failed, log["errors"])
        hrefs = page.eval_on_selector_all("a[href]", "as => as.map(a => a.getAttribute('href'))")
        inside = [h for h in hrefs if not h.startswith(("/methodology/", "http", "#")) and h != "/"]
        assert inside == [], inside
        assert page.evaluate("() => document.styleSheets.length") >= 2  # Material's CSS loaded
    finally:
        ctx.close()


def test_downloads_show_how_to_keep_codes_as_text(site):
    import urllib.request

    with urllib.request.urlopen(site + "/downloads/") as resp:  # noqa: S310 - loopback
        html = resp.read().decode()
    section = html[html.index('id="h-cot-positioning"') :]
    section = section[: section.index("</section>")]
    assert "Read the CSV with codes kept as text" in section
    assert "dtype={&#34;market_code&#34;: &#34;string&#34;" in section  # CFTC's 083731 stays text
    assert "&#39;market_code&#39;: &#39;VARCHAR&#39;" in section
