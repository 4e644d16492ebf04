"""The accounts service's main path, against real SMTP (aiosmtpd), a local Paddle API, SQLite
and the real uvicorn server: sign up -> confirm -> waitlist -> admitted -> magic link ->
account -> key -> subscription webhook -> plan -> key list -> cancel."""

from __future__ import annotations

import json
import time

import pytest

from beanflows.auth import keys
from tests.auth_service import (
    ADMIN,
    PADDLE_DIR,
    auth_stack,
    create_key,
    deliver,
    event,
    payload,
    sign_in,
    subscription_event,
)
from tests.s3_server import make_bucket, s3_server

pytestmark = pytest.mark.skipif(
    not PADDLE_DIR.is_dir(), reason=f"real Paddle payloads not found in {PADDLE_DIR}"
)


@pytest.fixture(scope="module")
def s3():
    with s3_server() as server:
        yield server


@pytest.fixture
def stack(tmp_path, s3):
    bucket = make_bucket(s3)
    with auth_stack(tmp_path, s3.client(), BEANFLOWS_KEYS_BUCKET=bucket,
                    BEANFLOWS_KEYS_PREFIX="site") as st:  # fmt: skip
        st.bucket = bucket
        st.s3 = s3
        yield st


def key_list(stack) -> dict:
    obj = stack.s3.client().get_object(Bucket=stack.bucket, Key="site/" + keys.LIST_OBJECT)
    return json.loads(obj["Body"].read())


def wait_list(stack, predicate, timeout=10.0) -> dict:
    deadline = time.monotonic() + timeout
    doc = None
    while time.monotonic() < deadline:
        try:
            doc = key_list(stack)
            if predicate(doc):
                return doc
        except Exception:
            pass
        time.sleep(0.1)
    raise AssertionError(f"key list never matched: {doc}")


def test_whole_path(stack):
    user = "jo@example.com"
    c = stack.client(origin="https://site.beanflows.test")
    # the static site's form: no CSRF token, the site's Origin
    r = c.post("/signup", data={"email": user, "website": ""})
    assert r.status_code == 200 and "Check your inbox" in r.text
    r = c.get(stack.box.link(user))
    assert "waitlist" in r.text
    assert stack.db("SELECT status FROM accounts WHERE email = ?", user)[0][0] == "waitlist"
    assert c.post_form("/login", {"email": user}).status_code == 200  # waiting: no mail
    assert len([m for m in stack.box.messages if m["To"] == user]) == 1

    admin = stack.client()
    assert admin.post_form("/signup", {"email": ADMIN}, "/signup").status_code == 200
    assert "confirmed" in admin.get(stack.box.link(ADMIN)).text  # admins skip the waitlist
    r = admin.get(stack.box.link(ADMIN, 2))
    assert r.status_code == 303
    page = admin.get("/admin").text
    assert user in page
    (uid,) = stack.db("SELECT id FROM accounts WHERE email = ?", user)[0]
    r = admin.post_form(f"/admin/accounts/{uid}/admit", {}, "/admin")
    assert r.status_code == 303

    r = c.get(stack.box.link(user, 2))  # the admission mail's magic link
    assert (r.status_code, r.headers["location"]) == (303, "/account")
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "secure" in cookie and "samesite=lax" in cookie
    page = c.get("/account").text
    assert 'id="plan">free<' in page

    key = create_key(c, "laptop")
    assert "bf_live_" in key and key not in c.get("/account").text  # shown once
    h = keys.key_hash(key)
    assert wait_list(stack, lambda d: h in d["keys"])["keys"][h]["plan"] == "free"

    r = c.post_form("/checkout", {"plan": "pro"}, "/pricing")
    assert r.status_code == 303 and "_ptxn=txn_" in r.headers["location"]
    (txn,) = stack.paddle.transactions.values()
    ref = txn["custom_data"]["beanflows_account"]

    hook = stack.client()
    created = subscription_event("subscription.created", ref=ref)
    assert deliver(hook, created).json()["outcome"] == "applied"
    assert 'id="plan">pro<' in c.get("/account").text
    doc = wait_list(stack, lambda d: d["keys"].get(h, {}).get("plan") == "pro")
    assert doc["keys"][h]["until"] > 0

    canceled = subscription_event("subscription.canceled", ref=ref)
    assert deliver(hook, canceled).json()["outcome"] == "applied"
    wait_list(stack, lambda d: d["keys"][h]["plan"] == "free")
    assert 'id="plan">free<' in c.get("/account").text


