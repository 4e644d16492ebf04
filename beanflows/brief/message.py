"""The brief as a MIME message (Python's email package), the same bytes for the same data.

Structure: multipart/alternative [text/plain, multipart/related [text/html, image/png...]],
images inline by Content-ID (no remote image, no tracking pixel). `VAR/briefs/<week>/
brief.eml` holds the message before per-recipient headers, with a placeholder where each
recipient's unsubscribe link goes; `personal()` makes one recipient's message from it.
MIME boundaries are derived from the content (the email package would pick random ones).
"""

from __future__ import annotations

import hashlib
import html as html_mod
from datetime import datetime
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import SMTP, default
from email.utils import format_datetime

MAX_MESSAGE_BYTES = 300 * 1024
UNSUBSCRIBE_PLACEHOLDER = "https://unsubscribe.invalid/beanflows-recipient-link"


def assemble(
    subject: str, text: str, html: str, images: list[tuple[str, bytes]], list_id: str
) -> EmailMessage:
    """The message without recipient headers; `images` are (Content-ID, PNG bytes)."""
    msg = EmailMessage(policy=SMTP)
    msg["Subject"] = subject
    msg["List-Id"] = list_id
    msg.set_content(text, cte="quoted-printable")
    msg.add_alternative(html, subtype="html", cte="quoted-printable")
    html_part = msg.get_payload()[1]
    for cid, png in images:
        html_part.add_related(
            png, "image", "png", cid=f"<{cid}>", filename=cid.split("@")[0] + ".png",
            disposition="inline",
        )  # fmt: skip
    digest = hashlib.sha256(text.encode() + html.encode() + b"".join(p for _, p in images))
    for i, part in enumerate(p for p in msg.walk() if p.is_multipart()):
        part.set_boundary(f"=_bf{i}_{digest.hexdigest()[:24]}")
    return msg


def as_bytes(msg: EmailMessage) -> bytes:
    return msg.as_bytes(policy=SMTP)


def parts(data: bytes) -> tuple[str, str, str, list[tuple[str, bytes]], str]:
    """(subject, text, html, images, list id) of a stored brief.eml."""
    msg = message_from_bytes(data, policy=default)
    text = html = ""
    images = []
    for part in msg.walk():
        ctype = part.get_content_type()
        if ctype == "text/plain":
            text = part.get_content()
        elif ctype == "text/html":
            html = part.get_content()
        elif ctype == "image/png":
            images.append((str(part["Content-ID"]).strip("<>"), part.get_content()))
    return str(msg["Subject"]), text, html, images, str(msg["List-Id"])


def message_id(week: str, email: str, domain: str) -> str:
    """Stable per (brief week or alert event, recipient): a resend is recognisably the same."""
    digest = hashlib.sha256(f"{week}\0{email.lower()}".encode()).hexdigest()[:24]
    return f"<{week}.{digest}@{domain}>"


def personal(
    template: tuple[str, str, str, list[tuple[str, bytes]], str],
    mail_from: str,
    to: str,
    msg_id: str,
    unsubscribe_url: str,
    unsubscribe_mailto: str | None = None,
    when: datetime | None = None,
) -> EmailMessage:
    """One recipient's message: their unsubscribe link in the body and in List-Unsubscribe
    with List-Unsubscribe-Post (RFC 8058 one-click), a stable Message-ID."""
    subject, text, html, images, list_id = template
    text = text.replace(UNSUBSCRIBE_PLACEHOLDER, unsubscribe_url)
    html = html.replace(UNSUBSCRIBE_PLACEHOLDER, html_mod.escape(unsubscribe_url))
    msg = assemble(subject, text, html, images, list_id)
    msg["From"] = mail_from
    msg["To"] = to
    msg["Message-ID"] = msg_id
    if when is not None:
        msg["Date"] = format_datetime(when)
    links = f"<{unsubscribe_url}>" + (f", <{unsubscribe_mailto}>" if unsubscribe_mailto else "")
    msg["List-Unsubscribe"] = links
    msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return msg
