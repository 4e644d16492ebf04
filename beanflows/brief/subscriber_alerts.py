"""Subscriber alerts (not the operator's alerting in beanflows/alerts.py): after each nightly
build, every rule a subscriber set is checked against OUT's published datasets, and each
event that fired is mailed once.

An event has a key that stays the same while the condition holds (e.g. the day Coffee C
crossed above the threshold), so the next night finds the same key and sends nothing; a new
crossing makes a new key. At a rule's first evaluation whatever already holds is recorded as
'baseline' (listed on the account page, not mailed): an alert tells what changed.
"""

from __future__ import annotations

import sqlite3
import tomllib
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from beanflows.auth.db import now_iso
from beanflows.brief import message, select, send, unsubscribe
from beanflows.brief.settings import Settings

KINDS = {
    "price_above": "Coffee C closes above a price",
    "price_below": "Coffee C closes below a price",
    "cot_extreme": "COT index 52 w at an extreme (managed money, Coffee C)",
    "frost": "Frost alert in a region",
    "usda_release": "A new USDA coffee release",
}
REGIONS_TOML = Path(__file__).resolve().parents[2] / "ingest" / "open_meteo" / "source.toml"


def regions() -> dict[str, str]:
    """Region key -> name, as configured for the weather source."""
    with REGIONS_TOML.open("rb") as fh:
        return {k: v.get("name", k) for k, v in tomllib.load(fh).get("regions", {}).items()}


def _one(con, sql: str, params: list[Any]) -> tuple | None:
    return con.execute(sql, params).fetchone()


def _price(con, rule: sqlite3.Row) -> list[dict[str, Any]]:
    if not select.has(con, "prices_daily"):
        return []
    x = rule["price_us_cents_per_lb"]
    op = ">" if rule["kind"] == "price_above" else "<"
    row = _one(
        con,
        f"""WITH s AS (SELECT date, close FROM prices_daily
                       WHERE symbol = 'KC=F' AND close IS NOT NULL),
                last AS (SELECT date, close FROM s ORDER BY date DESC LIMIT 1),
                before AS (SELECT MAX(date) AS d FROM s WHERE NOT (close {op} ?))
            SELECT last.date, last.close,
                   (SELECT MIN(date) FROM s, before WHERE before.d IS NULL OR s.date > before.d)
            FROM last WHERE last.close {op} ?""",
        [x, x],
    )
    if not row:
        return []
    day, close, since = row
    word = "above" if op == ">" else "below"
    return [{"key": f"{word}:{since}", "date": str(day),
             "title": f"Coffee C {word} {x:,.2f} US cents/lb",
             "body": f"Coffee C (KC=F) closed at {close:,.2f} US cents/lb on {day}, {word} "
                     f"your {x:,.2f}; it crossed on {since}."}]  # fmt: skip


def _cot(con, rule: sqlite3.Row) -> list[dict[str, Any]]:
    if not select.has(con, "cot_positioning"):
        return []
    low, high = select.COT_EXTREME_POINTS, 100 - select.COT_EXTREME_POINTS
    idx = "COALESCE(cot_index_mm_52w, cot_index_noncomm_52w)"
    row = _one(
        con,
        f"""WITH s AS (SELECT report_date AS d, {idx} AS i FROM cot_positioning
                       WHERE market_code = ? AND report_type = 'futures_only'
                         AND {idx} IS NOT NULL),
                last AS (SELECT d, i,
                                CASE WHEN i >= ? THEN 'high' WHEN i <= ? THEN 'low' END AS side
                         FROM s ORDER BY d DESC LIMIT 1),
                before AS (SELECT MAX(s.d) AS d FROM s, last WHERE NOT (
                           (last.side = 'high' AND s.i >= ?) OR (last.side = 'low' AND s.i <= ?)))
            SELECT last.d, last.i, last.side,
                   (SELECT MIN(s.d) FROM s, before WHERE before.d IS NULL OR s.d > before.d)
            FROM last WHERE last.side IS NOT NULL""",
        [select.COFFEE_C_MARKET, high, low, high, low],
    )
    if not row:
        return []
    day, value, side, since = row
    label = "extreme long" if side == "high" else "extreme short"
    return [
        {
            "key": f"{side}:{since}",
            "date": str(day),
            "title": f"COT index 52 w at an {label} ({value:.0f})",
            "body": f"The COT index 52 w of the Coffee C speculative net is {value:.1f} in the "
            f"report of {day} ({label}: at or beyond {low}/{high}) since {since}.",
        }
    ]


def _frost(con, rule: sqlite3.Row) -> list[dict[str, Any]]:
    if not (select.has(con, "weather_alerts") and select.has(con, "weather_daily")):
        return []
    newest = _one(con, "SELECT MAX(date) FROM weather_daily", [])[0]
    if newest is None:
        return []
    rows = con.execute(
        """SELECT start_date, end_date, tmin_c, region_name, is_forecast FROM weather_alerts
           WHERE alert_type = 'frost_risk' AND region = ? AND end_date >= ?
           ORDER BY start_date""",
        [rule["region"], newest - timedelta(days=7)],
    ).fetchall()
    return [{"key": f"frost:{start}", "date": str(end),
             "title": f"Frost risk in {name}",
             "body": f"Frost risk in {name} from {start} to {end}: minimum {tmin:.1f} °C"
                     f"{' (forecast)' if fc else ''}."}
            for start, end, tmin, name, fc in rows]  # fmt: skip


