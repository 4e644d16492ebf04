"""Helpers for the accounts service's tests: the service on 127.0.0.1, an SMTP catcher
(aiosmtpd), signed Paddle webhooks from the real payload shapes, and an HTTP client that
keeps the service's Secure cookies over plain http://127.0.0.1."""

from __future__ import annotations

import copy
import hashlib
import hmac
import itertools
import json
import os
import re
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.policy import default as email_policy
from http.cookies import SimpleCookie
from pathlib import Path

import httpx
import pytest
from aiosmtpd.controller import Controller

from tests.s3_server import free_port

# ../shared/data beside the checkout, as in tests/conftest.py (BEANFLOWS_SHARED_DATA moves it)
SHARED_DATA = Path(
    os.environ.get("BEANFLOWS_SHARED_DATA")
    or Path(__file__).resolve().parents[2] / "shared" / "data"
)
PADDLE_DIR = SHARED_DATA / "paddle"
PRICE_PRO = "pri_01gsz8x8sawmvhz1pv30nge1ke"  # the plan price in the real payloads
PRICE_STARTER = "pri_01starter0000000000000000"
WEBHOOK_SECRET = "pdl_ntfset_test_secret"
TOKEN_SECRET = "auth-test-token-secret"
ADMIN = "admin@beanflows.test"


