"""The service's routes (Starlette): sign-up, login, account, keys, account.checkout, webhooks.

Every page goes through `page()`: the session is loaded (and rotated when due), the response
gets the cookies and security headers. Every state-changing form carries `csrf_token`; the
two forms the static site posts (sign-up, feedback) may instead come with the site's Origin.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from beanflows.auth import account, accounts, admin, keys, paddle, subscriber
from beanflows.auth.db import open_db
from beanflows.auth.settings import Settings
from beanflows.auth.web import (
    SESSION_COOKIE,
    SITE_CSS,
    Form,
    State,
    client_ip,
    keys_changed,
    message,
    page,
    render,
    see_other,
    send_link,
    set_cookie,
    svc,
    template_page,
    too_often,
    with_form,
)

log = logging.getLogger("beanflows.auth")


signup_form = template_page("signup.html")


@page
@with_form(public=True)
async def signup(request: Request, form: Form) -> Response:
    state = svc(request)
    done = message(
        request, "Check your inbox", "We sent a message to confirm your address (if needed)."
    )
    if form.get("website"):  # the honeypot: people never see this field
        return done
    email = accounts.normalise_email(form.get("email", ""))
    if email is None:
        return render(request, "signup.html", status=400, error="That is not an e-mail address.")
    if too_often(request, "signup", email, per_ip=5, per_address=3, window_seconds=3600):
        return message(request, "Slow down", "Too many sign-ups; try again later.", 429)
    row, _ = accounts.sign_up(state.conn, email)
    if row["status"] == "unconfirmed":
        await send_link(state, row["id"], row["email"], "confirm")
    elif row["status"] == "active":
        await send_link(state, row["id"], row["email"], "login")
    return done


@page
async def confirm(request: Request) -> Response:
    state = svc(request)
    account_id = accounts.use_link(state.conn, request.path_params["token"], "confirm")
    if account_id is None:
        return message(request, "Link not valid", "This link was used or has expired.", 400)
    row = accounts.account(state.conn, account_id)
    admin = row is not None and row["email"].lower() in state.settings.admin_emails
    status = accounts.confirm(state.conn, account_id, state.settings.open_signup or admin)
    if status == "active":
        await send_link(state, account_id, row["email"], "login")
        return message(request, "Address confirmed", "A sign-in link is on its way.")
    return message(request, "You are on the waitlist", "We will e-mail you when you are in.")


login_form = template_page("login.html")


@page
@with_form()
async def login(request: Request, form: Form) -> Response:
    state = svc(request)
    email = accounts.normalise_email(form.get("email", ""))
    if email is None:
        return render(request, "login.html", status=400, error="That is not an e-mail address.")
    if too_often(request, "login", email, per_ip=20, per_address=5, window_seconds=900):
        return message(request, "Slow down", "Too many sign-in requests; wait a few minutes.", 429)
    row = accounts.account_by_email(state.conn, email)
    if row is not None and row["status"] == "active":
        await send_link(state, row["id"], row["email"], "login")
    return message(
        request, "Check your inbox", "If that address has an account, a sign-in link is on its way."
    )


@page
async def magic(request: Request) -> Response:
    state = svc(request)
    account_id = accounts.use_link(state.conn, request.path_params["token"], "login")
    row = accounts.account(state.conn, account_id) if account_id else None
    if row is None or row["status"] != "active":
        return message(request, "Link not valid", "This link was used or has expired.", 400)
    accounts.end_session(state.conn, request.cookies.get(SESSION_COOKIE))
    response = see_other("/account")
    set_cookie(
        response,
        SESSION_COOKIE,
        accounts.create_session(state.conn, account_id),
        accounts.SESSION_TTL_SECONDS,
    )
    return response


@page
@with_form()
async def logout(request: Request, form: Form) -> Response:
    accounts.end_session(svc(request).conn, request.cookies.get(SESSION_COOKIE))
    response = see_other("/login")
    response.delete_cookie(SESSION_COOKIE, path="/", secure=True, httponly=True, samesite="lax")
    return response


pricing = template_page("pricing.html")


@page
@with_form(public=True)
async def feedback(request: Request, form: Form) -> Response:
    state = svc(request)
    text = form.get("message", "").strip()
    if form.get("website"):
        return message(request, "Thank you", "Your message was received.")
    if not text or len(text) > 5000:
        return message(request, "Empty message", "Write up to 5000 characters.", 400)
    if not state.limiter.allow(f"feedback-ip:{client_ip(request)}", 10, 3600):
        return message(request, "Slow down", "Too many messages; try again later.", 429)
    me = request.state.session
    email = accounts.normalise_email(form.get("email", "")) or (me["email"] if me else "")
    with state.conn as conn:
        conn.execute(
            "INSERT INTO feedback (account_id, email, page, message, created_at) "
            "VALUES (?, ?, ?, ?, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))",
            (me["account_id"] if me else None, email, form.get("page", "")[:300], text),
        )
    return message(request, "Thank you", "Your message was received.")


async def webhook(request: Request) -> Response:
    state = svc(request)
    size = request.headers.get("content-length", "")
    if size.isdigit() and int(size) > paddle.MAX_BODY_BYTES:
        return JSONResponse({"error": "body too large"}, status_code=413)
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > paddle.MAX_BODY_BYTES:
            return JSONResponse({"error": "body too large"}, status_code=413)
    if not paddle.verify(state.settings, request.headers, body):
        return JSONResponse({"error": "bad signature"}, status_code=401)
    try:
        event = paddle.parse_event(body)
        outcome, touched = await paddle.handle(state.conn, state.settings, event)
    except paddle.BadEvent as err:
        return JSONResponse({"error": str(err)}, status_code=400)
    if touched:
        keys_changed(state)
    return JSONResponse({"ok": True, "outcome": outcome})


async def healthz(request: Request) -> Response:
    state = svc(request)
    state.conn.execute("SELECT 1").fetchone()
    published = state.publisher.published if state.publisher else None
    return JSONResponse({"ok": True, "key_list_uploads": published})


async def site_css(request: Request) -> Response:
    return FileResponse(SITE_CSS, headers={"Cache-Control": "public, max-age=3600"})


@page
async def home(request: Request) -> Response:
    return see_other("/account" if request.state.session else "/login")


def create_app(settings: Settings, publisher_client=None) -> Starlette:
    """The ASGI app; `publisher_client` is the boto3 client for the key list (None: off)."""
    logging.getLogger("paddle_billing").setLevel(logging.WARNING)  # not 5 lines per webhook
    conn = open_db(settings.db_path)
    state = State(settings=settings, conn=conn)
    if publisher_client is not None and settings.keys_bucket:
        state.publisher = keys.KeyPublisher(
            conn, publisher_client, settings.keys_bucket, settings.keys_prefix
        )

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):
        task = asyncio.create_task(state.publisher.run()) if state.publisher else None
        yield
        if task:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    routes = [
        Route("/", home),
        Route("/healthz", healthz),
        Route("/static/site.css", site_css),
        Route("/signup", signup_form, methods=["GET"]),
        Route("/signup", signup, methods=["POST"]),
        Route("/confirm/{token}", confirm),
        Route("/login", login_form, methods=["GET"]),
        Route("/login", login, methods=["POST"]),
        Route("/auth/{token}", magic),
        Route("/logout", logout, methods=["POST"]),
        Route("/account", account.account_view),
        Route("/account/keys", account.key_create, methods=["POST"]),
        Route("/account/keys/{key_id:int}/revoke", account.key_revoke, methods=["POST"]),
        Route("/account/settings", account.settings_save, methods=["POST"]),
        Route("/account/delete", account.account_delete, methods=["POST"]),
        Route("/account/billing", account.billing, methods=["POST"]),
        Route("/account/download/{path:path}", account.download),
        Route("/pricing", pricing),
        Route("/checkout", account.checkout, methods=["POST"]),
        Route("/feedback", feedback, methods=["POST"]),
        Route("/webhooks/paddle", webhook, methods=["POST"]),
        *admin.ROUTES,
        *subscriber.ROUTES,
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.svc = state
    return app
