"""Every source says who publishes it, under which terms, how to cite it, and where each of its
files comes from upstream (ingest/provenance.py). Fast: no build."""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import pytest

from beanflows import layout
from ingest import archive, provenance

SOURCES = layout.source_names()


def test_eight_sources_are_checked() -> None:
    assert len(SOURCES) >= 8, SOURCES


@pytest.mark.parametrize("source", SOURCES)
def test_source_metadata_is_complete(source: str) -> None:
    cfg = provenance.source_config(source)
    assert provenance.missing_metadata(cfg) == [], f"{source}/source.toml lacks metadata"
    assert cfg["license"]["url"].startswith("https://")
    assert cfg["homepage"].startswith("https://")
    meta = provenance.public_metadata(source)
    assert meta["citation"] and meta["license"]["name"] and meta["publisher"]


@pytest.mark.parametrize("key", [*provenance.REQUIRED, "license.name", "license.url"])
def test_a_missing_key_is_reported(key: str) -> None:
    cfg = json.loads(json.dumps(provenance.source_config("usda_psd")))
    top, _, sub = key.partition(".")
    if sub:
        cfg[top][sub] = "  "
    else:
        del cfg[top]
    assert provenance.missing_metadata(cfg) == [key]


@pytest.mark.parametrize("source", SOURCES)
def test_every_kind_has_an_upstream_url(source: str) -> None:
    """Each kind of file a source reads maps to an upstream URL (a file's own URL where
    upstream has one, else the page publishing it), never a local path."""
    mod = importlib.import_module(f"ingest.{source}")
    cfg = provenance.source_config(source)
    for kind in mod.FORMATS:
        url = provenance.canonical_url(mod, kind, "some_file.csv", "2024-06-11", cfg)
        assert url.startswith("https://"), (source, kind, url)


@pytest.mark.parametrize(
    ("source", "kind", "name", "release", "url"),
    [
        ("usda_psd", "bulk", "psd_coffee_csv.zip", "2022-12",
         "https://apps.fas.usda.gov/psdonline/downloads/archives/2022/12/psd_coffee_csv.zip"),
        ("cftc_cot", "disagg_futures_only_zip", "fut_disagg_txt_2023.zip", "2023-12-26",
         "https://www.cftc.gov/files/dea/history/fut_disagg_txt_2023.zip"),
        ("cftc_cot", "legacy_futures_only_text", "annual.txt", "2025-03-11",
         "https://www.cftc.gov/files/dea/history/deacot2025.zip"),
        ("cftc_cot", "legacy_futures_only_zip", "deacot1986_2016.zip", "2016-12-27",
         "https://www.cftc.gov/files/dea/history/deacot1986_2016.zip"),
        ("cftc_cot", "disagg_futures_only_week", "f_disagg.txt", "2025-01-07",
         "https://www.cftc.gov/dea/newcot/f_disagg.txt"),
        ("fred", "series", "PCOFFOTMUSDM.csv", "2024-10",
         "https://fred.stlouisfed.org/graph/fredgraph.csv?id=PCOFFOTMUSDM"),
        ("yahoo_prices", "csv", "KC=F.csv", "2022-05-12",
         "https://query1.finance.yahoo.com/v7/finance/download/KC%3DF?interval=1d&events=history"),
        ("yahoo_prices", "chart", "chart-GC=F-2020-01-01-to-2020-01-03.json", "2020-01-03",
         "https://query1.finance.yahoo.com/v8/finance/chart/GC%3DF?interval=1d"),
        ("ice_stocks", "daily_report", "coffee_cert_stock_20251226.xls", "2025-12-26",
         "https://www.ice.com/publicdocs/futures_us_reports/coffee/coffee_cert_stock_20251226.xls"),
    ],
)  # fmt: skip
def test_canonical_url_of_an_imported_file(
    source: str, kind: str, name: str, release: str, url: str
) -> None:
    mod = importlib.import_module(f"ingest.{source}")
    assert (
        provenance.canonical_url(mod, kind, name, release, provenance.source_config(source)) == url
    )


def test_old_manifest_rows_get_their_url_on_read() -> None:
    """A manifest written before URLs were kept for imports (url null) still gives every file
    its upstream URL, without rewriting anything."""
    row = {"sha256": "ab" * 32, "source": "fred", "kind": "series", "name": "PCOFFROBUSDM.csv",
           "release": "2024-10", "url": None, "import_path": "/x/PCOFFROBUSDM.csv"}  # fmt: skip
    filled = provenance.fill_urls([row])[0]
    assert filled["url"] == "https://fred.stlouisfed.org/graph/fredgraph.csv?id=PCOFFROBUSDM"
    assert filled["url_derived"] is True
    assert row["url"] is None  # the input row is not modified


def test_a_derived_url_is_never_taken_as_fetched(tmp_path: Path) -> None:
    """An imported file carries the URL it would come from, but fetching must still request
    that URL (the imported bytes may be a partial year): no conditional request, not 'stored'."""
    manifest: list[dict] = []
    url = "https://www.cftc.gov/files/dea/history/deacot2025.zip"
    archive.store(tmp_path, manifest, b"imported", source="cftc_cot", kind="k", name="annual.txt",
                  url=url, url_derived=True, import_path="/x/annual.txt")  # fmt: skip
    assert archive.latest_for_url(manifest, url) is None
    archive.store(tmp_path, manifest, b"fetched", source="cftc_cot", kind="k",
                  name="deacot2025.zip", url=url)  # fmt: skip
    assert archive.latest_for_url(manifest, url)["name"] == "deacot2025.zip"
    rows = archive.load_manifest(tmp_path)
    assert [r["url_derived"] for r in rows] == [True, False]
