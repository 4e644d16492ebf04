"""Sign-up, sign-in and key creation in headless Chromium against the real service.

The static site's footer form (templates/base.html, rendered with BEANFLOWS_BASE_URL set)
posts cross-origin to the service, as on the live site; mails arrive at aiosmtpd; the
browser keeps the Secure session cookie on 127.0.0.1. No request may leave 127.0.0.1.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlparse

import pytest

from tests.auth_service import auth_stack
from tests.browser import chromium
from tests.site_server import background

pytestmark = pytest.mark.browser

SCREENS = Path(__file__).resolve().parents[1] / "test-artifacts" / "screens"


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    with chromium(tmp_path_factory.mktemp("home")) as b:
        yield b


def static_page(root: Path, account_url: str, monkeypatch) -> None:
    """The site's real base template with the footer forms pointing at the service."""
    from beanflows.render import layout

    monkeypatch.setenv("BEANFLOWS_BASE_URL", account_url)
    html = layout.environment().get_template("base.html").render(
        page={"title": "Supply", "slug": "supply", "description": "", "nav": "supply"},
        nav=[], assets={"css": "/site.css", "js": "/site.js", "icon": "/icon.svg"},
        built_at="2026-12-01", demo=False,
    )  # fmt: skip
    (root / "index.html").write_text(html)
    for name in ("site.css", "site.js", "icon.svg"):
        src = Path(layout.TEMPLATES) / "static" / name
        (root / name).write_bytes(src.read_bytes())


def test_sign_up_sign_in_and_create_a_key(browser, tmp_path, monkeypatch):
    site_root = tmp_path / "site"
    site_root.mkdir()
    server, site_url = background(site_root)
    try:
        with auth_stack(
            tmp_path, BEANFLOWS_OPEN_SIGNUP="1", BEANFLOWS_SITE_URL=site_url.rstrip("/")
        ) as st:
            run_flow(browser, st, site_url.rstrip("/"), site_root, monkeypatch)
    finally:
        server.shutdown()
        server.server_close()


def run_flow(browser, st, site_url: str, site_root: Path, monkeypatch) -> None:
    if True:
        static_page(site_root, st.svc.url, monkeypatch)
        ctx = browser.new_context()
        page = ctx.new_page()
        outside, errors = [], []

        def route(r):  # noqa: ANN001, ANN202
            if urlparse(r.request.url).hostname == "127.0.0.1":
                r.continue_()
            else:
                outside.append(r.request.url)
                r.abort()

        page.route("**/*", route)
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))

        email = "browser@example.com"
        page.goto(site_url + "/index.html")
        page.fill("#signup-email", email)
        page.click("form.signup button[type=submit]")
        page.wait_for_selector("text=Check your inbox")
        page.goto(st.svc.url + st.box.link(email))
        assert "Address confirmed" in page.content()
        page.goto(st.svc.url + st.box.link(email, 2))  # open sign-up: a sign-in link follows
        assert page.url == st.svc.url + "/account"
        assert page.text_content("#plan") == "free"

        page.fill("#key-name", "notebook")
        page.click("text=Create key")
        key = page.text_content("#new-key")
        assert re.fullmatch(r"bf_live_[A-Za-z0-9_-]{43}", key)
        SCREENS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENS / "auth-account-new-key.png"), full_page=True)
        page.reload()  # a key is shown once
        assert page.locator("#new-key").count() == 0
        assert key[:14] in page.content() and key not in page.content()

        page.click("text=Sign out")
        page.wait_for_url(st.svc.url + "/login")
        assert page.goto(st.svc.url + "/account").url == st.svc.url + "/login"
        page.fill("#email", email)
        page.click("text=E-mail me a link")
        page.wait_for_selector("text=Check your inbox")
        page.goto(st.svc.url + st.box.link(email, 3))
        assert page.url == st.svc.url + "/account"
        page.click("text=Revoke")
        page.wait_for_selector("text=revoked")
        assert st.db("SELECT count(*) FROM api_keys WHERE revoked_at IS NOT NULL")[0][0] == 1

        page.goto(site_url + "/index.html")
        page.fill("#feedback-message", "Works <b>nicely</b>")
        page.click("form.feedback button[type=submit]")
        page.wait_for_selector("text=Thank you")
        assert st.db("SELECT message, page FROM feedback")[0][:] == (
            "Works <b>nicely</b>",
            "/supply",
        )
        ctx.close()
        assert outside == [] and errors == []
