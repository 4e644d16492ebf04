"""The subscriber's side of the brief and alerts: alert rules on the account page, and the
signed one-click unsubscribe endpoint (RFC 8058) that works without signing in."""

from __future__ import annotations

import sqlite3

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from beanflows.auth.db import now_iso
from beanflows.auth.web import Form, message, page, render, see_other, signed_in, svc, with_form
from beanflows.brief import subscriber_alerts, unsubscribe

MAX_RULES_PER_ACCOUNT = 20
LIST_NAMES = {"brief": "the weekly Coffee Data Brief", "alerts": "all BeanFlows alerts"}


def context(conn: sqlite3.Connection, account_id: int) -> dict:
    """What the account page shows about alerts: the rules, what fired, the choices."""
    rules = conn.execute(
        "SELECT * FROM alert_rules WHERE account_id = ? ORDER BY id", (account_id,)
    ).fetchall()
    events = conn.execute(
        "SELECT e.*, r.kind FROM alert_events e JOIN alert_rules r ON r.id = e.rule_id "
        "WHERE e.account_id = ? ORDER BY e.id DESC LIMIT 20",
        (account_id,),
    ).fetchall()
    return {"alert_rules": rules, "alert_events": events, "alert_kinds": subscriber_alerts.KINDS,
            "alert_regions": subscriber_alerts.regions()}  # fmt: skip


def _account_page(request: Request, status: int, error: str) -> Response:
    from beanflows.auth.account import account_page

    return account_page(request, status, error=error)


@signed_in
@with_form()
async def rule_add(request: Request, form: Form) -> Response:
    conn = svc(request).conn
    me = request.state.session["account_id"]
    kind = form.get("kind", "")
    price, region = None, ""
    if kind not in subscriber_alerts.KINDS:
        return _account_page(request, 400, "Choose what to be alerted about.")
    if kind in ("price_above", "price_below"):
        try:
            price = round(float(form.get("price_us_cents_per_lb", "")), 2)
        except ValueError:
            price = None
        if price is None or not 1 <= price <= 10_000:
            return _account_page(request, 400, "Give a price in US cents/lb (1 to 10,000).")
    if kind == "frost":
        region = form.get("region", "")
        if region not in subscriber_alerts.regions():
            return _account_page(request, 400, "Choose a region for the frost alert.")
    count = conn.execute("SELECT COUNT(*) FROM alert_rules WHERE account_id = ?", (me,))
    if count.fetchone()[0] >= MAX_RULES_PER_ACCOUNT:
        return _account_page(request, 400, f"At most {MAX_RULES_PER_ACCOUNT} alerts.")
    same = conn.execute(
        "SELECT 1 FROM alert_rules WHERE account_id = ? AND kind = ? AND region = ? "
        "AND price_us_cents_per_lb IS ?",
        (me, kind, region, price),
    ).fetchone()
    with conn:
        if not same:
            conn.execute(
                "INSERT INTO alert_rules (account_id, kind, price_us_cents_per_lb, region, "
                "created_at) VALUES (?, ?, ?, ?, ?)",
                (me, kind, price, region, now_iso()),
            )
        conn.execute("UPDATE accounts SET alerts_enabled = 1 WHERE id = ?", (me,))
    return see_other("/account#alerts")


@signed_in
@with_form()
async def rule_delete(request: Request, form: Form) -> Response:
    conn = svc(request).conn
    with conn:
        conn.execute(
            "DELETE FROM alert_rules WHERE id = ? AND account_id = ?",
            (request.path_params["rule_id"], request.state.session["account_id"]),
        )
    return see_other("/account#alerts")


@page
async def unsubscribe_view(request: Request) -> Response:
    """GET shows a button (link scanners must not unsubscribe anyone); POST unsubscribes,
    both from the button and from the mail client's one-click (List-Unsubscribe-Post)."""
    p = request.path_params
    state = svc(request)
    if not unsubscribe.valid(state.settings.token_secret, p["list"], p["ref"], p["mac"]):
        return message(request, "Link not valid", "This unsubscribe link is not valid.", 400)
    what = LIST_NAMES[p["list"]]
    if request.method == "GET":
        return render(request, "unsubscribe.html", what=what, action=request.url.path)
    email = unsubscribe.apply(state.conn, p["list"], p["ref"])
    if email is None:  # the account was deleted: nothing is sent to it any more either
        return message(request, "Unsubscribed", f"You get no more of {what}.")
    return message(request, "Unsubscribed", f"{email} gets no more of {what}.")


ROUTES = [
    Route("/account/alerts", rule_add, methods=["POST"]),
    Route("/account/alerts/{rule_id:int}/delete", rule_delete, methods=["POST"]),
    Route("/unsubscribe/{list}/{ref}/{mac}", unsubscribe_view, methods=["GET", "POST"]),
]
