"""Attacks on the Paddle webhook (signatures, replay, duplicates, order, unknown types, bad
and oversized bodies): each gets the right status and changes nothing it must not. The
service runs for real (uvicorn, SQLite, aiosmtpd, a local Paddle API)."""

from __future__ import annotations

import json
import time
import uuid

import pytest

from beanflows.auth import accounts
from tests.auth_service import (
    PADDLE_DIR,
    PRICE_STARTER,
    client,
    count,
    deliver,
    event,
    events_of,
    member,
    signature,
    subscription_event,
)

pytestmark = pytest.mark.skipif(not PADDLE_DIR.is_dir(), reason=f"no Paddle data in {PADDLE_DIR}")


# --- webhooks ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "header",
    [
        None,  # missing
        "garbage",
        "ts=abc;h1=00",
        "ts=1;h1=" + "0" * 64,
        "ts={now};h1=" + "0" * 64,  # right time, wrong MAC
        "ts={now};h2=whatever",
    ],
)
def test_webhook_without_a_valid_signature(stack, header):
    doc = subscription_event("subscription.created")
    body = json.dumps(doc).encode()
    headers = {"Content-Type": "application/json"}
    if header is not None:
        headers["Paddle-Signature"] = header.format(now=int(time.time()))
    r = client(stack).post("/webhooks/paddle", content=body, headers=headers)
    assert r.status_code == 401
    assert events_of(stack, doc["event_id"]) == []


def test_webhook_signed_with_another_secret(stack):
    doc = subscription_event("subscription.created")
    assert deliver(client(stack), doc, secret="not-the-secret").status_code == 401
    assert events_of(stack, doc["event_id"]) == []


@pytest.mark.parametrize("skew", [-60, +60])
def test_webhook_replayed_or_from_the_future(stack, skew):
    doc = subscription_event("subscription.created")
    r = deliver(client(stack), doc, ts=int(time.time()) + skew)
    assert r.status_code == 401
    assert events_of(stack, doc["event_id"]) == []


def test_webhook_signature_for_another_body(stack):
    doc = subscription_event("subscription.created")
    other = json.dumps(subscription_event("subscription.canceled")).encode()
    headers = {"Paddle-Signature": signature(other), "Content-Type": "application/json"}
    r = client(stack).post("/webhooks/paddle", content=json.dumps(doc), headers=headers)
    assert r.status_code == 401


def test_duplicate_event_applied_once(stack):
    c, _, uid = member(stack)
    ref = stack.db("SELECT ref FROM accounts WHERE id = ?", uid)[0][0]
    sub = "sub_" + uuid.uuid4().hex[:26]
    doc = subscription_event("subscription.created", ref=ref, sub_id=sub)
    assert deliver(c, doc).json()["outcome"] == "applied"
    # the same event id again, even with other content, changes nothing
    doc["data"]["items"][0]["price"]["id"] = PRICE_STARTER
    r = deliver(c, doc)
    assert (r.status_code, r.json()["outcome"]) == (200, "duplicate")
    assert accounts.plan_of(stack.svc.state.conn, uid)[0] == "pro"
    assert len(events_of(stack, doc["event_id"])) == 1


def test_out_of_order_events(stack):
    c, _, uid = member(stack)
    ref = stack.db("SELECT ref FROM accounts WHERE id = ?", uid)[0][0]
    sub = "sub_" + uuid.uuid4().hex[:26]
    from datetime import UTC, datetime, timedelta

    now = datetime.now(UTC)
    newer = subscription_event("subscription.updated", ref=ref, sub_id=sub, price=PRICE_STARTER,
                               occurred=now)  # fmt: skip
    older = subscription_event("subscription.created", ref=ref, sub_id=sub,
                               occurred=now - timedelta(minutes=5))  # fmt: skip
    assert deliver(c, newer).json()["outcome"] == "applied"
    assert deliver(c, older).json()["outcome"] == "stale"
    assert accounts.plan_of(stack.svc.state.conn, uid)[0] == "starter"
    older_cancel = subscription_event("subscription.canceled", ref=ref, sub_id=sub,
                                      occurred=now - timedelta(minutes=1))  # fmt: skip
    assert deliver(c, older_cancel).json()["outcome"] == "stale"
    assert accounts.plan_of(stack.svc.state.conn, uid)[0] == "starter"


def test_unknown_event_type_acknowledged(stack):
    doc = event("address.created", {"id": "add_01", "country_code": "DE"})
    r = deliver(client(stack), doc)
    assert (r.status_code, r.json()["outcome"]) == (200, "ignored")
    assert events_of(stack, doc["event_id"])[0][0] == "ignored"


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"[1, 2, 3]",
        b'{"event_type": "subscription.created", "occurred_at": "x", "data": {}}',
        b'{"event_id": "evt_1", "event_type": "subscription.created", "occurred_at": "x"}',
        b"\xff\xfe binary",
        json.dumps(event("subscription.created", {"status": "active"})).encode(),  # no id
    ],
)
def test_malformed_bodies(stack, body):
    before = count(stack, "webhook_events")
    r = deliver(client(stack), body)
    assert r.status_code in (400, 401)  # undecodable bytes cannot even be verified
    assert count(stack, "webhook_events") == before
    if body.startswith((b"{", b"[")):
        assert r.status_code == 400


def test_oversized_body(stack):
    body = b'{"pad": "' + b"x" * (300 * 1024) + b'"}'
    r = deliver(client(stack), body)
    assert r.status_code == 413
