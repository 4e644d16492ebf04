"""Charts before scripts: every chart drawn to SVG at build time with vl-convert.

The page carries each chart as inline SVG, so it is visible with the HTML (no JavaScript, no
300 KB Vega bundle on a first visit); site.js upgrades it to interactive Vega when the reader
reaches for it. A card's width depends on the screen, so each chart is drawn at a few widths
(a phone's, a half card's, a full card's) and CSS container queries show the one that fits:
text stays at its 12 px or a little larger, never shrunk below it on a phone.

vl-convert runs in child processes, one per core (`svg_workers`: one Deno runtime each, ~0.6 s
to start, then ~40-100 ms of CPU a drawing), started on the first drawing not in the cache.
Drawings are cached by the hash of what they draw (spec, width, vl-convert version) under
BEANFLOWS_CACHE_DIR (`beanflows.drawing_cache`), so a nightly rebuild redraws only the charts
whose data changed.
"""

from __future__ import annotations

import copy
import hashlib
import json
import logging
import queue
import re
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from markupsafe import Markup, escape

from beanflows import drawing_cache
from beanflows.render import svg_workers
from beanflows.render.charts import CONFIG, DARK_CONFIG, FONT, PALETTE

# (css class, width in px): a phone's card, a half card at 1280 px, a full card at 1280 px.
# CSS shows the widest drawing that is not wider than the card (site.css, container queries).
# A half card is 540 px wide from a 1180 px window up, 500-540 px in 1100-1180 px windows
# (laptops): a 500 px drawing fits them all, where a 540 px one made those windows fall back
# to the phone's drawing stretched 1.7 times.
HALF = (("w-n", 310), ("w-m", 500))
FULL = (("w-n", 310), ("w-m", 700), ("w-w", 1110))
log = logging.getLogger(__name__)
KEY_VERSION = 3  # bump when `sized` changes what a spec draws
CHILD_BACKLOG = 24  # drawings waiting before a drawing process starts (~0.7 s of CPU to start)


def widths(full: bool) -> tuple[tuple[str, int], ...]:
    return FULL if full else HALF


# Text is measured with DejaVu Sans, about the widest sans-serif a reader's system-ui can be
# (Linux's; Segoe UI, San Francisco and Roboto are narrower), and then drawn with the site's
# font stack: labels laid out at build time never overflow in the reader's font.
MEASURE_FONT = "DejaVu Sans"


def sized(spec: dict[str, Any], width: int) -> dict[str, Any]:
    """The spec at a fixed width and without tooltips: a static drawing shows none, and
    formatting one per data point cost a quarter of a drawing (the interactive chart keeps
    them; the page embeds the full spec). Series are named by the page's key, not a legend."""
    out = copy.deepcopy(spec)
    out["width"] = width
    out["config"] = {**out.get("config", {}), "font": MEASURE_FONT}
    for enc in [out.get("encoding"), *(layer.get("encoding") for layer in out.get("layer", []))]:
        if isinstance(enc, dict):
            enc.pop("tooltip", None)
    return out


_ATTRS = re.compile(r'^<svg ([^>]*?)class="marks" width="(\d+)" height="(\d+)"')


def tidy(svg: str, cls: str, prefix: str) -> str:
    """Inline-ready SVG: no XML prolog, a width class, hidden from assistive technology (the
    chart's container is the named image), ids made unique on the page."""
    svg = svg[svg.index("<svg") :]
    svg = svg.replace(f'font-family="{MEASURE_FONT}"', f'font-family="{escape(FONT)}"')
    svg = _ATTRS.sub(
        lambda m: (
            f'<svg {m.group(1)}class="marks {cls}" width="{m.group(2)}" '
            f'height="{m.group(3)}" aria-hidden="true" focusable="false"'
        ),
        svg,
        count=1,
    )
    if ' id="' in svg:
        svg = re.sub(r' id="([^"]+)"', rf' id="{prefix}-\1"', svg)
        svg = re.sub(r"url\(#([^)]+)\)", rf"url(#{prefix}-\1)", svg)
        svg = re.sub(r'href="#([^"]+)"', rf'href="#{prefix}-\1"', svg)
    return svg


