"""HTTP fetching for every source: httpx, timeouts, bounded retries, conditional requests.

Retries use tenacity (exponential backoff, or the server's Retry-After when it sends one, a
fixed number of attempts) on transport errors, 429 and 5xx. A 304 means the stored file is
still current. Bodies are streamed with a size cap so a runaway response cannot fill the disk.

Outages end fast (ingest/fetchguard.py): a host that fails to connect a few times in a row is
skipped for the rest of the build, and every request and retry stops at its source's time
budget and at the deadline of the whole fetch phase. `fetch_all` sends a source's requests a
few at a time per host and hands the answers back in request order.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import httpx
import tenacity

from ingest.errors import NotPublishedYet, SourceError
from ingest.fetchguard import (
    Guard,
    Skipped,
    Unreachable,
    host_of,
    limits,
    retry_after_seconds,
    user_agent,
)

__all__ = [
    "Fetched",
    "Guard",
    "Request",
    "Skipped",
    "Unreachable",
    "fetch",
    "fetch_all",
    "make_client",
]

RETRY_STATUSES = {429, 500, 502, 503, 504}
# Failures that say "this host cannot be reached", counted by the circuit breaker.
UNREACHABLE = (httpx.ConnectError, httpx.TimeoutException)


@dataclass(frozen=True)
class Request:
    """One upstream file to fetch.

    fmt drives content sniffing (zip, xlsx, xls, csv, text, json); optional=True means a 404
    is expected at times (a new year's file not yet published) and is not an error.
    """

    url: str
    kind: str
    name: str
    fmt: str
    optional: bool = False


@dataclass(frozen=True)
class Fetched:
    data: bytes | None  # None when the server said 304 Not Modified
    etag: str | None
    last_modified: str | None


class _Retryable(Exception):
    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def make_client(settings: dict[str, Any]) -> httpx.Client:
    """One client (connection pool) per source; safe to share between fetch threads."""
    lim = limits(settings)
    return httpx.Client(
        timeout=httpx.Timeout(lim.timeout_seconds, connect=lim.connect_timeout_seconds),
        headers={"User-Agent": user_agent(lim)},
        follow_redirects=True,
    )


def fetch(
    client: httpx.Client,
    source: str,
    req: Request,
    previous: dict[str, Any] | None,
    settings: dict[str, Any],
    guard: Guard | None = None,
) -> Fetched:
    """GET req.url; raise SourceError (Skipped when not tried; NotPublishedYet: optional 404).

    Without a `guard` the request gets a fresh one (its own budget, its own breakers).
    """
    guard = guard or Guard(settings)
    lim = guard.limits
    host = host_of(req.url)
    max_bytes = lim.max_megabytes * 1024 * 1024
    headers = {}
    if previous:
        if previous.get("etag"):
            headers["If-None-Match"] = previous["etag"]
        if previous.get("last_modified"):
            headers["If-Modified-Since"] = previous["last_modified"]
    backoff = tenacity.wait_exponential(multiplier=lim.backoff_seconds)
    stopped: list[str] = []  # why retrying stopped early, for the message

    def wait(state: tenacity.RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        return max(backoff(state), getattr(exc, "retry_after", None) or 0.0)

    def give_up(state: tenacity.RetryCallState) -> bool:
        """Stop retrying when the host is skipped or the next try would pass the deadline."""
        exc = state.outcome.exception() if state.outcome else None
        after = getattr(exc, "retry_after", None)
        if after is not None and after > lim.max_retry_after_seconds:
            stopped.append(
                f"Retry-After {after:g} s exceeds max_retry_after_seconds "
                f"({lim.max_retry_after_seconds:g})"
            )
        elif guard.is_open(host):
            stopped.append("host skipped after repeated connection failures")
        else:
            end, what = guard.deadline(source)
            if time.monotonic() + state.upcoming_sleep >= end:
                stopped.append(f"no time left to retry ({what})")
        return bool(stopped)

    def attempt() -> Fetched:
        slot = guard.slot(host)
        if not slot.acquire(timeout=guard.wait_turn(source, host)):
            raise Skipped(source, "fetch", f"{guard.deadline(source)[1]} used up")
        try:
            left = guard.check(source, host)  # the host may have been skipped meanwhile
            timeout = httpx.Timeout(
                min(lim.timeout_seconds, left), connect=min(lim.connect_timeout_seconds, left)
            )
            return _get(client, source, req, headers, previous, timeout, max_bytes, guard)
        except UNREACHABLE as exc:
            guard.failed(host, exc)
            raise
        finally:
            slot.release()

    retrying = tenacity.Retrying(
        retry=tenacity.retry_if_exception_type((_Retryable, httpx.TransportError)),
        stop=tenacity.stop_after_attempt(lim.retries) | tenacity.stop_any(give_up),
        wait=wait,
        reraise=True,
    )

    def note() -> str:
        return f"; {stopped[0]}" if stopped else ""

    try:
        return retrying(attempt)
    except _Retryable as exc:
        raise SourceError(
            source, req.url, f"{exc} after retries ({_tries(retrying)}){note()}"
        ) from exc
    except httpx.HTTPError as exc:
        detail = f"network error: {type(exc).__name__}: {exc}".splitlines()[0]
        end, what = guard.deadline(source)
        if isinstance(exc, httpx.TimeoutException) and time.monotonic() >= end - 0.1:
            raise Unreachable(source, req.url, f"{what} used up ({detail})") from exc
        raise Unreachable(source, req.url, f"{detail}{note()}") from exc


def _tries(retrying: tenacity.Retrying) -> str:
    n = retrying.statistics.get("attempt_number", 1)
    return f"{n} attempt{'s' if n != 1 else ''}"


def _get(
    client: httpx.Client,
    source: str,
    req: Request,
    headers: dict[str, str],
    previous: dict[str, Any] | None,
    timeout: httpx.Timeout,
    max_bytes: int,
    guard: Guard,
) -> Fetched:
    """One GET: the status decides; the body is read under the size cap and the deadline."""
    host = host_of(req.url)
    with client.stream("GET", req.url, headers=headers, timeout=timeout) as resp:
        guard.answered(host)
        if resp.status_code in RETRY_STATUSES:
            after = retry_after_seconds(resp.headers.get("retry-after"))
            if after is not None:
                guard.pause(host, min(after, guard.limits.max_retry_after_seconds))
            raise _Retryable(f"HTTP {resp.status_code}", after)
        if resp.status_code == 304:
            return Fetched(None, previous.get("etag") if previous else None, None)
        if resp.status_code == 404 and req.optional:
            raise NotPublishedYet(req.url)
        if resp.status_code != 200:
            raise SourceError(source, req.url, f"HTTP {resp.status_code}")
        declared = int(resp.headers.get("content-length") or 0)
        if declared > max_bytes:
            raise SourceError(source, req.url, f"{declared} bytes exceeds the size cap")
        end, what = guard.deadline(source)
        chunks, size = [], 0
        for chunk in resp.iter_bytes():
            size += len(chunk)
            if size > max_bytes:
                raise SourceError(source, req.url, f"body exceeds {max_bytes} bytes cap")
            if time.monotonic() > end:  # a server dripping bytes never hits the read timeout
                raise SourceError(source, req.url, f"download stopped: {what} used up")
            chunks.append(chunk)
        body = b"".join(chunks)
        if declared and size != declared:
            raise SourceError(source, req.url, f"truncated: got {size} of {declared} bytes")
        return Fetched(body, resp.headers.get("etag"), resp.headers.get("last-modified"))


def fetch_all(
    client: httpx.Client,
    source: str,
    reqs: list[Request],
    previous: Callable[[Request], dict[str, Any] | None],
    settings: dict[str, Any],
    guard: Guard | None = None,
) -> Iterator[tuple[Request | None, Fetched | SourceError | NotPublishedYet]]:
    """Fetch `reqs` a few at a time per host; yield (request, answer or error) in request order.

    URLs that were never tried (host skipped, budget used up) are not listed one by one: one
    Skipped per reason comes last, with (None, error), naming how many URLs it covers.
    """
    guard = guard or Guard(settings)
    hosts = {host_of(r.url) for r in reqs}
    workers = max(1, min(len(reqs), guard.limits.max_connections_per_host * len(hosts), 32))
    skipped: dict[tuple[str, str], list[Request]] = {}
    with ThreadPoolExecutor(workers, thread_name_prefix=f"fetch-{source}") as pool:
        futures = [
            pool.submit(fetch, client, source, r, previous(r), settings, guard) for r in reqs
        ]
        try:
            for req, future in zip(reqs, futures, strict=True):
                try:
                    yield req, future.result()
                except Skipped as exc:
                    skipped.setdefault((exc.file, exc.reason), []).append(req)
                except (SourceError, NotPublishedYet) as exc:
                    yield req, exc
        except GeneratorExit:  # the caller stopped early: send nothing more
            pool.shutdown(wait=True, cancel_futures=True)
            raise
    for (where, reason), rs in skipped.items():
        count = f"{len(rs)} URL{'s' if len(rs) != 1 else ''} not fetched (first: {rs[0].url})"
        yield None, Skipped(source, where, f"{reason}; {count}")
