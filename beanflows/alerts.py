"""Alerting: one message per incident when it starts, one when it clears, nothing otherwise.

After every run (build, rebuild, queued request) the current incidents (`status.incidents`:
the run failed, a source is stale or late, a dataset is stale or late on its own) are
compared with what each channel was already told, kept in `VAR/state/alerts.json`. A channel
gets one message listing the incidents that are new to it and the ones that cleared; a quiet
night sends nothing. A channel's state advances only when its message was delivered, so a
webhook that was down is told next run. Delivery problems are one log line and never change
the run's exit code.

Settings (`[alerts]` in the config TOML; each also as BEANFLOWS_ALERTS_<NAME> in the
environment, which wins):
    webhook_url      JSON POST {"text", "content"} (Slack and Discord incoming webhooks)
    smtp_url         smtp://host:port (plain, or STARTTLS with smtp_starttls) or
                     smtps://host:port (TLS from the first byte)
    smtp_starttls    true/false (default false)
    smtp_user, smtp_password   SMTP AUTH, when both are set
    email_from       sender address (default beanflows@<hostname>)
    email_to         recipients (a TOML list, or comma-separated in the environment)
    timeout_seconds  per delivery attempt (default 10)
"""

from __future__ import annotations

import json
import os
import smtplib
import socket
import ssl
import sys
from collections.abc import Callable
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from beanflows import layout, runs, status

ENV_PREFIX = "BEANFLOWS_ALERTS_"
SETTINGS = (
    "webhook_url",
    "smtp_url",
    "smtp_starttls",
    "smtp_user",
    "smtp_password",
    "email_from",
    "email_to",
    "timeout_seconds",
)
DISCORD_LIMIT = 2000  # characters of a Discord message's `content`


class DeliveryError(Exception):
    """A channel could not deliver (one line, no secrets: webhook URLs are credentials)."""


def settings(config: dict[str, Any] | None = None, env: dict[str, str] | None = None) -> dict:
    """The `[alerts]` table merged with BEANFLOWS_ALERTS_* variables, typed."""
    env = os.environ if env is None else env
    out: dict[str, Any] = dict(config or {})
    unknown = sorted(set(out) - set(SETTINGS))
    if unknown:
        raise ValueError(f"[alerts]: unknown setting(s) {unknown}; known: {list(SETTINGS)}")
    for key in SETTINGS:
        value = env.get(ENV_PREFIX + key.upper())
        if value not in (None, ""):
            out[key] = value
    if isinstance(out.get("email_to"), str):
        out["email_to"] = [a.strip() for a in out["email_to"].split(",") if a.strip()]
    if isinstance(out.get("smtp_starttls"), str):
        out["smtp_starttls"] = out["smtp_starttls"].strip().lower() in ("1", "true", "yes", "on")
    out["timeout_seconds"] = float(out.get("timeout_seconds") or 10)
    return out


def channels(cfg: dict[str, Any]) -> list[str]:
    """Names of the configured channels: `webhook`, `email`."""
    found = []
    if cfg.get("webhook_url"):
        found.append("webhook")
    if cfg.get("smtp_url") and cfg.get("email_to"):
        found.append("email")
    return found


def send_webhook(cfg: dict[str, Any], subject: str, text: str) -> None:
    """POST {"text", "content"}: Slack reads `text`, Discord `content` (≤ 2000 characters)."""
    import httpx

    url = cfg["webhook_url"]
    host = urlsplit(url).hostname or "?"
    body = f"{subject}\n{text}"
    content = body if len(body) <= DISCORD_LIMIT else body[: DISCORD_LIMIT - 1] + "…"
    try:
        resp = httpx.post(
            url, json={"text": body, "content": content}, timeout=cfg["timeout_seconds"]
        )
    except httpx.HTTPError as exc:
        raise DeliveryError(f"webhook to {host}: {type(exc).__name__}: {exc}") from None
    if not 200 <= resp.status_code < 300:
        raise DeliveryError(f"webhook to {host}: HTTP {resp.status_code}")


def send_email(cfg: dict[str, Any], subject: str, text: str) -> None:
    """One plain-text mail to every recipient over SMTP (STARTTLS/TLS and AUTH optional)."""
    url = urlsplit(cfg["smtp_url"])
    if url.scheme not in ("smtp", "smtps") or not url.hostname:
        raise DeliveryError(
            f"smtp_url must be smtp://host:port or smtps://host:port, not {url.scheme}://"
        )
    tls = url.scheme == "smtps"
    port = url.port or (465 if tls else 25)
    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = cfg.get("email_from") or f"beanflows@{socket.getfqdn()}"
    msg["To"] = ", ".join(cfg["email_to"])
    msg.set_content(text)
    context = ssl.create_default_context()
    timeout = cfg["timeout_seconds"]
    try:
        if tls:
            client = smtplib.SMTP_SSL(url.hostname, port, timeout=timeout, context=context)
        else:
            client = smtplib.SMTP(url.hostname, port, timeout=timeout)
        with client:
            if cfg.get("smtp_starttls") and not tls:
                client.starttls(context=context)
            if cfg.get("smtp_user") and cfg.get("smtp_password"):
                client.login(cfg["smtp_user"], cfg["smtp_password"])
            client.send_message(msg)
    except (OSError, smtplib.SMTPException) as exc:
        detail = str(exc).splitlines()[0] if str(exc) else ""
        raise DeliveryError(
            f"email via {url.hostname}:{port}: {type(exc).__name__} {detail}"
        ) from None


