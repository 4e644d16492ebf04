"""Attacks and bad input against the accounts service (links, floods, CSRF, sessions, keys,
admin, escaping; webhooks are in test_auth_webhook_attacks.py): each gets the right status and
changes nothing it must not. The service runs for real (uvicorn, SQLite, aiosmtpd, a local
Paddle API); each test poses as its own client IP through BEANFLOWS_CLIENT_IP_HEADER."""

from __future__ import annotations

import json
import uuid

import pytest

from beanflows.auth import accounts, keys
from tests.auth_service import (
    ADMIN,
    PADDLE_DIR,
    PRICE_STARTER,
    Client,
    client,
    count,
    create_key,
    deliver,
    fresh_email,
    member,
    sign_in,
    subscription_event,
)

pytestmark = pytest.mark.skipif(not PADDLE_DIR.is_dir(), reason=f"no Paddle data in {PADDLE_DIR}")


# --- magic links ---------------------------------------------------------------------------


def test_link_reused(stack):
    c, email, _ = member(stack)
    c.post_form("/login", {"email": email})
    link = stack.box.link(email, 3)
    other = client(stack)
    assert other.get(link).status_code == 303
    again = client(stack)
    r = again.get(link)
    assert r.status_code == 400 and "bf_session" not in again.jar


def test_link_expired(stack):
    c, email, _ = member(stack)
    c.post_form("/login", {"email": email})
    link = stack.box.link(email, 3)
    stack.svc.state.conn.execute("UPDATE links SET expires_epoch = 1 WHERE used_epoch IS NULL")
    r = client(stack).get(link)
    assert r.status_code == 400


def test_link_tampered(stack):
    c, email, _ = member(stack)
    c.post_form("/login", {"email": email})
    link = stack.box.link(email, 3)
    tampered = link[:-1] + ("A" if link[-1] != "A" else "B")
    fresh = client(stack)
    assert fresh.get(tampered).status_code == 400
    assert fresh.get("/auth/" + "x" * 500).status_code == 400
    assert fresh.get(link).status_code == 303  # the real one still works once


def test_confirm_link_is_not_a_login_link(stack):
    c, email = client(stack), fresh_email()
    c.post_form("/signup", {"email": email}, "/signup")
    token = stack.box.link(email).rsplit("/", 1)[1]
    r = client(stack).get(f"/auth/{token}")
    assert r.status_code == 400
    assert stack.db("SELECT status FROM accounts WHERE email = ?", email)[0][0] == "unconfirmed"


def test_link_signs_in_only_its_own_address(stack):
    a, email_a, uid_a = member(stack)
    b, email_b, uid_b = member(stack)
    b.post_form("/login", {"email": email_b})
    link_b = stack.box.link(email_b, 3)
    r = a.get(link_b)  # a's browser follows b's link: a's old session is dropped
    assert r.status_code == 303
    assert email_b in a.get("/account").text and email_a not in a.get("/account").text
    assert stack.db("SELECT count(*) FROM sessions WHERE account_id = ?", uid_a)[0][0] == 0


def test_login_does_not_tell_who_has_an_account(stack):
    c, email, _ = member(stack)
    before = len(stack.box.messages)
    unknown = client(stack).post_form("/login", {"email": fresh_email()})
    known = client(stack).post_form("/login", {"email": email})
    assert unknown.status_code == known.status_code == 200
    assert unknown.text == known.text
    stack.box.wait_for(email, 3)
    assert len(stack.box.messages) == before + 1


def test_login_flood_per_address(stack):
    _, email, _ = member(stack)
    codes = [client(stack).post_form("/login", {"email": email}).status_code for _ in range(7)]
    assert codes[:4] == [200] * 4 and codes[-1] == 429, codes


def test_login_flood_per_ip(stack):
    c = client(stack)
    token = c.csrf()
    codes = [
        c.post("/login", data={"email": fresh_email(), "csrf_token": token}).status_code
        for _ in range(22)
    ]
    assert codes[:20] == [200] * 20 and codes[20:] == [429, 429], codes


def test_signup_honeypot(stack):
    email = fresh_email()
    r = client(stack).post_form("/signup", {"email": email, "website": "http://spam"}, "/signup")
    assert r.status_code == 200
    assert stack.db("SELECT 1 FROM accounts WHERE email = ?", email) == []


