"""Delivering messages exactly once, over one SMTP connection, with a send log in SQLite.

For each recipient: the log row becomes 'sending' (committed), the SMTP transaction runs,
the row becomes 'sent' (committed) the moment the server accepts. A rerun skips every 'sent'
row, so it sends nothing twice; a crash after k messages leaves k 'sent' rows and the rerun
sends the rest. The one window left is a crash between the server's "250 OK" and the
commit (microseconds): that message is sent again, with the same Message-ID, which mail
clients use to show it once. A 5xx refusal counts against the address; at the limit
(BEANFLOWS_MAIL_MAX_PERMANENT_FAILURES) it gets no more mail. A 4xx or a lost connection
leaves the row 'failed' for the next run.
"""

from __future__ import annotations

import logging
import smtplib
import sqlite3
import ssl
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import parseaddr
from urllib.parse import unquote, urlsplit

from beanflows.auth.db import now_iso
from beanflows.brief.settings import Settings
from beanflows.errors import checkpoint

log = logging.getLogger("beanflows.brief")


@dataclass
class Outcome:
    sent: int = 0
    skipped: int = 0  # already sent before, or the address is blocked
    failed: list[str] = field(default_factory=list)  # "address: reason"

    def line(self, what: str) -> str:
        failed = f", {len(self.failed)} failed" if self.failed else ""
        return f"{what}: {self.sent} sent, {self.skipped} already sent or blocked{failed}"


def connect(settings: Settings) -> smtplib.SMTP:
    """An open, authenticated SMTP session as BEANFLOWS_SMTP_URL says (STARTTLS/TLS)."""
    url = urlsplit(settings.smtp_url)
    host, timeout = url.hostname or "127.0.0.1", settings.mail_timeout_seconds
    context = ssl.create_default_context(cafile=settings.smtp_ca_file or None)
    if url.scheme == "smtps":
        client: smtplib.SMTP = smtplib.SMTP_SSL(
            host, url.port or 465, timeout=timeout, context=context
        )
    else:
        client = smtplib.SMTP(host, url.port or 25, timeout=timeout)
    try:
        if url.scheme == "smtp+starttls":
            client.starttls(context=context)
        if url.username:
            client.login(unquote(url.username), unquote(url.password or ""))
    except BaseException:
        client.close()
        raise
    return client


def blocked(conn: sqlite3.Connection, email: str, limit: int) -> bool:
    row = conn.execute(
        "SELECT permanent_failures FROM mail_failures WHERE email = ?", (email,)
    ).fetchone()
    return bool(row and row[0] >= limit)


def _mark(conn, kind, ref, email, status, code=None, detail="") -> None:
    with conn:
        conn.execute(
            "UPDATE mail_sends SET status = ?, smtp_code = ?, detail = ?, updated_at = ? "
            "WHERE kind = ? AND ref = ? AND email = ?",
            (status, code, detail[:300], now_iso(), kind, ref, email),
        )


def _permanent(conn: sqlite3.Connection, email: str, code: int, detail: str) -> None:
    with conn:
        conn.execute(
            "INSERT INTO mail_failures (email, permanent_failures, last_code, last_detail, "
            "updated_at) VALUES (?, 1, ?, ?, ?) ON CONFLICT (email) DO UPDATE SET "
            "permanent_failures = permanent_failures + 1, last_code = excluded.last_code, "
            "last_detail = excluded.last_detail, updated_at = excluded.updated_at",
            (email, code, detail[:300], now_iso()),
        )


def _code(err: smtplib.SMTPException) -> tuple[int | None, str]:
    if isinstance(err, smtplib.SMTPRecipientsRefused):
        code, text = next(iter(err.recipients.values()))
        return code, text.decode(errors="replace") if isinstance(text, bytes) else str(text)
    code = getattr(err, "smtp_code", None)
    text = getattr(err, "smtp_error", b"")
    return code, text.decode(errors="replace") if isinstance(text, bytes) else str(text)


