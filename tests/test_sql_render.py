"""The /sql/ page in the render: present with its assets and nav link when DuckDB-WASM is
installed (web/node_modules), left out cleanly (no page, no link, no error) when it is not."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from beanflows.render import pages_sql, render_site
from tests.sample_site import write_sample


def _render(out: Path) -> dict:
    catalog = write_sample(out)
    (out / "data" / "catalog.json").write_text(json.dumps(catalog, indent=1, sort_keys=True))
    return render_site(out, catalog)


def test_without_duckdb_wasm_the_site_builds_without_the_sql_page(tmp_path, monkeypatch):
    monkeypatch.setattr(pages_sql, "DUCKDB", tmp_path / "missing")
    stale = tmp_path / "sql" / "index.html"  # a page from an earlier build with npm
    stale.parent.mkdir(parents=True)
    stale.write_text("old")
    summary = _render(tmp_path)
    assert summary["errors"] == []
    assert not stale.exists()
    assert 'href="/sql/"' not in (tmp_path / "index.html").read_text()
    assert not list((tmp_path / "assets").glob("*.wasm"))


def test_with_duckdb_wasm_the_page_lists_free_datasets_and_self_hosted_assets(tmp_path):
    if not (pages_sql.DUCKDB / "duckdb-eh.wasm").is_file():
        pytest.skip("web/node_modules missing (./dev.sh runs npm ci in web/)")
    summary = _render(tmp_path)
    assert summary["errors"] == []
    html = (tmp_path / "sql" / "index.html").read_text()
    assert 'href="/sql/"' in (tmp_path / "index.html").read_text()
    config = json.loads(html.split('id="sql-config">')[1].split("</script>")[0])
    for key in ("worker", "wasm"):
        assert config[key].startswith("/assets/") and (tmp_path / config[key][1:]).is_file()
    assert "http" not in json.dumps(config)  # nothing from another origin
    catalog = json.loads((tmp_path / "data" / "catalog.json").read_text())
    free = sorted(n for n, d in catalog["datasets"].items() if (d.get("files") or {}).get("free"))
    assert [d["name"] for d in config["datasets"]] == free
    assert config["examples"] and "/assets/duckdb" not in (tmp_path / "index.html").read_text()