def test_signup_flood_per_ip(stack):
    c = client(stack)
    token = c.csrf("/signup")
    codes = [
        c.post("/signup", data={"email": fresh_email(), "csrf_token": token}).status_code
        for _ in range(7)
    ]
    assert codes[:5] == [200] * 5 and codes[5:] == [429, 429], codes


# --- CSRF and sessions ---------------------------------------------------------------------


def test_login_without_csrf(stack):
    r = client(stack).post("/login", data={"email": ADMIN})
    assert r.status_code == 403


def test_key_creation_with_wrong_csrf(stack):
    c, _, uid = member(stack)
    r = c.post("/account/keys", data={"name": "x", "csrf_token": "forged"})
    assert r.status_code == 403
    assert stack.db("SELECT count(*) FROM api_keys WHERE account_id = ?", uid)[0][0] == 0


def test_csrf_token_of_another_session(stack):
    a, _, uid_a = member(stack)
    b, _, _ = member(stack)
    r = a.post("/account/keys", data={"name": "x", "csrf_token": b.csrf("/account")})
    assert r.status_code == 403
    assert stack.db("SELECT count(*) FROM api_keys WHERE account_id = ?", uid_a)[0][0] == 0


def test_signup_from_a_foreign_origin(stack):
    email = fresh_email()
    r = client(stack, origin="https://evil.example").post("/signup", data={"email": email})
    assert r.status_code == 403
    assert stack.db("SELECT 1 FROM accounts WHERE email = ?", email) == []


def test_session_fixation(stack):
    c, email, _ = member(stack)
    planted = "attacker-chosen-session-value"
    c.jar["bf_session"] = planted
    assert c.get("/account").headers["location"] == "/login"  # not adopted
    sign_in(c, stack.box, email)
    assert c.jar["bf_session"] != planted
    intruder = client(stack)
    intruder.jar["bf_session"] = planted
    assert intruder.get("/account").status_code == 303


def test_logout_kills_the_cookie_server_side(stack):
    c, _, _ = member(stack)
    stolen = c.jar["bf_session"]
    assert c.post_form("/logout", {}, "/account").status_code == 303
    thief = client(stack)
    thief.jar["bf_session"] = stolen
    assert thief.get("/account").headers["location"] == "/login"


def test_session_rotates(stack):
    c, _, uid = member(stack)
    old = c.jar["bf_session"]
    stack.svc.state.conn.execute("UPDATE sessions SET issued_epoch = issued_epoch - 7200 "
                                 "WHERE account_id = ?", (uid,))  # fmt: skip
    assert c.get("/account").status_code == 200
    assert c.jar["bf_session"] != old
    replay = client(stack)
    replay.jar["bf_session"] = old
    assert replay.get("/account").status_code == 303


# --- keys and plans --------------------------------------------------------------------------


def new_key(c: Client, name: str = "k") -> str:
    return create_key(c, name)


def test_revoke_another_users_key(stack):
    a, _, uid_a = member(stack)
    b, _, _ = member(stack)
    new_key(a)
    (kid,) = stack.db("SELECT id FROM api_keys WHERE account_id = ?", uid_a)[0]
    r = b.post_form(f"/account/keys/{kid}/revoke", {}, "/account")
    assert r.status_code == 404
    assert stack.db("SELECT revoked_at FROM api_keys WHERE id = ?", kid)[0][0] is None


def test_revoked_key_leaves_the_list(stack):
    c, _, uid = member(stack)
    raw = new_key(c)
    assert keys.key_hash(raw) in keys.key_list(stack.svc.state.conn)["keys"]
    (kid,) = stack.db("SELECT id FROM api_keys WHERE account_id = ?", uid)[0]
    assert c.post_form(f"/account/keys/{kid}/revoke", {}, "/account").status_code == 303
    assert keys.key_hash(raw) not in keys.key_list(stack.svc.state.conn)["keys"]
    assert raw not in json.dumps(keys.key_list(stack.svc.state.conn))  # only hashes, ever


def test_downgrade_and_cancel_reach_the_list(stack):
    c, _, uid = member(stack)
    raw = new_key(c)
    ref = stack.db("SELECT ref FROM accounts WHERE id = ?", uid)[0][0]
    sub = "sub_" + uuid.uuid4().hex[:26]
    plan = lambda: keys.key_list(stack.svc.state.conn)["keys"][keys.key_hash(raw)]["plan"]  # noqa: E731
    deliver(c, subscription_event("subscription.created", ref=ref, sub_id=sub))
    assert plan() == "pro"
    deliver(c, subscription_event("subscription.updated", ref=ref, sub_id=sub, price=PRICE_STARTER))
    assert plan() == "starter"
    deliver(c, subscription_event("subscription.paused", ref=ref, sub_id=sub))
    assert plan() == "free"
    deliver(c, subscription_event("subscription.resumed", ref=ref, sub_id=sub, status="active"))
    assert plan() == "pro"
    deliver(c, subscription_event("subscription.canceled", ref=ref, sub_id=sub))
    assert plan() == "free"


