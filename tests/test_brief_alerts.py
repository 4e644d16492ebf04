"""Subscriber alerts: set on the account page (real service, real SQLite), checked against a
published dist night after night, mailed once per event through real SMTP (aiosmtpd)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from beanflows.brief import settings as brief_settings
from beanflows.brief import subscriber_alerts
from tests.auth_service import Client, admitted_account, run_service, settings_env
from tests.auth_service import smtp_server as service_smtp
from tests.brief_data import write_dist
from tests.brief_mail import add_accounts, env, smtp_server


def _night(tmp: Path, db: Path, e: dict, n: int, **data) -> tuple[int, int]:
    """Publish night n's data, run the alert pass; (new events, messages sent)."""
    dist = write_dist(tmp / f"dist{n}", **data)
    new, out = subscriber_alerts.run(brief_settings.load(e), dist)
    assert out is not None and not out.failed
    return new, out.sent


def _rule(db: Path, email: str, kind: str, price=None, region: str = "") -> None:
    conn = sqlite3.connect(db)
    with conn:
        conn.execute(
            "INSERT INTO alert_rules (account_id, kind, price_us_cents_per_lb, region, created_at) "
            "SELECT id, ?, ?, ?, '2026-11-01T00:00:00Z' FROM accounts WHERE email = ?",
            (kind, price, region, email),
        )
    conn.close()


