"""Open-Meteo weather for coffee growing regions (regions and URLs in source.toml).

Kinds: `archive` (observed: the ERA5 archive API, or any non-forecast response such as the
historical-forecast API's hourly sample) and `forecast` (the forecast API). Both may be hourly
or daily; see response.py for how times and regions are resolved.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

import pyarrow as pa

from ingest.http import Request
from ingest.open_meteo import response

SOURCE = "open_meteo"
EXTRACT_VERSION = "2"  # 2: forecast _period = day before the issue day
LANDING: dict[str, pa.Schema] = {"hourly": response.HOURLY, "daily": response.DAILY}
FORMATS = {"archive": "json", "forecast": "json"}
# Responses are named by region and date, not by source: they are claimed by their folder.
CLAIMS: dict[str, str] = {}
PLACES = ("open_meteo", "openmeteo", "weather")


def _query(region: dict[str, Any], cfg: dict[str, Any], **extra: Any) -> str:
    params = {
        "latitude": region["latitude"], "longitude": region["longitude"],
        "daily": cfg["daily_variables"], "timezone": region["timezone"], **extra,
    }  # fmt: skip
    return urlencode(params, safe=",/")


def requests(cfg: dict[str, Any], today: date, stored_urls: set[str]) -> list[Request]:
    """Per region: each past year from archive_start_year once, this year to date, a forecast.

    Past years are fetched once (their URL is then stored); the current year's URL changes
    daily (end_date), so it is refetched each night and the newest file wins in SQL.
    """
    reqs = []
    last = today - timedelta(days=1)
    for key, region in cfg["regions"].items():
        for year in range(int(cfg.get("archive_start_year", today.year)), today.year + 1):
            start = date(year, 1, 1)
            end = min(date(year, 12, 31), last)
            if end < start:
                continue
            q = _query(region, cfg, start_date=start.isoformat(), end_date=end.isoformat())
            url = f"{cfg['archive_url']}?{q}"
            if year < today.year and url in stored_urls:
                continue
            reqs.append(Request(url, "archive", f"{key}_archive_{year}.json", "json"))
        q = _query(region, cfg, forecast_days=int(cfg.get("forecast_days", 16)))
        name = f"{key}_forecast_{today:%Y%m%d}.json"
        reqs.append(Request(f"{cfg['forecast_url']}?{q}", "forecast", name, "json"))
    return reqs


def recognise(name: str, head: bytes) -> str | None:
    """An Open-Meteo response: JSON with latitude, timezone and hourly/daily; None if not."""
    if not name.lower().endswith(".json"):
        return None
    text = head.decode("utf-8", "replace")
    if (
        '"latitude"' in text
        and '"utc_offset_seconds"' in text
        and ('"hourly' in text or '"daily' in text)
    ):
        lower = name.lower()
        return "forecast" if "forecast" in lower and "historical" not in lower else "archive"
    return None


def extract(kind: str, data: bytes, name: str, digest: str) -> tuple[str, dict[str, pa.Table]]:
    """Parse one response: (release YYYY-MM-DD, landing hourly/daily); SourceError if bad."""
    if kind not in FORMATS:
        raise ValueError(f"unknown kind {kind}")
    return response.parse(data, name, digest, kind)