def test_account_matched_by_customer_email(stack):
    user = "jo@example.com"  # the e-mail of the real customer payload
    c = stack.client()
    stack.paddle.customers["ctm_01hv6y1jedq4p1n0yqn5ba3ky4"] = payload("customer.created")
    assert c.post_form("/signup", {"email": user}, "/signup").status_code == 200
    c.get(stack.box.link(user))
    from beanflows.auth import accounts

    (uid,) = stack.db("SELECT id FROM accounts WHERE email = ?", user)[0]
    accounts.admit(stack.svc.state.conn, uid)
    r = deliver(c, subscription_event("subscription.created"))  # no custom_data
    assert r.json()["outcome"] == "applied"
    assert "GET /customers/ctm_01hv6y1jedq4p1n0yqn5ba3ky4" in stack.paddle.requests
    assert accounts.plan_of(stack.svc.state.conn, uid)[0] == "pro"


def test_subscription_before_customer_event(stack):
    """Unknown to the API at first: the customer.created event links it later."""
    from beanflows.auth import accounts

    user = "jo@example.com"
    c = stack.client()
    c.post_form("/signup", {"email": user}, "/signup")
    c.get(stack.box.link(user))
    (uid,) = stack.db("SELECT id FROM accounts WHERE email = ?", user)[0]
    accounts.admit(stack.svc.state.conn, uid)
    assert deliver(c, subscription_event("subscription.created")).json()["outcome"] == "unmatched"
    assert accounts.plan_of(stack.svc.state.conn, uid)[0] == "free"
    r = deliver(c, event("customer.created", payload("customer.created")))
    assert r.json()["outcome"] == "applied"
    assert accounts.plan_of(stack.svc.state.conn, uid)[0] == "pro"


def test_sign_in_and_out(stack):
    c = stack.client()
    c.post_form("/signup", {"email": ADMIN}, "/signup")
    c.get(stack.box.link(ADMIN))
    sign_in(c, stack.box, ADMIN)
    assert c.get("/account").status_code == 200
    assert c.post_form("/logout", {}, "/account").status_code == 303
    assert c.get("/account").headers["location"] == "/login"


def test_healthz(stack):
    r = stack.client().get("/healthz")
    assert r.status_code == 200 and r.json()["ok"] is True


