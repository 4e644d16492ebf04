"""The account page and what it changes: API keys, settings, checkout, billing, deletion."""

from __future__ import annotations

import logging
import time

from starlette.requests import Request
from starlette.responses import Response

from beanflows import tokens
from beanflows.auth import accounts, keys, paddle, subscriber
from beanflows.auth.web import (
    SESSION_COOKIE,
    Form,
    keys_changed,
    message,
    render,
    see_other,
    signed_in,
    svc,
    with_form,
)

log = logging.getLogger("beanflows.auth")


def account_page(request: Request, status: int = 200, **extra) -> Response:
    state = svc(request)
    me = request.state.session
    plan, renews, _ = accounts.plan_of(state.conn, me["account_id"])
    return render(
        request,
        "account.html",
        status=status,
        account=accounts.account(state.conn, me["account_id"]),
        plan=plan,
        renews_at=renews,
        keys=keys.list_keys(state.conn, me["account_id"]),
        **subscriber.context(state.conn, me["account_id"]),
        **extra,
    )


@signed_in
async def account_view(request: Request) -> Response:
    waiting = svc(request).new_keys.pop(request.state.session["csrf"], None)
    if waiting and waiting[1] > time.monotonic():
        return account_page(request, new_key=waiting[0])
    return account_page(request)


@signed_in
@with_form()
async def key_create(request: Request, form: Form) -> Response:
    state = svc(request)
    raw = keys.create_key(state.conn, request.state.session["account_id"], form.get("name", ""))
    if raw is None:
        return account_page(request, 400, error=f"At most {keys.MAX_KEYS_PER_ACCOUNT} keys.")
    keys_changed(state)
    # Post/Redirect/Get: reloading the page must not create a second key
    now = time.monotonic()
    state.new_keys = {k: v for k, v in state.new_keys.items() if v[1] > now}
    state.new_keys[request.state.session["csrf"]] = (raw, now + 300)
    return see_other("/account")


@signed_in
@with_form()
async def key_revoke(request: Request, form: Form) -> Response:
    state = svc(request)
    key_id = request.path_params["key_id"]
    if not keys.revoke_key(state.conn, request.state.session["account_id"], key_id):
        return account_page(request, 404, error="No such key.")
    keys_changed(state)
    return see_other("/account")


@signed_in
@with_form()
async def settings_save(request: Request, form: Form) -> Response:
    datasets = ",".join(sorted({d for d in form.get("alerts_datasets", "").replace(" ", ",")
                                .split(",") if d.isidentifier()})[:50])  # fmt: skip
    with svc(request).conn as conn:
        conn.execute(
            "UPDATE accounts SET newsletter = ?, alerts_enabled = ?, alerts_datasets = ? "
            "WHERE id = ?",
            (
                form.get("newsletter") == "1",
                form.get("alerts_enabled") == "1",
                datasets,
                request.state.session["account_id"],
            ),
        )
    return see_other("/account")


@signed_in
@with_form()
async def account_delete(request: Request, form: Form) -> Response:
    me = request.state.session
    if form.get("confirm_email", "").strip().lower() != me["email"].lower():
        return account_page(request, 400, error="Type your e-mail address to delete the account.")
    state = svc(request)
    accounts.delete_account(state.conn, me["account_id"])
    keys_changed(state)
    response = message(request, "Account deleted", "Your keys are revoked and your data removed.")
    response.delete_cookie(SESSION_COOKIE, path="/", secure=True, httponly=True, samesite="lax")
    return response


@signed_in
@with_form()
async def checkout(request: Request, form: Form) -> Response:
    state = svc(request)
    prices = {"starter": state.settings.price_starter, "pro": state.settings.price_pro}
    chosen = prices.get(form.get("plan", ""))
    if not chosen:
        return message(request, "Unknown plan", "Choose starter or pro.", 400)
    row = accounts.account(state.conn, request.state.session["account_id"])
    try:
        url = await paddle.create_checkout(state.settings, sorted(chosen)[0], row["ref"])
    except Exception as err:  # Paddle down or misconfigured: say so in one line
        log.error("checkout not created: %s", err)
        return message(request, "Checkout unavailable", "Please try again in a minute.", 502)
    return see_other(url)


@signed_in
@with_form()
async def billing(request: Request, form: Form) -> Response:
    state = svc(request)
    row = accounts.account(state.conn, request.state.session["account_id"])
    url = row["paddle_customer_id"] and await paddle.portal_url(
        state.settings, row["paddle_customer_id"]
    )
    if not url:
        return message(request, "No billing yet", "Subscribe first from the pricing page.", 404)
    return see_other(url)


@signed_in
async def download(request: Request) -> Response:
    """A 10-minute signed link to one gated file for the browser (docs/tokens.md)."""
    state = svc(request)
    path = "/" + request.path_params["path"]
    plan, _, _ = accounts.plan_of(state.conn, request.state.session["account_id"])
    if plan not in tokens.PAID_PLANS or not path.startswith("/" + tokens.GATED_PREFIX):
        return message(request, "Not on your plan", "Pro files need a paid plan.", 403)
    sub = f"acct_{request.state.session['account_id']}"
    signed = tokens.sign_url(state.settings.token_secret, path, sub, plan, ttl=600)
    return see_other(state.settings.site_url + signed)
