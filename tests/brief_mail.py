"""Test helpers for the brief's mail: an aiosmtpd server on 127.0.0.1 with STARTTLS and
AUTH (self-signed certificate made by openssl for the test), a mailbox that can refuse
chosen addresses with 550, and an account database with subscribers."""

from __future__ import annotations

import sqlite3
import ssl
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.policy import default as email_policy
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from tests.s3_server import free_port

USER, PASSWORD = "brief-sender", "s3cret pass"
SECRET = "brief-test-token-secret"


@dataclass
class Mailbox:
    messages: list = field(default_factory=list)
    raw: list = field(default_factory=list)
    refuse: set = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)
    keep: bool = True  # False: count only (the benchmark's server)
    count: int = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address.lower() in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        with self.lock:
            self.count += 1
            if self.keep:
                self.raw.append(envelope.content)
                self.messages.append(message_from_bytes(envelope.content, policy=email_policy))
        return "250 OK"

    def to(self, address: str) -> list:
        return [m for m in self.messages if m["To"] == address]


def _authenticator(server, session, envelope, mechanism, auth_data):
    ok = auth_data.login == USER.encode() and auth_data.password == PASSWORD.encode()
    return AuthResult(success=ok)


def make_cert(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (openssl), used as its own CA by the client."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


@contextmanager
def smtp_server(
    folder: Path, tls: bool = True, keep: bool = True
) -> Iterator[tuple[str, Mailbox, Path | None]]:
    """(BEANFLOWS_SMTP_URL, mailbox, CA file): STARTTLS required before AUTH when `tls`."""
    box = Mailbox(keep=keep)
    port = free_port()
    cert = None
    if tls:
        cert, key = make_cert(folder)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert, key)
        controller = Controller(
            box, hostname="127.0.0.1", port=port, tls_context=context, require_starttls=True,
            authenticator=_authenticator, auth_required=True, auth_require_tls=True,
        )  # fmt: skip
        url = f"smtp+starttls://{USER}:{PASSWORD.replace(' ', '%20')}@127.0.0.1:{port}"
    else:
        controller = Controller(box, hostname="127.0.0.1", port=port)
        url = f"smtp://127.0.0.1:{port}"
    controller.start()
    try:
        yield url, box, cert
    finally:
        controller.stop()


def env(db: Path, smtp_url: str, ca: Path | None, **extra: str) -> dict[str, str]:
    return {
        "BEANFLOWS_AUTH_DB": str(db),
        "BEANFLOWS_SITE_URL": "https://site.beanflows.test",
        "BEANFLOWS_BASE_URL": "https://account.beanflows.test",
        "BEANFLOWS_SMTP_URL": smtp_url,
        "BEANFLOWS_SMTP_CA_FILE": str(ca or ""),
        "BEANFLOWS_MAIL_FROM": "BeanFlows Brief <brief@beanflows.test>",
        "BEANFLOWS_TOKEN_SECRET": SECRET,
        "BEANFLOWS_MAIL_RATE_PER_SECOND": "0",
        **extra,
    }


def add_accounts(db: Path, rows: list[tuple[str, bool, bool, bool]]) -> None:
    """(email, confirmed, newsletter, alerts_enabled) accounts, created in the real schema."""
    from beanflows.auth.db import open_db

    conn = open_db(db)
    with conn:
        for i, (email, confirmed, newsletter, alerts) in enumerate(rows):
            conn.execute(
                "INSERT INTO accounts (ref, email, status, created_at, confirmed_at, "
                "newsletter, alerts_enabled) VALUES (?, ?, ?, '2026-11-01T00:00:00Z', ?, ?, ?)",
                (f"acct_test{i:04d}", email, "active" if confirmed else "unconfirmed",
                 "2026-11-02T00:00:00Z" if confirmed else None, newsletter, alerts),
            )  # fmt: skip
    conn.close()


def sends(db: Path, kind: str = "brief") -> dict[str, str]:
    conn = sqlite3.connect(db)
    try:
        return dict(conn.execute("SELECT email, status FROM mail_sends WHERE kind = ?", (kind,)))
    finally:
        conn.close()
