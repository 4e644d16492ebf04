"""Alerting: one message per incident, a recovery when it clears, nothing on a quiet night.

Real receivers on 127.0.0.1 (an HTTP webhook endpoint, aiosmtpd); the catalog and the run
history are small files written here, exactly as a build writes them.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from beanflows import alerts, runs
from tests.alert_receivers import self_signed, smtp, webhook


def _catalog(out: Path, sources: dict[str, dict], datasets: dict[str, dict] | None = None) -> None:
    path = out / "data" / "catalog.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    full = {
        n: {"status": "ok", "error": None, "stale_since": None, **s} for n, s in sources.items()
    }
    path.write_text(json.dumps({"built_at": "2026-11-30T05:30:00Z", "demo": False,
                                "sources": full, "datasets": datasets or {}}))  # fmt: skip


def _run(var: Path, code: int, started: str = "2026-11-30T05:30:00Z") -> None:
    runs.record(var, {"kind": "build", "started_at": started, "exit_code": code, "sources": {}})


STALE = {"status": "stale", "error": "usda_psd: HTTP 503", "stale_since": "2026-11-30T05:30:00Z"}


def test_one_alert_per_incident_then_quiet_then_recovery(tmp_path: Path) -> None:
    var, out = tmp_path / "var", tmp_path / "dist"
    with webhook() as hook:
        cfg = {"webhook_url": hook.url}
        _catalog(out, {"usda_psd": {}, "fred": {}})
        _run(var, 0)
        assert alerts.notify(var, out, cfg, env={}) == {"webhook": "quiet"}
        assert hook.posts == []  # a good night says nothing

        _catalog(out, {"usda_psd": STALE, "fred": {}})
        _run(var, 1)
        assert alerts.notify(var, out, cfg, env={}) == {"webhook": "sent"}
        assert len(hook.posts) == 1
        text = hook.posts[0]["text"]
        assert hook.posts[0]["content"] == text  # Slack reads text, Discord content
        assert (
            "2 new problems" in text
            and "PROBLEM source usda_psd is stale: usda_psd: HTTP 503" in text
        )
        assert "PROBLEM the last build exited 1" in text

        for night in ("2026-12-01", "2026-12-02"):  # still broken: not one alert per night
            _run(var, 1, f"{night}T05:30:00Z")
            assert alerts.notify(var, out, cfg, env={}) == {"webhook": "quiet"}
        assert len(hook.posts) == 1

        _catalog(out, {"usda_psd": {}, "fred": {}})
        _run(var, 0, "2026-12-03T05:30:00Z")
        assert alerts.notify(var, out, cfg, env={}) == {"webhook": "sent"}
        recovery = hook.posts[1]["text"]
        assert "2 resolved" in recovery and "RESOLVED source usda_psd was stale" in recovery
        assert "since 2026-11-30T05:30:00Z" in recovery
        _run(var, 0, "2026-12-04T05:30:00Z")
        assert alerts.notify(var, out, cfg, env={}) == {"webhook": "quiet"}
        assert len(hook.posts) == 2


def test_failed_delivery_is_retried_next_run_and_never_raises(tmp_path: Path) -> None:
    var, out = tmp_path / "var", tmp_path / "dist"
    logged: list[str] = []
    with webhook() as hook:
        cfg = {"webhook_url": hook.url}
        _catalog(out, {"usda_psd": STALE})
        _run(var, 1)
        hook.status = 500
        outcome = alerts.notify(var, out, cfg, log=logged.append, env={})
        assert outcome["webhook"].startswith("failed: webhook to 127.0.0.1: HTTP 500")
        assert len(logged) == 1 and "retried after the next run" in logged[0]
        assert "/hooks/abc" not in logged[0]  # a webhook URL is a secret: never logged
        assert not alerts.load_state(var)["channels"].get("webhook")  # nothing advanced

        hook.status = 200
        _run(var, 1, "2026-12-01T05:30:00Z")
        assert alerts.notify(var, out, cfg, env={}) == {"webhook": "sent"}
        assert len(hook.posts) == 1 and "source usda_psd is stale" in hook.posts[0]["text"]

    # an unreachable endpoint (the server is gone) is one line too, never an exception
    _catalog(out, {"usda_psd": {}})
    _run(var, 0, "2026-12-02T05:30:00Z")
    outcome = alerts.notify(var, out, {"webhook_url": hook.url, "timeout_seconds": 2}, env={},
                            log=logged.append)  # fmt: skip
    assert outcome["webhook"].startswith("failed: webhook to 127.0.0.1: ConnectError")


def test_email_over_smtp_and_channels_keep_their_own_state(tmp_path: Path) -> None:
    var, out = tmp_path / "var", tmp_path / "dist"
    with smtp() as box, webhook() as hook:
        cfg = {"smtp_url": box.url, "email_to": ["ops@example.com", "cto@example.com"],
               "email_from": "beanflows@example.com", "webhook_url": hook.url}  # fmt: skip
        _catalog(out, {"yahoo_prices": {"status": "late", "data_as_of": "2026-11-20",
                                        "stale_after_days": 4}})  # fmt: skip
        _run(var, 0)
        hook.status = 503  # the webhook is down tonight; the mail goes out anyway
        outcome = alerts.notify(var, out, cfg, env={}, log=lambda _: None)
        assert outcome["email"] == "sent" and outcome["webhook"].startswith("failed")
        assert len(box.messages) == 1
        mail = box.messages[0]
        assert "1 new problem" in mail["Subject"] and mail["From"] == "beanflows@example.com"
        assert box.envelopes[0][1] == ["ops@example.com", "cto@example.com"]
        assert "source yahoo_prices is late: newest data 2026-11-20" in mail.get_payload()

        hook.status = 200
        outcome = alerts.notify(var, out, cfg, env={})
        assert outcome == {"webhook": "sent", "email": "quiet"}  # each channel told once
        assert len(box.messages) == 1 and len(hook.posts) == 1


def test_smtp_starttls_and_auth(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cert, key = self_signed(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # the client trusts the test certificate
    var, out = tmp_path / "var", tmp_path / "dist"
    _catalog(out, {"usda_psd": STALE})
    _run(var, 1)
    with smtp(tls=(cert, key), credentials=("alerts", "s3cret")) as box:
        env = {"BEANFLOWS_ALERTS_SMTP_URL": box.url, "BEANFLOWS_ALERTS_EMAIL_TO": "ops@example.com",
               "BEANFLOWS_ALERTS_SMTP_STARTTLS": "true", "BEANFLOWS_ALERTS_SMTP_USER": "alerts",
               "BEANFLOWS_ALERTS_SMTP_PASSWORD": "wrong"}  # fmt: skip
        logged: list[str] = []
        outcome = alerts.notify(var, out, {}, env=env, log=logged.append)
        assert outcome["email"].startswith("failed: email via 127.0.0.1")
        assert "SMTPAuthenticationError" in outcome["email"] and "s3cret" not in logged[0]
        env["BEANFLOWS_ALERTS_SMTP_PASSWORD"] = "s3cret"
        assert alerts.notify(var, out, {}, env=env) == {"email": "sent"}
        assert box.logins == ["alerts"] and len(box.messages) == 1


def test_settings_from_toml_and_environment() -> None:
    cfg = alerts.settings(
        {"webhook_url": "https://toml.example/x", "email_to": ["a@example.com"]},
        env={"BEANFLOWS_ALERTS_WEBHOOK_URL": "https://env.example/y",
             "BEANFLOWS_ALERTS_TIMEOUT_SECONDS": "3.5"},
    )  # fmt: skip
    assert cfg["webhook_url"] == "https://env.example/y"  # the environment wins
    assert cfg["timeout_seconds"] == 3.5 and cfg["email_to"] == ["a@example.com"]
    assert alerts.channels(cfg) == ["webhook"]  # email needs smtp_url and email_to
    with pytest.raises(ValueError, match="unknown setting"):
        alerts.settings({"webhook": "typo"}, env={})
    assert alerts.notify(Path("/nonexistent"), Path("/nonexistent"), {}, env={}) == {}


def test_incidents_cover_datasets_once(tmp_path: Path) -> None:
    """A dataset late or stale on its own is an incident; one whose source already is, is not."""
    from beanflows import status

    catalog = {
        "sources": {"cftc_cot": {"status": "late", "data_as_of": "2026-11-01"},
                    "fred": {"status": "ok"}},
        "datasets": {
            "cot_legacy": {"status": "late", "sources": ["cftc_cot"], "as_of": "2026-11-01"},
            "fundamentals_monthly": {"status": "stale", "sources": ["fred"],
                                     "stale_reason": "audit failed", "stale_since": "x"},
            "prices_monthly": {"status": "ok", "sources": ["fred"]},
        },
    }  # fmt: skip
    found = status.incidents(catalog, [])
    assert set(found) == {"source:cftc_cot:late", "dataset:fundamentals_monthly:stale"}
    history = [{"exit_code": 1, "started_at": "a"}, {"exit_code": 75, "started_at": "b"}]
    assert status.incidents({}, history)["run:failed"]["since"] == "a"  # 75 did nothing


def test_alert_test_command(tmp_path: Path) -> None:
    from tests.conftest import run_cli

    with webhook() as hook:
        res = run_cli("alert-test", cwd=tmp_path, env={"BEANFLOWS_ALERTS_WEBHOOK_URL": hook.url})
        assert res.returncode == 0 and "webhook: sent" in res.stdout
        assert "test alert" in hook.posts[0]["text"]
        hook.status = 500
        res = run_cli("alert-test", cwd=tmp_path, env={"BEANFLOWS_ALERTS_WEBHOOK_URL": hook.url})
        assert res.returncode == 1 and "HTTP 500" in res.stdout
    none = run_cli("alert-test", cwd=tmp_path, env={"BEANFLOWS_ALERTS_WEBHOOK_URL": ""})
    assert none.returncode == 2 and "no channel configured" in none.stderr
