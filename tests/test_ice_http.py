"""ICE daily reports over real HTTP (tests/httpserver.py on 127.0.0.1): fetch, 404, HTML, reuse."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import pyarrow.parquet as pq

from ingest.ice_stocks import explain
from ingest.run import ingest_source, load_source

FIXTURE = Path(__file__).resolve().parents[1] / "ingest/ice_stocks/fixtures"
TODAY = date(2025, 12, 31)  # Wednesday: weekdays 24, 25, 26, 29, 30, 31 Dec are requested
FAST = {"retries": 1, "backoff_seconds": 0.01, "timeout_seconds": 5}


def _cfg(upstream) -> dict:
    return {"report_url": upstream.url("reports/coffee_cert_stock_{date}.xls"),
            "report_lookback_days": 7}  # fmt: skip


def _landed_totals(var: Path) -> list[tuple]:
    cells = [pq.read_table(p) for p in (var / "landing/ice_stocks/report_cells").glob("*.parquet")]
    out = []
    for t in cells:
        for r in t.to_pylist():
            if r["block"] == "certified" and r["is_total_row"] and r["port_code"] == "Total":
                out.append((r["date"], r["bags"]))
    return sorted(out)


def test_recent_reports_fetched_once_missing_days_are_notes(upstream, http_root, tmp_path):
    (http_root / "reports").mkdir()
    shutil.copy(FIXTURE / "coffee_cert_stock_20251230.xls", http_root / "reports")
    var = tmp_path / "var"
    res = ingest_source("ice_stocks", var, _cfg(upstream), FAST, None, TODAY)
    assert res.ok, res.errors
    assert res.files_new == 1
    assert _landed_totals(var) == [(date(2025, 12, 30), 187976)]
    asked = sorted(p for p, _ in upstream.hits)
    assert asked == [f"/reports/coffee_cert_stock_202512{d}.xls" for d in (24, 25, 26, 29, 30, 31)]
    assert len(res.notes) == 5 and all(n.startswith("not published yet:") for n in res.notes)
    manifest = [json.loads(x) for x in (var / "raw/manifest.jsonl").read_text().splitlines()]
    assert manifest[0]["url"].endswith("coffee_cert_stock_20251230.xls")
    assert manifest[0]["release"] == "2025-12-30"

    upstream.hits.clear()
    again = ingest_source("ice_stocks", var, _cfg(upstream), FAST, None, TODAY)
    assert again.ok and again.files_new == 0
    assert "/reports/coffee_cert_stock_20251230.xls" not in [p for p, _ in upstream.hits]


def test_html_page_instead_of_xls_is_refused_and_good_days_kept(upstream, http_root, tmp_path):
    (http_root / "reports").mkdir()
    shutil.copy(FIXTURE / "coffee_cert_stock_20251230.xls", http_root / "reports")
    upstream.faults["/reports/coffee_cert_stock_20251229.xls"] = {
        "body": b"<!DOCTYPE html><html><body>Report moved</body></html>",
        "type": "text/html",
    }
    var = tmp_path / "var"
    res = ingest_source("ice_stocks", var, _cfg(upstream), FAST, None, TODAY)
    assert len(res.errors) == 1
    assert "coffee_cert_stock_20251229.xls" in res.errors[0]
    assert "HTML page was served instead of xls" in res.errors[0]
    assert _landed_totals(var) == [(date(2025, 12, 30), 187976)]  # nothing good lost
    rejected = (var / "rejected/rejected.jsonl").read_text()
    assert "coffee_cert_stock_20251229.xls" in rejected


def test_moved_url_fails_softly_keeping_last_good_data(upstream, http_root, tmp_path):
    """ICE moves the file: every day 404s. The source stays usable, nothing is removed."""
    (http_root / "reports").mkdir()
    shutil.copy(FIXTURE / "coffee_cert_stock_20251230.xls", http_root / "reports")
    var = tmp_path / "var"
    assert ingest_source("ice_stocks", var, _cfg(upstream), FAST, None, TODAY).ok
    (http_root / "reports/coffee_cert_stock_20251230.xls").unlink()  # the file moved away
    later = date(2026, 1, 9)
    res = ingest_source("ice_stocks", var, _cfg(upstream), FAST, None, later)
    assert res.ok and res.files_new == 0
    missing = [n for n in res.notes if n.startswith("not published yet:")]
    assert len(missing) == 6  # 2..9 January, weekdays
    guidance = [n for n in res.notes if not n.startswith("not published yet:")]
    assert len(guidance) == 1 and "report_url" in guidance[0]  # where to look, for the operator
    assert _landed_totals(var) == [(date(2025, 12, 30), 187976)]


def test_guidance_names_where_to_look() -> None:
    _, cfg = load_source("ice_stocks")
    url = cfg["report_url"].format(date="20260109")
    text = explain(cfg, url, "HTTP 404")
    assert url in text and "HTTP 404" in text
    assert cfg["report_index_url"] in text
    assert "ingest/ice_stocks/source.toml" in text and "report_url" in text
    assert "stays published, marked stale" in text
