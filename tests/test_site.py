"""The static site: every page from the published files, degradation, determinism, tiers.

Renders a synthetic dist/data tree in the catalog contract (beanflows.render.sample) so these
run without the real upstream files; test_site_real.py renders a real build.
"""

from __future__ import annotations

import html.parser
import json
import re
import shutil
import urllib.error
import urllib.request
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from beanflows import config
from beanflows.render import layout as L
from beanflows.render import render_site
from tests.sample_site import write_sample
from tests.site_server import background

PAGES = [
    "index.html", "supply/index.html", "origins/index.html", "origins/brazil/index.html",
    "revisions/index.html", "positioning/index.html", "prices/index.html",
    "warehouse/index.html", "weather/index.html", "downloads/index.html", "status/index.html",
    "methodology/index.html", "404.html", "sitemap.xml", "pro/index.html",
]  # fmt: skip
VOID = {"meta", "link", "br", "img", "input", "hr", "col", "area", "base", "source", "wbr"}


_BUNDLE: list[Path] = []  # assets dir of the first render: later renders reuse its Vega bundle


def seed_assets(out: Path) -> None:
    """Copy the bundled Vega file + manifest (bundling costs ~5 s of CPU per fresh dir)."""
    if _BUNDLE:
        (out / "assets").mkdir(parents=True, exist_ok=True)
        for p in _BUNDLE[0].iterdir():
            if p.name.startswith("vega.") or p.name == "manifest.json":
                shutil.copy(p, out / "assets" / p.name)


def render(out: Path, **kw) -> tuple[dict, dict]:
    seed_assets(out)
    catalog = write_sample(out, **kw)
    (out / "data" / "catalog.json").write_text(json.dumps(catalog, indent=1, sort_keys=True))
    return catalog, render_site(out, catalog)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict, dict]:
    out = tmp_path_factory.mktemp("dist")
    catalog, summary = render(out)
    _BUNDLE.append(out / "assets")
    return out, catalog, summary


def files(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and "data" not in p.relative_to(root).parts[:1]
    }


