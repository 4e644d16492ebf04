"""Benchmark the site: render time, page weight (gzip), bundle size, time to first chart.

    uv run --frozen python bench/bench_site.py [DIST]

DIST is a built dist/ (with data/catalog.json); without it a synthetic sample tree is written
to a temp folder. Prints figures and their ratio to the targets (render <= 5 s, page <= 150 KB
gzip besides the cached bundle, first drawn chart on home <= 1 s in headless Chromium).
"""

from __future__ import annotations

import gzip
import json
import os
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from beanflows.render import render_site  # noqa: E402
from tests.sample_site import write_sample  # noqa: E402
from tests.site_server import background  # noqa: E402

TARGETS = {"render_s": 5.0, "page_kb": 150.0, "first_chart_s": 1.0}
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]  # fmt: skip


def gz(data: bytes) -> int:
    return len(gzip.compress(data, 9, mtime=0))


def page_weights(out: Path) -> dict[str, float]:
    """HTML + its own CSS/site JS (everything but the shared Vega bundle), gzip KB."""
    weights = {}
    for page in sorted(out.rglob("index.html")):
        if "methodology" in page.parts:
            continue
        html = page.read_bytes()
        total = gz(html)
        for ref in re.findall(rb'(?:src|href)="(/assets/[^"]+)"', html):
            if not ref.startswith(b"/assets/vega."):
                total += gz((out / ref.decode().lstrip("/")).read_bytes())
        weights["/" + page.parent.relative_to(out).as_posix().strip(".")] = total / 1024
    return weights


def first_chart(out: Path) -> float | None:
    if not Path("/usr/bin/chromium").is_file():
        return None
    from playwright.sync_api import sync_playwright

    os.environ["HOME"] = tempfile.mkdtemp(prefix="bench-home-")
    server, base = background(out)
    try:
        with sync_playwright() as p:
            b = p.chromium.launch(executable_path="/usr/bin/chromium", args=FLAGS)
            times = []
            for _ in range(3):  # first = cold cache; later = bundle cached
                page = b.new_page()
                t0 = time.perf_counter()
                page.goto(base + "/", wait_until="commit")
                page.wait_for_selector(".chart svg, .chart canvas", timeout=15000)
                times.append(time.perf_counter() - t0)
                page.close()
            b.close()
        print(f"first drawn chart on home: cold {times[0]:.3f} s, warm {min(times[1:]):.3f} s")
        return times[0]
    finally:
        server.shutdown()


def main() -> None:
    if len(sys.argv) > 1:
        src = Path(sys.argv[1])
        out = Path(tempfile.mkdtemp(prefix="bench-site-"))
        shutil.copytree(src / "data", out / "data")
        catalog = json.loads((out / "data" / "catalog.json").read_text())
    else:
        out = Path(tempfile.mkdtemp(prefix="bench-site-"))
        catalog = write_sample(out)
    t0 = time.perf_counter()
    s1 = render_site(out, catalog)
    cold = time.perf_counter() - t0
    t0 = time.perf_counter()
    s2 = render_site(out, catalog)
    warm = time.perf_counter() - t0
    print(f"pages {s2['pages']}, charts {s2['charts']}, errors {s1['errors'] + s2['errors']}")
    print(f"render cold (bundles Vega): {cold:.2f} s; warm (bundle reused): {warm:.2f} s; "
          f"warm/target {warm / TARGETS['render_s']:.2f}")  # fmt: skip
    vega = next((out / "assets").glob("vega.*.js"))
    print(f"shared Vega bundle: {vega.stat().st_size / 1024:.0f} KB raw, "
          f"{gz(vega.read_bytes()) / 1024:.0f} KB gzip (cached forever)")  # fmt: skip
    w = page_weights(out)
    heavy = sorted(w.items(), key=lambda kv: -kv[1])
    for path, kb in heavy[:8]:
        print(f"  {path:32s} {kb:7.1f} KB gzip")
    print(f"page weight: max {heavy[0][1]:.1f} KB gzip ({heavy[0][0]}), median "
          f"{sorted(w.values())[len(w) // 2]:.1f} KB; max/target "
          f"{heavy[0][1] / TARGETS['page_kb']:.2f}")  # fmt: skip
    fc = first_chart(out)
    if fc is None:
        print("first chart: skipped (/usr/bin/chromium absent)")
    else:
        print(f"first chart/target {fc / TARGETS['first_chart_s']:.2f}")
    shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    main()
