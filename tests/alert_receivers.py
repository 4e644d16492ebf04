"""Real receivers for alert tests: a webhook endpoint and an SMTP server, on 127.0.0.1.

`webhook()` records every POSTed JSON body; set `.status` to make it answer an error.
`smtp()` is aiosmtpd on a free port, optionally with STARTTLS (a self-signed certificate
for 127.0.0.1) and AUTH; every message it accepts is kept in `.messages`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import ipaddress
import json
import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from tests.httpserver import running


@dataclass
class Webhook:
    url: str = ""
    status: int = 200
    posts: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)


@contextlib.contextmanager
def webhook() -> Iterator[Webhook]:
    hook = Webhook()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if hook.status < 300:  # a failing endpoint receives nothing
                hook.posts.append(json.loads(body))
                hook.headers.append(dict(self.headers))
            self.send_response(hook.status)
            self.send_header("Content-Length", "0")
            self.end_headers()

    with running(ThreadingHTTPServer(("127.0.0.1", 0), Handler)) as url:
        hook.url = f"{url}/hooks/abc"
        yield hook


@dataclass
class Smtp:
    port: int
    messages: list[Message] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 (cert, key) made with `cryptography`."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@contextlib.contextmanager
def smtp(
    tls: tuple[Path, Path] | None = None, credentials: tuple[str, str] | None = None
) -> Iterator[Smtp]:
    """aiosmtpd on 127.0.0.1; with `tls` STARTTLS is required, with `credentials` AUTH is."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult

    box = Smtp(port=0)

    class Handler:
        async def handle_DATA(self, server, session, envelope):  # noqa: ANN001, ANN201, N802
            box.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
            box.messages.append(message_from_bytes(envelope.original_content))
            return "250 OK"

    def authenticator(server, session, envelope, mechanism, auth_data):  # noqa: ANN001, ANN202
        ok = (
            credentials is not None
            and (
                auth_data.login.decode(),
                auth_data.password.decode(),
            )
            == credentials
        )
        if ok:
            box.logins.append(auth_data.login.decode())
        return AuthResult(success=ok, handled=False)  # handled=True: "I answered myself"

    kwargs: dict[str, Any] = {}
    if tls:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(str(tls[0]), str(tls[1]))
        kwargs.update(tls_context=context, require_starttls=True)
    if credentials:
        kwargs.update(authenticator=authenticator, auth_required=True,
                      auth_require_tls=tls is not None)  # fmt: skip
    for _ in range(5):  # a free port can be taken between the probe and the bind
        box.port = _free_port()
        controller = Controller(Handler(), hostname="127.0.0.1", port=box.port, **kwargs)
        try:
            controller.start()
            break
        except (OSError, RuntimeError):
            continue
    else:
        raise RuntimeError("no free port for the SMTP test server")
    try:
        yield box
    finally:
        controller.stop()