@dataclass
class Mailbox:
    messages: list = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        self.messages.append(message_from_bytes(envelope.content, policy=email_policy))
        return "250 OK"

    def wait_for(self, to: str, count: int = 1, timeout: float = 10.0):
        """The newest message to `to` once at least `count` have arrived."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            mine = [m for m in self.messages if m["To"] == to]
            if len(mine) >= count:
                return mine[-1]
            time.sleep(0.02)
        raise AssertionError(f"no message #{count} to {to}; got {[m['To'] for m in self.messages]}")

    def link(self, to: str, count: int = 1) -> str:
        """The path of the link in the newest message to `to` (/confirm/... or /auth/...)."""
        body = self.wait_for(to, count).get_content()
        m = re.search(r"https?://[^/\s]+(/(?:confirm|auth)/[A-Za-z0-9_-]+)", body)
        assert m, body
        return m.group(1)


@contextmanager
def smtp_server() -> Iterator[tuple[str, Mailbox]]:
    box = Mailbox()
    port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield f"smtp://127.0.0.1:{port}", box
    finally:
        controller.stop()


def settings_env(tmp: Path, smtp_url: str, paddle_url: str, **extra: str) -> dict[str, str]:
    return {
        "BEANFLOWS_AUTH_DB": str(tmp / "auth.sqlite3"),
        "BEANFLOWS_BASE_URL": "http://127.0.0.1:1",  # replaced once the port is known
        "BEANFLOWS_SITE_URL": "https://site.beanflows.test",
        "BEANFLOWS_SMTP_URL": smtp_url,
        "BEANFLOWS_MAIL_FROM": "BeanFlows <hello@beanflows.test>",
        "BEANFLOWS_PADDLE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "BEANFLOWS_PADDLE_API_KEY": "pdl_test_apikey",
        "BEANFLOWS_PADDLE_API_URL": paddle_url,
        "BEANFLOWS_PADDLE_PRICE_STARTER": PRICE_STARTER,
        "BEANFLOWS_PADDLE_PRICE_PRO": PRICE_PRO,
        "BEANFLOWS_TOKEN_SECRET": TOKEN_SECRET,
        "BEANFLOWS_ADMIN_EMAILS": ADMIN,
        "BEANFLOWS_VAR": str(tmp / "var"),
        **extra,
    }


@dataclass
class Service:
    url: str
    app: object

    @property
    def state(self):
        return self.app.state.svc


@contextmanager
def run_service(env: dict[str, str], publisher_client=None) -> Iterator[Service]:
    """The app under uvicorn in a thread of this process, on a free port."""
    import uvicorn

    from beanflows.auth.app import create_app
    from beanflows.auth.settings import load

    port = free_port()
    env = {**env, "BEANFLOWS_BASE_URL": f"http://127.0.0.1:{port}"}
    app = create_app(load(environ=env), publisher_client)
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "service did not start"
        time.sleep(0.02)
    try:
        yield Service(url=f"http://127.0.0.1:{port}", app=app)
    finally:
        server.should_exit = True
        thread.join(10)


class Client(httpx.Client):
    """An httpx client that keeps every cookie the service sets (Secure ones included: the
    tests talk plain http to 127.0.0.1, where a browser would also keep them)."""

    def __init__(self, base_url: str, origin: str | None = None) -> None:
        super().__init__(base_url=base_url, timeout=10, follow_redirects=False)
        self.jar: dict[str, str] = {}
        self.origin = origin
        self.event_hooks = {"request": [self._send], "response": [self._keep]}

    def _send(self, request: httpx.Request) -> None:
        if self.jar:
            request.headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.jar.items())
        if self.origin and request.method == "POST":
            request.headers["Origin"] = self.origin

    def _keep(self, response: httpx.Response) -> None:
        for header in response.headers.get_list("set-cookie"):
            for name, morsel in SimpleCookie(header).items():
                if morsel["max-age"] == "0" or morsel.value == "":
                    self.jar.pop(name, None)
                else:
                    self.jar[name] = morsel.value

    def csrf(self, path: str = "/login") -> str:
        html = self.get(path).text
        m = re.search(r'name="csrf_token" value="([^"]+)"', html)
        assert m, html[:500]
        return m.group(1)

    def post_form(self, path: str, data: dict, csrf_from: str | None = "/login") -> httpx.Response:
        if csrf_from is not None and "csrf_token" not in data:
            data = {**data, "csrf_token": self.csrf(csrf_from)}
        return self.post(path, data=data)


def sign_in(client: Client, box: Mailbox, email: str) -> None:
    """Ask for a link, follow it: the client holds a session afterwards."""
    count = len([m for m in box.messages if m["To"] == email]) + 1
    assert client.post_form("/login", {"email": email}).status_code == 200
    r = client.get(box.link(email, count))
    assert r.status_code == 303 and r.headers["location"] == "/account", r.text[:300]


def admitted_account(client: Client, box: Mailbox, email: str, svc: Service) -> None:
    """Sign up, confirm and admit `email`, then sign in with the admission mail's link."""
    assert client.post_form("/signup", {"email": email}, "/signup").status_code == 200
    assert client.get(box.link(email)).status_code == 200
    row = svc.state.conn.execute("SELECT id FROM accounts WHERE email = ?", (email,)).fetchone()
    from beanflows.auth import accounts

    accounts.admit(svc.state.conn, row[0])
    sign_in(client, box, email)


def payload(event_type: str) -> dict:
    """The real `data` of a Paddle event (shared/data/paddle), deep-copied."""
    path = PADDLE_DIR / f"{event_type}.data.json"
    return copy.deepcopy(json.loads(path.read_text()))


