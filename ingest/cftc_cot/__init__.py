"""CFTC Commitments of Traders: disaggregated and legacy reports, futures-only and combined.

Upstream publishes one zip per year (all markets, newest week first), a history zip for the
years up to 2016, and the current week as a headerless text file. Past years never change, so
each is fetched once; the current year (and, in January, the previous one) is refetched
nightly with conditional requests. Only the configured contract markets are landed; changing
the markets (source.toml `markets` plus the commodities' `cot_markets`, commodities.toml)
changes the extract version, which re-lands the archive.
"""

from __future__ import annotations

import hashlib
import tomllib
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa

from ingest.cftc_cot import parse
from ingest.cftc_cot.layout import REPORTS, SCHEMAS
from ingest.errors import SourceError
from ingest.http import Request

SOURCE = "cftc_cot"
CONFIG = Path(__file__).with_name("source.toml")
CONTAINERS = {"zip": "zip", "text": "text", "week": "text"}  # kind suffix -> sniff format
LANDING: dict[str, pa.Schema] = dict(SCHEMAS)
FORMATS = {f"{r}_{c}": fmt for r in REPORTS for c, fmt in CONTAINERS.items()}
# Upstream file names are ours whatever their content: an HTML page saved as
# `fut_disagg_txt_2025.zip` is rejected with its reason, never ignored.
CLAIMS = {
    **{f"{p}*.zip": f"{k}_zip" for k, r in REPORTS.items() for p in r.zip_prefixes},
    **{m.lower(): f"{k}_text" for k, r in REPORTS.items() for m in r.members},
    **{r.week_file: f"{k}_week" for k, r in REPORTS.items()},
}
PLACES = ("cot", "cftc*", "*_futures_only_*", "*_combined_*")


def markets(cfg: dict[str, Any] | None = None) -> list[str]:
    """Contract market codes to land, as strings (a number would lose leading zeros): the
    source's own `markets` plus those of the configured commodities (`commodity_markets`,
    beanflows.commodities); `cfg` is the merged source settings (source.toml when None)."""
    if cfg is None:
        with CONFIG.open("rb") as fh:
            cfg = tomllib.load(fh)
    codes = [*cfg.get("markets", []), *cfg.get("commodity_markets", [])]
    bad = [c for c in codes if not isinstance(c, str) or not c.strip()]
    if bad:
        raise ValueError(f'{CONFIG}: markets must be quoted strings like "083731", got {bad}')
    return sorted({c.strip() for c in codes})


def extract_version(cfg: dict[str, Any] | None = None) -> str:
    """The landing depends on the market list: a new list re-lands every archived file."""
    return "1+" + hashlib.sha256(",".join(markets(cfg)).encode()).hexdigest()[:8]


def _year_request(key: str, spec: dict[str, Any], year: int, optional: bool) -> Request:
    url = spec["year_url"].format(year=year)
    return Request(url, f"{key}_zip", url.rsplit("/", 1)[-1], "zip", optional=optional)


def requests(cfg: dict[str, Any], today: date, stored_urls: set[str]) -> list[Request]:
    """History once, each past year once, the current year (and week file) every night.

    In the first `rollover_grace_days` of January the new year's file may not exist yet
    (optional: a 404 is NotPublishedYet) and last year's file still gets its final weeks, so
    it is refetched (conditionally) even though it is stored.
    """
    grace = (today - date(today.year, 1, 1)).days < int(cfg.get("rollover_grace_days", 31))
    reqs: list[Request] = []
    for key in cfg.get("fetch", []):
        spec = cfg["reports"][key]
        first = int(spec["first_year"])
        if spec.get("history_url") and spec["history_url"] not in stored_urls:
            name = spec["history_url"].rsplit("/", 1)[-1]
            reqs.append(Request(spec["history_url"], f"{key}_zip", name, "zip"))
        start = max(first, int(spec.get("history_until", first - 1)) + 1)
        for year in range(start, today.year):
            req = _year_request(key, spec, year, optional=False)
            if req.url not in stored_urls or (grace and year == today.year - 1):
                reqs.append(req)
        reqs.append(_year_request(key, spec, today.year, optional=grace))
        if cfg.get("fetch_week_file", True) and spec.get("week_url"):
            url = spec["week_url"]
            reqs.append(Request(url, f"{key}_week", url.rsplit("/", 1)[-1], "text"))
    return reqs


def recognise(name: str, head: bytes) -> str | None:
    """Which report and container a file is, by upstream name (and header for text)."""
    lower = name.lower()
    for key, rep in REPORTS.items():
        if lower.endswith(".zip") and lower.startswith(rep.zip_prefixes) and head[:2] == b"PK":
            return f"{key}_zip"
        if lower in {m.lower() for m in rep.members} and head.startswith(
            f'"{rep.header[0]}"'.encode()
        ):
            return f"{key}_text"
        if lower == rep.week_file:
            return f"{key}_week"
    return None


def canonical_url(
    cfg: dict[str, Any], kind: str | None, name: str, release: str | None
) -> str | None:
    """The CFTC URL an imported file comes from (ingest.provenance): the history zip by its
    name, otherwise the yearly zip of its newest report (an extracted `f_year.txt` or
    `annual.txt` too), or the current-week file."""
    key, _, container = (kind or "").rpartition("_")
    spec = cfg.get("reports", {}).get(key)
    if not spec:
        return None
    if container == "week":
        return spec.get("week_url")
    history = spec.get("history_url") or ""
    if container == "zip" and history.rsplit("/", 1)[-1].lower() == name.lower():
        return history
    year = (release or "")[:4]
    return spec["year_url"].format(year=year) if year.isdigit() else None


def extract(
    kind: str, data: bytes, name: str, digest: str, cfg: dict[str, Any] | None = None
) -> tuple[str, dict[str, pa.Table]]:
    """Parse one raw file: (newest report date YYYY-MM-DD, {landing table: rows of the markets
    `cfg` configures})."""
    key, container = kind.rsplit("_", 1)
    report = REPORTS.get(key)
    if report is None or container not in CONTAINERS:
        raise ValueError(f"unknown kind {kind}")
    text, file = (data, name) if container != "zip" else parse.member(report, data, name)
    if not text or text.isspace():  # not strip(): a copy of a ~24 MB year
        raise SourceError(SOURCE, file, "empty file")
    release, table = parse.parse(
        report, text, file, digest, markets(cfg), headerless=container == "week"
    )
    return release, {report.table: table}