SENDERS: dict[str, Callable[[dict[str, Any], str, str], None]] = {
    "webhook": send_webhook,
    "email": send_email,
}


def _state_path(var_dir: Path) -> Path:
    return layout.state_file(var_dir, "alerts.json")


def load_state(var_dir: Path) -> dict[str, Any]:
    """{"channels": {channel: {incident key: {"since", "text", "sent_at"}}}}."""
    try:
        state = json.loads(_state_path(var_dir).read_text())
    except (OSError, ValueError):
        state = {}
    state.setdefault("channels", {})
    return state


def save_state(var_dir: Path, state: dict[str, Any]) -> None:
    path = _state_path(var_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(".alerts.json.tmp")
    tmp.write_text(json.dumps(state, indent=1, sort_keys=True) + "\n")
    os.replace(tmp, path)


def message(
    new: dict[str, dict[str, Any]],
    cleared: dict[str, dict[str, Any]],
    last_run: dict[str, Any] | None,
    demo: bool = False,
) -> tuple[str, str]:
    """(subject, body) of one channel's message for this run."""
    parts = []
    if new:
        parts.append(f"{len(new)} new problem{'s' if len(new) != 1 else ''}")
    if cleared:
        parts.append(f"{len(cleared)} resolved")
    where = socket.gethostname()
    subject = f"BeanFlows{' DEMO' if demo else ''} on {where}: {', '.join(parts)}"
    lines = [f"PROBLEM {i['text']} (since {i.get('since') or '?'})" for i in new.values()]
    lines += [
        f"RESOLVED {i['text'].replace(' is ', ' was ', 1)} (since {i.get('since') or '?'})"
        for i in cleared.values()
    ]
    if last_run:
        lines.append(
            f"Run: {last_run.get('kind')} started {last_run.get('started_at')},"
            f" exit {last_run.get('exit_code')}. Details: `beanflows status` and `beanflows runs`."
        )
    return subject, "\n".join(lines)


def notify(
    var_dir: Path,
    out_dir: Path,
    config: dict[str, Any] | None = None,
    log: Callable[[str], None] | None = None,
    env: dict[str, str] | None = None,
) -> dict[str, str]:
    """Tell every configured channel what changed since it was last told.

    Returns channel -> "sent" | "quiet" | "failed: <why>" (also logged, one line each).
    """
    log = log or (lambda line: print(line, file=sys.stderr))
    cfg = settings(config, env)
    names = channels(cfg)
    if not names:
        return {}
    catalog = status.load_catalog(out_dir) or {}
    history = runs.recent(var_dir)
    current = status.incidents(catalog, history)
    state = load_state(var_dir)
    outcome: dict[str, str] = {}
    for name in names:
        told = state["channels"].setdefault(name, {})
        new = {k: v for k, v in current.items() if k not in told}
        cleared = {k: v for k, v in told.items() if k not in current}
        if not new and not cleared:
            outcome[name] = "quiet"
            continue
        subject, body = message(
            new, cleared, history[-1] if history else None, bool(catalog.get("demo"))
        )
        try:
            SENDERS[name](cfg, subject, body)
        except DeliveryError as exc:
            outcome[name] = f"failed: {exc}"
            log(f"beanflows: alert not delivered ({exc}); it is retried after the next run")
            continue
        sent_at = runs.now_utc()
        for key, inc in new.items():
            told[key] = {**inc, "sent_at": sent_at}
        for key in cleared:
            del told[key]
        save_state(var_dir, state)
        outcome[name] = "sent"
        log(f"beanflows: alert sent via {name}: {subject}")
    return outcome


def send_test(config: dict[str, Any] | None = None, env: dict[str, str] | None = None) -> dict:
    """Send a test message to every configured channel now (no state is read or kept)."""
    cfg = settings(config, env)
    outcome = {}
    for name in channels(cfg):
        subject = f"BeanFlows on {socket.gethostname()}: test alert"
        try:
            SENDERS[name](cfg, subject, "A test from `beanflows alert-test`: this channel works.")
            outcome[name] = "sent"
        except DeliveryError as exc:
            outcome[name] = f"failed: {exc}"
    return outcome


def notify_quietly(var_dir: Path, out_dir: Path, config: dict[str, Any] | None) -> None:
    """`notify` for the end of a run: nothing in alerting may change the run's outcome."""
    try:
        notify(var_dir, out_dir, config)
    except Exception as exc:  # noqa: BLE001 - alerting must never fail a build
        line = str(exc).splitlines()[0] if str(exc) else ""
        print(f"beanflows: alerting failed: {type(exc).__name__}: {line}", file=sys.stderr)
