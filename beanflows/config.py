"""Build settings: where state and output live, and per-source overrides of source.toml.

Defaults are embedded (./var, ./dist, the real upstream URLs in each ingest/<source>/source.toml)
so the nightly command needs no configuration at all. A TOML file (`--config`, or the
BEANFLOWS_CONFIG environment variable) overrides any of it:

    var_dir = "/srv/beanflows/var"
    out_dir = "/srv/beanflows/dist"
    site_url = "https://beanflows.example"   # absolute URLs in sitemap.xml (or BEANFLOWS_SITE_URL)
    commodities_file = "commodities.toml"    # which commodities (or BEANFLOWS_COMMODITIES)
    [http]                           # every key and its default: docs/fetching.md
    timeout_seconds = 30
    connect_timeout_seconds = 10
    retries = 3
    backoff_seconds = 1.0
    max_megabytes = 200
    max_connections_per_host = 4
    host_failures_before_skip = 3
    source_budget_seconds = 300
    fetch_deadline_seconds = 900
    [sources.usda_psd]
    current_url = "http://127.0.0.1:8000/psd_coffee_csv.zip"
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from beanflows import commodities as commodity_config
from beanflows.errors import UsageError
from ingest import fetchguard


@dataclass(frozen=True)
class Settings:
    var_dir: Path
    out_dir: Path
    http: dict[str, Any] = field(default_factory=dict)
    sources: dict[str, dict[str, Any]] = field(default_factory=dict)
    only: tuple[str, ...] = ()  # restrict the build to these sources (empty = all)
    alerts: dict[str, Any] = field(default_factory=dict)  # [alerts]: see beanflows/alerts.py
    # Where the site is served (scheme + host [+ path]): sitemap.xml needs absolute URLs.
    # The accounts service reads the same BEANFLOWS_SITE_URL (docs/auth.md).
    site_url: str = "http://127.0.0.1:8000"  # = DEFAULT_SITE_URL
    # The commodities published (commodities.toml, or `commodities_file`): beanflows.commodities
    commodities_file: Path = commodity_config.DEFAULT_FILE
    commodities: tuple[commodity_config.Commodity, ...] = ()


def source_settings(settings: Settings, name: str) -> dict[str, Any]:
    """A source's settings as the build passes them to ingest: what the commodities ask of it
    (markets, symbols, codes to land), then the settings file's [sources.<name>] overrides."""
    wanted = commodity_config.source_settings(settings.commodities).get(name, {})
    return {**wanted, **settings.sources.get(name, {})}


def load(
    config_file: Path | None = None,
    var_dir: Path | None = None,
    out_dir: Path | None = None,
    only: tuple[str, ...] = (),
) -> Settings:
    """Merge embedded defaults, the config file, environment and command-line options.

    Raises ValueError (one line, naming the file) for a setting the build would not honour.
    """
    data: dict[str, Any] = {}
    path = config_file or (Path(p) if (p := os.environ.get("BEANFLOWS_CONFIG")) else None)
    if path:
        try:
            with Path(path).open("rb") as fh:
                data = tomllib.load(fh)
        except OSError as exc:
            raise UsageError(f"cannot read settings file {path}: {exc.strerror}") from exc
    try:
        fetchguard.limits(data.get("http", {}))
    except ValueError as exc:  # a setting the build would not honour: exit 2, one line
        raise UsageError(f"{path}: {exc}") from None
    site_url = os.environ.get("BEANFLOWS_SITE_URL") or data.get("site_url") or DEFAULT_SITE_URL
    try:
        site_url = checked_site_url(str(site_url))
    except ValueError as exc:
        raise UsageError(f"{path or 'BEANFLOWS_SITE_URL'}: {exc}") from None
    commodities_file = commodity_config.path_from(data.get("commodities_file"))
    try:
        commodities = commodity_config.load(commodities_file)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    var = var_dir or os.environ.get("BEANFLOWS_VAR") or data.get("var_dir") or "var"
    out = out_dir or os.environ.get("BEANFLOWS_OUT") or data.get("out_dir") or "dist"
    return Settings(
        var_dir=Path(var).resolve(),
        out_dir=Path(out).resolve(),
        http=data.get("http", {}),
        sources=data.get("sources", {}),
        only=tuple(only or data.get("only", ())),
        alerts=data.get("alerts", {}),
        site_url=site_url,
        commodities_file=commodities_file,
        commodities=commodities,
    )


DEFAULT_SITE_URL = "http://127.0.0.1:8000"  # `beanflows serve`: the preview works unconfigured


def checked_site_url(url: str) -> str:
    """An absolute http(s) URL without query or fragment, kept without its trailing slash."""
    from urllib.parse import urlsplit

    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise ValueError(
            f"site_url must be an absolute http(s) URL such as https://host, not {url!r}"
        )
    return url.strip().rstrip("/")
