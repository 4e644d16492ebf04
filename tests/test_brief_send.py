"""`beanflows brief send`: real SMTP (aiosmtpd, STARTTLS + AUTH), real SQLite, the real CLI.

One message per confirmed subscriber, personal one-click unsubscribe that works and is
idempotent, a rerun sends nothing, a crash after k messages resumes with the rest (each
recipient exactly one message), 5xx refusals stop mail to an address after 3.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from tests.brief_data import WEEK, write_dist
from tests.brief_mail import add_accounts, env, sends, smtp_server
from tests.conftest import run_cli

RECIPIENTS = [f"reader{i}@example.test" for i in range(5)]


@pytest.fixture
def setup(tmp_path: Path):
    dist = write_dist(tmp_path / "dist")
    db = tmp_path / "auth.sqlite3"
    add_accounts(
        db,
        [(e, True, True, False) for e in RECIPIENTS]
        + [("unconfirmed@example.test", False, True, False),
           ("no-brief@example.test", True, False, True)],
    )  # fmt: skip
    return tmp_path, dist, db


def _brief(tmp: Path, dist: Path, e: dict, week: str = WEEK):
    res = run_cli("brief", "--week", week, "--out", str(dist), "--var", str(tmp / "var"),
                  cwd=tmp, env=e)  # fmt: skip
    assert res.returncode == 0, res.stderr
    return res


def _send(tmp: Path, e: dict, week: str = WEEK, **extra: str):
    return run_cli("brief", "send", "--week", week, "--var", str(tmp / "var"), cwd=tmp,
                   env={**e, **extra})  # fmt: skip


def test_send_once_to_confirmed_subscribers(setup) -> None:
    tmp, dist, db = setup
    with smtp_server(tmp) as (url, box, ca):
        e = env(db, url, ca)
        _brief(tmp, dist, e)
        res = _send(tmp, e)
        assert res.returncode == 0, res.stderr
        assert "5 sent" in res.stdout
        assert sorted(m["To"] for m in box.messages) == RECIPIENTS
        ids = {m["Message-ID"] for m in box.messages}
        assert len(ids) == 5
        m = box.to(RECIPIENTS[0])[0]
        # MIME: alternative [plain, related [html, png...]], every image referenced by CID
        assert m.get_content_type() == "multipart/alternative"
        plain, related = m.get_payload()
        assert plain.get_content_type() == "text/plain"
        assert related.get_content_type() == "multipart/related"
        html = related.get_payload()[0]
        assert html.get_content_type() == "text/html"
        images = related.get_payload()[1:]
        assert 3 <= len(images) <= 5
        body = html.get_content()
        for img in images:
            assert img.get_content_type() == "image/png"
            assert img.get_content()[:8] == b"\x89PNG\r\n\x1a\n"
            assert f'src="cid:{img["Content-ID"].strip("<>")}"' in body
        assert "<style" not in body and 'style="' in body  # CSS inlined
        assert "http://" not in body.split("<img")[1].split(">")[0]
        assert len(box.raw[0]) <= 300 * 1024
        # personal one-click unsubscribe (RFC 8058) and a stable Message-ID
        unsub = m["List-Unsubscribe"]
        assert unsub.startswith("<https://account.beanflows.test/unsubscribe/brief/acct_test0000/")
        assert m["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert unsub.strip("<>") in plain.get_content()
        assert m["Message-ID"].endswith("@beanflows.test>") and WEEK in m["Message-ID"]
        first_ids = {mm["To"]: mm["Message-ID"] for mm in box.messages}
        # a rerun sends nothing
        again = _send(tmp, e)
        assert again.returncode == 0 and "0 sent" in again.stdout
        assert len(box.messages) == 5
    assert set(sends(db).values()) == {"sent"}
    # the same (week, recipient) always gets the same Message-ID
    from beanflows.brief import message

    for to, mid in first_ids.items():
        assert message.message_id(f"brief-{WEEK}", to, "beanflows.test") == mid


@pytest.mark.parametrize("kill_at", ["brief.sent:2", "brief.sending:3"])
def test_crash_mid_send_then_resume_sends_each_once(setup, kill_at: str) -> None:
    tmp, dist, db = setup
    with smtp_server(tmp, tls=False) as (url, box, ca):
        e = env(db, url, ca)
        _brief(tmp, dist, e)
        crashed = _send(tmp, e, BEANFLOWS_KILL_AT=kill_at)
        assert crashed.returncode == -9  # SIGKILL, as a power cut
        assert len(box.messages) == 2
        resumed = _send(tmp, e)
        assert resumed.returncode == 0, resumed.stderr
        assert "3 sent" in resumed.stdout
    assert sorted(m["To"] for m in box.messages) == RECIPIENTS  # each exactly once
    assert set(sends(db).values()) == {"sent"}


def test_permanent_failures_stop_after_three(setup) -> None:
    tmp, dist, db = setup
    bad = RECIPIENTS[1]
    with smtp_server(tmp, tls=False) as (url, box, ca):
        box.refuse.add(bad)
        e = env(db, url, ca)
        weeks = ["2026-W46", "2026-W47", "2026-W48", WEEK]
        for i, week in enumerate(weeks):
            _brief(tmp, dist, e, week)
            res = _send(tmp, e, week)
            if i < 3:  # refused: reported, exit 1, the others still get theirs
                assert res.returncode == 1 and "1 failed" in res.stdout
            else:  # blocked after three permanent failures: not even tried
                assert res.returncode == 0 and "1 already sent or blocked" in res.stdout
        assert len(box.messages) == 4 * 4
        assert not box.to(bad)
    conn = sqlite3.connect(db)
    row = conn.execute("SELECT permanent_failures, last_code FROM mail_failures").fetchone()
    assert row == (3, 550)


def test_unsubscribe_one_click_is_signed_and_idempotent(setup) -> None:
    from tests.auth_service import run_service, settings_env

    tmp, dist, db = setup
    import httpx

    with smtp_server(tmp, tls=False) as (url, box, ca):
        e = env(db, url, ca)
        _brief(tmp, dist, e)
        assert _send(tmp, e).returncode == 0
        link = box.to(RECIPIENTS[2])[0]["List-Unsubscribe"].strip("<>")
        service_env = settings_env(tmp, url, "http://127.0.0.1:9", BEANFLOWS_AUTH_DB=str(db))
        service_env["BEANFLOWS_TOKEN_SECRET"] = e["BEANFLOWS_TOKEN_SECRET"]
        with run_service(service_env) as svc:
            path = link.split("account.beanflows.test", 1)[1]
            with httpx.Client(base_url=svc.url) as client:
                # GET only asks (link scanners follow GETs); nothing changes yet
                page = client.get(path)
                assert page.status_code == 200 and "Unsubscribe" in page.text
                assert _newsletter(db, RECIPIENTS[2]) == 1
                # the mail client's one-click POST, twice: same outcome
                for _ in range(2):
                    r = client.post(path, data={"List-Unsubscribe": "One-Click"})
                    assert r.status_code == 200 and "Unsubscribed" in r.text
                assert _newsletter(db, RECIPIENTS[2]) == 0
                # a forged or altered link does nothing
                forged = path.replace("acct_test0002", "acct_test0003")
                assert (
                    client.post(forged, data={"List-Unsubscribe": "One-Click"}).status_code == 400
                )
                assert _newsletter(db, RECIPIENTS[3]) == 1
        _brief(tmp, dist, e, "2026-W48")
        res = _send(tmp, e, "2026-W48")
        assert "4 sent" in res.stdout
        assert len(box.to(RECIPIENTS[2])) == 1


def _newsletter(db: Path, email: str) -> int:
    conn = sqlite3.connect(db)
    try:
        return conn.execute("SELECT newsletter FROM accounts WHERE email = ?", (email,)).fetchone()[
            0
        ]
    finally:
        conn.close()


def test_send_refuses_without_settings_or_brief(setup) -> None:
    tmp, _, db = setup
    base = {k: v for k, v in os.environ.items() if not k.startswith("BEANFLOWS_")}
    res = run_cli("brief", "send", "--week", WEEK, "--var", str(tmp / "var"), cwd=tmp,
                  env={**base, "BEANFLOWS_AUTH_DB": str(db)})  # fmt: skip
    assert res.returncode == 2 and "BEANFLOWS_SMTP_URL" in res.stderr
    res = _send(tmp, env(db, "smtp://127.0.0.1:9", None))
    assert res.returncode == 2 and "run `beanflows brief --week" in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1
