"""What can go wrong when reading BeanFlows data, as exceptions a notebook can catch by kind.

Every message is one line that says what to do next (set a token, upgrade, wait N seconds),
never a traceback from the HTTP layer.
"""

from __future__ import annotations


class BeanflowsError(Exception):
    """Base class of every error the client raises."""


class UnknownDataset(BeanflowsError, KeyError):
    """The catalog has no dataset (or column) of that name."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class AuthError(BeanflowsError):
    """401: the request needs a token and none (or an unreadable one) was sent."""


class PlanRequired(BeanflowsError):
    """403, or a pro-only dataset asked for without a token: a paid plan is needed."""


class RateLimited(BeanflowsError):
    """429: too many gated requests in the current window; `retry_after_seconds` says when."""

    def __init__(self, message: str, retry_after_seconds: float | None = None) -> None:
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds


class IntegrityError(BeanflowsError):
    """A download does not match the catalog's sha256 (or size): it is discarded, not cached."""


class NotCachedError(BeanflowsError):
    """Offline (or the server unreachable) and the file or catalog is not in the disk cache."""


class ServerError(BeanflowsError):
    """The server kept failing (5xx, timeouts) after the retries, or answered unexpectedly."""
