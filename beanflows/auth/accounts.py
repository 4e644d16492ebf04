"""Accounts, one-time links and sessions: functions over the database, no hidden state.

Secrets the user holds (link tokens, session cookies, API keys) are 32 random bytes; only
their SHA-256 is stored, so a copy of the database opens nothing.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import sqlite3
import time

from beanflows.auth.db import Tx, now_iso

CONFIRM_TTL_SECONDS = 48 * 3600
LOGIN_TTL_SECONDS = 15 * 60
SESSION_TTL_SECONDS = 30 * 86400
SESSION_ROTATE_SECONDS = 3600
PLAN_RANK = {"free": 0, "starter": 1, "pro": 2}
ACCESS_STATUSES = ("active", "trialing", "past_due")  # past_due: Paddle is still retrying
# Deliberately simple: one @, a dot in the domain, no spaces or angle brackets, <= 254 chars.
_EMAIL = re.compile(r"[^@\s<>\"'(),;:\\]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")


def digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def new_secret() -> tuple[str, str]:
    """(value to hand out, SHA-256 to store)."""
    raw = secrets.token_urlsafe(32)
    return raw, digest(raw)


def normalise_email(text: str) -> str | None:
    """The address as stored (trimmed, domain lower-cased) or None when it is not one."""
    text = (text or "").strip()
    if len(text) > 254 or not _EMAIL.fullmatch(text):
        return None
    local, _, domain = text.rpartition("@")
    return f"{local}@{domain.lower()}"


def account_by_email(conn: sqlite3.Connection, email: str) -> sqlite3.Row | None:
    return conn.execute("SELECT * FROM accounts WHERE email = ?", (email,)).fetchone()


def account(conn: sqlite3.Connection, account_id: int) -> sqlite3.Row | None:
    return conn.execute("SELECT * FROM accounts WHERE id = ?", (account_id,)).fetchone()


def sign_up(conn: sqlite3.Connection, email: str) -> tuple[sqlite3.Row, bool]:
    """(account, created): an existing address is returned as it is."""
    with Tx(conn):
        row = account_by_email(conn, email)
        if row is not None:
            return row, False
        conn.execute(
            "INSERT INTO accounts (ref, email, status, created_at) VALUES (?, ?, 'unconfirmed', ?)",
            ("acct_" + secrets.token_hex(12), email, now_iso()),
        )
        return account_by_email(conn, email), True


def make_link(conn: sqlite3.Connection, account_id: int, purpose: str) -> str:
    """A fresh one-time link token for `purpose` ('confirm' or 'login')."""
    ttl = CONFIRM_TTL_SECONDS if purpose == "confirm" else LOGIN_TTL_SECONDS
    raw, hashed = new_secret()
    now = int(time.time())
    with Tx(conn):
        conn.execute("DELETE FROM links WHERE expires_epoch < ?", (now - 86400,))
        conn.execute(
            "INSERT INTO links VALUES (?, ?, ?, ?, NULL)", (hashed, purpose, account_id, now + ttl)
        )
    return raw


def use_link(conn: sqlite3.Connection, raw: str, purpose: str) -> int | None:
    """Spend a link: the account id when it was valid, unused and unexpired, else None.

    One UPDATE decides, so two concurrent clicks cannot both succeed.
    """
    if not raw or len(raw) > 100:
        return None
    now = int(time.time())
    with Tx(conn):
        row = conn.execute(
            "UPDATE links SET used_epoch = ? WHERE hash = ? AND purpose = ? "
            "AND used_epoch IS NULL AND expires_epoch > ? RETURNING account_id",
            (now, digest(raw), purpose, now),
        ).fetchone()
    return row[0] if row else None


def confirm(conn: sqlite3.Connection, account_id: int, open_signup: bool) -> str:
    """Double opt-in done: 'unconfirmed' becomes 'waitlist' (or 'active'); returns the status."""
    with Tx(conn):
        conn.execute(
            "UPDATE accounts SET status = ?, confirmed_at = ?, "
            "admitted_at = CASE WHEN ? THEN ? ELSE admitted_at END "
            "WHERE id = ? AND status = 'unconfirmed'",
            (
                "active" if open_signup else "waitlist",
                now_iso(),
                open_signup,
                now_iso(),
                account_id,
            ),
        )
        return conn.execute("SELECT status FROM accounts WHERE id = ?", (account_id,)).fetchone()[0]


def admit(conn: sqlite3.Connection, account_id: int) -> bool:
    """Waitlist -> active; False when the account was not waiting."""
    with Tx(conn):
        cur = conn.execute(
            "UPDATE accounts SET status = 'active', admitted_at = ? "
            "WHERE id = ? AND status = 'waitlist'",
            (now_iso(), account_id),
        )
    return cur.rowcount == 1


def create_session(conn: sqlite3.Connection, account_id: int) -> str:
    """A new session (new cookie value: a pre-set cookie is never adopted)."""
    raw, hashed = new_secret()
    now = int(time.time())
    with Tx(conn):
        conn.execute("DELETE FROM sessions WHERE expires_epoch < ?", (now,))
        conn.execute(
            "INSERT INTO sessions VALUES (?, ?, ?, ?, ?)",
            (hashed, account_id, secrets.token_urlsafe(24), now, now + SESSION_TTL_SECONDS),
        )
        conn.execute("UPDATE accounts SET last_login_at = ? WHERE id = ?", (now_iso(), account_id))
    return raw


def session(conn: sqlite3.Connection, raw: str | None) -> sqlite3.Row | None:
    """The live session row for a cookie value (with the account's email and status)."""
    if not raw or len(raw) > 100:
        return None
    return conn.execute(
        "SELECT s.*, a.email, a.status FROM sessions s JOIN accounts a ON a.id = s.account_id "
        "WHERE s.hash = ? AND s.expires_epoch > ? AND a.status = 'active'",
        (digest(raw), int(time.time())),
    ).fetchone()


def rotate_session(conn: sqlite3.Connection, row: sqlite3.Row) -> str | None:
    """A new cookie value for a session issued over an hour ago (same CSRF token), else None."""
    now = int(time.time())
    if now - row["issued_epoch"] < SESSION_ROTATE_SECONDS:
        return None
    raw, hashed = new_secret()
    with Tx(conn):
        conn.execute(
            "UPDATE sessions SET hash = ?, issued_epoch = ? WHERE hash = ?",
            (hashed, now, row["hash"]),
        )
    return raw


def end_session(conn: sqlite3.Connection, raw: str | None) -> None:
    if raw:
        with Tx(conn):
            conn.execute("DELETE FROM sessions WHERE hash = ?", (digest(raw),))


def plan_of(conn: sqlite3.Connection, account_id: int) -> tuple[str, str | None, str | None]:
    """(plan, renews_at, period_ends_at): the admin override, else the best live subscription."""
    row = account(conn, account_id)
    if row is None:
        return "free", None, None
    if row["plan_override"]:
        return row["plan_override"], None, None
    best = ("free", None, None)
    marks = ",".join("?" * len(ACCESS_STATUSES))
    for sub in conn.execute(
        f"SELECT plan, renews_at, period_ends_at FROM subscriptions "
        f"WHERE account_id = ? AND status IN ({marks})",
        (account_id, *ACCESS_STATUSES),
    ):
        if PLAN_RANK[sub["plan"]] > PLAN_RANK[best[0]]:
            best = (sub["plan"], sub["renews_at"], sub["period_ends_at"])
    return best


def delete_account(conn: sqlite3.Connection, account_id: int) -> None:
    """Remove personal data: the account row goes (keys, links, sessions cascade), its
    feedback stays anonymous, the Paddle customer's e-mail copy and the address's rows in
    the brief's send log go (alert rules and events cascade); subscriptions keep no
    link to it (billing records stay with Paddle)."""
    with Tx(conn):
        row = account(conn, account_id)
        if row is None:
            return
        conn.execute(
            "UPDATE feedback SET email = '', account_id = NULL WHERE account_id = ? OR email = ?",
            (account_id, row["email"]),
        )
        conn.execute(
            "DELETE FROM customers WHERE id = ? OR email = ?",
            (row["paddle_customer_id"], row["email"]),
        )
        for table in ("mail_sends", "mail_failures"):  # the brief's send log (docs/brief.md)
            conn.execute(f"DELETE FROM {table} WHERE email = ?", (row["email"],))
        conn.execute("DELETE FROM accounts WHERE id = ?", (account_id,))
