"""Paddle Billing: webhook verification, events applied to subscriptions, two API calls.

Webhooks are verified with paddle-python-sdk's Verifier (HMAC-SHA256 over `ts:raw body`,
timestamp within the configured tolerance), recorded once by `event_id`, and applied in
`occurred_at` order per subscription: an event older than the stored state is recorded as
`stale` and changes nothing. Checkout is server-created (`POST /transactions`), so no page
of ours loads Paddle.js and the static site makes no third-party request.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from dataclasses import dataclass
from typing import Any

import httpx
from paddle_billing.Notifications import Secret, Verifier

from beanflows.auth.db import Tx, now_iso
from beanflows.auth.settings import Settings

log = logging.getLogger("beanflows.auth")
MAX_BODY_BYTES = 256 * 1024
API_TIMEOUT_SECONDS = 2.0  # inside a webhook: Paddle wants an answer within 5 s
SUBSCRIPTION_EVENTS = {
    "subscription.created",
    "subscription.activated",
    "subscription.updated",
    "subscription.past_due",
    "subscription.paused",
    "subscription.resumed",
    "subscription.canceled",
    "subscription.trialing",
}
CUSTOMER_EVENTS = {"customer.created", "customer.updated"}
TRANSACTION_EVENTS = {"transaction.completed"}


class BadEvent(ValueError):
    """The body is not a Paddle event (HTTP 400)."""


@dataclass(frozen=True)
class _Signed:
    """What the SDK's Verifier reads: case-insensitive headers and the raw body."""

    headers: Any
    body: bytes


def verify(settings: Settings, headers: Any, body: bytes) -> bool:
    """True when the Paddle-Signature header signs this body within the tolerance."""
    try:
        verifier = Verifier(maximum_variance=settings.paddle_tolerance_seconds)
        return bool(verifier.verify(_Signed(headers, body), Secret(settings.paddle_webhook_secret)))
    except (ValueError, UnicodeDecodeError, ConnectionRefusedError):
        return False  # unparseable header or body: not signed by Paddle


def parse_event(body: bytes) -> dict[str, Any]:
    """The event as JSON with the members we rely on, or BadEvent."""
    try:
        event = json.loads(body)
    except (UnicodeDecodeError, ValueError):
        raise BadEvent("body is not JSON") from None
    if not isinstance(event, dict):
        raise BadEvent("body is not a JSON object")
    for name in ("event_id", "event_type", "occurred_at"):
        if not isinstance(event.get(name), str) or not event[name] or len(event[name]) > 100:
            raise BadEvent(f"missing {name}")
    if not isinstance(event.get("data"), dict):
        raise BadEvent("missing data")
    return event


def _custom_ref(data: dict[str, Any]) -> str | None:
    custom = data.get("custom_data")
    ref = custom.get("beanflows_account") if isinstance(custom, dict) else None
    return ref if isinstance(ref, str) else None


def plan_of_items(settings: Settings, data: dict[str, Any]) -> str:
    """The best configured plan among the subscription's items; add-ons map to nothing."""
    plans = set()
    for item in data.get("items") or []:
        price = item.get("price") if isinstance(item, dict) else None
        price_id = price.get("id") if isinstance(price, dict) else None
        plan = settings.plan_of_price(price_id) if isinstance(price_id, str) else None
        if plan:
            plans.add(plan)
    return "pro" if "pro" in plans else "starter" if "starter" in plans else "free"


async def customer_email(settings: Settings, customer_id: str) -> str | None:
    """GET /customers/{id} from Paddle's API; None when unreachable or unknown."""
    url = f"{settings.paddle_api_url}/customers/{customer_id}"
    headers = {"Authorization": f"Bearer {settings.paddle_api_key}"}
    try:
        async with httpx.AsyncClient(timeout=API_TIMEOUT_SECONDS) as client:
            r = await client.get(url, headers=headers)
        if r.status_code != 200:
            return None
        email = r.json().get("data", {}).get("email")
        return email if isinstance(email, str) else None
    except (httpx.HTTPError, ValueError, AttributeError):
        return None


