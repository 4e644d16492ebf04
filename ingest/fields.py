"""Field readers that several sources share; a bad value refuses the file, naming the line."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date

from ingest.errors import SourceError

ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def data_rows(rows: list[list[str]]) -> Iterator[tuple[int, list[str]]]:
    """(line number, row) of a CSV's rows after its header line; blank rows are skipped."""
    for line, row in enumerate(rows[1:], start=2):
        if row and "".join(row).strip():
            yield line, row


def iso_date(source: str, file: str, text: str, line: int) -> date:
    """A YYYY-MM-DD date that exists (SourceError otherwise)."""
    if not ISO_DATE.match(text):
        raise SourceError(source, file, f"date {text!r} is not YYYY-MM-DD", line)
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise SourceError(source, file, f"date {text!r} does not exist", line) from None