def iso(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def subscription_event(
    event_type: str,
    *,
    ref: str | None = None,
    customer: str | None = None,
    sub_id: str | None = None,
    status: str | None = None,
    price: str = PRICE_PRO,
    occurred: datetime | None = None,
) -> dict:
    """A subscription event from the real payload, moved to now (a paid period ahead)."""
    data = payload(event_type)
    now = occurred or datetime.now(UTC)
    if ref is not None:
        data["custom_data"] = {"beanflows_account": ref}
    if customer is not None:
        data["customer_id"] = customer
    if sub_id is not None:
        data["id"] = sub_id
    if status is not None:
        data["status"] = status
    data["items"][0]["price"]["id"] = price
    if data.get("current_billing_period"):
        data["current_billing_period"] = {"starts_at": iso(now),
                                          "ends_at": iso(now + timedelta(days=30))}  # fmt: skip
        data["next_billed_at"] = iso(now + timedelta(days=30))
    return event(event_type, data, now)


def event(event_type: str, data: dict, occurred: datetime | None = None) -> dict:
    return {
        "event_id": "evt_" + uuid.uuid4().hex[:26],
        "event_type": event_type,
        "occurred_at": iso(occurred or datetime.now(UTC)),
        "notification_id": "ntf_" + uuid.uuid4().hex[:26],
        "data": data,
    }


def signature(body: bytes, secret: str = WEBHOOK_SECRET, ts: int | None = None) -> str:
    ts = int(time.time()) if ts is None else ts
    mac = hmac.new(secret.encode(), f"{ts}:".encode() + body, hashlib.sha256).hexdigest()
    return f"ts={ts};h1={mac}"


def deliver(client: httpx.Client, doc: dict | bytes, **sig) -> httpx.Response:
    body = doc if isinstance(doc, bytes) else json.dumps(doc).encode()
    headers = {"Paddle-Signature": signature(body, **sig), "Content-Type": "application/json"}
    return client.post("/webhooks/paddle", content=body, headers=headers)


@dataclass
class Stack:
    svc: Service
    box: Mailbox
    paddle: object  # tests.paddle_api.PaddleApi

    def client(self, origin: str | None = None) -> Client:
        return Client(self.svc.url, origin)

    def db(self, sql: str, *args):
        return self.svc.state.conn.execute(sql, args).fetchall()


@contextmanager
def auth_stack(tmp: Path, publisher_client=None, **extra: str) -> Iterator[Stack]:
    """SMTP catcher + Paddle API + the service, all on 127.0.0.1."""
    from tests.paddle_api import paddle_api

    with smtp_server() as (smtp_url, box), paddle_api() as api:
        env = settings_env(tmp, smtp_url, api.url, **extra)
        with run_service(env, publisher_client) as svc:
            yield Stack(svc, box, api)


def create_key(client: Client, name: str = "k") -> str:
    """Create an API key through the account page; the key shown once after the redirect."""
    r = client.post_form("/account/keys", {"name": name}, "/account")
    assert (r.status_code, r.headers.get("location")) == (303, "/account"), r.text[:300]
    m = re.search(r'id="new-key">(bf_live_[A-Za-z0-9_-]+)<', client.get("/account").text)
    assert m, "the new key is not on the account page"
    return m.group(1)


# --- shared by the attack suites (test_auth_security.py, test_auth_webhook_attacks.py) -------
_ips = itertools.count(1)


@pytest.fixture(scope="module", name="stack")
def attack_stack(tmp_path_factory):  # noqa: ANN001, ANN201 - registered in conftest.py
    """One service stack per module; each client poses as its own IP (rate limits apart)."""
    tmp = tmp_path_factory.mktemp("auth")
    with auth_stack(tmp, BEANFLOWS_CLIENT_IP_HEADER="X-Test-IP") as st:
        yield st


def client(stack, origin: str | None = None) -> Client:  # noqa: ANN001
    c = stack.client(origin)
    c.headers["X-Test-IP"] = f"10.0.{next(_ips)}.1"
    return c


def fresh_email() -> str:
    return f"u{uuid.uuid4().hex[:10]}@example.com"


def count(stack, table: str) -> int:  # noqa: ANN001
    return stack.db(f"SELECT count(*) FROM {table}")[0][0]


def member(stack) -> tuple[Client, str, int]:  # noqa: ANN001
    """A signed-in, admitted account: (client, email, account id)."""
    c, email = client(stack), fresh_email()
    admitted_account(c, stack.box, email, stack.svc)
    return c, email, stack.db("SELECT id FROM accounts WHERE email = ?", email)[0][0]


def events_of(stack, event_id: str) -> list:  # noqa: ANN001
    return stack.db("SELECT outcome FROM webhook_events WHERE event_id = ?", event_id)
