"""Benchmark the site: render time, first home-page visit (bytes, gzip) and first chart paint.

    uv run --frozen python bench/bench_site.py [DIST]

DIST is a built dist/ (with data/catalog.json); without it a synthetic sample tree is written
to a temp folder. The site is rendered twice (build-time chart drawings not cached, then
cached), served on 127.0.0.1, and visited in headless Chromium with a fresh profile each time:

- transfer: every response of a first visit to the home page (HTML, CSS, JS, icon, anything
  fetched while the page settles for 2 s), each counted gzip-compressed as a server would send
  it; target <= 150 KB;
- first chart paint: navigation start to the first frame in which a chart's drawing is in the
  page and visible (and no earlier than the first contentful paint); target <= 300 ms.

Each figure is printed with its ratio to the target (below 1 meets it).
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from beanflows.render import render_site  # noqa: E402
from beanflows.vega_bundle import cached_path, default_cache_dir  # noqa: E402
from tests.sample_site import write_sample  # noqa: E402
from tests.site_server import background  # noqa: E402

TARGETS = {"render_s": 5.0, "transfer_kb": 150.0, "first_chart_ms": 300.0}
CHROMIUM = os.environ.get("BEANFLOWS_CHROMIUM") or shutil.which("chromium")
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]  # fmt: skip
RUNS = 5

# Runs before any page script: the time of the first frame showing a chart's drawing.
FIRST_CHART = """
(() => {
  const tick = () => {
    const shown = [...document.querySelectorAll('.chart svg')]
      .some(s => { const r = s.getBoundingClientRect(); return r.width && r.top < innerHeight; });
    if (shown) { window.__firstChart = performance.now(); } else { requestAnimationFrame(tick); }
  };
  requestAnimationFrame(tick);
})();
"""


def gz(data: bytes) -> int:
    return len(gzip.compress(data, 6, mtime=0))


def ratio(value: float, target: float) -> str:
    return f"{value / target:.2f}"


def render_twice(out: Path, catalog: dict) -> None:
    """Render with an empty drawing cache (the Vega bundle already made), then again."""
    cache = Path(tempfile.mkdtemp(prefix="bench-cache-"))
    bundle = cached_path()
    if bundle is not None and bundle.is_file():
        shutil.copy(bundle, cache / bundle.name)
    os.environ["BEANFLOWS_CACHE_DIR"] = str(cache)
    times = []
    for _ in range(2):
        t0 = time.perf_counter()
        summary = render_site(out, catalog)
        times.append(time.perf_counter() - t0)
    print(f"pages {summary['pages']}, charts {summary['charts']}, errors {summary['errors']}")
    target = TARGETS["render_s"]
    print(f"render, chart drawings not cached: {times[0]:.2f} s; cached: {times[1]:.2f} s "
          f"(target {target:.0f} s, ratio {ratio(times[1], target)})")  # fmt: skip
    shutil.rmtree(cache, ignore_errors=True)


FCP = "() => performance.getEntriesByName('first-contentful-paint').length"
FCP_MS = "() => performance.getEntriesByName('first-contentful-paint')[0].startTime"


def visit(browser, base: str) -> tuple[int, int, float, float]:  # noqa: ANN001
    """One first visit: (requests, gzip bytes, first chart ms, first contentful paint ms)."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    ctx.add_init_script(FIRST_CHART)
    page = ctx.new_page()
    bodies: list[bytes] = []
    page.on("requestfinished", lambda r: bodies.append(r.response().body()))
    page.goto(base + "/", wait_until="load")
    page.wait_for_function("() => window.__firstChart !== undefined", timeout=15000)
    page.wait_for_function(FCP, timeout=15000)
    page.wait_for_timeout(2000)  # idle: anything the page fetches when idle counts too
    chart, fcp = page.evaluate("() => window.__firstChart"), page.evaluate(FCP_MS)
    ctx.close()
    return len(bodies), sum(gz(b) for b in bodies), max(chart, fcp), fcp


def floor(browser, base: str) -> float:  # noqa: ANN001
    """First paint of a one-line page on the same server: what the machine allows now."""
    ctx = browser.new_context()
    page = ctx.new_page()
    page.goto(base + "/__floor.html", wait_until="load")
    page.wait_for_function(FCP, timeout=15000)
    ms = page.evaluate(FCP_MS)
    ctx.close()
    return ms


def browse(out: Path) -> None:
    if CHROMIUM is None:
        print("first visit: skipped (no chromium on PATH; BEANFLOWS_CHROMIUM names another)")
        return
    from playwright.sync_api import sync_playwright

    os.environ["HOME"] = tempfile.mkdtemp(prefix="bench-home-")
    (out / "__floor.html").write_text("<!doctype html><title>floor</title><p>floor</p>")
    server, base = background(out)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
            runs, floors = [], []
            for _ in range(RUNS):
                runs.append(visit(browser, base))
                floors.append(floor(browser, base))
            browser.close()
    finally:
        server.shutdown()
        server.server_close()
    n, size, _, _ = runs[-1]
    kb = size / 1024
    target = TARGETS["transfer_kb"]
    print(f"first visit to /: {n} requests, {kb:.1f} KB gzip in all; "
          f"target {target:.0f} KB, ratio {ratio(kb, target)}")  # fmt: skip
    chart = statistics.median(r[2] for r in runs)
    fcp = statistics.median(r[3] for r in runs)
    print(f"first chart painted: median {chart:.0f} ms of {RUNS} fresh visits (first "
          f"contentful paint {fcp:.0f} ms); target {TARGETS['first_chart_ms']:.0f} ms, "
          f"ratio {ratio(chart, TARGETS['first_chart_ms'])}")  # fmt: skip
    load = os.getloadavg()[0]
    print(f"  for scale: a one-line page paints in {statistics.median(floors):.0f} ms on this "
          f"machine now (load average {load:.1f} on {os.cpu_count()} cores)")  # fmt: skip


def main() -> None:
    os.environ.setdefault("BEANFLOWS_CACHE_DIR", str(default_cache_dir(Path("var"))))
    out = Path(tempfile.mkdtemp(prefix="bench-site-"))
    if len(sys.argv) > 1:
        shutil.copytree(Path(sys.argv[1]) / "data", out / "data")
        catalog = json.loads((out / "data" / "catalog.json").read_text())
    else:
        catalog = write_sample(out)
    try:
        render_twice(out, catalog)
        vega = next((out / "assets").glob("vega.*.js"))
        print(f"Vega bundle (fetched only when a reader reaches for a chart): "
              f"{gz(vega.read_bytes()) / 1024:.0f} KB gzip")  # fmt: skip
        browse(out)
    finally:
        shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    main()
