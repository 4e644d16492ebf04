"""Settings of the accounts service, from the environment or a TOML file (docs/auth.md).

Every name is public and documented; tests/test_auth_docs.py fails when one is missing from
the docs. A missing secret is a one-line startup error, never a traceback.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

# env name -> (field, required, default)
ENV: dict[str, tuple[str, bool, str]] = {
    "BEANFLOWS_AUTH_DB": ("db_path", False, "var/auth/auth.sqlite3"),
    "BEANFLOWS_BASE_URL": ("base_url", True, ""),
    "BEANFLOWS_SITE_URL": ("site_url", False, ""),
    "BEANFLOWS_SMTP_URL": ("smtp_url", True, ""),
    "BEANFLOWS_MAIL_FROM": ("mail_from", True, ""),
    "BEANFLOWS_PADDLE_WEBHOOK_SECRET": ("paddle_webhook_secret", True, ""),
    "BEANFLOWS_PADDLE_API_KEY": ("paddle_api_key", True, ""),
    "BEANFLOWS_PADDLE_API_URL": ("paddle_api_url", False, "https://api.paddle.com"),
    "BEANFLOWS_PADDLE_PRICE_STARTER": ("price_starter", True, ""),
    "BEANFLOWS_PADDLE_PRICE_PRO": ("price_pro", True, ""),
    "BEANFLOWS_PADDLE_TOLERANCE_SECONDS": ("paddle_tolerance_seconds", False, "5"),
    "BEANFLOWS_TOKEN_SECRET": ("token_secret", True, ""),
    "BEANFLOWS_ADMIN_EMAILS": ("admin_emails", False, ""),
    "BEANFLOWS_OPEN_SIGNUP": ("open_signup", False, "0"),
    "BEANFLOWS_R2_ENDPOINT_URL": ("r2_endpoint_url", False, ""),
    "BEANFLOWS_KEYS_BUCKET": ("keys_bucket", False, ""),
    "BEANFLOWS_KEYS_PREFIX": ("keys_prefix", False, ""),
    "BEANFLOWS_BACKUP_BUCKET": ("backup_bucket", False, ""),
    "BEANFLOWS_VAR": ("var_dir", False, "var"),
    "BEANFLOWS_CLIENT_IP_HEADER": ("client_ip_header", False, ""),
}
SECRETS = ("paddle_webhook_secret", "paddle_api_key", "token_secret")


class SettingsError(ValueError):
    """A setting is missing or wrong: the message is the operator's one line."""


@dataclass(frozen=True)
class Settings:
    db_path: Path
    base_url: str
    smtp_url: str
    mail_from: str
    paddle_webhook_secret: str
    paddle_api_key: str
    price_starter: frozenset[str]
    price_pro: frozenset[str]
    token_secret: str
    site_url: str = ""
    paddle_api_url: str = "https://api.paddle.com"
    paddle_tolerance_seconds: int = 5
    admin_emails: frozenset[str] = field(default_factory=frozenset)
    open_signup: bool = False
    r2_endpoint_url: str = ""
    keys_bucket: str = ""
    keys_prefix: str = ""
    backup_bucket: str = ""
    var_dir: Path = Path("var")
    client_ip_header: str = ""

    def plan_of_price(self, price_id: str) -> str | None:
        """'pro' or 'starter' for a configured price id, None for any other price."""
        if price_id in self.price_pro:
            return "pro"
        if price_id in self.price_starter:
            return "starter"
        return None


def _ids(text: str) -> frozenset[str]:
    return frozenset(p.strip() for p in text.split(",") if p.strip())


def load(config_file: Path | None = None, environ: dict[str, str] | None = None) -> Settings:
    """Environment over the TOML file (keys: the env names in lower case without the prefix)."""
    env = os.environ if environ is None else environ
    data: dict[str, object] = {}
    if config_file is not None:
        try:
            with Path(config_file).open("rb") as fh:
                data = tomllib.load(fh)
        except (OSError, tomllib.TOMLDecodeError) as err:
            raise SettingsError(f"--config {config_file}: {err}") from None
    raw: dict[str, str] = {}
    missing = []
    for name, (attr, required, default) in ENV.items():
        key = name.removeprefix("BEANFLOWS_").lower()
        value = env.get(name) or str(data.get(key, "") or "") or default
        if required and not value:
            missing.append(name)
        raw[attr] = value
    if missing:
        raise SettingsError(f"missing setting(s): {', '.join(missing)} (see docs/auth.md)")
    for url_attr in ("base_url", "site_url"):
        url = raw[url_attr].rstrip("/")
        if url and urlsplit(url).scheme not in ("http", "https"):
            raise SettingsError(f"{url_attr}: {url!r} is not an http(s) URL")
        raw[url_attr] = url
    if urlsplit(raw["smtp_url"]).scheme not in ("smtp", "smtps", "smtp+starttls"):
        raise SettingsError(
            "BEANFLOWS_SMTP_URL must be smtp://host:port or smtps://user:pass@host:port"
        )
    try:
        tolerance = int(raw["paddle_tolerance_seconds"])
    except ValueError:
        raise SettingsError("BEANFLOWS_PADDLE_TOLERANCE_SECONDS must be an integer") from None
    if tolerance < 1:
        raise SettingsError("BEANFLOWS_PADDLE_TOLERANCE_SECONDS must be at least 1")
    return Settings(
        db_path=Path(raw["db_path"]),
        base_url=raw["base_url"],
        site_url=raw["site_url"] or raw["base_url"],
        smtp_url=raw["smtp_url"],
        mail_from=raw["mail_from"],
        paddle_webhook_secret=raw["paddle_webhook_secret"],
        paddle_api_key=raw["paddle_api_key"],
        paddle_api_url=raw["paddle_api_url"].rstrip("/"),
        price_starter=_ids(raw["price_starter"]),
        price_pro=_ids(raw["price_pro"]),
        paddle_tolerance_seconds=tolerance,
        token_secret=raw["token_secret"],
        admin_emails=frozenset(e.lower() for e in _ids(raw["admin_emails"])),
        open_signup=raw["open_signup"].strip().lower() in ("1", "true", "yes"),
        r2_endpoint_url=raw["r2_endpoint_url"],
        keys_bucket=raw["keys_bucket"],
        keys_prefix=raw["keys_prefix"].strip("/"),
        backup_bucket=raw["backup_bucket"],
        var_dir=Path(raw["var_dir"]),
        client_ip_header=raw["client_ip_header"],
    )
