"""`beanflows brief`: the files it writes, byte-identical for the same data, the archive
index and Atom feed, the home page's link, the nightly hook's weekday rule."""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET
from datetime import date
from email import message_from_bytes
from email.policy import default as email_policy
from pathlib import Path

import pytest

from beanflows.brief import cli as brief_cli
from beanflows.brief import make, message, weeks
from beanflows.errors import UsageError
from tests.brief_data import WEEK, write_dist
from tests.conftest import run_cli


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file()}  # fmt: skip


def test_same_data_same_bytes(tmp_path: Path) -> None:
    a = write_dist(tmp_path / "a" / "dist")
    b = write_dist(tmp_path / "b" / "dist")
    for root, dist in ((tmp_path / "a", a), (tmp_path / "b", b)):
        for week in ("2026-W48", WEEK):
            make.make(dist, root / "var", week, "https://site.test", "https://acct.test")
    assert _files(a / "briefs") == _files(b / "briefs")
    assert _files(tmp_path / "a" / "var") == _files(tmp_path / "b" / "var")
    eml = (tmp_path / "a" / "var" / "briefs" / WEEK / "brief.eml").read_bytes()
    assert len(eml) <= message.MAX_MESSAGE_BYTES
    msg = message_from_bytes(eml, policy=email_policy)
    assert msg["Subject"] == f"BeanFlows Coffee Data Brief, {WEEK}"
    assert msg["To"] is None and msg["Date"] is None  # per-recipient headers come at sending
    html = msg.get_body(("html",)).get_content()
    images = [p for p in msg.walk() if p.get_content_type() == "image/png"]
    assert 3 <= len(images) <= 5
    for img in images:
        cid = img["Content-ID"].strip("<>")
        tag = html.split(f'src="cid:{cid}"')[1].split(">")[0]
        assert 'alt="' in html.split(f'src="cid:{cid}"')[0][-400:] + tag
    assert "<img" in html and 'src="http' not in html  # no remote image, no tracking pixel
    text = msg.get_body(("plain",)).get_content()
    assert "WHAT CHANGED THIS WEEK" in text and "https://site.test/briefs/2026-W49/" in text


def test_site_index_feed_and_home_link(tmp_path: Path) -> None:
    dist = write_dist(tmp_path / "dist")
    import json

    from beanflows.render import render_site

    render_site(dist, json.loads((dist / "data" / "catalog.json").read_text()))
    for week in ("2026-W47", "2026-W48", WEEK):
        res = run_cli("brief", "--week", week, "--out", str(dist), "--var", str(tmp_path / "var"),
                      cwd=tmp_path, env={"BEANFLOWS_SITE_URL": "https://site.test"})  # fmt: skip
        assert res.returncode == 0, res.stderr
    page = (dist / "briefs" / WEEK / "index.html").read_text()
    assert 'href="/briefs/feed.xml"' in page and '<h2 id="changes">' in page
    for name in ("price", "positioning", "stocks"):
        assert (dist / "briefs" / WEEK / f"{name}.png").is_file()
        assert f'src="{name}.png"' in page
    index = (dist / "briefs" / "index.html").read_text()
    assert index.index(WEEK) < index.index("2026-W48") < index.index("2026-W47")
    feed = ET.fromstring((dist / "briefs" / "feed.xml").read_bytes())
    ns = {"a": "http://www.w3.org/2005/Atom"}
    ids = [e.find("a:id", ns).text for e in feed.findall("a:entry", ns)]
    assert ids[0] == f"https://site.test/briefs/{WEEK}/" and len(ids) == 3
    assert feed.find("a:updated", ns).text == "2026-12-06T23:59:59Z"
    home = (dist / "index.html").read_text()
    assert f'href="/briefs/{WEEK}/"' in home
    sitemap = (dist / "sitemap.xml").read_text()  # the briefs join the site's pages
    for loc in ("", "supply/", "briefs/", f"briefs/{WEEK}/", "briefs/2026-W47/"):
        assert f"<loc>https://site.test/{loc}</loc>" in sitemap, loc
    assert sitemap.count("<loc>https://site.test/methodology/") > 10


def test_weeks_and_usage_errors(tmp_path: Path) -> None:
    assert weeks.last_complete(date(2026, 12, 7)) == "2026-W49"  # a Monday: the week just ended
    assert weeks.last_complete(date(2026, 12, 13)) == "2026-W49"  # a Sunday: not complete yet
    assert weeks.parse("2020-W53") == (date(2020, 12, 28), date(2021, 1, 3))
    with pytest.raises(UsageError):
        weeks.parse("2026-48")
    res = run_cli("brief", "--week", "2026-W60", "--out", str(tmp_path), cwd=tmp_path)
    assert res.returncode == 2 and res.stderr.count("\n") == 1
    res = run_cli("brief", "--week", WEEK, "--out", str(tmp_path / "none"), cwd=tmp_path)
    assert res.returncode == 2 and "run `beanflows build` first" in res.stderr