# --- admin ---------------------------------------------------------------------------------


def test_admin_pages_as_a_non_admin(stack, tmp_path):
    c, _, uid = member(stack)
    for path in ("/admin", "/admin/feedback", "/admin/events"):
        assert c.get(path).status_code == 403
    token = c.csrf("/account")
    assert c.post(f"/admin/accounts/{uid}/plan", data={"plan": "pro", "csrf_token": token}
                  ).status_code == 403  # fmt: skip
    assert accounts.plan_of(stack.svc.state.conn, uid)[0] == "free"
    r = c.post("/admin/rebuild", data={"source": "all", "csrf_token": token})
    assert r.status_code == 403
    assert not (stack.svc.state.settings.var_dir / "requests").exists()
    assert client(stack).get("/admin").headers["location"] == "/login"


# --- escaping and SQL-looking input ----------------------------------------------------------


def test_html_in_key_names_is_escaped(stack):
    c, _, _ = member(stack)
    new_key(c, '<script>alert("k")</script>')
    page = c.get("/account").text
    assert "<script>alert" not in page and "&lt;script&gt;" in page


def test_html_in_feedback_is_escaped_for_the_admin(stack):
    r = client(stack, origin="https://site.beanflows.test").post(
        "/feedback", data={"message": "<img src=x onerror=alert(1)>", "page": "/supply/"}
    )
    assert r.status_code == 200
    admin = client(stack)
    if not stack.db("SELECT 1 FROM accounts WHERE email = ?", ADMIN):
        admin.post_form("/signup", {"email": ADMIN}, "/signup")
        admin.get(stack.box.link(ADMIN))
    sign_in(admin, stack.box, ADMIN)
    page = admin.get("/admin/feedback").text
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page


@pytest.mark.parametrize(
    "email", ["x'; DROP TABLE accounts;--@example.com", "a@b.c' OR '1'='1", "%@example.com"]
)
def test_sql_looking_input(stack, email):
    before = count(stack, "accounts")
    c = client(stack)
    r = c.post_form("/signup", {"email": email}, "/signup")
    assert r.status_code in (200, 400)
    assert count(stack, "accounts") in (before, before + 1)
    r = c.post_form("/login", {"email": email})
    assert r.status_code in (200, 400)
    assert count(stack, "accounts") >= before  # the table is still there


def test_admin_search_treats_wildcards_literally(stack):
    member(stack)
    admin = client(stack)
    if not stack.db("SELECT 1 FROM accounts WHERE email = ?", ADMIN):
        admin.post_form("/signup", {"email": ADMIN}, "/signup")
        admin.get(stack.box.link(ADMIN))
    sign_in(admin, stack.box, ADMIN)
    assert "@example.com</td>" in admin.get("/admin", params={"q": "example"}).text
    emails = [e for (e,) in stack.db("SELECT email FROM accounts")]
    for q in ("%", "%' OR 1=1 --", "_"):
        page = admin.get("/admin", params={"q": q})
        assert page.status_code == 200
        shown = page.text.count("<tr><td>")
        assert shown == sum(q.lower() in e.lower() for e in emails) < len(emails)
    assert count(stack, "accounts") > 0


def test_delete_account_revokes_and_removes(stack):
    c, email, uid = member(stack)
    raw = new_key(c)
    r = c.post_form("/account/delete", {"confirm_email": "wrong@example.com"}, "/account")
    assert r.status_code == 400 and stack.db("SELECT 1 FROM accounts WHERE id = ?", uid)
    r = c.post_form("/account/delete", {"confirm_email": email}, "/account")
    assert r.status_code == 200
    assert stack.db("SELECT 1 FROM accounts WHERE email = ?", email) == []
    assert stack.db("SELECT 1 FROM api_keys WHERE account_id = ?", uid) == []
    assert stack.db("SELECT 1 FROM sessions WHERE account_id = ?", uid) == []
    assert keys.key_hash(raw) not in keys.key_list(stack.svc.state.conn)["keys"]
    assert c.get("/account").status_code == 303
