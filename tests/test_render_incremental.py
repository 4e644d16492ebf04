"""The render redraws only what changed, draws in child processes, and the brief's refresh
renders only what lists the briefs.

A new CFTC week changes the positioning dataset and nothing else: the commodity pages' price
and balance drawings must come from the drawing cache (no new file in it), the positioning
drawings must be new. Checked by what is written (the cache folder, the pages), not by time.
"""

from __future__ import annotations

import json
import shutil
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from beanflows.render import pages_commodities, static_charts, svg_workers
from beanflows.render.data import Data
from tests.dists import write_catalog

COMMODITIES = [
    {"slug": "coffee", "name": "Coffee", "psd_codes": ["0711100"], "cot_markets": ["083731"],
     "symbols": {"KC=F": "US cents/lb"}, "pages": ["balance", "positioning", "prices"]},
    {"slug": "sugar", "name": "Sugar No. 11", "psd_codes": ["0612000"],
     "cot_markets": ["080732"], "symbols": {"SB=F": "US cents/lb"},
     "pages": ["balance", "positioning", "prices"]},
]  # fmt: skip
MARKETS = {"coffee": ("083731", "COFFEE C"), "sugar": ("080732", "SUGAR NO. 11")}


def _write(dist: Path, weeks: int) -> None:
    """The three generic datasets (free tier) and a catalog: `weeks` COT reports a commodity."""
    free = dist / "data" / "free"
    free.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    first = date(2024, 1, 2)
    pos = []
    for i, c in enumerate(COMMODITIES):
        code, name = MARKETS[c["slug"]]
        for w in range(weeks):
            day = first + timedelta(weeks=w)
            pos.append(
                f"('{c['slug']}', DATE '{day}', 'futures_only', '{code}', '{name}', "
                f"{1000 * (i + 1) + 37 * w}, {1.5 + w / 10}, {500 + w}, {w % 100})"
            )
    con.execute(
        "CREATE TABLE p (commodity VARCHAR, report_date DATE, report_type VARCHAR, "
        "market_code VARCHAR, market_name VARCHAR, mm_net BIGINT, mm_net_pct_oi DOUBLE, "
        f"noncomm_net BIGINT, cot_index_mm_52w DOUBLE); INSERT INTO p VALUES {', '.join(pos)}"
    )
    con.execute(
        "CREATE TABLE b AS SELECT c.commodity, y AS market_year, a.attribute_id, "
        "(y - 2000) * 100.0 + a.k + length(c.commodity) AS value_1000t "
        "FROM (VALUES ('coffee'), ('sugar')) c(commodity), "
        "range(2015, 2025) t(y), (VALUES ('028', 7), ('125', 5), ('176', 2)) a(attribute_id, k)"
    )
    con.execute(
        "CREATE TABLE d AS SELECT c.commodity, c.symbol, "
        "DATE '2024-01-01' + CAST(i AS INTEGER) AS \"date\", "
        "100 + i % 17 + length(c.commodity) AS close, 'US cents/lb' AS quote_unit FROM "
        "(VALUES ('coffee', 'KC=F'), ('sugar', 'SB=F')) c(commodity, symbol), range(0, 200) t(i)"
    )
    for table, name in (("p", "commodity_positioning"), ("b", "commodity_balance"),
                        ("d", "commodity_prices_daily")):  # fmt: skip
        con.execute(f"COPY (SELECT * FROM {table} ORDER BY ALL) TO '{free / name}.parquet'")
    write_catalog(dist, commodities=COMMODITIES)


def _draw(dist: Path) -> dict[str, dict[str, str]]:
    """Build and draw the commodity pages; {page slug: {chart id: its drawings}}."""
    catalog = json.loads((dist / "data" / "catalog.json").read_text())
    data = Data(dist, catalog)
    try:
        pages = pages_commodities.build(data)
    finally:
        data.close()
    static_charts.draw_pages(pages)
    return {
        pg["slug"]: {b["id"]: str(b["svg"]) for b in pg["blocks"] if b["type"] == "chart"}
        for pg in pages
    }


def _cached(cache: Path) -> set[Path]:
    return set(cache.rglob("*.svg"))


