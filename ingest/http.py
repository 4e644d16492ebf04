"""HTTP fetching for every source: httpx, timeouts, bounded retries, conditional requests.

Retries use tenacity (exponential backoff, a fixed number of attempts) on transport errors,
429 and 5xx. A 304 means the stored file is still current. Bodies are streamed with a size cap
so a runaway response cannot fill the disk.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import tenacity

from ingest.errors import NotPublishedYet, SourceError

USER_AGENT = "BeanFlows/0.1 (coffee market data; nightly batch; +https://beanflows.example)"
RETRY_STATUSES = {429, 500, 502, 503, 504}


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
    pass


def make_client(settings: dict[str, Any]) -> httpx.Client:
    timeout = float(settings.get("timeout_seconds", 30))
    return httpx.Client(
        timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
        headers={"User-Agent": settings.get("user_agent", USER_AGENT)},
        follow_redirects=True,
    )


def fetch(
    client: httpx.Client,
    source: str,
    req: Request,
    previous: dict[str, Any] | None,
    settings: dict[str, Any],
) -> Fetched:
    """GET req.url; raise SourceError (or NotPublishedYet for an optional 404)."""
    max_bytes = int(settings.get("max_megabytes", 200)) * 1024 * 1024
    headers = {}
    if previous:
        if previous.get("etag"):
            headers["If-None-Match"] = previous["etag"]
        if previous.get("last_modified"):
            headers["If-Modified-Since"] = previous["last_modified"]

    @tenacity.retry(
        retry=tenacity.retry_if_exception_type((_Retryable, httpx.TransportError)),
        stop=tenacity.stop_after_attempt(int(settings.get("retries", 3))),
        wait=tenacity.wait_exponential(multiplier=float(settings.get("backoff_seconds", 1.0))),
        reraise=True,
    )
    def attempt() -> Fetched:
        with client.stream("GET", req.url, headers=headers) as resp:
            if resp.status_code in RETRY_STATUSES:
                raise _Retryable(f"HTTP {resp.status_code}")
            if resp.status_code == 304:
                return Fetched(None, previous.get("etag") if previous else None, None)
            if resp.status_code == 404 and req.optional:
                raise NotPublishedYet(req.url)
            if resp.status_code != 200:
                raise SourceError(source, req.url, f"HTTP {resp.status_code}")
            declared = int(resp.headers.get("content-length") or 0)
            if declared > max_bytes:
                raise SourceError(source, req.url, f"{declared} bytes exceeds the size cap")
            chunks, size = [], 0
            for chunk in resp.iter_bytes():
                size += len(chunk)
                if size > max_bytes:
                    raise SourceError(source, req.url, f"body exceeds {max_bytes} bytes cap")
                chunks.append(chunk)
            body = b"".join(chunks)
            if declared and size != declared:
                raise SourceError(source, req.url, f"truncated: got {size} of {declared} bytes")
            return Fetched(body, resp.headers.get("etag"), resp.headers.get("last-modified"))

    try:
        return attempt()
    except _Retryable as exc:
        raise SourceError(source, req.url, f"{exc} after retries") from exc
    except httpx.TransportError as exc:
        raise SourceError(source, req.url, f"network error: {exc!r}") from exc
