"""ISO weeks as the brief names them (`2026-W48`): parsing, bounds, the last complete week."""

from __future__ import annotations

import re
from datetime import date, timedelta

from beanflows.errors import UsageError

_WEEK = re.compile(r"(\d{4})-W(\d{2})")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def parse(text: str) -> tuple[date, date]:
    """(Monday, Sunday) of an ISO week `YYYY-Www`; UsageError for anything else."""
    m = _WEEK.fullmatch(text.strip())
    if not m:
        raise UsageError(f"--week {text!r}: expected an ISO week such as 2026-W48")
    try:
        monday = date.fromisocalendar(int(m.group(1)), int(m.group(2)), 1)
    except ValueError:
        raise UsageError(f"--week {text!r}: no such ISO week") from None
    return monday, monday + timedelta(days=6)


def name(day: date) -> str:
    """The ISO week holding `day`, as `YYYY-Www`."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def last_complete(today: date) -> str:
    """The newest ISO week that ended before `today` (on a Monday: the week just ended)."""
    return name(today - timedelta(days=today.isoweekday()))


def weekday_number(weekday: str) -> int:
    """ISO number (1 = Monday) of a weekday name; UsageError for an unknown name."""
    try:
        return WEEKDAYS.index(weekday.strip().lower()) + 1
    except ValueError:
        raise UsageError(f"brief weekday {weekday!r}: one of {', '.join(WEEKDAYS)}") from None