def test_a_new_cot_week_redraws_the_positioning_charts_only(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("BEANFLOWS_CACHE_DIR", str(tmp_path / "cache"))
    dist = tmp_path / "dist"
    _write(dist, weeks=30)
    before = _draw(dist)
    first = _cached(tmp_path / "cache")
    charts = sum(len(c) for c in before.values())
    # a price chart spans the page (three widths); positioning and balance share a row (two)
    widths = {"balance": static_charts.HALF, "positioning": static_charts.HALF}
    drawn = {c: len(widths.get(c, static_charts.FULL)) for p in before.values() for c in p}
    assert charts == 6 and len(first) == sum(drawn[c] for p in before.values() for c in p)

    _write(dist, weeks=31)  # CFTC publishes the next week: the positioning dataset grows
    after = _draw(dist)
    new = _cached(tmp_path / "cache") - first
    # one new drawing per width of each commodity's positioning chart, nothing else
    assert len(new) == len(COMMODITIES) * len(static_charts.HALF)
    for slug in ("commodities/coffee", "commodities/sugar"):
        assert after[slug]["positioning"] != before[slug]["positioning"]
        for chart in ("balance", next(k for k in after[slug] if k.startswith("price-"))):
            assert after[slug][chart] == before[slug][chart], (slug, chart)
    assert all(c.count("<svg") == drawn[k] for p in after.values() for k, c in p.items())


def test_drawing_processes_draw_what_vl_convert_draws_in_process(monkeypatch) -> None:
    import vl_convert

    monkeypatch.setenv(svg_workers.WORKERS_ENV, "2")
    assert svg_workers.count() == 2
    spec = {
        "data": {"values": [{"a": 1, "b": 2}, {"a": 2, "b": 5}]},
        "mark": "line",
        "encoding": {"x": {"field": "a", "type": "quantitative"},
                     "y": {"field": "b", "type": "quantitative"}},
    }  # fmt: skip
    proc = svg_workers.start()
    try:
        drawn = svg_workers.draw(proc, {**spec, "width": 200}, [200, 400])
        assert drawn == [vl_convert.vegalite_to_svg({**spec, "width": w}) for w in (200, 400)]
        with pytest.raises(RuntimeError):  # a spec it cannot draw: an error, the process lives
            svg_workers.draw(proc, {"mark": "nonsense-mark", "data": {"values": []}}, [9])
        assert svg_workers.draw(proc, spec, [300])[0].startswith("<svg")
    finally:
        svg_workers.stop(proc)
    assert proc.returncode == 0


def test_a_dead_drawing_process_falls_back_to_this_process(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.delenv("BEANFLOWS_CACHE_DIR", raising=False)
    monkeypatch.setenv(svg_workers.WORKERS_ENV, "1")  # one drawing process, then this process
    started = []
    start = svg_workers.start

    def start_then_die():
        proc = start()
        proc.kill()
        proc.wait()
        started.append(proc)
        return proc

    monkeypatch.setattr(svg_workers, "start", start_then_die)
    monkeypatch.setattr(static_charts, "CHILD_BACKLOG", 0)  # a process even for 3 drawings
    spec = {"data": {"values": [{"a": 1}]}, "mark": "point",
            "encoding": {"x": {"field": "a", "type": "quantitative"}}}  # fmt: skip
    drawer = static_charts.Drawer()
    try:
        svgs = drawer.submit(spec, True, "c").result()
    finally:
        drawer.close()
    assert len(started) == 1 and all("<svg" in s for s in svgs) and drawer.drawn == 3


def test_the_build_process_never_draws_while_a_drawing_process_can(monkeypatch) -> None:
    """vl-convert holds the GIL for a whole drawing: drawn here, it would stop the thread that
    builds the pages. Every drawing goes to a drawing process, the first started at once."""
    import vl_convert

    monkeypatch.delenv("BEANFLOWS_CACHE_DIR", raising=False)
    monkeypatch.setenv(svg_workers.WORKERS_ENV, "2")

    def here(spec):  # noqa: ANN001, ANN202
        raise AssertionError("drawn in the build process")

    monkeypatch.setattr(vl_convert, "vegalite_to_svg", here)
    specs = [
        {"data": {"values": [{"a": i, "b": n} for i in range(5)]}, "mark": "line",
         "encoding": {"x": {"field": "a", "type": "quantitative"},
                      "y": {"field": "b", "type": "quantitative"}}}
        for n in range(4)
    ]  # fmt: skip
    drawer = static_charts.Drawer()
    try:
        futures = [drawer.submit(spec, True, f"c{i}") for i, spec in enumerate(specs)]
        svgs = [svg for f in futures for svg in f.result()]
    finally:
        drawer.close()
    assert drawer.drawn == 12 and all(s.startswith("<svg") for s in svgs)
    assert len(drawer.procs) == 1  # 12 waiting drawings do not pay for a second start-up
    assert all(p.returncode == 0 for p in drawer.procs)  # closed with the drawer


def test_data_opens_only_the_datasets_a_page_reads(tmp_path: Path) -> None:
    _write(tmp_path, weeks=3)
    catalog = json.loads((tmp_path / "data" / "catalog.json").read_text())
    data = Data(tmp_path, catalog)
    try:
        assert data.datasets == {}
        assert data.get("commodity_positioning").ok and not data.get("no_such").ok
        assert set(data.datasets) == {"commodity_positioning"}
    finally:
        data.close()


def test_the_brief_refresh_renders_the_home_page_and_sitemap_only(tmp_path: Path) -> None:
    from beanflows.brief import make
    from tests.test_site import render

    out = tmp_path / "dist"
    render(out)
    sitemap = (out / "sitemap.xml").read_text()
    supply = out / "supply" / "index.html"
    supply.write_text(supply.read_text() + "<!-- untouched -->")
    methodology = out / "methodology" / "index.html"
    methodology.write_text(methodology.read_text() + "<!-- untouched -->")
    week = out / "briefs" / "2026-W48"
    week.mkdir(parents=True)
    (week / "index.html").write_text("<p>brief</p>")
    (week / "brief.json").write_text(json.dumps({"week": "2026-W48"}))

    assert make.refresh_site(out)
    assert "/briefs/2026-W48/" in (out / "index.html").read_text()
    assert supply.read_text().endswith("<!-- untouched -->")  # not rendered again
    assert methodology.read_text().endswith("<!-- untouched -->")
    refreshed = (out / "sitemap.xml").read_text()
    assert "/briefs/2026-W48/</loc>" in refreshed and "/briefs/</loc>" in refreshed
    without = [ln for ln in refreshed.splitlines() if "/briefs/" not in ln]
    assert without == sitemap.splitlines()  # every other page still listed

    full = tmp_path / "full"  # a full render of the same folder lists the same pages
    shutil.copytree(out, full)
    catalog = json.loads((full / "data" / "catalog.json").read_text())
    from beanflows.render import render_site

    assert not render_site(full, catalog)["errors"]
    assert (full / "sitemap.xml").read_text() == refreshed
    assert (full / "index.html").read_bytes() == (out / "index.html").read_bytes()


def test_a_chart_compiled_once_is_drawn_as_each_width_compiled_alone(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """Every chart of the demo site: the drawings a drawing process makes from one compile to
    Vega (only the width set per width) equal compiling the chart at each width."""
    import re

    import vl_convert

    from tests.demo_site import demo_dist

    specs = {}
    for page in sorted(demo_dist(tmp_path_factory).rglob("index.html")):
        for cid, text in re.findall(
            r'<script type="application/json" id="s-([^"]+)">(.*?)</script>', page.read_text()
        ):
            specs.setdefault(cid, json.loads(text))  # one of each chart (pages repeat some)
    assert len(specs) > 10
    sizes = [w for _, w in static_charts.FULL]
    checked = 0
    for spec in specs.values():
        got = svg_workers.draw_widths(static_charts.sized(spec, sizes[0]), sizes)
        for width, svg in zip(sizes, got, strict=True):
            assert svg == vl_convert.vegalite_to_svg(static_charts.sized(spec, width))
            checked += 1
    assert checked == 3 * len(specs)


def test_a_drawing_process_started_ahead_draws_first_and_is_stopped_after(
    monkeypatch, tmp_path: Path
) -> None:
    """The build starts a drawing process while SQLMesh runs (render_step.prestart): the
    render draws in it before starting any other, and a render that is skipped stops it."""
    from beanflows import render_step

    monkeypatch.delenv("BEANFLOWS_CACHE_DIR", raising=False)
    monkeypatch.setenv(svg_workers.WORKERS_ENV, "1")
    ahead = svg_workers.start()

    def no_start():  # noqa: ANN202
        raise AssertionError("a second drawing process")

    monkeypatch.setattr(svg_workers, "start", no_start)
    spec = {"data": {"values": [{"a": 1}]}, "mark": "point",
            "encoding": {"x": {"field": "a", "type": "quantitative"}}}  # fmt: skip
    drawer = static_charts.Drawer([ahead])
    try:
        svgs = drawer.submit(spec, True, "c").result()
    finally:
        drawer.close()
    assert drawer.drawn == 3 and all(s.startswith("<svg") for s in svgs)
    assert ahead.returncode == 0  # stopped with the drawer
    # a render skipped (nothing changed since the last one) stops what was started for it
    monkeypatch.undo()
    out, var = tmp_path / "dist", tmp_path / "var"
    _write(out, weeks=3)
    catalog = json.loads((out / "data" / "catalog.json").read_text())
    first, _, _ = render_step.run(out, var, catalog)
    assert first is not None and not first.get("skipped")
    spare = render_step.Prestarted(drawing=svg_workers.start())
    again, _, _ = render_step.run(out, var, catalog, spare)
    assert again == {"skipped": True} and spare.drawing.poll() is not None  # gone


@pytest.mark.parametrize(
    "damage",
    [
        lambda svg: svg[: len(svg) // 2],  # a truncated copy
        lambda svg: b"",  # an emptied file (a full disk)
        lambda svg: b"<html><body>not a drawing</body></html>",  # another tool's file
        lambda svg: svg.replace(b"<svg", b"\xff\xfe<svg", 1),  # not UTF-8
    ],
)
def test_a_damaged_kept_drawing_is_drawn_again(tmp_path: Path, monkeypatch, damage) -> None:
    """A kept SVG that is not a whole drawing is never inlined: the chart is drawn again and
    the cache entry replaced (loading it would otherwise mark it in use for good)."""
    monkeypatch.setenv("BEANFLOWS_CACHE_DIR", str(tmp_path / "cache"))
    dist = tmp_path / "dist"
    _write(dist, weeks=30)
    before = _draw(dist)
    kept = sorted(_cached(tmp_path / "cache"))
    whole = {p: p.read_bytes() for p in kept}
    for path in kept[:3]:
        path.write_bytes(damage(whole[path]))
    assert _draw(dist) == before
    assert {p: p.read_bytes() for p in sorted(_cached(tmp_path / "cache"))} == whole


def test_site_templates_are_compiled_once_and_again_when_edited(
    tmp_path: Path, monkeypatch
) -> None:
    """The site's Jinja templates are kept compiled under BEANFLOWS_CACHE_DIR (a tenth of a
    second a render otherwise); an edited template is compiled again, not served stale."""
    import jinja2

    from beanflows.render import layout

    monkeypatch.setenv("BEANFLOWS_CACHE_DIR", str(tmp_path / "cache"))
    templates = tmp_path / "templates"
    shutil.copytree(layout.TEMPLATES, templates)
    monkeypatch.setattr(layout, "TEMPLATES", templates)
    probe = templates / "probe.html"
    probe.write_text("{% extends 'base.html' %}{% block main %}<p>{{ word }}</p>{% endblock %}")

    def render() -> str:
        env = layout.environment()
        assert isinstance(env.bytecode_cache, jinja2.FileSystemBytecodeCache)
        ctx = {"nav": [], "assets": {}, "built_at": "2026-01-01", "word": "first"}
        return env.get_template("probe.html").render(page={"title": "t"}, **ctx)

    first = render()
    assert "<p>first</p>" in first
    kept = {p.name: p.read_bytes() for p in (tmp_path / "cache" / "jinja-site").iterdir()}
    assert len(kept) >= 2  # the page and the base template it extends
    assert render() == first
    assert {p.name: p.read_bytes() for p in (tmp_path / "cache" / "jinja-site").iterdir()} == kept
    probe.write_text(probe.read_text().replace("<p>", "<p>edited ", 1))
    assert "<p>edited first</p>" in render()
    monkeypatch.delenv("BEANFLOWS_CACHE_DIR")
    assert layout.environment().bytecode_cache is None