def find_account(conn: sqlite3.Connection, data: dict[str, Any]) -> int | None:
    """custom_data set at checkout, then the customer id, then the customer's e-mail."""
    ref = _custom_ref(data)
    if ref:
        row = conn.execute("SELECT id FROM accounts WHERE ref = ?", (ref,)).fetchone()
        if row:
            return row[0]
    customer = data.get("customer_id")
    if not isinstance(customer, str):
        return None
    row = conn.execute(
        "SELECT id FROM accounts WHERE paddle_customer_id = ?", (customer,)
    ).fetchone()
    if row:
        return row[0]
    row = conn.execute(
        "SELECT a.id FROM customers c JOIN accounts a ON a.email = c.email WHERE c.id = ?",
        (customer,),
    ).fetchone()
    return row[0] if row else None


def _link_customer(conn: sqlite3.Connection, account_id: int, customer: Any) -> None:
    if isinstance(customer, str):
        conn.execute(
            "UPDATE accounts SET paddle_customer_id = ? WHERE id = ? "
            "AND paddle_customer_id IS NULL AND NOT EXISTS "
            "(SELECT 1 FROM accounts WHERE paddle_customer_id = ?)",
            (customer, account_id, customer),
        )


def _apply_subscription(conn, settings, event, account_id) -> tuple[str, list[int]]:
    data = event["data"]
    sub_id = data.get("id")
    status = data.get("status")
    if not isinstance(sub_id, str) or not isinstance(status, str):
        raise BadEvent("subscription without id or status")
    old = conn.execute("SELECT * FROM subscriptions WHERE id = ?", (sub_id,)).fetchone()
    if old is not None and old["occurred_at"] >= event["occurred_at"]:
        return "stale", []
    if account_id is None and old is not None:
        account_id = old["account_id"]
    period = data.get("current_billing_period") or {}
    change = data.get("scheduled_change")
    conn.execute(
        "INSERT INTO subscriptions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO "
        "UPDATE SET account_id = excluded.account_id, customer_id = excluded.customer_id, "
        "status = excluded.status, plan = excluded.plan, renews_at = excluded.renews_at, "
        "period_ends_at = excluded.period_ends_at, scheduled_change = excluded.scheduled_change, "
        "occurred_at = excluded.occurred_at, updated_at = excluded.updated_at",
        (
            sub_id,
            account_id,
            data.get("customer_id") if isinstance(data.get("customer_id"), str) else None,
            status,
            plan_of_items(settings, data),
            data.get("next_billed_at") if isinstance(data.get("next_billed_at"), str) else None,
            period.get("ends_at") if isinstance(period, dict) else None,
            json.dumps(change) if change else None,
            event["occurred_at"],
            now_iso(),
        ),
    )
    if account_id is None:
        return "unmatched", []
    _link_customer(conn, account_id, data.get("customer_id"))
    touched = [account_id]
    if old is not None and old["account_id"] not in (None, account_id):
        touched.append(old["account_id"])
    return "applied", touched


def _apply_customer(conn, event) -> tuple[str, list[int]]:
    data = event["data"]
    cid, email = data.get("id"), data.get("email")
    if not isinstance(cid, str) or not isinstance(email, str):
        raise BadEvent("customer without id or email")
    old = conn.execute("SELECT occurred_at FROM customers WHERE id = ?", (cid,)).fetchone()
    if old is not None and old[0] >= event["occurred_at"]:
        return "stale", []
    conn.execute(
        "INSERT INTO customers VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET "
        "email = excluded.email, occurred_at = excluded.occurred_at",
        (cid, email, event["occurred_at"]),
    )
    return _adopt_orphans(conn, cid, email)


