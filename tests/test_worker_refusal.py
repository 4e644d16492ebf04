"""A refused Pro download, in workerd and in Chromium: the Pro page for browsers, JSON for
clients that ask for it, the documented one-line body for everything else; and the headers
every gated refusal carries (Vary, Cache-Control, WWW-Authenticate, RateLimit-* on 429).

The release is a real render of the sample site (with its /pro/ page), published into the
Worker's local R2 bucket.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import httpx
import pytest

from beanflows import tokens
from beanflows.render import render_site
from tests.sample_site import write_sample
from tests.test_browser_site import open_page
from tests.worker_server import PRO_MARKER, WINDOW_SECONDS, release_objects, worker_or_skip

pytestmark = pytest.mark.worker

VECTORS = json.loads((Path(__file__).parent / "vectors" / "tokens.json").read_text())
SECRET = VECTORS["secrets"]["current"]
ACCOUNT = "https://account.beanflows.example"
PRO = "/data/pro/psd_coffee.csv"
HTML = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"  # Chromium's
LIMIT = 3


@pytest.fixture(scope="module")
def site_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    out = tmp_path_factory.mktemp("dist")
    old = os.environ.get("BEANFLOWS_BASE_URL")
    os.environ["BEANFLOWS_BASE_URL"] = ACCOUNT  # the accounts service the Pro page links
    try:
        catalog = write_sample(out)
        (out / "data" / "catalog.json").write_text(json.dumps(catalog))
        assert render_site(out, catalog)["errors"] == []
    finally:
        if old is None:
            os.environ.pop("BEANFLOWS_BASE_URL")
        else:
            os.environ["BEANFLOWS_BASE_URL"] = old
    files = {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    files["data/pro/psd_coffee.csv"] = b"year,value\n" + PRO_MARKER + b"1\n"
    return files


@pytest.fixture(scope="module")
def worker(site_files):
    config = {"RATE_LIMIT": str(LIMIT), "RATE_LIMIT_LEASE": "1"}
    with worker_or_skip(release_objects(site_files), config, {"TOKEN_SECRET": SECRET}) as w:
        yield w


@pytest.fixture
def client(worker):
    with httpx.Client(base_url=worker.url, timeout=10) as c:
        yield c


def bearer(sub: str, plan: str = "pro") -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens.mint_token(SECRET, sub, plan, ttl=600)}"}


def assert_gated_refusal(r: httpx.Response, status: int) -> None:
    assert r.status_code == status
    assert r.headers["cache-control"] == "private, no-store"
    vary = {v.strip().lower() for v in r.headers["vary"].split(",")}
    assert {"authorization", "cookie", "accept"} <= vary, r.headers["vary"]
    assert r.headers["www-authenticate"].startswith('Bearer realm="beanflows"')
    assert r.headers["link"] == '</pro/>; rel="help"'
    assert PRO_MARKER not in r.content


def test_a_browser_gets_the_pro_page_with_its_file(client: httpx.Client) -> None:
    r = client.get(PRO, headers={"Accept": HTML})
    assert_gated_refusal(r, 401)
    assert r.headers["content-type"].startswith("text/html")
    page = r.text
    assert "<h1>BeanFlows Pro</h1>" in page and "What Pro holds" in page
    assert "Subscribe or sign in" in page and f'href="{ACCOUNT}/login"' in page
    assert f'href="{ACCOUNT}/account/download/data/pro/psd_coffee.csv"' in page
    assert "<code>/data/pro/psd_coffee.csv</code>" in page
    assert '<p class="pro-file">' in page  # shown: the Worker filled it in
    # a file that does not exist gets the same page (no oracle), naming what was asked for
    other = client.get("/data/pro/nope.csv", headers={"Accept": HTML})
    assert other.status_code == 401
    assert other.text.replace("nope.csv", "psd_coffee.csv") == page
    head = client.head(PRO, headers={"Accept": HTML})
    assert_gated_refusal(head, 401)
    assert head.content == b""


def test_a_refused_credential_gets_the_page_with_403(client: httpx.Client) -> None:
    r = client.get(PRO, headers={"Accept": HTML, **bearer("free_reader", plan="free")})
    assert_gated_refusal(r, 403)
    assert 'error="invalid_token"' in r.headers["www-authenticate"]
    assert "<h1>BeanFlows Pro</h1>" in r.text


def test_clients_get_json_or_the_documented_line(client: httpx.Client) -> None:
    r = client.get(PRO, headers={"Accept": "application/json"})
    assert_gated_refusal(r, 401)
    body = r.json()
    assert body["status"] == 401 and body["error"] == "missing" and body["file"] == PRO
    assert body["pro"] == client.base_url.join("/pro/").__str__()
    assert "full history" in body["message"] and "Bearer bf_live_" in body["message"]
    plain = client.get(PRO)  # httpx, curl and fetch send */*: docs/tokens.md's one line
    assert_gated_refusal(plain, 401)
    assert plain.text == "401 missing\n"
    bad = client.get(PRO, headers={"Accept": "*/*", **bearer("x", plan="free")})
    assert bad.text == "403 plan\n"


def test_every_gated_answer_varies_on_the_credential(client: httpx.Client) -> None:
    auth = bearer("vary_reader")
    ok = client.get(PRO, headers=auth)
    assert ok.status_code == 200 and ok.headers["vary"] == "Authorization, Cookie"
    moved = client.get("/data/pro/dir", headers=auth)  # not a file: 404 page, still private
    assert moved.headers["vary"] == "Authorization, Cookie"
    for _ in range(LIMIT - 2):  # the 404 counted too: it was an authorised request
        assert client.get(PRO, headers=auth).status_code == 200
    limited = client.get(PRO, headers=auth)
    assert limited.status_code == 429
    assert limited.headers["vary"] == "Authorization, Cookie"
    assert limited.headers["ratelimit-limit"] == str(LIMIT)
    assert limited.headers["ratelimit-remaining"] == "0"
    reset = int(limited.headers["ratelimit-reset"])
    assert 0 < reset <= WINDOW_SECONDS and limited.headers["retry-after"] == str(reset)


@pytest.mark.browser
def test_chromium_shows_the_pro_page_for_a_pro_link(worker) -> None:
    from tests.browser import CHROMIUM, FLAGS, require_chromium

    sync_api = require_chromium()
    base = worker.url.rstrip("/")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        ctx, page, log = open_page(browser, base)
        try:
            page.goto(base + "/downloads/", wait_until="load")
            link = page.locator('a[href="/data/pro/psd_coffee.csv"]').first
            with page.expect_navigation():
                link.click()
            assert page.url == base + PRO
            assert page.locator("h1").inner_text() == "BeanFlows Pro"
            assert page.get_by_role("link", name="sign in").first.is_visible()
            mine = page.locator("p.pro-file a")
            assert mine.is_visible() and mine.inner_text() == "/data/pro/psd_coffee.csv"
            assert mine.get_attribute("href") == f"{ACCOUNT}/account/download{PRO}"
            assert page.evaluate("() => document.styleSheets.length") >= 1  # site CSS loaded
            # the page's own 401 is expected; nothing else may fail
            errors = [e for e in log["errors"] if "401" not in e]
            assert errors == [] and log["outside"] == [], (errors, log["outside"])
            assert PRO_MARKER.decode() not in page.content()
        finally:
            ctx.close()
            browser.close()
