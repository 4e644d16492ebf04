"""What keeps a night of fetching bounded and polite: host breakers, host slots, time budgets.

One `Guard` is shared by every fetch of a build (all sources, all worker threads), because
that is where the state lives: how many connections a host has open, how many times in a row
it failed to connect, until when it asked us to wait (Retry-After), and when each source's
budget and the whole fetch phase's deadline run out. Every setting comes from the `[http]`
section of the build config (`limits()`; documented in docs/fetching.md).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from importlib import metadata
from typing import Any
from urllib.parse import urlsplit

from ingest.errors import SourceError

HOMEPAGE = "https://beanflows.example"


@dataclass(frozen=True)
class Limits:
    """The `[http]` settings, with their defaults (units in the names)."""

    timeout_seconds: float = 30.0  # longest silence while reading a response
    connect_timeout_seconds: float = 10.0  # DNS + TCP + TLS of one connection
    retries: int = 3  # attempts per URL (1 = no retry)
    backoff_seconds: float = 1.0  # first back-off; doubles per attempt (or Retry-After)
    max_retry_after_seconds: float = 120.0  # a longer Retry-After gives the URL up this night
    max_megabytes: int = 200  # size cap of one response body
    max_connections_per_host: int = 4  # requests in flight to one host at once
    host_failures_before_skip: int = 3  # consecutive connect/DNS/timeout failures: host skipped
    source_budget_seconds: float = 300.0  # fetch time of one source (requests and retries)
    fetch_deadline_seconds: float = 900.0  # the whole fetch phase of a build, all sources
    contact: str = "mailto:data@beanflows.example"  # who upstream operators can write to
    user_agent: str = ""  # empty: "BeanFlows/<version> (+<homepage>; <contact>)"


def limits(settings: dict[str, Any]) -> Limits:
    """Typed settings from a `[http]` table; an unknown key is a configuration error."""
    known = {f.name: f for f in fields(Limits)}
    unknown = sorted(set(settings) - set(known))
    if unknown:
        raise ValueError(f"[http]: unknown setting(s) {unknown}; known: {sorted(known)}")
    values = {}
    for name, value in settings.items():
        kind = type(known[name].default)
        try:
            values[name] = kind(value)
        except (TypeError, ValueError):
            raise ValueError(f"[http] {name} = {value!r}: expected {kind.__name__}") from None
    return Limits(**values)


def user_agent(lim: Limits) -> str:
    """Names the project, its version and a contact, as upstream operators ask of bots."""
    if lim.user_agent:
        return lim.user_agent
    try:
        version = metadata.version("beanflows")
    except metadata.PackageNotFoundError:
        version = "dev"
    return f"BeanFlows/{version} (+{HOMEPAGE}; {lim.contact})"


def host_of(url: str) -> str:
    """host[:port] of a URL: the unit of politeness and of the circuit breaker."""
    return urlsplit(url).netloc.lower() or url


def retry_after_seconds(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date); None if absent/bad."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


class Unreachable(SourceError):
    """The upstream did not answer (DNS, connection, timeout): an outage, not bad content."""


class Skipped(Unreachable):
    """A URL not fetched at all: its host is unreachable, or the time budget ran out."""


class Guard:
    """Shared, thread-safe state of one build's fetching (see the module docstring)."""

    def __init__(self, settings: dict[str, Any] | Limits) -> None:
        self.limits = settings if isinstance(settings, Limits) else limits(settings)
        self.started = time.monotonic()
        self._lock = threading.Lock()
        self._failures: dict[str, int] = {}  # host -> consecutive connection failures
        self._open: dict[str, str] = {}  # host -> why its remaining URLs are skipped
        self._slots: dict[str, threading.BoundedSemaphore] = {}
        self._not_before: dict[str, float] = {}  # host -> monotonic time (Retry-After)
        self._source_start: dict[str, float] = {}

    def deadline(self, source: str) -> tuple[float, str]:
        """(monotonic time, what it is) when fetching for `source` must stop.

        A source's budget starts with its first request; the fetch phase's with the Guard.
        """
        with self._lock:
            start = self._source_start.setdefault(source, time.monotonic())
        own = start + self.limits.source_budget_seconds
        phase = self.started + self.limits.fetch_deadline_seconds
        if own <= phase:
            return own, f"source budget of {self.limits.source_budget_seconds:g} s"
        return phase, f"fetch deadline of {self.limits.fetch_deadline_seconds:g} s (all sources)"

    def check(self, source: str, host: str) -> float:
        """Seconds left for a request to `host`; raise Skipped when none or host is open."""
        with self._lock:
            reason = self._open.get(host)
        if reason:
            raise Skipped(source, host, f"host skipped: {reason}")
        end, what = self.deadline(source)
        left = end - time.monotonic()
        if left <= 0:
            raise Skipped(source, "fetch", f"{what} used up")
        return left

    def is_open(self, host: str) -> bool:
        with self._lock:
            return host in self._open

    def slot(self, host: str) -> threading.BoundedSemaphore:
        """The semaphore bounding requests in flight to `host`."""
        with self._lock:
            if host not in self._slots:
                n = max(1, self.limits.max_connections_per_host)
                self._slots[host] = threading.BoundedSemaphore(n)
            return self._slots[host]

    def failed(self, host: str, exc: Exception) -> None:
        """A connection to `host` failed (DNS, refused, connect or read timeout)."""
        with self._lock:
            n = self._failures.get(host, 0) + 1
            self._failures[host] = n
            if n >= self.limits.host_failures_before_skip and host not in self._open:
                detail = f"{type(exc).__name__}: {exc}".splitlines()[0][:200]
                self._open[host] = f"{n} consecutive connection failures (last: {detail})"

    def answered(self, host: str) -> None:
        """`host` answered with an HTTP response (any status): it is reachable."""
        with self._lock:
            self._failures[host] = 0

    def pause(self, host: str, seconds: float) -> None:
        """`host` asked for `seconds` of quiet (Retry-After): every request to it waits."""
        with self._lock:
            until = time.monotonic() + seconds
            self._not_before[host] = max(self._not_before.get(host, 0.0), until)

    def wait_turn(self, source: str, host: str) -> float:
        """Sleep until `host` may be asked again; seconds left of the budget afterwards."""
        with self._lock:
            until = self._not_before.get(host, 0.0)
        end, what = self.deadline(source)
        if until > end:
            raise Skipped(source, host, f"Retry-After asks to wait past the {what}")
        if until > time.monotonic():
            time.sleep(until - time.monotonic())
        return self.check(source, host)
