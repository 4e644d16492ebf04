"""Commodities as configuration (commodities.toml): the file is validated, reaches ingest (which
markets, symbols and PSD codes land) and the models (the generic datasets), and every figure of
the generic datasets is the same figure the source's own dataset publishes."""

from __future__ import annotations

import json
import re
import tomllib
from datetime import date
from pathlib import Path

import duckdb
import pytest

from beanflows import commodities
from beanflows.config import load as load_settings
from beanflows.config import source_settings
from beanflows.errors import UsageError
from ingest import cftc_cot, usda_psd, yahoo_prices
from ingest.errors import SourceError
from ingest.usda_psd import bulk
from tests.conftest import run_cli
from tests.demo_site import demo_dist, imported_builds, real_dist
from tests.usda_fixtures import alldata_csv, bulk_zip

DEFAULT = commodities.load(commodities.DEFAULT_FILE)


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "commodities.toml"
    path.write_text(text)
    return path


def test_default_file_names_coffee_cocoa_sugar_and_wheat() -> None:
    by_slug = {c.slug: c for c in DEFAULT}
    assert list(by_slug) == ["coffee", "cocoa", "sugar", "wheat"]
    assert by_slug["coffee"].cot_markets == ("083731",)
    assert by_slug["cocoa"].cot_markets == ("073732",) and by_slug["cocoa"].psd_codes == ()
    assert by_slug["sugar"].cot_markets == ("080732",) and by_slug["sugar"].psd_codes == (
        "0612000",
    )
    assert by_slug["wheat"].cot_markets == ("001602",) and by_slug["wheat"].psd_codes == (
        "0410000",
    )
    assert dict(by_slug["coffee"].symbols) == {"KC=F": "US cents/lb", "RC=F": "USD/t"}


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("[x]\ncot_markets = [83731]\n", "quoted codes"),
        ('[x]\ncot_markets = ["8373"]\n', "6-7 digit"),
        ('[x]\npsd_codes = ["0612000"]\npsd_unit = "(1000 TONS)"\n', "psd_unit"),
        ('[x]\ncot_markets = ["083731"]\n[y]\ncot_markets = ["083731"]\n', "in both [x] and [y]"),
        ('[x]\nsymbols = ["KC=F"]\n', "symbols must map"),
        ('[x]\npages = ["charts"]\n', "pages must be"),
        ('[x]\nmarkets = ["083731"]\n', "unknown keys"),
        ('[Coffee]\nname = "C"\n', "lower case"),
        ("", "no commodity"),
        ("[x\n", "not valid TOML"),
    ],
)
def test_a_wrong_file_is_one_line_naming_file_and_commodity(
    tmp_path: Path, text: str, says: str
) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(ValueError, match=".*") as err:
        commodities.load(path)
    assert says in str(err.value) and str(path) in str(err.value)
    assert "\n" not in str(err.value)