def _adopt_orphans(conn, customer_id: str, email: str) -> tuple[str, list[int]]:
    """Subscriptions that arrived before we knew their customer's e-mail find their account."""
    row = conn.execute("SELECT id FROM accounts WHERE email = ?", (email,)).fetchone()
    if row is None:
        return "unmatched", []
    _link_customer(conn, row[0], customer_id)
    cur = conn.execute(
        "UPDATE subscriptions SET account_id = ? WHERE customer_id = ? AND account_id IS NULL",
        (row[0], customer_id),
    )
    return "applied", [row[0]] if cur.rowcount else []


async def handle(conn: sqlite3.Connection, settings: Settings, event: dict[str, Any]):
    """Record and apply one verified event: (outcome, account ids whose access may change).

    The only await (the customer look-up) happens before the transaction, so the record of
    the event and its effect commit together or not at all.
    """
    kind, data = event["event_type"], event["data"]
    if conn.execute(
        "SELECT 1 FROM webhook_events WHERE event_id = ?", (event["event_id"],)
    ).fetchone():
        return "duplicate", []
    email = None
    if kind in SUBSCRIPTION_EVENTS and find_account(conn, data) is None:
        customer = data.get("customer_id")
        if (
            isinstance(customer, str)
            and not conn.execute("SELECT 1 FROM customers WHERE id = ?", (customer,)).fetchone()
        ):
            email = await customer_email(settings, customer)
    with Tx(conn):
        if conn.execute(
            "SELECT 1 FROM webhook_events WHERE event_id = ?", (event["event_id"],)
        ).fetchone():
            return "duplicate", []  # a concurrent delivery won the race during the look-up
        if email:
            conn.execute(
                "INSERT OR IGNORE INTO customers VALUES (?, ?, ?)",
                (data["customer_id"], email, "1970-01-01T00:00:00Z"),
            )
        if kind in SUBSCRIPTION_EVENTS:
            outcome, touched = _apply_subscription(conn, settings, event, find_account(conn, data))
        elif kind in CUSTOMER_EVENTS:
            outcome, touched = _apply_customer(conn, event)
        elif kind in TRANSACTION_EVENTS:
            account_id = find_account(conn, data)
            if account_id is not None:
                _link_customer(conn, account_id, data.get("customer_id"))
            outcome, touched = ("applied" if account_id else "unmatched"), []
        else:
            log.info("paddle event %s of type %s acknowledged, not used", event["event_id"], kind)
            outcome, touched = "ignored", []
        conn.execute(
            "INSERT INTO webhook_events VALUES (?, ?, ?, ?, ?, ?)",
            (event["event_id"], kind[:100], event["occurred_at"], now_iso(), outcome, ""),
        )
    return outcome, touched


async def create_checkout(settings: Settings, price_id: str, ref: str) -> str:
    """A server-created transaction; returns Paddle's checkout URL (raises httpx errors)."""
    body = {
        "items": [{"price_id": price_id, "quantity": 1}],
        "custom_data": {"beanflows_account": ref},
        "collection_mode": "automatic",
    }
    headers = {"Authorization": f"Bearer {settings.paddle_api_key}"}
    async with httpx.AsyncClient(timeout=10) as client:
        r = await client.post(f"{settings.paddle_api_url}/transactions", json=body, headers=headers)
    r.raise_for_status()
    url = r.json()["data"]["checkout"]["url"]
    if not isinstance(url, str) or not url.startswith(("https://", "http://")):
        raise ValueError("Paddle returned no checkout URL (set a default payment link)")
    return url


async def portal_url(settings: Settings, customer_id: str) -> str | None:
    """A customer portal session (billing details, cancel); None when Paddle refuses."""
    headers = {"Authorization": f"Bearer {settings.paddle_api_key}"}
    try:
        async with httpx.AsyncClient(timeout=10) as client:
            r = await client.post(
                f"{settings.paddle_api_url}/customers/{customer_id}/portal-sessions",
                json={},
                headers=headers,
            )
        r.raise_for_status()
        return r.json()["data"]["urls"]["general"]["overview"]
    except (httpx.HTTPError, KeyError, TypeError, ValueError):
        return None
