"""Personal one-click unsubscribe links (RFC 8058): signed, no login, idempotent.

A link is `<base>/unsubscribe/<list>/<account ref>/<mac>`: the account's opaque ref (never
reused, unlike row ids) and an HMAC-SHA256 of both under BEANFLOWS_TOKEN_SECRET, so a link
cannot be forged for another address or list. It does not expire: an unsubscribe link in an
old message must keep working. The accounts service serves it (beanflows/auth/subscriber.py):
GET shows a button, POST (the mail client's one-click, or the button) unsubscribes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import sqlite3

LISTS = {"brief": "newsletter", "alerts": "alerts_enabled"}  # list -> accounts column


def mac(secret: str, list_name: str, ref: str) -> str:
    digest = hmac.new(
        secret.encode(), f"unsubscribe\0{list_name}\0{ref}".encode(), hashlib.sha256
    ).digest()
    return base64.urlsafe_b64encode(digest[:18]).decode()


def url(base_url: str, secret: str, list_name: str, ref: str) -> str:
    return f"{base_url}/unsubscribe/{list_name}/{ref}/{mac(secret, list_name, ref)}"


def valid(secret: str, list_name: str, ref: str, sent_mac: str) -> bool:
    return list_name in LISTS and hmac.compare_digest(mac(secret, list_name, ref), sent_mac)


def apply(conn: sqlite3.Connection, list_name: str, ref: str) -> str | None:
    """Unsubscribe; returns the address (None: no such account). Doing it twice is harmless."""
    row = conn.execute("SELECT id, email FROM accounts WHERE ref = ?", (ref,)).fetchone()
    if row is None:
        return None
    with conn:
        conn.execute(f"UPDATE accounts SET {LISTS[list_name]} = 0 WHERE id = ?", (row[0],))
    return row[1]
