"""Settings of the brief and of subscriber alerts, from the environment (docs/brief.md).

The names shared with the accounts service (database, URLs, SMTP, signing secret) are the
same variables, so one EnvironmentFile serves both. tests/test_brief_docs.py fails when a
name is missing from docs/brief.md.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from beanflows.brief import weeks
from beanflows.errors import UsageError

# env name -> (field, default); "" = not set
ENV: dict[str, tuple[str, str]] = {
    "BEANFLOWS_AUTH_DB": ("db_path", "var/auth/auth.sqlite3"),
    "BEANFLOWS_SITE_URL": ("site_url", ""),
    "BEANFLOWS_BASE_URL": ("base_url", ""),
    "BEANFLOWS_SMTP_URL": ("smtp_url", ""),
    "BEANFLOWS_SMTP_CA_FILE": ("smtp_ca_file", ""),
    "BEANFLOWS_MAIL_FROM": ("mail_from", ""),
    "BEANFLOWS_TOKEN_SECRET": ("token_secret", ""),
    "BEANFLOWS_BRIEF_WEEKDAY": ("brief_weekday", "monday"),
    "BEANFLOWS_MAIL_RATE_PER_SECOND": ("mail_rate_per_second", "20"),
    "BEANFLOWS_MAIL_TIMEOUT_SECONDS": ("mail_timeout_seconds", "30"),
    "BEANFLOWS_MAIL_MAX_PERMANENT_FAILURES": ("mail_max_permanent_failures", "3"),
}
PREVIEW_SITE_URL = "http://127.0.0.1:8000"  # `beanflows serve`: links of a brief made locally


@dataclass(frozen=True)
class Settings:
    db_path: Path
    site_url: str
    base_url: str
    smtp_url: str
    smtp_ca_file: str
    mail_from: str
    token_secret: str
    brief_weekday: int
    mail_rate_per_second: float
    mail_timeout_seconds: float
    mail_max_permanent_failures: int

    @property
    def can_send(self) -> bool:
        return bool(self.smtp_url and self.mail_from and self.base_url and self.token_secret)

    def require_sending(self) -> None:
        """UsageError naming every missing setting mail needs (one line for the operator)."""
        missing = [
            name
            for name, (attr, _) in ENV.items()
            if attr in ("smtp_url", "mail_from", "base_url", "token_secret")
            and not getattr(self, attr)
        ]
        if missing:
            raise UsageError(f"sending needs {', '.join(missing)} (see docs/brief.md)")


def _number(name: str, text: str, low: float) -> float:
    try:
        value = float(text)
    except ValueError:
        raise UsageError(f"{name} must be a number, got {text!r}") from None
    if value < low:
        raise UsageError(f"{name} must be at least {low:g}")
    return value


def load(environ: dict[str, str] | None = None) -> Settings:
    env = os.environ if environ is None else environ
    raw = {attr: (env.get(name) or default).strip() for name, (attr, default) in ENV.items()}
    for attr in ("site_url", "base_url"):
        raw[attr] = raw[attr].rstrip("/")
        if raw[attr] and urlsplit(raw[attr]).scheme not in ("http", "https"):
            raise UsageError(f"{attr}: {raw[attr]!r} is not an http(s) URL")
    if raw["smtp_url"] and urlsplit(raw["smtp_url"]).scheme not in (
        "smtp",
        "smtps",
        "smtp+starttls",
    ):
        raise UsageError("BEANFLOWS_SMTP_URL must be smtp://, smtp+starttls:// or smtps://")
    return Settings(
        db_path=Path(raw["db_path"]),
        site_url=raw["site_url"] or PREVIEW_SITE_URL,
        base_url=raw["base_url"],
        smtp_url=raw["smtp_url"],
        smtp_ca_file=raw["smtp_ca_file"],
        mail_from=raw["mail_from"],
        token_secret=raw["token_secret"],
        brief_weekday=weeks.weekday_number(raw["brief_weekday"]),
        mail_rate_per_second=_number(
            "BEANFLOWS_MAIL_RATE_PER_SECOND", raw["mail_rate_per_second"], 0
        ),
        mail_timeout_seconds=_number(
            "BEANFLOWS_MAIL_TIMEOUT_SECONDS", raw["mail_timeout_seconds"], 1
        ),
        mail_max_permanent_failures=int(
            _number("BEANFLOWS_MAIL_MAX_PERMANENT_FAILURES", raw["mail_max_permanent_failures"], 1)
        ),
    )