class Drawer:
    """Draws charts to SVG with a content-addressed cache, in drawing processes (state: the
    thread pool, the processes, which of them are idle).

    Never in this process while it works: vl-convert holds the GIL for a whole drawing (a
    Python loop in another thread ran at a tenth of its speed), so every in-process drawing
    stopped the thread that builds the pages. The first drawing process starts on the first
    drawing not in the cache; a second once enough drawings wait to pay for its start-up.
    This process draws only when no drawing process can run (one failed to start, or died).
    """

    def __init__(self, prestarted: list[Any] | None = None) -> None:
        """`prestarted`: drawing processes started ahead (svg_workers.start), used first."""
        self.lanes = svg_workers.count()
        # one thread per drawing process, and one more tidying and caching while they draw
        self.pool = ThreadPoolExecutor(max_workers=self.lanes + 1, thread_name_prefix="svg")
        self.cache = drawing_cache.folder("svg")
        self.drawn = 0
        self.cached = 0
        self.procs: list[Any] = []
        self.idle: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self.alive = 0  # drawing processes started and not failed
        self.broken = False  # one failed: start no more, draw here once none is left
        self.backlog = 0  # drawings submitted, not in the cache, not drawn yet
        self.lock = threading.Lock()
        for proc in prestarted or []:
            self.procs.append(proc)
            self.idle.put(proc)
            self.alive += 1

    def _acquire(self) -> Any | None:
        """A drawing process for one drawing: an idle one, a new one (the first at once, the
        others when the backlog pays for their start-up), else the next one to be free.
        None: draw in this process (no drawing process can run)."""
        while True:
            try:
                return self.idle.get_nowait()
            except queue.Empty:
                pass
            with self.lock:
                if self.broken and self.alive == 0:
                    return None
                start = not self.broken and self.alive < self.lanes
                start = start and (self.alive == 0 or self.backlog >= CHILD_BACKLOG)
                self.alive += start
            if start:
                try:
                    proc = svg_workers.start()
                except OSError as exc:
                    log.warning("no drawing process (%s): drawing in the build process", exc)
                    self._lost()
                    continue
                self.procs.append(proc)
                return proc
            try:
                return self.idle.get(timeout=0.2)
            except queue.Empty:
                continue  # a process may have failed meanwhile: look again

    def _lost(self) -> None:
        with self.lock:
            self.alive -= 1
            self.broken = True

    def _draw(self, spec: dict[str, Any], sizes: list[int]) -> list[str]:
        """The chart at these widths, in a drawing process (one compile for all of them); in
        this process, one width at a time, only when none can run."""
        proc = self._acquire()
        if proc is not None:
            try:
                svgs = svg_workers.draw(proc, sized(spec, sizes[0]), sizes)
            except (OSError, EOFError) as exc:
                log.warning("drawing process failed (%s): drawing in the build process", exc)
                self._lost()
            except Exception:  # this spec cannot be drawn: the process draws the next one
                self.idle.put(proc)
                raise
            else:
                self.idle.put(proc)
                return svgs
        import vl_convert

        return [vl_convert.vegalite_to_svg(sized(spec, width)) for width in sizes]

    def _path(self, key: str) -> Path | None:
        return drawing_cache.path(self.cache, key, ".svg")

    def _chart(
        self, spec: dict[str, Any], items: list[tuple[str, int, str]], prefix: str, misses: int
    ) -> list[str]:
        """One chart's drawings, (css class, width, cache key) each, tidied: from the cache, the
        others drawn together; `misses`: how many were not in the cache when submitted."""
        raw: dict[int, str] = {}
        todo: list[tuple[int, Path | None]] = []
        try:
            for _, width, key in items:
                path = self._path(key)
                kept = drawing_cache.load(path, drawing_cache.whole_svg)
                if kept is not None:
                    self.cached += 1
                    raw[width] = kept.decode("utf-8")
                else:
                    todo.append((width, path))
            if todo:
                for (width, path), svg in zip(
                    todo, self._draw(spec, [w for w, _ in todo]), strict=True
                ):
                    self.drawn += 1
                    drawing_cache.store(path, svg.encode("utf-8"))
                    raw[width] = svg
        finally:
            with self.lock:
                self.backlog -= misses
        return [tidy(raw[width], cls, prefix) for cls, width, _ in items]

    def submit(
        self, spec: dict[str, Any], full: bool, prefix: str, spec_text: str | None = None
    ) -> Future[list[str]]:
        """Start drawing one chart at each of its widths; the future of its tidied SVGs.

        `spec_text` is the spec as canonical JSON when the caller has it already (the page
        embeds it): the cache key is its hash, so a cached chart costs no copy of its data.
        """
        if spec_text is None:
            spec_text = json.dumps(spec, sort_keys=True, separators=(",", ":"))
        digest = hashlib.sha256(spec_text.encode())
        items, misses = [], 0
        for cls, width in widths(full):
            key = digest.copy()
            key.update(f"\n{width}\n{MEASURE_FONT}\n{KEY_VERSION}".encode())
            path = self._path(key.hexdigest())
            misses += not (path and path.is_file())
            items.append((cls, width, key.hexdigest()))
        with self.lock:
            self.backlog += misses
        return self.pool.submit(self._chart, spec, items, prefix, misses)

    def close(self) -> None:
        self.pool.shutdown(wait=True)
        for proc in self.procs:
            svg_workers.stop(proc)
        drawing_cache.prune(self.cache, ".svg")


