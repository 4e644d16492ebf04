"""Outgoing mail: one plain-text message per call, over SMTP (smtplib in a worker thread).

`BEANFLOWS_SMTP_URL`: `smtp://host:port` (plain, e.g. a local relay), `smtp+starttls://user:
pass@host:587` or `smtps://user:pass@host:465` (TLS from the first byte).
"""

from __future__ import annotations

import asyncio
import logging
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import make_msgid
from urllib.parse import unquote, urlsplit

log = logging.getLogger("beanflows.auth")
TIMEOUT_SECONDS = 10


def message(mail_from: str, to: str, subject: str, body: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = mail_from
    msg["To"] = to
    msg["Subject"] = subject
    msg["Message-ID"] = make_msgid(domain=mail_from.rpartition("@")[2].strip("> ") or None)
    msg.set_content(body)
    return msg


def send_sync(smtp_url: str, msg: EmailMessage) -> None:
    """Deliver one message; raises smtplib.SMTPException / OSError on failure."""
    url = urlsplit(smtp_url)
    host, port = url.hostname or "127.0.0.1", url.port
    if url.scheme == "smtps":
        client = smtplib.SMTP_SSL(
            host, port or 465, timeout=TIMEOUT_SECONDS, context=ssl.create_default_context()
        )
    else:
        client = smtplib.SMTP(host, port or 25, timeout=TIMEOUT_SECONDS)
    with client:
        if url.scheme == "smtp+starttls":
            client.starttls(context=ssl.create_default_context())
        if url.username:
            client.login(unquote(url.username), unquote(url.password or ""))
        client.send_message(msg)


async def send(smtp_url: str, mail_from: str, to: str, subject: str, body: str) -> bool:
    """Send without blocking the event loop; False (logged) when the relay refused it."""
    msg = message(mail_from, to, subject, body)
    try:
        await asyncio.to_thread(send_sync, smtp_url, msg)
    except (smtplib.SMTPException, OSError) as err:
        log.error("mail to %s not sent: %s", to.split("@")[-1], err)
        return False
    return True
