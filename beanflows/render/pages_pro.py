"""The Pro page (/pro/): what the Pro files hold and how to subscribe or sign in.

It is an ordinary page of the site and also the Worker's answer to a browser that opens a
gated file without access (workers/src/refusal.js serves it with status 401 or 403, and fills
in the file asked for). Read only from the catalog, like Downloads.
"""

from __future__ import annotations

from typing import Any

from markupsafe import Markup, escape

from beanflows.render import layout as L
from beanflows.render.data import Data, fmt


def _rows(files: dict[str, Any] | None) -> int | None:
    return ((files or {}).get("parquet") or {}).get("rows")


def holdings(data: Data) -> tuple[dict[str, Any], int, int]:
    """(table of every dataset's free and Pro rows, datasets with Pro files, Pro-only count)."""
    rows, n_pro, n_only = [], 0, 0
    for name, meta in sorted(data.catalog.get("datasets", {}).items()):
        files = meta.get("files") or {}
        pro, free = files.get("pro"), files.get("free")
        if not pro:
            continue
        n_pro += 1
        n_only += not free
        link = Markup(f'<a href="/downloads/#h-{L.slugify(name)}">{escape(name)}</a>')
        window = meta.get("free_window") or "none: Pro only"
        rows.append([link, fmt(_rows(free)), fmt(_rows(pro)), window])
    columns = [("Dataset", False), ("Rows free", True), ("Rows Pro", True), ("Free file", False)]
    return L.table(columns, rows, "What the Pro files hold"), n_pro, n_only


def _how(account: str) -> str:
    """Subscribe, sign in, download: links to the accounts service when it is configured."""
    if account:
        signup = f'<a href="{escape(account)}/signup">sign up</a>'
        login = f'<a href="{escape(account)}/login">sign in</a>'
        download = (
            f'<p class="pro-file" hidden>This file through your account: <a data-pro-file="'
            f'{escape(account)}/account/download/" href="{escape(account)}/account">'
            "<code>the file</code></a>.</p>"
        )
    else:
        signup, login = "sign up", "sign in"
        download = ""
    return (
        "<ol>"
        f"<li><strong>Subscribe</strong>: {signup} with your e-mail address, confirm it, then "
        "choose the Starter or Pro plan on your account page.</li>"
        f"<li><strong>In the browser</strong>: {login}; your account page links every Pro "
        "file (each link is signed for you and valid 10 minutes).</li>"
        "<li><strong>In scripts</strong>: create an API key on your account page and send it "
        "as <code>Authorization: Bearer bf_live_…</code>, or use the Python client "
        "(<code>beanflows.Client(token=…)</code>); 1,000 requests an hour per key.</li>"
        "</ol>"
        f"{download}"
        '<p class="note">A refused download answers 401 (no key or token sent) or 403 (the '
        "key or token is not valid for Pro files, or the plan has ended).</p>"
    )


def pro(data: Data) -> dict[str, Any]:
    table, n_pro, n_only = holdings(data)
    account = L.account_url()
    blocks = [
        L.html_block("how", "Subscribe or sign in", _how(account), full=True),
        L.table_block("holds", "What Pro holds", table, full=True)
        if n_pro
        else L.empty_block("holds", "What Pro holds", "No Pro files published yet.", full=True),
    ]
    return L.page(
        "pro",
        "downloads",
        "BeanFlows Pro",
        "What BeanFlows Pro holds (full history of every dataset) and how to subscribe or sign in.",
        takeaway=f"Pro holds the full history of {n_pro} datasets as Parquet and CSV, "
        f"{n_only} of them only in Pro; the public pages and free files show the most recent "
        "5 years.",
        as_of=str(data.catalog.get("built_at") or "")[:10],
        tier_note="Pro files (data/pro/…) need a subscription: a key, a token or a signed link.",
        blocks=blocks,
    )