def dark_css() -> str:
    """CSS that recolours the light drawings for dark systems, colour by colour (CSS wins over
    SVG presentation attributes), so one drawing serves both schemes."""
    pairs: dict[str, str] = {}
    light_axis, dark_axis = CONFIG["axis"], DARK_CONFIG["axis"]
    for key in ("labelColor", "titleColor", "gridColor", "domainColor", "tickColor"):
        pairs[light_axis[key]] = dark_axis[key]
    dark_palette = DARK_CONFIG["range"]["category"]
    for light, dark in zip(PALETTE, dark_palette, strict=False):
        pairs[light] = dark
    rules = []
    for light, dark in pairs.items():
        rules.append(f'.chart .static [fill="{light}"]{{fill:{dark}}}')
        rules.append(f'.chart .static [stroke="{light}"]{{stroke:{dark}}}')
    return "@media screen and (prefers-color-scheme: dark){\n" + "\n".join(rules) + "\n}\n"


def key_css() -> str:
    """The swatches of the charts' keys (layout.chart_block): the i-th series has the
    palette's i-th colour, lifted on dark systems as the drawings are (`dark_css`)."""
    light = [f".key .k{i}{{background:{c}}}" for i, c in enumerate(PALETTE)]
    dark = DARK_CONFIG["range"]["category"]
    lifted = [f".key .k{i}{{background:{c}}}" for i, c in enumerate(dark)]
    return (
        "\n".join(light)
        + "\n@media screen and (prefers-color-scheme: dark){\n"
        + "\n".join(lifted)
        + "\n}\n"
    )


def submit_page(drawer: Drawer, pg: dict[str, Any]) -> None:
    """Start drawing every chart of a page (each block keeps its futures until finished)."""
    for b in pg["blocks"]:
        if b["type"] == "chart" and b.get("spec") is not None:
            text = str(b.get("spec_json") or "") or None
            b["svg_future"] = drawer.submit(b.pop("spec"), bool(b.get("full")), b["id"], text)


def finish_page(pg: dict[str, Any]) -> None:
    """Put each chart's drawings into its block (`svg`, inline HTML); a chart that could not
    be drawn keeps an empty drawing and is drawn by the browser instead."""
    for b in pg["blocks"]:
        future = b.pop("svg_future", None)
        if future is None:
            continue
        try:
            b["svg"] = Markup("".join(future.result()))
        except Exception as exc:  # noqa: BLE001 - one chart must not take a page down
            log.error("chart %s not drawn at build time: %s", b["id"], exc)
            b["svg"] = Markup("")


def draw_pages(pages: list[dict[str, Any]]) -> None:
    """Draw every chart of these pages now (for a page rendered outside `render_site`)."""
    drawer = Drawer()
    try:
        for pg in pages:
            submit_page(drawer, pg)
    finally:
        for pg in pages:
            finish_page(pg)
        drawer.close()