def test_settings_pick_the_file_and_refuse_a_wrong_one(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv(commodities.ENV, raising=False)
    path = _write(tmp_path, '[cocoa]\ncot_markets = ["073732"]\nsymbols = { "CC=F" = "USD/t" }\n')
    cfg = tmp_path / "settings.toml"
    cfg.write_text(f'commodities_file = "{path}"\n')
    settings = load_settings(cfg)
    assert [c.slug for c in settings.commodities] == ["cocoa"]
    assert source_settings(settings, "cftc_cot")["commodity_markets"] == ["073732"]
    assert source_settings(settings, "yahoo_prices")["commodity_symbols"] == {"CC=F": "USD/t"}
    path.write_text('[cocoa]\ncot_markets = ["73732"]\n')
    with pytest.raises(UsageError, match="cot_markets"):
        load_settings(cfg)


def test_settings_markets_add_to_the_commodities_markets(tmp_path: Path) -> None:
    """[sources.cftc_cot] markets from --config is honoured (it once was ignored)."""
    cfg = tmp_path / "settings.toml"
    cfg.write_text('[sources.cftc_cot]\nmarkets = ["033661"]\n')
    settings = load_settings(cfg)
    merged = {**tomllib.loads(cftc_cot.CONFIG.read_text()), **source_settings(settings, "cftc_cot")}
    assert cftc_cot.markets(merged) == ["001602", "033661", "073732", "080732", "083731"]
    assert cftc_cot.extract_version(merged) != cftc_cot.extract_version(None)


def test_yahoo_fetches_every_commodity_symbol_but_publishes_coffee_as_before() -> None:
    cfg = {**yahoo_prices._CONFIG, **commodities.source_settings(DEFAULT)["yahoo_prices"]}
    assert yahoo_prices.fetched(cfg) == ["KC=F", "RC=F", "CC=F", "SB=F", "ZW=F"]
    assert yahoo_prices.published(cfg) == ["KC=F", "RC=F"]
    assert yahoo_prices.units(cfg)["ZW=F"] == "US cents/bu"
    urls = [r.url for r in yahoo_prices.requests(cfg, date(2026, 11, 30), set())]
    assert len(urls) == 5 and any("ZW%3DF" in u or "ZW=F" in u for u in urls)


def test_psd_fetches_the_all_commodities_file_only_when_a_commodity_needs_it() -> None:
    base = {**usda_psd_config(), "archive_start": ""}
    coffee_only = {**base, "commodity_codes": {"0711100": "(1000 60 KG BAGS)"}}
    kinds = [r.kind for r in usda_psd.requests(coffee_only, date(2026, 11, 30), set())]
    assert kinds == ["bulk"]
    wanted = {**base, **commodities.source_settings(DEFAULT)["usda_psd"]}
    reqs = usda_psd.requests(wanted, date(2026, 11, 30), set())
    assert [r.kind for r in reqs] == ["bulk", "alldata"]
    assert reqs[1].url.endswith("/psd_alldata_csv.zip")


def usda_psd_config() -> dict:
    return tomllib.loads((Path(usda_psd.__file__).parent / "source.toml").read_text())


def test_alldata_lands_only_the_configured_codes_with_their_file_lines() -> None:
    data = bulk_zip(alldata_csv(), member="psd_alldata.csv")
    assert usda_psd.recognise("psd_alldata_csv.zip", data[:64]) == "alldata"
    release, table = bulk.parse_alldata(data, "psd_alldata_csv.zip", "d", {"0612000", "0410000"})
    assert release == "2024-12"
    codes = set(table["commodity_code"].to_pylist())
    assert codes == {"0612000", "0410000"}  # coffee and corn are in the file, not configured
    lines = alldata_csv().decode().split("\r\n")
    for row in table.slice(0, 50).to_pylist():  # each kept row points at its own line
        assert lines[row["_line"] - 1].startswith(row["commodity_code"] + ",")
        assert f",{row['attribute_id']}," in lines[row["_line"] - 1]


def test_alldata_faults_name_the_file() -> None:
    wrong_member = bulk_zip(alldata_csv(), member="psd_coffee.csv")
    with pytest.raises(SourceError, match="psd_alldata_csv.zip.*expected 'psd_alldata.csv'"):
        bulk.parse_alldata(wrong_member, "psd_alldata_csv.zip", "d", {"0612000"})
    text = alldata_csv().decode().rstrip("\r\n").split("\r\n")
    sugar = next(line for line in text if line.startswith("0612000"))
    dup = bulk_zip(("\r\n".join([*text, sugar[:-6] + "1.0000"]) + "\r\n").encode(),
                   member="psd_alldata.csv")  # fmt: skip
    with pytest.raises(SourceError, match="duplicated keys") as err:
        bulk.parse_alldata(dup, "psd_alldata_csv.zip", "d", {"0612000"})
    assert "psd_alldata_csv.zip!psd_alldata.csv" in str(err.value)
    # the same duplicate in a commodity nobody configured does not stop the file
    bulk.parse_alldata(dup, "psd_alldata_csv.zip", "d", {"0410000"})


# ---- the generic datasets of a demo build, against the sources' own datasets ----------------


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return demo_dist(tmp_path_factory)


def _pro(dist: Path, name: str) -> str:
    return f"read_parquet('{dist / 'data' / 'pro' / f'{name}.parquet'}')"


def _drawings(page: str, block: str) -> list[str]:
    """The width classes of one chart's build-time drawings on a page."""
    card = page.split(f'id="h-{block}"', 1)[1].split("</section>", 1)[0]
    return re.findall(r'<svg [^>]*class="marks (w-[nmw])"', card)


def test_positioning_and_balance_share_a_row_and_the_price_spans_it(demo: Path) -> None:
    """Half cards are drawn at two widths (phone, half), full ones at three: the page's
    layout decides how many drawings a commodity costs each render."""
    coffee = (demo / "commodities" / "coffee" / "index.html").read_text()
    assert _drawings(coffee, "price-kc-f") == ["w-n", "w-m", "w-w"]
    assert _drawings(coffee, "positioning") == ["w-n", "w-m"]
    assert _drawings(coffee, "balance") == ["w-n", "w-m"]
    # cocoa has no balance to show: its positioning card still pairs with the card saying so
    cocoa = (demo / "commodities" / "cocoa" / "index.html").read_text()
    assert _drawings(cocoa, "positioning") == ["w-n", "w-m"]
    assert "USDA PSD does not cover Cocoa" in cocoa


def test_a_section_alone_spans_the_row(tmp_path: Path) -> None:
    from beanflows.render import pages_commodities
    from beanflows.render.data import Data

    alone = {"slug": "c", "name": "C", "psd_codes": [], "cot_markets": ["1"], "symbols": {},
             "pages": ["positioning", "prices"]}  # fmt: skip
    data = Data(tmp_path, {"datasets": {}, "commodities": [alone]})
    try:
        page = pages_commodities.build(data)[1]
    finally:
        data.close()
    full = {b["id"]: b["full"] for b in page["blocks"]}
    assert full["positioning"] is True and full["prices"] is True


def test_catalog_lists_the_commodities(demo: Path) -> None:
    catalog = json.loads((demo / "data" / "catalog.json").read_text())
    listed = {c["slug"]: c for c in catalog["commodities"]}
    assert list(listed) == ["coffee", "cocoa", "sugar", "wheat"]
    assert listed["sugar"]["psd_codes"] == ["0612000"]
    assert listed["wheat"]["symbols"] == {"ZW=F": "US cents/bu"}
    for name in ("commodity_balance", "commodity_positioning", "commodity_prices_daily"):
        assert catalog["datasets"][name]["status"] != "stale"
    units = (demo / "methodology" / "commodities" / "index.html").read_text()
    for unit, factor in commodities.PSD_MASS_UNITS.items():  # the unit rules are documented
        assert unit in units and f"{factor:g}" in units, unit
    assert "0612000" in units and "ZW=F (US cents/bu)" in units


def test_generic_positioning_is_cot_positioning_figure_for_figure(demo: Path) -> None:
    con = duckdb.connect()
    per = dict(con.execute(
        f"SELECT commodity, COUNT(DISTINCT market_code) FROM {_pro(demo, 'commodity_positioning')} "
        "GROUP BY 1").fetchall())  # fmt: skip
    assert per == {"coffee": 1, "cocoa": 1, "sugar": 1, "wheat": 1}
    diff = con.execute(f"""
        SELECT COUNT(*) FROM {_pro(demo, "commodity_positioning")} g
        FULL JOIN (SELECT * FROM {_pro(demo, "cot_positioning")}
                   WHERE market_code IN ('083731', '073732', '080732', '001602')) p
          USING (market_code, report_type, report_date)
        WHERE g.mm_net IS DISTINCT FROM p.mm_net OR g.open_interest IS DISTINCT FROM p.open_interest
           OR g.cot_index_mm_52w IS DISTINCT FROM p.cot_index_mm_52w
           OR g.raw_sha256 IS DISTINCT FROM p.raw_sha256""").fetchone()[0]
    assert diff == 0


def test_generic_balance_coffee_is_psd_coffee_and_converts_units(demo: Path) -> None:
    con = duckdb.connect()
    diff = con.execute(f"""
        SELECT COUNT(*) FROM (SELECT * FROM {_pro(demo, "commodity_balance")}
                              WHERE commodity = 'coffee') g
        FULL JOIN {_pro(demo, "psd_coffee")} p USING (country_code, market_year, attribute_id)
        WHERE g.value IS DISTINCT FROM p.value OR g.release IS DISTINCT FROM p.release
           OR g.raw_sha256 IS DISTINCT FROM p.raw_sha256""").fetchone()[0]
    assert diff == 0
    rows = con.execute(f"""
        SELECT commodity, unit, BOOL_AND(value_1000t IS NOT DISTINCT FROM
               CASE WHEN unit = '(1000 60 KG BAGS)' THEN value * 0.06
                    WHEN unit = '(1000 MT)' THEN value END)
        FROM {_pro(demo, "commodity_balance")} GROUP BY ALL ORDER BY ALL""").fetchall()
    assert rows == [("coffee", "(1000 60 KG BAGS)", True), ("sugar", "(1000 MT)", True),
                    ("wheat", "(1000 HA)", True), ("wheat", "(1000 MT)", True),
                    ("wheat", "(MT/HA)", True)]  # fmt: skip
    codes = {
        r[0]
        for r in con.execute(
            f"SELECT DISTINCT commodity_code FROM {_pro(demo, 'commodity_balance')}"
        ).fetchall()
    }
    assert codes == {"0711100", "0612000", "0410000"}  # corn (0440000) is not configured


def test_generic_prices_are_the_quoted_bars(demo: Path) -> None:
    con = duckdb.connect()
    units = dict(con.execute(
        f"SELECT symbol, ANY_VALUE(quote_unit) FROM {_pro(demo, 'commodity_prices_daily')} "
        "GROUP BY 1").fetchall())  # fmt: skip
    assert units == {"KC=F": "US cents/lb", "RC=F": "USD/t", "CC=F": "USD/t",
                     "SB=F": "US cents/lb", "ZW=F": "US cents/bu"}  # fmt: skip
    diff = con.execute(f"""
        SELECT COUNT(*) FROM (SELECT * FROM {_pro(demo, "commodity_prices_daily")}
                              WHERE commodity = 'coffee') g
        FULL JOIN {_pro(demo, "prices_daily")} p USING (symbol, "date")
        WHERE g.close IS DISTINCT FROM p.close_quoted
           OR g.raw_sha256 IS DISTINCT FROM p.raw_sha256""").fetchone()[0]
    assert diff == 0
    published = {
        r[0]
        for r in con.execute(f"SELECT DISTINCT symbol FROM {_pro(demo, 'prices_daily')}").fetchall()
    }
    assert published == {"KC=F", "RC=F"}  # coffee's dataset keeps its rows


# ---- the default build from the real upstream files ------------------------------------------


def test_real_build_publishes_positioning_for_the_four_default_commodities(
    shared_data: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    dist = real_dist(tmp_path_factory, shared_data)
    con = duckdb.connect()
    per = dict(con.execute(
        f"SELECT commodity, COUNT(*) FROM {_pro(dist, 'commodity_positioning')} GROUP BY 1"
    ).fetchall())  # fmt: skip
    assert set(per) == {"coffee", "cocoa", "sugar", "wheat"} and min(per.values()) > 50
    names = dict(con.execute(
        f"SELECT market_code, ANY_VALUE(market_name) FROM {_pro(dist, 'commodity_positioning')} "
        "GROUP BY 1").fetchall())  # fmt: skip
    assert names["080732"].startswith("SUGAR NO. 11") and names["001602"].startswith("WHEAT-SRW")
    # no PSD file for sugar and wheat here, no price file for cocoa, sugar, wheat: their pages
    # show what exists and say what does not
    sugar = (dist / "commodities" / "sugar" / "index.html").read_text()
    assert "Managed money net" in sugar and "No balance data for Sugar No. 11" in sugar
    cocoa = (dist / "commodities" / "cocoa" / "index.html").read_text()
    assert "USDA PSD does not cover Cocoa" in cocoa


# ---- a unit change upstream, and a new commodity in the configuration ------------------------


def test_a_unit_change_stops_the_balance_and_keeps_the_last_good_files(tmp_path: Path) -> None:
    """USDA switching wheat to bales would publish numbers 4.6x off: the audit stops the
    release, the last good files stay up (stale), on this run and on the rerun."""
    root, imported = imported_builds(tmp_path)  # the demo's files, imported

    def build(today: str) -> tuple[int, str, dict]:
        code, log, catalog = imported(today)
        return code, log, catalog["datasets"]

    code, log, before = build("2025-08-10")
    assert code == 0, log[-3000:]
    bales = alldata_csv("2025-01", unit={"0410000": "(1000 480 lb. Bales)"})
    (root / "usda_psd" / "new").mkdir()
    (root / "usda_psd" / "new" / "psd_alldata_csv.zip").write_bytes(
        bulk_zip(bales, "psd_alldata.csv")
    )
    for today in ("2025-08-11", "2025-08-12"):  # the rerun must not publish it either
        code, log, after = build(today)
        assert code == 1 and "psd_unit_configured" in log, (today, log[-3000:])
        entry = after["commodity_balance"]
        assert entry["status"] == "stale" and entry["files"] == before["commodity_balance"]["files"]
        assert any(a["audit"] == "psd_unit_configured" for a in entry["failed_audits"])
        for other in ("commodity_positioning", "commodity_prices_daily", "cot_positioning"):
            assert after[other]["status"] != "stale", other
            assert after[other]["files"] == before[other]["files"], other


def test_a_commodity_added_to_the_file_lands_and_publishes_on_the_next_build(
    tmp_path: Path,
) -> None:
    """The configuration enters the landing version and the models' fingerprints: a new
    commodity re-lands the archived COT files (no refetch) and re-runs the generic models."""
    var, out = tmp_path / "var", tmp_path / "dist"
    conf = _write(tmp_path, '[coffee]\ncot_markets = ["083731"]\n')
    settings = tmp_path / "settings.toml"
    settings.write_text(f'commodities_file = "{conf}"\n')

    def build() -> dict[str, int]:
        res = run_cli("build", "--demo", "--source", "cftc_cot", "--config", str(settings),
                      "--today", "2025-08-10", "--var", str(var), "--out", str(out),
                      cwd=tmp_path)  # fmt: skip
        assert res.returncode == 0, res.stderr[-3000:]
        con = duckdb.connect()
        return dict(con.execute(
            f"SELECT commodity, COUNT(*) FROM {_pro(out, 'commodity_positioning')} GROUP BY 1"
        ).fetchall())  # fmt: skip

    assert set(build()) == {"coffee"}
    markets = duckdb.connect().execute(
        f"SELECT DISTINCT market_code FROM {_pro(out, 'cot_positioning')}").fetchall()  # fmt: skip
    assert markets == [("083731",)]  # only configured markets land
    conf.write_text('[coffee]\ncot_markets = ["083731"]\n[sugar]\ncot_markets = ["080732"]\n')
    counts = build()
    assert set(counts) == {"coffee", "sugar"} and counts["sugar"] == counts["coffee"]
    catalog = json.loads((out / "data/catalog.json").read_text())
    assert [c["slug"] for c in catalog["commodities"]] == ["coffee", "sugar"]
    assert (out / "commodities/sugar/index.html").is_file()


def test_coffee_pages_show_coffee_c_among_every_market(demo: Path) -> None:
    """cot_positioning holds four markets now: the coffee pages must still read Coffee C."""
    con = duckdb.connect()
    free = demo / "data/free/cot_positioning.parquet"
    mm = {code: net for code, net in con.execute(
        f"SELECT market_code, mm_net FROM read_parquet('{free}') "
        "WHERE report_type = 'futures_only' QUALIFY ROW_NUMBER() OVER "
        "(PARTITION BY market_code ORDER BY report_date DESC) = 1").fetchall()}  # fmt: skip
    assert len(mm) == 4 and len(set(mm.values())) == 4
    page = (demo / "positioning" / "index.html").read_text()
    takeaway = page.split('<p class="takeaway">', 1)[1].split("</p>", 1)[0]
    assert f"{abs(mm['083731']):,} contracts" in takeaway, takeaway
    for code, net in mm.items():
        if code != "083731":
            assert f"{abs(net):,} contracts" not in takeaway, (code, takeaway)


def test_forty_commodities_are_forty_rows_and_one_navigation_entry(tmp_path: Path) -> None:
    from beanflows.render import layout as L
    from beanflows.render import pages_commodities
    from beanflows.render.data import Data

    sections = ["balance", "positioning", "prices"]
    many = [{"slug": f"c{i:02d}", "name": f"Commodity {i}", "psd_codes": [], "cot_markets": [],
             "symbols": {}, "pages": sections} for i in range(40)]  # fmt: skip
    data = Data(tmp_path, {"datasets": {}, "commodities": many})
    try:
        pages = pages_commodities.build(data)
    finally:
        data.close()
    assert [p["slug"] for p in pages] == ["commodities"] + [
        f"commodities/c{i:02d}" for i in range(40)
    ]
    assert len(pages[0]["blocks"][0]["table"]["rows"]) == 40
    assert sum(item["key"] == "commodities" for item in L.NAV) == 1 and len(L.NAV) < 15
    texts = [b.get("text", "") for b in pages[1]["blocks"]]
    assert any("USDA PSD does not cover Commodity 0" in t for t in texts)
    assert any("No futures symbol is configured" in t for t in texts)
