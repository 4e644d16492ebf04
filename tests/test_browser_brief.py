"""The brief's HTML message in headless Chromium, as a mail client would show it: the CID
images served from the message's own parts on 127.0.0.1, every other request aborted and
counted (none may happen), no horizontal scroll at 375 px, readable without CSS.
Screenshots go to test-artifacts/screens/ for review."""

from __future__ import annotations

import re
from email import message_from_bytes
from email.policy import default as email_policy

import pytest

from beanflows.brief import make
from tests.brief_data import WEEK, write_dist
from tests.site_server import background
from tests.test_browser_site import SCREENS, browser, open_page  # noqa: F401 (fixture)

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def message_url(tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("brief-mail")
    dist = write_dist(tmp / "dist")
    made = make.make(dist, tmp / "var", WEEK, "https://site.beanflows.test",
                     "https://account.beanflows.test")  # fmt: skip
    msg = message_from_bytes(made["eml"].read_bytes(), policy=email_policy)
    html = msg.get_body(("html",)).get_content()
    served = tmp / "served"
    (served / "cid").mkdir(parents=True)
    for part in msg.walk():
        if part.get_content_type() == "image/png":
            cid = part["Content-ID"].strip("<>")
            (served / "cid" / f"{cid}.png").write_bytes(part.get_content())
            html = html.replace(f"cid:{cid}", f"/cid/{cid}.png")
    assert "cid:" not in html
    (served / "index.html").write_text(html)
    (served / "nocss" / "index.html").parent.mkdir()
    (served / "nocss" / "index.html").write_text(re.sub(r' style="[^"]*"', "", html))
    server, url = background(served)
    yield url
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("width", [375, 1280])
def test_message_renders_locally(browser, message_url, width: int) -> None:  # noqa: F811
    SCREENS.mkdir(parents=True, exist_ok=True)
    ctx, page, log = open_page(browser, message_url, width=width, height=800)
    try:
        page.goto(message_url + "/", wait_until="load")
        images = page.evaluate(
            "() => [...document.images]"
            ".map(i => [i.naturalWidth, i.alt, i.getBoundingClientRect().right])"
        )
        assert 3 <= len(images) <= 5
        for natural, alt, right in images:
            assert natural > 0 and alt and right <= width
        scroll, client = page.evaluate(
            "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        assert scroll <= client, f"horizontal scroll at {width} px: {scroll} > {client}"
        assert "What changed this week" in page.inner_text("body")
        page.screenshot(path=str(SCREENS / f"brief-email-{width}.png"), full_page=True)
        assert log["outside"] == [], log["outside"]
        assert log["errors"] == []
        assert len(log["requests"]) == 1 + len(images)  # the page and its own images only
    finally:
        ctx.close()


def test_message_readable_without_css(browser, message_url) -> None:  # noqa: F811
    ctx, page, log = open_page(browser, message_url, width=375, height=800)
    try:
        page.goto(message_url + "/nocss/", wait_until="load")
        text = page.inner_text("body")
        for heading in ("What changed this week", "Price", "Positioning", "Certified stocks",
                        "Supply", "Weather", "Unsubscribe"):  # fmt: skip
            assert heading in text
        assert re.search(r"Coffee C closed at \d{3}\.\d\d US cents/lb", text)
        assert log["outside"] == []
        page.screenshot(path=str(SCREENS / "brief-email-nocss.png"), full_page=True)
    finally:
        ctx.close()
