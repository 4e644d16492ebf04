"""API keys and the hashed key list the Worker reads from R2 (docs/auth.md, "At the edge").

A key is `bf_live_` + 43 characters of base64url (32 random bytes); the database and the
published list hold only its SHA-256. The list maps each live key's hash to the subject the
Worker rate-limits (`key_<id>`), the plan, and `until` (Unix seconds: the end of the paid
period plus a grace, null for comp accounts), so access ends on time even while this service
is down, and keeps working until then.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import secrets
import sqlite3
from calendar import timegm
from datetime import datetime
from typing import Any

from beanflows.auth.accounts import plan_of
from beanflows.auth.db import Tx, now_iso

log = logging.getLogger("beanflows.auth")
KEY_PREFIX = "bf_live_"
MAX_KEYS_PER_ACCOUNT = 20
MAX_NAME_LENGTH = 80
GRACE_SECONDS = 3 * 86400
LIST_OBJECT = "auth/api-keys.json"
USAGE_PREFIX = "auth/usage/"
REFRESH_SECONDS = 300  # republish even without changes: a lost upload heals itself
DEBOUNCE_SECONDS = 1.0  # a burst of webhooks becomes one upload


def key_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def create_key(conn: sqlite3.Connection, account_id: int, name: str) -> str | None:
    """A new key (returned once, never stored), or None when the account has too many."""
    name = " ".join(name.split())[:MAX_NAME_LENGTH] or "key"
    raw = KEY_PREFIX + secrets.token_urlsafe(32)
    with Tx(conn):
        (count,) = conn.execute(
            "SELECT count(*) FROM api_keys WHERE account_id = ? AND revoked_at IS NULL",
            (account_id,),
        ).fetchone()
        if count >= MAX_KEYS_PER_ACCOUNT:
            return None
        conn.execute(
            "INSERT INTO api_keys (account_id, name, prefix, hash, created_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (account_id, name, raw[: len(KEY_PREFIX) + 6], key_hash(raw), now_iso()),
        )
    return raw


def list_keys(conn: sqlite3.Connection, account_id: int) -> list[sqlite3.Row]:
    return conn.execute(
        "SELECT id, name, prefix, created_at, last_used_at, revoked_at FROM api_keys "
        "WHERE account_id = ? ORDER BY revoked_at IS NOT NULL, id DESC",
        (account_id,),
    ).fetchall()


def revoke_key(conn: sqlite3.Connection, account_id: int, key_id: int) -> bool:
    """Revoke one of the account's own keys; False when it is not theirs or already revoked."""
    with Tx(conn):
        cur = conn.execute(
            "UPDATE api_keys SET revoked_at = ? WHERE id = ? AND account_id = ? "
            "AND revoked_at IS NULL",
            (now_iso(), key_id, account_id),
        )
    return cur.rowcount == 1


def _epoch(iso: str | None) -> int | None:
    if not iso:
        return None
    return timegm(datetime.fromisoformat(iso.replace("Z", "+00:00")).utctimetuple())


def key_list(conn: sqlite3.Connection) -> dict[str, Any]:
    """The document the Worker reads: every live key of an active account, by hash."""
    plans: dict[int, tuple[str, int | None]] = {}
    keys = {}
    for row in conn.execute(
        "SELECT k.id, k.hash, k.account_id FROM api_keys k JOIN accounts a "
        "ON a.id = k.account_id WHERE k.revoked_at IS NULL AND a.status = 'active' ORDER BY k.id"
    ):
        if row["account_id"] not in plans:
            plan, _, ends = plan_of(conn, row["account_id"])
            end = _epoch(ends)
            plans[row["account_id"]] = (plan, None if end is None else end + GRACE_SECONDS)
        plan, until = plans[row["account_id"]]
        keys[row["hash"]] = {"sub": f"key_{row['id']}", "plan": plan, "until": until}
    return {"version": 1, "keys": keys}


def record_usage(conn: sqlite3.Connection, used: dict[int, str]) -> None:
    """Last-use times reported by the Worker (key id -> ISO time), never moved backwards."""
    with Tx(conn):
        for key_id, at in used.items():
            conn.execute(
                "UPDATE api_keys SET last_used_at = ? WHERE id = ? "
                "AND (last_used_at IS NULL OR last_used_at < ?)",
                (at, key_id, at),
            )


class KeyPublisher:
    """Uploads the key list to R2 after changes (debounced) and every REFRESH_SECONDS.

    State lives here: the wake-up event and the digest of the last upload.
    """

    def __init__(self, conn: sqlite3.Connection, client: Any, bucket: str, prefix: str) -> None:
        self.conn, self.client, self.bucket = conn, client, bucket
        self.prefix = f"{prefix}/" if prefix else ""
        self.wake = asyncio.Event()
        self.last_digest = ""
        self.published = 0  # uploads done (tests and /healthz read it)

    def changed(self) -> None:
        self.wake.set()

    async def publish_once(self) -> bool:
        """Upload when the list differs from the last upload; True when it uploaded."""
        body = json.dumps(key_list(self.conn), sort_keys=True, separators=(",", ":")).encode()
        digest = hashlib.sha256(body).hexdigest()
        if digest == self.last_digest:
            return False
        await asyncio.to_thread(
            self.client.put_object,
            Bucket=self.bucket,
            Key=self.prefix + LIST_OBJECT,
            Body=body,
            ContentType="application/json",
            CacheControl="no-store",
        )
        self.last_digest = digest
        self.published += 1
        return True

    async def collect_usage(self) -> None:
        """Read the Worker's `auth/usage/key_<id>` markers into api_keys.last_used_at."""
        prefix = self.prefix + USAGE_PREFIX
        page = await asyncio.to_thread(
            self.client.list_objects_v2, Bucket=self.bucket, Prefix=prefix, MaxKeys=1000
        )
        used = {}
        for obj in page.get("Contents", []):
            name = obj["Key"][len(prefix) :]
            if name.startswith("key_") and name[4:].isdigit():
                used[int(name[4:])] = obj["LastModified"].strftime("%Y-%m-%dT%H:%M:%SZ")
        if used:
            record_usage(self.conn, used)

    async def run(self) -> None:
        """Forever: wait for a change or the refresh interval, then publish."""
        self.last_digest = ""  # always upload once at start
        while True:
            try:
                await self.publish_once()
                await self.collect_usage()
            except Exception as err:  # R2 unreachable: keep serving, retry soon
                log.error("key list not published: %s", err)
                await asyncio.sleep(5)
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), timeout=REFRESH_SECONDS)
            self.wake.clear()
            await asyncio.sleep(DEBOUNCE_SECONDS)