def test_admin_tools(stack):
    admin = stack.client()
    admin.post_form("/signup", {"email": ADMIN}, "/signup")
    admin.get(stack.box.link(ADMIN))
    sign_in(admin, stack.box, ADMIN)
    user = stack.client(origin="https://site.beanflows.test")
    user.post("/signup", data={"email": "comp@example.com"})
    user.get(stack.box.link("comp@example.com"))
    (uid,) = stack.db("SELECT id FROM accounts WHERE email = 'comp@example.com'")[0]
    assert admin.post_form(f"/admin/accounts/{uid}/admit", {}, "/admin").status_code == 303
    assert admin.post_form(f"/admin/accounts/{uid}/admit", {}, "/admin").status_code == 409
    sign_in(user, stack.box, "comp@example.com")
    raw = create_key(user)
    r = admin.post_form(f"/admin/accounts/{uid}/plan", {"plan": "pro"}, "/admin")
    assert r.status_code == 303
    entry = wait_list(stack, lambda d: d["keys"].get(keys.key_hash(raw), {}).get("plan") == "pro")
    assert entry["keys"][keys.key_hash(raw)]["until"] is None  # comp: no paid period
    assert 'id="plan">pro<' in user.get("/account").text

    r = user.post("/feedback", data={"message": "More origins, please", "page": "/origins/"})
    assert r.status_code == 200
    assert "More origins, please" in admin.get("/admin/feedback").text
    deliver(admin, event("address.created", {"id": "add_1"}))
    assert "address.created" in admin.get("/admin/events").text

    r = admin.post_form(
        "/admin/rebuild",
        {"source": "usda_psd", "restate_from": "2024-01-01", "restate_to": "2024-03-31"},
        "/admin",
    )
    assert r.status_code == 200
    assert "queued" in r.text
    (filed,) = (stack.svc.state.settings.var_dir / "requests" / "pending").glob("*.json")
    doc = json.loads(filed.read_text())
    assert doc["source"] == "usda_psd" and doc["requested_by"] == ADMIN
    assert doc["restate"] == ["2024-01-01", "2024-03-31"]
    assert filed.stem == doc["id"]  # the queue's own id: the same request twice is one file
    same = {"source": "usda_psd", "restate_from": "2024-01-01", "restate_to": "2024-03-31"}
    again = admin.post_form("/admin/rebuild", same, "/admin")
    assert "already queued" in again.text
    bad_forms = [
        {"source": "../etc"},
        {"source": "usda_psd", "restate_from": "2024-01-01"},
        {"source": "usda_psd", "restate_from": "2024-05-01", "restate_to": "2024-01-01"},
    ]
    for bad in bad_forms:
        assert admin.post_form("/admin/rebuild", bad, "/admin").status_code == 400
    assert len(list(filed.parent.glob("*.json"))) == 1


def test_key_usage_markers_become_last_use(stack):
    c = stack.client()
    c.post_form("/signup", {"email": ADMIN}, "/signup")
    c.get(stack.box.link(ADMIN))
    sign_in(c, stack.box, ADMIN)
    c.post_form("/account/keys", {"name": "used"}, "/account")
    (kid,) = stack.db("SELECT id FROM api_keys")[0]
    assert "never" in c.get("/account").text.split("API keys")[1].split("</table>")[0]
    stack.s3.client().put_object(Bucket=stack.bucket, Key=f"site/auth/usage/key_{kid}",
                                 Body=b"2026-12-01T00:00:00Z")  # fmt: skip
    import asyncio

    asyncio.run(stack.svc.state.publisher.collect_usage())
    assert stack.db("SELECT last_used_at FROM api_keys WHERE id = ?", kid)[0][0] is not None
    assert "never" not in c.get("/account").text.split("API keys")[1].split("</table>")[0]


def test_browser_download_links(stack):
    from urllib.parse import urlsplit

    from beanflows import tokens
    from tests.auth_service import TOKEN_SECRET

    c = stack.client()
    c.post_form("/signup", {"email": ADMIN}, "/signup")
    c.get(stack.box.link(ADMIN))
    sign_in(c, stack.box, ADMIN)
    path = "/account/download/data/pro/psd_coffee.parquet"
    assert c.get(path).status_code == 403  # free plan
    (uid,) = stack.db("SELECT id FROM accounts WHERE email = ?", ADMIN)[0]
    stack.svc.state.conn.execute("UPDATE accounts SET plan_override = 'pro' WHERE id = ?", (uid,))
    r = c.get(path)
    assert r.status_code == 303
    url = urlsplit(r.headers["location"])
    assert f"{url.scheme}://{url.netloc}" == "https://site.beanflows.test"
    claims = tokens.verify_signed_url(url.path, url.query, [TOKEN_SECRET])
    assert claims["plan"] == "pro" and claims["exp"] - time.time() <= 600
    assert c.get("/account/download/data/free/x.csv").status_code == 403
    assert stack.client().get(path).headers["location"] == "/login"
