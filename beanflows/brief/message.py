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
from email.policy import SMTP
from email.utils import format_datetime

MAX_MESSAGE_BYTES = 300 * 1024
UNSUBSCRIBE_PLACEHOLDER = "https://unsubscribe.invalid/beanflows-recipient-link"


def image_part(cid: str, png: bytes) -> EmailMessage:
    """One inline chart, base64-encoded once and reused for every recipient."""
    part = EmailMessage(policy=SMTP)
    part.set_content(png, "image", "png", cid=f"<{cid}>", filename=cid.split("@")[0] + ".png",
                     disposition="inline")  # fmt: skip
    return part


def assemble(
    subject: str, text: str, html: str, images: list[EmailMessage], list_id: str
) -> EmailMessage:
    """The message without recipient headers; `images` from `image_part` (or a stored brief)."""
    msg = EmailMessage(policy=SMTP)
    msg["Subject"] = subject
    msg["List-Id"] = list_id
    msg.set_content(text, cte="quoted-printable")
    msg.add_alternative(html, subtype="html", cte="quoted-printable")
    html_part = msg.get_payload()[1]
    if images:
        html_part.make_related()
        for part in images:
            html_part.attach(part)
    digest = hashlib.sha256(text.encode() + html.encode())
    for part in images:
        digest.update(str(part.get_payload()).encode())
    for i, part in enumerate(p for p in msg.walk() if p.is_multipart()):
        part.set_boundary(f"=_bf{i}_{digest.hexdigest()[:24]}")
    return msg


def as_bytes(msg: EmailMessage) -> bytes:
    return msg.as_bytes(policy=SMTP)


def parts(data: bytes) -> tuple[str, str, str, list[EmailMessage], str]:
    """(subject, text, html, image parts, list id) of a stored brief.eml."""
    msg = message_from_bytes(data, policy=SMTP)
    text = html = ""
    images = []
    for part in msg.walk():
        ctype = part.get_content_type()
        if ctype == "text/plain":
            text = part.get_content()
        elif ctype == "text/html":
            html = part.get_content()
        elif ctype == "image/png":
            images.append(part)
    return str(msg["Subject"]), text, html, images, str(msg["List-Id"])


def message_id(week: str, email: str, domain: str) -> str:
    """Stable per (brief week or alert event, recipient): a resend is recognisably the same."""
    digest = hashlib.sha256(f"{week}\0{email.lower()}".encode()).hexdigest()[:24]
    return f"<{week}.{digest}@{domain}>"


def stand_ins(images: list[EmailMessage]) -> tuple[list[EmailMessage], dict[bytes, bytes]]:
    """Image parts whose body is a short token, and token -> the real base64 body.

    The email package re-encodes a 30 KB image each time it writes a message (about 20 ms
    for four charts): a thousand recipients would spend most of the sending time there. The
    charts are the same for everyone, so each is encoded once and put in by a byte replace.
    """
    parts_out, bodies = [], {}
    for i, part in enumerate(images):
        token = f"bf-image-{i}-{hashlib.sha256(part.get_payload().encode()).hexdigest()[:16]}"
        stand = EmailMessage(policy=SMTP)
        for key, value in part.items():
            stand[key] = value
        stand.set_payload(token)
        parts_out.append(stand)
        bodies[token.encode()] = "\r\n".join(str(part.get_payload()).splitlines()).encode()
    return parts_out, bodies


def personal(
    template: tuple[str, str, str, list[EmailMessage], str],
    mail_from: str,
    to: str,
    msg_id: str,
    unsubscribe_url: str,
    when: datetime | None = None,
    bodies: dict[bytes, bytes] | None = None,
) -> bytes:
    """One recipient's message as bytes: their unsubscribe link in the body and in
    List-Unsubscribe with List-Unsubscribe-Post (RFC 8058 one-click), a stable Message-ID.
    With `bodies` (from `stand_ins`), the template's images are stand-ins filled in here."""
    subject, text, html, images, list_id = template
    text = text.replace(UNSUBSCRIBE_PLACEHOLDER, unsubscribe_url)
    html = html.replace(UNSUBSCRIBE_PLACEHOLDER, html_mod.escape(unsubscribe_url))
    msg = assemble(subject, text, html, images, list_id)
    msg["From"] = mail_from
    msg["To"] = to
    msg["Message-ID"] = msg_id
    if when is not None:
        msg["Date"] = format_datetime(when)
    msg["List-Unsubscribe"] = f"<{unsubscribe_url}>"
    msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    data = as_bytes(msg)
    for token, body in (bodies or {}).items():
        data = data.replace(token, body, 1)
    return data
