"""The /sql/ page in headless Chromium: DuckDB-WASM from the site's own assets runs an example
query over a free Parquet file with HTTP range reads; the table equals native DuckDB's answer
over the same file; the CSV download holds the same rows; no request leaves 127.0.0.1 (the
browser resolves nothing else) and the .wasm is served as application/wasm.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from urllib.parse import urlparse

import duckdb
import pytest

from beanflows.render import pages_sql
from tests.browser import LOOPBACK_ONLY, chromium, require_chromium
from tests.demo_site import demo_dist
from tests.site_server import background
from tests.test_a11y import AXE, axe_run

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory):
    require_chromium()  # before the demo build
    dist = demo_dist(tmp_path_factory)
    if not (dist / "sql" / "index.html").is_file():
        pytest.skip("no /sql/ page: web/node_modules missing (./dev.sh runs npm ci in web/)")
    server, url = background(dist)
    try:
        with chromium(tmp_path_factory.mktemp("home"), LOOPBACK_ONLY) as browser:
            yield dist, url, browser
    finally:
        server.shutdown()
        server.server_close()


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _same(page_cell: str, want: str) -> bool:
    try:
        return abs(float(page_cell) - float(want)) < 1e-9 * max(1.0, abs(float(want)))
    except ValueError:
        return page_cell == want


def test_example_query_runs_locally_with_ranges_and_downloads_csv(site, tmp_path: Path):
    dist, url, browser = site
    ctx = browser.new_context(accept_downloads=True)
    page = ctx.new_page()
    seen: list[tuple[str, str | None]] = []
    types: dict[str, str] = {}
    errors: list[str] = []
    ctx.on("request", lambda r: seen.append((r.url, r.headers.get("range"))))
    ctx.on("response", lambda r: types.__setitem__(r.url, r.headers.get("content-type", "")))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    try:
        page.goto(url + "/sql/", wait_until="load")
        # the dataset list holds the free datasets only
        catalog = json.loads((dist / "data/catalog.json").read_text())
        free = sorted(n for n, d in catalog["datasets"].items() if (d["files"] or {}).get("free"))
        listed = page.locator("#sql-datasets tbody tr td:first-child").all_inner_texts()
        assert listed == free
        page.select_option("#sql-examples", index=1)  # the first example: Coffee C positioning
        sql = page.input_value("#sql-input")
        page.click("#sql-run")
        page.wait_for_function(
            "() => ['done', 'error'].includes(document.querySelector('#sql-status').dataset.state)"
            " && document.querySelector('#sql-result table')",
            timeout=60000,
        )
        assert page.get_attribute("#sql-status", "data-state") == "done", page.inner_text(
            "#sql-status")  # fmt: skip
        header = page.locator("#sql-result thead th").all_inner_texts()
        rows = [
            r.locator("td").all_inner_texts() for r in page.locator("#sql-result tbody tr").all()
        ]
        local = (dist / "data/free/cot_positioning.parquet").as_posix()
        native = duckdb.sql(sql.replace("FROM cot_positioning",
                                        f"FROM read_parquet('{local}')"))  # fmt: skip
        want = [[_cell(v) for v in row] for row in native.fetchall()]
        assert header == native.columns and len(rows) == len(want) > 0
        assert all(_same(a, b) for r, w in zip(rows, want, strict=True)
                   for a, b in zip(r, w, strict=True)), (rows[:2], want[:2])  # fmt: skip
        if AXE.is_file():  # the a11y suite's axe-core, on the page with its result table
            for scheme in ("light", "dark"):
                page.emulate_media(color_scheme=scheme)
                found = axe_run(page)
                bad = [v for v in found if v["impact"] in ("serious", "critical")]
                serious = [f"{v['id']}: {n['target']}" for v in bad for n in v["nodes"]]
                assert serious == [], (scheme, serious)
        with page.expect_download() as info:
            page.click("#sql-csv")
        lines = Path(info.value.path()).read_text().splitlines()
        assert lines[0].split(",") == header and len(lines) == len(rows) + 1
        assert lines[1].split(",") == rows[0]
    finally:
        ctx.close()
    assert errors == []
    hosts = {urlparse(u).hostname for u, _ in seen if not u.startswith(("data:", "blob:"))}
    assert hosts == {"127.0.0.1"}, hosts
    wasm = [u for u in types if u.endswith(".wasm")]
    assert wasm and all(types[u] == "application/wasm" for u in wasm)
    parquet = [r for u, r in seen if u.endswith("/data/free/cot_positioning.parquet")]
    assert any(r and r.startswith("bytes=") for r in parquet), parquet  # range reads
    assert pages_sql.NAV_ITEM["href"] == "/sql/"
