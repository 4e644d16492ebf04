"""Build settings: where state and output live, and per-source overrides of source.toml.

Defaults are embedded (./var, ./dist, the real upstream URLs in each ingest/<source>/source.toml)
so the nightly command needs no configuration at all. A TOML file (`--config`, or the
BEANFLOWS_CONFIG environment variable) overrides any of it:

    var_dir = "/srv/beanflows/var"
    out_dir = "/srv/beanflows/dist"
    [http]
    timeout_seconds = 30
    retries = 3
    backoff_seconds = 1.0
    max_megabytes = 200
    [sources.usda_psd]
    current_url = "http://127.0.0.1:8000/psd_coffee_csv.zip"
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from beanflows.errors import UsageError


@dataclass(frozen=True)
class Settings:
    var_dir: Path
    out_dir: Path
    http: dict[str, Any] = field(default_factory=dict)
    sources: dict[str, dict[str, Any]] = field(default_factory=dict)
    only: tuple[str, ...] = ()  # restrict the build to these sources (empty = all)
    alerts: dict[str, Any] = field(default_factory=dict)  # [alerts]: see beanflows/alerts.py


def load(
    config_file: Path | None = None,
    var_dir: Path | None = None,
    out_dir: Path | None = None,
    only: tuple[str, ...] = (),
) -> Settings:
    """Merge embedded defaults, the config file, environment and command-line options."""
    data: dict[str, Any] = {}
    path = config_file or (Path(p) if (p := os.environ.get("BEANFLOWS_CONFIG")) else None)
    if path:
        try:
            with Path(path).open("rb") as fh:
                data = tomllib.load(fh)
        except OSError as exc:
            raise UsageError(f"cannot read settings file {path}: {exc.strerror}") from exc
    var = var_dir or os.environ.get("BEANFLOWS_VAR") or data.get("var_dir") or "var"
    out = out_dir or os.environ.get("BEANFLOWS_OUT") or data.get("out_dir") or "dist"
    return Settings(
        var_dir=Path(var).resolve(),
        out_dir=Path(out).resolve(),
        http=data.get("http", {}),
        sources=data.get("sources", {}),
        only=tuple(only or data.get("only", ())),
        alerts=data.get("alerts", {}),
    )