def test_alerts_fire_once_per_crossing(tmp_path: Path) -> None:
    db = tmp_path / "auth.sqlite3"
    add_accounts(db, [("trader@example.test", True, False, True),
                      ("quiet@example.test", True, False, False)])  # fmt: skip
    for who in ("trader@example.test", "quiet@example.test"):
        _rule(db, who, "price_above", 400.0)
    _rule(db, "trader@example.test", "price_below", 250.0)
    _rule(db, "trader@example.test", "cot_extreme")
    _rule(db, "trader@example.test", "frost", region="huila")
    _rule(db, "trader@example.test", "usda_release")
    with smtp_server(tmp_path) as (url, box, ca):
        e = env(db, url, ca)
        # night 1: first evaluation; what already holds (extreme COT, release) is baseline
        assert _night(tmp_path, db, e, 1, releases=("2026-06",)) == (0, 0)
        # night 2: Coffee C crosses above 400, a new USDA release, a frost alert in Huila
        new, sent = _night(tmp_path, db, e, 2, kc_last_close=412.5, releases=("2026-06", "2026-12"),
                           frost=[("huila", "2026-12-04")])  # fmt: skip
        assert (new, sent) == (4, 3)  # the quiet subscriber's event is listed, not mailed
        subjects = sorted(m["Subject"] for m in box.messages)
        assert subjects == [
            "BeanFlows alert: Coffee C above 400.00 US cents/lb",
            "BeanFlows alert: Frost risk in huila",
            "BeanFlows alert: New USDA coffee release 2026-12",
        ]
        m = box.messages[0]
        assert m["To"] == "trader@example.test"
        assert m["List-Unsubscribe"].startswith(
            "<https://account.beanflows.test/unsubscribe/alerts/"
        )
        assert m["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        above = next(m for m in box.messages if "above" in m["Subject"])
        assert "closed at 412.50 US cents/lb on 2026-12-04" in above.get_content()
        # night 3: same data, a day later: nothing again
        assert _night(tmp_path, db, e, 3, kc_last_close=412.5, releases=("2026-06", "2026-12"),
                      frost=[("huila", "2026-12-04")]) == (0, 0)  # fmt: skip
        # night 4: back below, night 5: above again -> a new crossing, one more message
        later = {"releases": ("2026-06", "2026-12"), "frost": [("huila", "2026-12-04")],
                 "cot_last_index": 50.0}  # fmt: skip
        assert _night(tmp_path, db, e, 4, last_day="2026-12-07", kc_last_close=390.0,
                      **later) == (0, 0)  # fmt: skip
        new, sent = _night(tmp_path, db, e, 5, last_day="2026-12-08", kc_last_close=401.0,
                           **later)  # fmt: skip
        assert (new, sent) == (2, 1)
        assert len(box.messages) == 4
        assert box.messages[-1]["Subject"] == "BeanFlows alert: Coffee C above 400.00 US cents/lb"
    conn = sqlite3.connect(db)
    statuses = dict(
        conn.execute("SELECT status, COUNT(*) FROM alert_events GROUP BY status").fetchall()
    )
    assert statuses == {"baseline": 2, "sent": 4, "skipped": 2}


def test_account_page_sets_and_lists_alerts(tmp_path: Path) -> None:
    with service_smtp() as (url, box):
        service_env = settings_env(tmp_path, url, "http://127.0.0.1:9")
        with run_service(service_env) as svc:
            client = Client(svc.url)
            admitted_account(client, box, "alice@example.test", svc)
            page = client.get("/account")
            assert "Alert me when" in page.text and "weekly Coffee Data Brief" in page.text
            r = client.post_form("/account/alerts", {"kind": "price_above",
                                 "price_us_cents_per_lb": "300"}, "/account")  # fmt: skip
            assert r.status_code == 303
            bad = client.post_form("/account/alerts", {"kind": "frost", "region": "mars"},
                                   "/account")  # fmt: skip
            assert bad.status_code == 400 and "region" in bad.text
            client.post_form("/account/alerts", {"kind": "frost", "region": "south_minas"},
                             "/account")  # fmt: skip
            page = client.get("/account").text
            assert "Coffee C closes above a price: 300.00 US cents/lb" in page
            assert "Frost alert in a region: South Minas Gerais" in page
            db = Path(service_env["BEANFLOWS_AUTH_DB"])
            # the nightly pass records what holds already; the page lists it
            dist = write_dist(tmp_path / "dist")
            e = env(db, url, None)
            new, out = subscriber_alerts.run(brief_settings.load(e), dist)
            assert new == 0 and out.sent == 0
            page = client.get("/account").text
            assert "held already when added" in page
            rule_id = svc.state.conn.execute("SELECT MIN(id) FROM alert_rules").fetchone()[0]
            client.post_form(f"/account/alerts/{rule_id}/delete", {}, "/account")
            assert "300.00 US cents/lb" not in client.get("/account").text


def test_a_v1_database_upgrades_in_place(tmp_path: Path) -> None:
    """An accounts database made before the brief gains its tables, keeping every row."""
    from beanflows.auth import db

    path = tmp_path / "old.sqlite3"
    conn = db.connect(path)
    conn.execute(
        "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
        "applied_at TEXT NOT NULL)"
    )
    conn.execute("BEGIN")
    for statement in db._statements(db.migrations()[0][2]):  # noqa: SLF001 - v1 exactly
        conn.execute(statement)
    conn.execute("INSERT INTO schema_migrations VALUES (1, '0001_init.sql', 'x')")
    conn.execute(
        "INSERT INTO accounts (ref, email, status, created_at, newsletter) "
        "VALUES ('acct_old', 'old@example.test', 'active', 'x', 1)"
    )
    conn.execute("COMMIT")
    conn.close()
    conn = db.open_db(path)
    assert tuple(conn.execute("SELECT email, newsletter FROM accounts").fetchone()) == (
        "old@example.test",
        1,
    )
    assert conn.execute("SELECT COUNT(*) FROM mail_sends").fetchone()[0] == 0


def test_alerts_send_command(tmp_path: Path) -> None:
    """`beanflows alerts send`: one line, exit 0; a second run mails nothing."""
    from tests.conftest import run_cli

    db = tmp_path / "auth.sqlite3"
    add_accounts(db, [("cli@example.test", True, False, True)])
    _rule(db, "cli@example.test", "price_above", 400.0)
    with smtp_server(tmp_path, tls=False) as (url, box, ca):
        e = env(db, url, ca)
        write_dist(tmp_path / "dist")
        res = run_cli("alerts", "send", "--out", str(tmp_path / "dist"), cwd=tmp_path, env=e)
        assert res.returncode == 0 and "0 new event(s)" in res.stdout, res.stderr
        write_dist(tmp_path / "dist", kc_last_close=420.0)
        res = run_cli("alerts", "send", "--out", str(tmp_path / "dist"), cwd=tmp_path, env=e)
        assert res.returncode == 0 and "1 new event(s); mailed: 1 sent" in res.stdout
        res = run_cli("alerts", "send", "--out", str(tmp_path / "dist"), cwd=tmp_path, env=e)
        assert "0 new event(s); mailed: 0 sent" in res.stdout
        assert len(box.messages) == 1