def test_nightly_hook_weekday_rule(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Before the configured weekday nothing is written; on it (or later that week, if a
    night failed) the last complete week's brief is written once; demo builds never."""
    dist = write_dist(tmp_path / "dist")

    class S:
        out_dir, var_dir, site_url = dist, tmp_path / "var", "https://site.test"

    monkeypatch.setenv("BEANFLOWS_BRIEF_WEEKDAY", "wednesday")
    monkeypatch.setenv("BEANFLOWS_AUTH_DB", str(tmp_path / "no-accounts.sqlite3"))
    for key in ("BEANFLOWS_SMTP_URL", "BEANFLOWS_MAIL_FROM", "BEANFLOWS_BASE_URL"):
        monkeypatch.delenv(key, raising=False)
    eml = tmp_path / "var" / "briefs" / WEEK / "brief.eml"
    assert brief_cli.after_build(S, date(2026, 12, 8)) == 0  # Tuesday
    assert not eml.exists()
    assert brief_cli.after_build(S, date(2026, 12, 9), demo=True) == 0
    assert not eml.exists()
    assert brief_cli.after_build(S, date(2026, 12, 9)) == 0  # Wednesday
    assert eml.is_file()
    first = eml.stat().st_mtime_ns
    assert brief_cli.after_build(S, date(2026, 12, 10)) == 0  # Thursday: already written
    assert eml.stat().st_mtime_ns == first
    assert not (tmp_path / "no-accounts.sqlite3").exists()  # no database: nothing created
    shutil.rmtree(dist / "data")
    (dist / "data").mkdir()
    assert brief_cli.after_build(S, date(2026, 12, 16)) == 1  # a failure is exit 1, one line


@pytest.mark.parametrize(
    "missing",
    [
        ("cot_positioning",),
        ("ice_certified_stocks", "ice_certified_stocks_by_port"),
        ("cot_positioning", "ice_certified_stocks", "ice_certified_stocks_by_port",
         "psd_coffee_vintages", "weather_alerts"),
    ],
)  # fmt: skip
def test_a_dist_without_some_datasets_still_gives_a_brief(tmp_path: Path, missing) -> None:
    """A build of some sources only (`--source`) publishes some datasets: each absent one is a
    section saying there is no data yet, never a failed brief."""
    dist = write_dist(tmp_path / "dist")
    for name in missing:
        for tier in ("pro", "free"):
            (dist / "data" / tier / f"{name}.parquet").unlink(missing_ok=True)
    make.make(dist, tmp_path / "var", WEEK, "https://site.test", "https://acct.test")
    page = (dist / "briefs" / WEEK / "index.html").read_text()
    if "cot_positioning" in missing:
        assert "No positioning data yet." in page
    if "ice_certified_stocks" in missing:
        assert "No certified-stocks data yet." in page
    assert "closed at" in page  # the price section still has its numbers


def test_a_second_brief_of_the_same_numbers_draws_no_chart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The brief's PNGs are kept by content (BEANFLOWS_CACHE_DIR): the same week's numbers
    again (a rebuilt var/, a resend) take every chart from the cache, byte for byte."""
    import vl_convert

    monkeypatch.setenv("BEANFLOWS_CACHE_DIR", str(tmp_path / "cache"))
    dist = write_dist(tmp_path / "dist")
    make.make(dist, tmp_path / "var1", WEEK, "https://site.test", "https://acct.test")
    kept = sorted((tmp_path / "cache").rglob("*.png"))
    assert len(kept) >= 3

    def draw(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        raise AssertionError("a chart was drawn again")

    monkeypatch.setattr(vl_convert, "vegalite_to_png", draw)
    make.make(dist, tmp_path / "var2", WEEK, "https://site.test", "https://acct.test")
    first, second = (tmp_path / v / "briefs" / WEEK / "brief.eml" for v in ("var1", "var2"))
    assert first.read_bytes() == second.read_bytes()
    assert sorted((tmp_path / "cache").rglob("*.png")) == kept


def test_a_damaged_kept_png_is_drawn_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A kept PNG cut short (or not a PNG) never goes into a brief: it is drawn again."""
    monkeypatch.setenv("BEANFLOWS_CACHE_DIR", str(tmp_path / "cache"))
    dist = write_dist(tmp_path / "dist")
    make.make(dist, tmp_path / "var1", WEEK, "https://site.test", "https://acct.test")
    kept = sorted((tmp_path / "cache").rglob("*.png"))
    whole = {p: p.read_bytes() for p in kept}
    kept[0].write_bytes(whole[kept[0]][:-40])
    kept[1].write_bytes(b"<html>503 Service Unavailable</html>")
    make.make(dist, tmp_path / "var2", WEEK, "https://site.test", "https://acct.test")
    first, second = (tmp_path / v / "briefs" / WEEK / "brief.eml" for v in ("var1", "var2"))
    assert first.read_bytes() == second.read_bytes()
    assert {p: p.read_bytes() for p in sorted((tmp_path / "cache").rglob("*.png"))} == whole
