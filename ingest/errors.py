"""Errors raised while fetching or parsing an upstream file.

Every error names the source and the file (URL or path) so an operator reading the nightly log
knows exactly which upstream file broke, without a stack trace.
"""

from __future__ import annotations


class SourceError(Exception):
    """An upstream file was refused: wrong content, wrong shape or wrong values."""

    def __init__(self, source: str, file: str, message: str, line: int | None = None) -> None:
        self.source = source
        self.file = file
        self.line = line
        self.reason = message
        where = f"{file}, line {line}" if line is not None else file
        super().__init__(f"[{source}] {where}: {message}")


class NotPublishedYet(Exception):
    """The upstream file does not exist yet (e.g. a new year's file in early January)."""
