"""What every route shares: templates, CSRF, sessions in cookies, rate limits, client IPs."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import sqlite3
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from beanflows.auth import accounts, mail
from beanflows.auth.settings import Settings

SESSION_COOKIE = "bf_session"
ANON_COOKIE = "bf_anon"  # binds the CSRF token of forms shown before sign-in
MAX_FORM_BYTES = 16 * 1024
Handler = Callable[[Request], Awaitable[Response]]
Form = dict[str, str]
FormHandler = Callable[[Request, Form], Awaitable[Response]]
TEMPLATES = Path(__file__).with_name("templates")
SITE_CSS = Path(__file__).resolve().parents[2] / "templates" / "static" / "site.css"

jinja = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(default=True),
    trim_blocks=True,
    lstrip_blocks=True,
)


class RateLimiter:
    """Sliding-window counters per key, in memory (one service process; resets on restart)."""

    def __init__(self) -> None:
        self.hits: dict[str, deque[float]] = {}

    def allow(self, key: str, limit: int, window_seconds: float) -> bool:
        now = time.monotonic()
        q = self.hits.setdefault(key, deque())
        while q and q[0] <= now - window_seconds:
            q.popleft()
        if len(q) >= limit:
            return False
        q.append(now)
        if len(self.hits) > 100_000:  # a flood of distinct keys cannot grow memory forever
            self.hits = {k: v for k, v in self.hits.items() if v and v[-1] > now - 3600}
        return True


@dataclass
class State:
    """The service's live state, built once at start (app.state.svc)."""

    settings: Settings
    conn: sqlite3.Connection
    limiter: RateLimiter = field(default_factory=RateLimiter)
    publisher: Any = None  # keys.KeyPublisher when R2 is configured
    # A new API key waits here for the one page view that shows it (keyed by the session's
    # CSRF token, which survives cookie rotation); never written to disk.
    new_keys: dict[str, tuple[str, float]] = field(default_factory=dict)


def svc(request: Request) -> State:
    return request.app.state.svc


def client_ip(request: Request) -> str:
    header = svc(request).settings.client_ip_header
    if header and request.headers.get(header):
        return request.headers[header].strip()[:64]
    return request.client.host if request.client else "unknown"


def _mac(secret: str, text: str) -> str:
    return hmac.new(secret.encode(), text.encode(), hashlib.sha256).hexdigest()


def csrf_token(request: Request) -> str:
    """The token for forms on this page: bound to the session, else to the anonymous cookie."""
    sess = request.state.session
    if sess is not None:
        return sess["csrf"]
    return _mac(svc(request).settings.token_secret, "csrf:" + request.state.anon)


def csrf_ok(request: Request, form: Any) -> bool:
    sent = form.get("csrf_token")
    return isinstance(sent, str) and hmac.compare_digest(sent, csrf_token(request))


def render(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    sess = request.state.session
    html = jinja.get_template(name).render(
        request=request,
        csrf=csrf_token(request),
        me=sess,
        is_admin=bool(sess and sess["email"].lower() in svc(request).settings.admin_emails),
        site_url=svc(request).settings.site_url,
        **context,
    )
    return HTMLResponse(html, status_code=status)


def set_cookie(response: Response, name: str, value: str, max_age: int) -> None:
    response.set_cookie(
        name, value, max_age=max_age, path="/", secure=True, httponly=True, samesite="lax"
    )


def load_session(request: Request) -> str | None:
    """Attach the session (or None) and the anonymous id to the request; returns a rotated
    cookie value when the session was due for one."""
    state = svc(request)
    request.state.anon = request.cookies.get(ANON_COOKIE) or ""
    if not (0 < len(request.state.anon) <= 64):
        request.state.anon = secrets.token_urlsafe(24)
        request.state.new_anon = True
    else:
        request.state.new_anon = False
    raw = request.cookies.get(SESSION_COOKIE)
    row = accounts.session(state.conn, raw)
    request.state.session = row
    if row is None:
        return None
    rotated = accounts.rotate_session(state.conn, row)
    if rotated:
        request.state.session = accounts.session(state.conn, rotated)
    return rotated


def finish(request: Request, response: Response, rotated: str | None) -> Response:
    """Cookies every response carries: a rotated session, a new anonymous id; no caching."""
    if rotated:
        set_cookie(response, SESSION_COOKIE, rotated, accounts.SESSION_TTL_SECONDS)
    if request.state.new_anon:
        set_cookie(response, ANON_COOKIE, request.state.anon, 86400)
    response.headers.setdefault("Cache-Control", "no-store")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self' https:; "
        "frame-ancestors 'none'; base-uri 'none'",
    )
    return response