def deliver(
    conn: sqlite3.Connection,
    settings: Settings,
    kind: str,
    ref: str,
    recipients: Iterable[tuple[int | None, str]],
    make: Callable[[int | None, str, str], EmailMessage | bytes],
    message_id: Callable[[str], str],
) -> Outcome:
    """Send `make(account_id, email, message_id)` to each recipient not yet sent for (kind, ref)."""
    out = Outcome()
    client: smtplib.SMTP | None = None
    rate = settings.mail_rate_per_second
    started, n = time.monotonic(), 0
    try:
        for account_id, email in recipients:
            row = conn.execute(
                "SELECT status FROM mail_sends WHERE kind = ? AND ref = ? AND email = ?",
                (kind, ref, email),
            ).fetchone()
            if (row and row[0] == "sent") or blocked(
                conn, email, settings.mail_max_permanent_failures
            ):
                out.skipped += 1
                continue
            msg_id = message_id(email)
            with conn:
                conn.execute(
                    "INSERT INTO mail_sends (kind, ref, email, account_id, message_id, status, "
                    "attempts, updated_at) VALUES (?, ?, ?, ?, ?, 'sending', 1, ?) "
                    "ON CONFLICT (kind, ref, email) DO UPDATE SET status = 'sending', "
                    "attempts = attempts + 1, updated_at = excluded.updated_at",
                    (kind, ref, email, account_id, msg_id, now_iso()),
                )
            checkpoint(f"{kind}.sending")
            if rate > 0:  # pace: message n leaves no earlier than n / rate after the start
                time.sleep(max(0.0, started + n / rate - time.monotonic()))
            n += 1
            msg = make(account_id, email, msg_id)
            try:
                if client is None:
                    client = connect(settings)
                if isinstance(msg, bytes):  # already serialised (the brief's fast path)
                    client.sendmail(parseaddr(settings.mail_from)[1], [email], msg)
                else:
                    client.send_message(msg)
            except (smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError) as err:
                code, text = _code(err)
                _mark(conn, kind, ref, email, "failed", code, text)
                out.failed.append(f"{email}: {code} {text}")
                if code is not None and 500 <= code < 600:
                    _permanent(conn, email, code, text)
                continue
            except (smtplib.SMTPException, OSError) as err:
                # the connection is gone or refused us: stop; the rest go on the next run
                _mark(conn, kind, ref, email, "failed", None, str(err))
                out.failed.append(f"{email}: {err}")
                log.error("%s %s: SMTP stopped after %d message(s): %s", kind, ref, out.sent, err)
                client = None
                break
            _mark(conn, kind, ref, email, "sent")
            out.sent += 1
            checkpoint(f"{kind}.sent")
    finally:
        if client is not None:
            try:
                client.quit()
            except (smtplib.SMTPException, OSError):
                client.close()
    return out


def mail_domain(mail_from: str) -> str:
    return mail_from.rpartition("@")[2].strip("> ") or "beanflows.invalid"


def send_brief(settings: Settings, var_dir, week: str) -> Outcome:
    """`beanflows brief send --week W`: the week's brief.eml to every confirmed subscriber."""
    from datetime import UTC, datetime
    from pathlib import Path

    from beanflows.auth.db import open_db
    from beanflows.brief import message, unsubscribe, weeks
    from beanflows.errors import UsageError

    weeks.parse(week)
    settings.require_sending()
    eml = Path(var_dir) / "briefs" / week / "brief.eml"
    if not eml.is_file():
        raise UsageError(
            f"no brief for {week} in {eml.parent}: run `beanflows brief --week {week}`"
        )
    subject, text, html, images, list_id = message.parts(eml.read_bytes())
    images, bodies = message.stand_ins(images)
    template = (subject, text, html, images, list_id)
    conn = open_db(settings.db_path)
    try:
        rows = conn.execute(
            "SELECT id, email, ref FROM accounts WHERE newsletter = 1 "
            "AND confirmed_at IS NOT NULL ORDER BY id"
        ).fetchall()
        refs = {r["email"]: r["ref"] for r in rows}
        domain = mail_domain(settings.mail_from)

        def make(account_id, email, msg_id):
            link = unsubscribe.url(settings.base_url, settings.token_secret, "brief", refs[email])
            return message.personal(
                template, settings.mail_from, email, msg_id, link, datetime.now(UTC), bodies
            )

        return deliver(
            conn, settings, "brief", week, [(r["id"], r["email"]) for r in rows], make,
            lambda email: message.message_id(f"brief-{week}", email, domain),
        )  # fmt: skip
    finally:
        conn.close()
