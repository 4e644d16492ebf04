"""Admin pages (e-mails in BEANFLOWS_ADMIN_EMAILS): users, waitlist, feedback, webhook log,
plan overrides for comp accounts, and the rebuild button (a request in the nightly's queue)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from beanflows.auth import accounts
from beanflows.auth.web import (
    Form,
    Handler,
    keys_changed,
    message,
    render,
    see_other,
    send_link,
    signed_in,
    svc,
    with_form,
)

PAGE_ROWS = 200


def _sources() -> list[str]:
    from ingest.run import source_names

    return list(source_names())


def admin_only(handler: Handler) -> Handler:
    async def wrapped(request: Request) -> Response:
        email = request.state.session["email"].lower()
        if email not in svc(request).settings.admin_emails:
            return message(request, "Forbidden", "This page is for administrators.", 403)
        return await handler(request)

    return signed_in(wrapped)


@admin_only
async def users(request: Request) -> Response:
    conn = svc(request).conn
    q = request.query_params.get("q", "")[:100]
    rows = conn.execute(
        "SELECT * FROM accounts WHERE email LIKE ? ESCAPE '\\' ORDER BY id DESC LIMIT ?",
        ("%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%", PAGE_ROWS),
    ).fetchall()
    people = [dict(r) | {"plan": accounts.plan_of(conn, r["id"])[0]} for r in rows]
    return render(request, "admin_users.html", q=q, people=people, sources=_sources())


@admin_only
@with_form()
async def admit(request: Request, form: Form) -> Response:
    state = svc(request)
    account_id = request.path_params["account_id"]
    if not accounts.admit(state.conn, account_id):
        return message(request, "Not on the waitlist", "Nothing changed.", 409)
    row = accounts.account(state.conn, account_id)
    await send_link(state, account_id, row["email"], "login")
    keys_changed(state)
    return see_other("/admin")


@admin_only
@with_form()
async def plan_override(request: Request, form: Form) -> Response:
    plan = form.get("plan", "")
    if plan not in ("", "free", "starter", "pro"):
        return message(request, "Unknown plan", "Choose none, free, starter or pro.", 400)
    state = svc(request)
    cur = state.conn.execute(
        "UPDATE accounts SET plan_override = ? WHERE id = ?",
        (plan or None, request.path_params["account_id"]),
    )
    if cur.rowcount != 1:
        return message(request, "No such account", "Nothing changed.", 404)
    keys_changed(state)
    return see_other("/admin")


@admin_only
async def feedback(request: Request) -> Response:
    rows = (
        svc(request)
        .conn.execute("SELECT * FROM feedback ORDER BY id DESC LIMIT ?", (PAGE_ROWS,))
        .fetchall()
    )
    return render(request, "admin_feedback.html", rows=rows)


@admin_only
async def events(request: Request) -> Response:
    rows = (
        svc(request)
        .conn.execute(
            "SELECT * FROM webhook_events ORDER BY received_at DESC, rowid DESC LIMIT ?",
            (PAGE_ROWS,),
        )
        .fetchall()
    )
    return render(request, "admin_events.html", rows=rows)


@admin_only
@with_form()
async def rebuild(request: Request, form: Form) -> Response:
    from beanflows import rebuilds  # the nightly's request queue (ops: run-requests)

    source = form.get("source", "").strip()
    if source not in _sources():
        return message(request, "Unknown source", "Choose one of the listed sources.", 400)
    start, end = form.get("restate_from", "").strip(), form.get("restate_to", "").strip()
    if bool(start) != bool(end):
        return message(request, "Bad restatement", "Give both dates or neither.", 400)
    try:
        restate = rebuilds.parse_range([start, end] if start else None)
    except ValueError as err:
        return message(request, "Bad restatement", str(err), 400)
    var_dir = svc(request).settings.var_dir
    rid, new = rebuilds.submit(var_dir, source, restate, request.state.session["email"])
    said = "queued" if new else "was already queued"
    return message(request, "Rebuild requested", f"Request {rid} {said}; the nightly runs it.")


ROUTES = [
    Route("/admin", users),
    Route("/admin/accounts/{account_id:int}/admit", admit, methods=["POST"]),
    Route("/admin/accounts/{account_id:int}/plan", plan_override, methods=["POST"]),
    Route("/admin/feedback", feedback),
    Route("/admin/events", events),
    Route("/admin/rebuild", rebuild, methods=["POST"]),
]