def _release(con, rule: sqlite3.Row) -> list[dict[str, Any]]:
    if not select.has(con, "psd_coffee_vintages"):
        return []
    release = _one(con, "SELECT MAX(release) FROM psd_coffee_vintages", [])[0]
    if release is None:
        return []
    return [{"key": f"release:{release}", "date": f"{release}-01",
             "title": f"New USDA coffee release {release}",
             "body": f"USDA's {release} coffee estimates are in the data: "
                     "psd_coffee_vintages lists every revision."}]  # fmt: skip


CHECKS = {"price_above": _price, "price_below": _price, "cot_extreme": _cot, "frost": _frost,
          "usda_release": _release}  # fmt: skip


def evaluate(conn: sqlite3.Connection, out_dir: Path) -> int:
    """Record the events of every rule; returns how many new events are to be mailed."""
    con = select.connect(out_dir)
    new = 0
    try:
        rules = conn.execute("SELECT * FROM alert_rules ORDER BY id").fetchall()
        for rule in rules:
            events = CHECKS[rule["kind"]](con, rule)
            status = "pending" if rule["evaluated"] else "baseline"
            with conn:
                for e in events:
                    cur = conn.execute(
                        "INSERT OR IGNORE INTO alert_events (rule_id, account_id, event_key, "
                        "data_date, title, body, status, detected_at) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        (rule["id"], rule["account_id"], e["key"], e["date"], e["title"],
                         e["body"], status, now_iso()),
                    )  # fmt: skip
                    new += cur.rowcount if status == "pending" else 0
                conn.execute("UPDATE alert_rules SET evaluated = 1 WHERE id = ?", (rule["id"],))
    finally:
        con.close()
    return new


def _mail(settings: Settings, event: sqlite3.Row, email: str, msg_id: str) -> EmailMessage:
    link = unsubscribe.url(settings.base_url, settings.token_secret, "alerts", event["ref"])
    msg = EmailMessage()
    msg["Subject"] = f"BeanFlows alert: {event['title']}"
    msg["From"] = settings.mail_from
    msg["To"] = email
    msg["Message-ID"] = msg_id
    msg["Date"] = datetime.now(UTC)
    msg["List-Id"] = "BeanFlows subscriber alerts <alerts.beanflows>"
    msg["List-Unsubscribe"] = f"<{link}>"
    msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg.set_content(
        f"{event['body']}\n\nData: {settings.site_url}/\nYour alerts: "
        f"{settings.base_url}/account\n\n--\nYou set this alert in your BeanFlows account.\n"
        f"Stop all alerts (one click): {link}\n"
    )
    return msg


def send_pending(conn: sqlite3.Connection, settings: Settings) -> send.Outcome:
    """Mail every pending event once (subscribers with alerts off: marked skipped)."""
    total = send.Outcome()
    rows = conn.execute(
        """SELECT e.id, e.title, e.body, a.id AS account_id, a.email, a.ref, a.alerts_enabled,
                  a.confirmed_at FROM alert_events e JOIN accounts a ON a.id = e.account_id
           WHERE e.status = 'pending' ORDER BY e.id"""
    ).fetchall()
    domain = send.mail_domain(settings.mail_from)
    for ev in rows:
        off = not ev["alerts_enabled"] or not ev["confirmed_at"]
        if off or send.blocked(conn, ev["email"], settings.mail_max_permanent_failures):
            with conn:
                conn.execute("UPDATE alert_events SET status = 'skipped' WHERE id = ?", (ev["id"],))
            continue
        out = send.deliver(
            conn, settings, "alert", str(ev["id"]), [(ev["account_id"], ev["email"])],
            lambda _a, email, msg_id, ev=ev: _mail(settings, ev, email, msg_id),
            lambda email, ev=ev: message.message_id(f"alert-{ev['id']}", email, domain),
        )  # fmt: skip
        sent = conn.execute(
            "SELECT 1 FROM mail_sends WHERE kind = 'alert' AND ref = ? AND status = 'sent'",
            (str(ev["id"]),),
        ).fetchone()
        if sent:  # also when a crashed run sent it but did not get to mark the event
            with conn:
                conn.execute(
                    "UPDATE alert_events SET status = 'sent', sent_at = ? WHERE id = ?",
                    (now_iso(), ev["id"]),
                )
        total.sent += out.sent
        total.skipped += out.skipped
        total.failed += out.failed
    return total


def run(settings: Settings, out_dir: Path) -> tuple[int, send.Outcome | None]:
    """Evaluate every rule, then mail what fired (when mail is configured)."""
    from beanflows.auth.db import open_db

    conn = open_db(settings.db_path)
    try:
        new = evaluate(conn, out_dir)
        if not settings.can_send:
            return new, None
        return new, send_pending(conn, settings)
    finally:
        conn.close()
