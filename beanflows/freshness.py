"""One vocabulary for freshness, shared by the catalog, the status page, the home page and CLI.

    ok     built from the latest good input
    stale  the last good data is kept because the source or an audit failed (since, why)
    late   the source works, but upstream's newest data is older than its schedule allows

A dataset is stale when its export was frozen, else late when one of its sources is late.
Age is the age of the data itself (release or as-of date), never of the last fetch: a source
that answers every night with the same old file is late.
"""

from __future__ import annotations

from datetime import date
from typing import Any

OK, STALE, LATE = "ok", "stale", "late"
SCHEDULE_DAYS = {"daily": 4, "weekly": 10, "monthly": 45, "quarterly": 120, "yearly": 400}


def as_date(value: str | None) -> date | None:
    """'2022-12' (a release month) -> its first day; '2022-12-20' or an ISO time -> that day."""
    text = str(value or "")[:10]
    if len(text) == 7:
        text += "-01"
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def allowed_days(source: dict[str, Any]) -> int:
    """How old a source's newest data may be: `stale_after_days`, else by its schedule."""
    limit = source.get("stale_after_days")
    return int(limit) if limit else SCHEDULE_DAYS.get(str(source.get("schedule") or "").lower(), 45)


def age_days(data_as_of: str | None, today: date) -> int | None:
    """Days between the data's own date and today (None when it has no date)."""
    day = as_date(data_as_of)
    return None if day is None else (today - day).days


def is_late(source: dict[str, Any], today: date) -> bool:
    """True when the source's newest data is older than its schedule allows (or undated)."""
    age = age_days(source.get("data_as_of"), today)
    return age is None or age > allowed_days(source)


def source_status(failed: bool, late: bool) -> str:
    return STALE if failed else LATE if late else OK


def dataset_status(entry: dict[str, Any], sources: dict[str, Any]) -> str:
    """stale if frozen, else late when one of its sources is late, else ok."""
    if entry.get("status") == STALE:
        return STALE
    names = entry.get("sources") or [entry.get("source")]
    return LATE if any(sources.get(n, {}).get("late") for n in names) else OK