async def read_form(request: Request) -> dict[str, str] | None:
    """The urlencoded form as {name: first value}, None when too big or not a form."""
    if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        return None
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            return None
    try:
        parsed = parse_qs(body.decode("utf-8"), keep_blank_values=True, max_num_fields=30)
    except (UnicodeDecodeError, ValueError):
        return None
    return {k: v[0] for k, v in parsed.items()}


def page(handler: Handler) -> Handler:
    async def wrapped(request: Request) -> Response:
        rotated = load_session(request)
        return finish(request, await handler(request), rotated)

    return wrapped


def template_page(name: str) -> Handler:
    """A page that shows its template and nothing else."""

    async def show(request: Request) -> Response:
        return render(request, name)

    return page(show)


def too_often(
    request: Request, action: str, email: str, *, per_ip: int, per_address: int, window_seconds: int
) -> bool:
    """Whether this client (by IP) or this e-mail address asked for `action` too often; the
    address is counted only while the IP is within its limit."""
    limiter = svc(request).limiter
    ip_ok = limiter.allow(f"{action}-ip:{client_ip(request)}", per_ip, window_seconds)
    return not (
        ip_ok and limiter.allow(f"{action}-mail:{email.lower()}", per_address, window_seconds)
    )


def see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def message(request: Request, title: str, text: str, status: int = 200) -> Response:
    return render(request, "message.html", status=status, title=title, text=text)


def _origin_allowed(request: Request) -> bool:
    origin = request.headers.get("origin")
    if not origin:
        return False
    s = svc(request).settings
    allowed = {f"{u.scheme}://{u.netloc}" for u in map(urlsplit, (s.base_url, s.site_url))}
    return origin in allowed


async def form_or_refusal(request: Request, public: bool = False):
    """(form, None) when the form is acceptable, else (None, the refusal response)."""
    form = await read_form(request)
    if form is None:
        return None, message(request, "Bad request", "That form could not be read.", 400)
    if csrf_ok(request, form) or (public and "csrf_token" not in form and _origin_allowed(request)):
        return form, None
    return None, message(request, "Form expired", "Reload the page and try again.", 403)


def with_form(public: bool = False) -> Callable[[FormHandler], Handler]:
    """For a POST handler: the form is read and its CSRF token checked (for a `public` form
    without one, the Origin) before the handler runs with it; a refused form gets a message."""

    def wrap(handler: FormHandler) -> Handler:
        async def wrapped(request: Request) -> Response:
            form, refusal = await form_or_refusal(request, public)
            if refusal:
                return refusal
            return await handler(request, form)

        return wrapped

    return wrap


def keys_changed(state: State) -> None:
    if state.publisher is not None:
        state.publisher.changed()


def signed_in(handler: Handler) -> Handler:
    async def wrapped(request: Request) -> Response:
        if request.state.session is None:
            if request.method == "GET":
                return see_other("/login")
            return message(request, "Signed out", "Sign in first.", 403)
        return await handler(request)

    return page(wrapped)


async def send_link(state: State, account_id: int, email: str, purpose: str) -> None:
    raw = accounts.make_link(state.conn, account_id, purpose)
    base = state.settings.base_url
    if purpose == "confirm":
        subject, path = "Confirm your BeanFlows sign-up", f"/confirm/{raw}"
        text = "Confirm your address to join BeanFlows (link valid for 48 hours):"
    else:
        subject, path = "Your BeanFlows sign-in link", f"/auth/{raw}"
        text = "Sign in to BeanFlows (link valid for 15 minutes, usable once):"
    body = f"{text}\n\n{base}{path}\n\nIf you did not ask for this, ignore this message.\n"
    await mail.send(state.settings.smtp_url, state.settings.mail_from, email, subject, body)