class Checker(html.parser.HTMLParser):
    """Well-formedness: every non-void element closed in order; ids unique."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.ids: list[str] = []
        self.errors: list[str] = []

    def handle_starttag(self, tag, attrs):  # noqa: ANN001, ANN201
        self.ids += [v for k, v in attrs if k == "id"]
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):  # noqa: ANN001, ANN201
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"unexpected </{tag}> with open {self.stack[-3:]}")
        else:
            self.stack.pop()


def test_every_page_renders_without_errors(site):
    out, _, summary = site
    assert summary["errors"] == []
    for rel in PAGES:
        assert (out / rel).is_file(), rel
    assert summary["pages"] >= 15 and summary["charts"] >= 20


def test_pages_are_valid_and_complete(site):
    out, _, _ = site
    for path in sorted(out.rglob("*.html")):
        if "methodology" in path.parts:
            continue
        text = path.read_text()
        assert text.startswith("<!doctype html>"), path
        c = Checker()
        c.feed(text)
        assert not c.errors, (path, c.errors[:3])
        assert not c.stack, (path, c.stack)
        assert len(c.ids) == len(set(c.ids)), path
        assert re.search(r'<meta name="description" content="[^"]{20,}">', text), path
        assert '<html lang="en">' in text and "<title>" in text
        for m in re.finditer(r'<div class="chart"[^>]*>', m_text := text):
            assert 'aria-label="' in m.group(0) and 'role="img"' in m.group(0), path
        # each chart's spec parses and carries its data inline
        for spec in re.findall(r'<script type="application/json" id="s-[^"]+">(.*?)</script>',
                               m_text, re.S):  # fmt: skip
            assert json.loads(spec)["data"]["values"], path


def test_no_external_urls_in_assets_or_pages(site):
    out, _, _ = site
    allowed = ("http://www.w3.org/", "http://www.sitemaps.org/", "https://vega.github.io/schema/")
    for path in sorted(out.rglob("*")):
        if path.suffix not in {".html", ".css"} or "methodology" in path.parts:
            continue
        text = path.read_text()
        # src/href attributes and css url() may only point at this site
        for url in re.findall(r'(?:src|href)="(https?://[^"]+)"', text):
            link_ok = 'rel="noopener"' in text and path.suffix == ".html"
            assert link_ok and not re.search(rf'src="{re.escape(url)}', text), (path, url)
        assert not re.findall(r"url\((?!data:)['\"]?https?:", text), path
        for stylesheet in re.findall(r'<link rel="stylesheet" href="([^"]+)"', text):
            assert stylesheet.startswith("/assets/"), path
    for asset in (out / "assets").glob("*.css"):
        assert "http" not in asset.read_text().replace("http://www.w3.org", "")
    assert allowed  # documented exceptions for namespaces


def test_assets_are_content_hashed_and_shared(site):
    out, _, _ = site
    names = [p.name for p in (out / "assets").iterdir() if p.name != "manifest.json"]
    assert {n.split(".")[0] for n in names} >= {"site", "vega", "icon"}
    import hashlib

    for name in names:
        digest = name.split(".")[1]
        assert hashlib.sha256((out / "assets" / name).read_bytes()).hexdigest()[:12] == digest
    vega = [n for n in names if n.startswith("vega.")]
    assert len(vega) == 1
    home = (out / "index.html").read_text()
    assert f'<meta name="bf-vega" content="/assets/{vega[0]}">' in home  # loaded on demand
    assert "__vega_bundle__" not in "".join(p.read_text() for p in out.rglob("*.html"))


def test_rebuild_is_byte_identical(site, tmp_path):
    out = tmp_path / "dist"
    catalog, _ = render(out)
    before = files(out)
    mtimes = {p: p.stat().st_mtime_ns for p in out.rglob("*.html")}
    render_site(out, catalog)
    assert files(out) == before
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*.html")} == mtimes


def test_takeaways_are_computed_from_data(site):
    out, _, _ = site
    supply = (out / "supply/index.html").read_text()
    m = re.search(
        r'<p class="takeaway">USDA puts (\d{4}/\d\d) world production at ([\d.]+) M', supply
    )
    assert m, "supply takeaway"
    t = pq.read_table(out / "data/free/coffee_balance.parquet").to_pylist()
    world = max((r for r in t if r["country_code"] == "WORLD"), key=lambda r: r["market_year"])
    assert m.group(1) == world["marketing_year"]
    assert float(m.group(2)) == pytest.approx(world["production"] / 1000, abs=0.05)
    pos = (out / "positioning/index.html").read_text()
    assert re.search(r"Managed money is net (long|short) [\d,]+ contracts", pos)


def test_public_pages_use_free_files_only(site, tmp_path):
    """Pro-only data never reaches a page; the page says where the data is instead."""
    out = tmp_path / "dist"
    _, summary = render(out, pro_only=("psd_coffee_vintages", "prices_daily"))
    assert summary["errors"] == []
    rev = (out / "revisions/index.html").read_text()
    assert "available to Pro subscribers only" in rev
    assert "release by release" not in rev
    # free data covers 5 market years: no older year appears on the supply page
    t = pq.read_table(out / "data/pro/coffee_balance.parquet").to_pylist()
    oldest_pro = min(r["marketing_year"] for r in t)
    supply = (out / "supply/index.html").read_text()
    assert oldest_pro not in supply
    assert "free tier" in supply and "Pro files" in supply
    assert 'disabled title="Longer history is in the Pro files"' in supply


def test_revisions_answer_what_usda_thought_of_brazil(site):
    out, _, _ = site
    rev = (out / "origins/brazil/index.html").read_text()
    assert "Production estimate in each USDA release" in rev
    table = rev[rev.index("Production estimate in each USDA release") :]
    head = re.search(r"<thead>(.*?)</thead>", table, re.S).group(1)
    assert "2022-12 bulk" in head and "2024-06 report table" in head
    t = pq.read_table(out / "data/free/psd_coffee_vintages.parquet").to_pylist()
    v = [r for r in t if r["country_code"] == "BR" and r["attribute_id"] == "028"
         and r["marketing_year"] == "2022/23"]  # fmt: skip
    assert len(v) == 3
    row = re.search(r"<tr><td>2022/23</td>(.*?)</tr>", table, re.S).group(1)
    for r in v:
        assert f"{r['value']:,.0f}" in row
    assert "Release surprise" in (out / "revisions/index.html").read_text()


def test_missing_and_stale_sources_degrade(site, tmp_path):
    out = tmp_path / "dist"
    _, summary = render(
        out,
        missing=("cot_positioning", "weather_alerts", "weather_daily", "prices_monthly"),
        stale=("ice_certified_stocks",),
        failed_sources=("yahoo_prices",),
    )
    assert summary["errors"] == []
    pos = (out / "positioning/index.html").read_text()
    assert "No data yet: the cot_positioning dataset has not been published." in pos
    home = (out / "index.html").read_text()
    assert "no data yet" in home and "World stock-to-use" in home
    wh = (out / "warehouse/index.html").read_text()
    assert "Stale data:" in wh and "2024-11-20" in wh and "audit price_positive failed" in wh
    prices = (out / "prices/index.html").read_text()
    assert "Stale data:" in prices and "HTTP 503 from upstream" in prices
    status = (out / "status/index.html").read_text()
    assert "need attention" in status


def test_empty_catalog_still_renders_a_site(site, tmp_path):
    out = tmp_path / "dist"
    seed_assets(out)
    summary = render_site(out, {"catalog_version": 1, "built_at": None, "datasets": {},
                                "sources": {}})  # fmt: skip
    assert summary["errors"] == []
    for rel in PAGES:
        assert (out / rel).is_file() or rel.startswith("origins/brazil"), rel
    assert "no data yet" in (out / "index.html").read_text()


def test_downloads_list_every_dataset_with_gated_pro_links(site):
    out, catalog, _ = site
    page = (out / "downloads/index.html").read_text()
    for name, meta in catalog["datasets"].items():
        assert f">{name}</h2>" in page
        assert f'href="/data/pro/{name}.parquet"' in page
        assert f'href="/data/free/{name}.csv"' in page
        for col in meta["columns"]:
            assert f"<code>{col['name']}</code>" in page


def test_methodology_covers_every_published_field(site):
    out, catalog, _ = site
    for name, meta in catalog["datasets"].items():
        page = (out / "methodology" / "datasets" / name / "index.html").read_text()
        for col in meta["columns"]:
            assert f"<code>{col['name']}</code>" in page, (name, col["name"])
    src = (out / "methodology/sources/usda_psd/index.html").read_text()
    assert "monthly" in src
    text = "".join(p.read_text() for p in (out / "methodology").rglob("*.html"))
    assert "fonts.googleapis" not in text and "fonts.gstatic" not in text
    assert "stock-to-use" in (out / "methodology/formulas/index.html").read_text().lower()


def test_sitemap_lists_pages(site, tmp_path, monkeypatch):
    out, catalog, _ = site
    sm = (out / "sitemap.xml").read_text()
    base = L.site_url()  # the preview's address unless BEANFLOWS_SITE_URL says otherwise
    locs = re.findall(r"<loc>([^<]+)</loc>", sm)
    assert all(loc.startswith(base + "/") for loc in locs), locs[:3]
    for path in ("/", "/supply/", "/origins/brazil/", "/methodology/", "/status/",
                 "/methodology/datasets/coffee_balance/", "/methodology/formulas/"):  # fmt: skip
        assert f"<loc>{base}{path}</loc>" in sm
    assert "/sql/" not in sm or (out / "sql" / "index.html").is_file()
    assert "<lastmod>2024-11-29</lastmod>" in sm
    # the base URL is configuration: the setting, else the environment
    L.write_sitemap(tmp_path, ["", "origins/brazil"], "", L.site_url("https://beans.example/x/"))
    text = (tmp_path / "sitemap.xml").read_text()
    assert "<loc>https://beans.example/x/origins/brazil/</loc>" in text
    monkeypatch.setenv("BEANFLOWS_SITE_URL", "https://env.example")
    assert L.site_url() == "https://env.example"
    assert config.load().site_url == "https://env.example"
    for bad in ("beans.example", "ftp://beans.example", "https://beans.example/?q=1"):
        with pytest.raises(ValueError):
            L.site_url(bad)


def test_serve_pretty_urls_and_404(site):
    out, _, _ = site
    server, base = background(out)
    try:
        with urllib.request.urlopen(base + "/supply/") as r:
            assert r.status == 200 and b"<h1>Supply</h1>" in r.read()
        with pytest.raises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(base + "/nope/")
        assert e.value.code == 404 and b"Page not found" in e.value.read()
        assert server.server_address[0] == "127.0.0.1"
    finally:
        server.shutdown()
        server.server_close()


def test_every_chart_is_drawn_in_the_html(site):
    """Charts before scripts: each chart carries its build-time drawings, one per width."""
    out, _, _ = site
    for page in sorted(out.rglob("index.html")):
        html = page.read_text()
        charts = re.findall(r'<div class="chart" id="(c-[^"]+)"', html)
        for cid in charts:
            block = html[html.index(f'id="{cid}"') : html.index(f'id="d-{cid[2:]}"')]
            full = '<div class="static full">' in block
            classes = re.findall(r'<svg [^>]*class="marks (w-[nmw])"', block)
            assert classes == (["w-n", "w-m", "w-w"] if full else ["w-n", "w-m"]), (page, cid)
            assert block.count('aria-hidden="true" focusable="false"') == len(classes)


def test_the_briefs_home_refresh_keeps_the_drawings(site):
    """The nightly brief renders the site again: same inputs, same bytes (drawings too)."""
    from beanflows.brief import make

    out, _, _ = site
    before = (out / "index.html").read_bytes()
    assert b'<div class="static">' in before
    assert make.refresh_site(out)
    assert (out / "index.html").read_bytes() == before
