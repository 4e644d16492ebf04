"""HTTP for the client: retries, one-line errors, verified downloads and Parquet range reads.

Everything crosses the network here and nowhere else. A download streams into a temporary
file while hashing; only a file whose size and sha256 match the catalog enters the cache.
Range reads (a large file of which only some columns or row groups are wanted) are pinned to
the catalog's version instead: the Worker's ETag is the file's sha256 and Content-Range carries
the total size, so bytes of another version are refused.
"""

from __future__ import annotations

import functools
import hashlib
import io
import os
import ssl
import sys
import time
from pathlib import Path

import httpx

from beanflows.client.errors import (
    AuthError,
    IntegrityError,
    PlanRequired,
    RateLimited,
    ServerError,
)

RETRY_STATUS = {500, 502, 503, 504}
PROGRESS_MIN_BYTES = 1 << 20
MAX_RETRY_AFTER_WAIT_SECONDS = 5.0
CHUNK_BYTES = 1 << 16

_REASONS = {
    "plan": "your plan does not include the full-history (pro) files; a paid plan does",
    "scope": "this token may not read data files (scope data:read is missing)",
    "expired": "the token has expired; create a new API key on your account page",
    "not_yet_valid": "the token is not valid yet (check this computer's clock)",
    "bad_signature": "the token was not issued by this server (or was revoked)",
    "malformed": "the token is not in a format this server reads",
    "bad_header": "the token is not in a format this server reads",
    "bad_claims": "the token is not in a format this server reads",
    "not_configured": "the server cannot check tokens right now (not configured)",
    "revoked": "this API key has been revoked",
}


class Unreachable(Exception):
    """The server could not be reached (connection refused, DNS, timeouts): maybe offline."""


@functools.cache
def _tls() -> ssl.SSLContext:
    """One verifying TLS context per process (loading the CA bundle costs ~50 ms)."""
    return httpx.create_ssl_context()


def make_http(base_url: str, timeout_seconds: float) -> httpx.Client:
    """One connection pool per Client (keep-alive makes the second request cheap).

    A plain-http site (a local preview) needs no TLS context; it then follows no redirects,
    so nothing can be sent to an https address without certificate checks.
    """
    from beanflows.client import __version__

    https = base_url.startswith("https://")
    return httpx.Client(
        timeout=httpx.Timeout(timeout_seconds),
        follow_redirects=https,
        verify=_tls() if https else False,
        headers={"User-Agent": f"beanflows-python/{__version__}"},
    )


def explain(resp: httpx.Response, path: str, has_token: bool) -> Exception:
    """The one-line error for a refused or failed response."""
    body = resp.text[:200] if resp.headers.get("content-type", "").startswith("text") else ""
    reason = body.split(" ", 1)[1].strip() if body[:3].isdigit() and " " in body else ""
    if resp.status_code == 401:
        if has_token:
            return AuthError(f"{path}: the server did not accept the token ({reason or '401'})")
        return AuthError(
            f"{path} needs an API key: set BEANFLOWS_TOKEN or pass Client(token=...) "
            "(keys are on your account page; free files need none)"
        )
    if resp.status_code == 403:
        why = _REASONS.get(reason, reason or "access refused")
        return PlanRequired(f"{path}: {why} (HTTP 403)")
    if resp.status_code == 429:
        retry = _retry_after(resp)
        wait = f"; retry in {retry:.0f} s" if retry is not None else ""
        return RateLimited(
            f"{path}: too many requests for this API key in the current window{wait} "
            "(cached files are read without any request)",
            retry,
        )
    if resp.status_code == 404:
        return ServerError(f"{path}: not on the server (404); a publish may be under way")
    return ServerError(f"{path}: HTTP {resp.status_code} from {resp.request.url.host}")


def _retry_after(resp: httpx.Response) -> float | None:
    try:
        return max(0.0, float(resp.headers["retry-after"]))
    except (KeyError, ValueError):
        return None


def request(
    http: httpx.Client,
    method: str,
    url: str,
    path: str,
    *,
    headers: dict[str, str] | None = None,
    retries: int,
    has_token: bool,
    ok: tuple[int, ...] = (200,),
    stream: bool = False,
) -> httpx.Response:
    """Send with bounded retries (transport errors, 5xx, short 429s); raise one-line errors.

    Backoff doubles from 0.25 s. With `stream=True` the caller must close the response.
    """
    delay = 0.25
    for attempt in range(retries + 1):
        last = attempt == retries
        try:
            resp = http.send(http.build_request(method, url, headers=headers), stream=stream)
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            if last:
                raise Unreachable(f"{url}: {type(exc).__name__}") from None
        except httpx.TransportError as exc:
            if last:
                raise ServerError(
                    f"{path}: {type(exc).__name__} after {retries + 1} tries"
                ) from None
        else:
            if resp.status_code in ok:
                return resp
            if stream:
                resp.read()
                resp.close()
            retry_after = _retry_after(resp)
            short_429 = (
                resp.status_code == 429
                and retry_after is not None
                and retry_after <= MAX_RETRY_AFTER_WAIT_SECONDS
            )
            if last or not (resp.status_code in RETRY_STATUS or short_429):
                raise explain(resp, path, has_token)
            if short_429:
                delay = max(delay, retry_after)
        time.sleep(delay)
        delay *= 2
    raise AssertionError("unreachable")  # the loop returns or raises


def _progress(label: str, enabled: bool | None, total: int):  # noqa: ANN202
    """A one-line progress bar on stderr for large downloads in a terminal (else a no-op)."""
    if enabled is None:
        enabled = total >= PROGRESS_MIN_BYTES and sys.stderr.isatty()
    if not enabled:
        return lambda done: None, lambda: None
    width = 30

    def update(done: int) -> None:
        frac = done / total if total else 1.0
        bar = "#" * int(frac * width)
        sys.stderr.write(
            f"\r{label} [{bar:<{width}}] {frac:4.0%} {done / 1e6:.1f}/{total / 1e6:.1f} MB"
        )
        sys.stderr.flush()

    def finish() -> None:
        sys.stderr.write("\n")
        sys.stderr.flush()

    return update, finish


def download(
    http: httpx.Client,
    url: str,
    path: str,
    target: Path,
    *,
    sha256: str,
    size: int,
    headers: dict[str, str],
    retries: int,
    has_token: bool,
    progress: bool | None,
) -> Path:
    """Stream url into target (atomically) after checking its size and sha256; return target."""
    for attempt in range(retries + 1):
        try:
            resp = request(http, "GET", url, path, headers=headers, retries=retries,
                           has_token=has_token, stream=True)  # fmt: skip
            return _save_checked(resp, path, target, sha256, size, progress)
        except (httpx.TransportError, IntegrityError):
            if attempt == retries:
                raise
            time.sleep(0.25 * 2**attempt)
    raise AssertionError("unreachable")


def _save_checked(
    resp: httpx.Response, path: str, target: Path, sha256: str, size: int, progress: bool | None
) -> Path:
    """Write a streamed response to target through a temporary file, only if its size and
    sha256 are the catalog's; the response is closed and the temporary file gone either way."""
    tmp = target.with_name(f".{target.name}.{os.getpid()}.part")
    digest = hashlib.sha256()
    done = 0
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        update, finish = _progress(f"beanflows: {path.rsplit('/', 1)[-1]}", progress, size)
        with tmp.open("wb") as fh:
            for chunk in resp.iter_bytes(CHUNK_BYTES):
                fh.write(chunk)
                digest.update(chunk)
                done += len(chunk)
                update(done)
        if done != size or digest.hexdigest() != sha256:
            raise IntegrityError(
                f"{path}: downloaded {done} bytes with sha256 {digest.hexdigest()[:12]}…, "
                f"the catalog says {size} bytes {sha256[:12]}…; not cached"
            )
        os.replace(tmp, target)
    finally:
        resp.close()
        if done:
            finish()
        tmp.unlink(missing_ok=True)
    return target


class RangeFile(io.RawIOBase):
    """A read-only, seekable view of one remote file version, fetched by HTTP Range requests.

    pyarrow reads the Parquet footer and then only the column chunks it needs. Each range is
    kept under `ranges_dir` (the same query asks for the same ranges again). A server without
    Range support answers 200 with the whole file: it is then verified and cached whole, and
    `whole_file` is set so the caller can read it locally.
    """

    def __init__(
        self,
        http: httpx.Client,
        url: str,
        path: str,
        *,
        sha256: str,
        size: int,
        headers: dict[str, str],
        retries: int,
        has_token: bool,
        ranges_dir: Path,
        whole_target: Path,
    ) -> None:
        super().__init__()
        self.http, self.url, self.path = http, url, path
        self.sha256, self.size, self.headers = sha256, size, headers
        self.retries, self.has_token = retries, has_token
        self.ranges_dir, self.whole_target = ranges_dir, whole_target
        self.pos = 0
        self.requests = 0
        self.bytes_fetched = 0
        self.whole_file: Path | None = None

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.pos

    def seek(self, offset: int, whence: int = 0) -> int:
        base = {0: 0, 1: self.pos, 2: self.size}[whence]
        self.pos = max(0, base + offset)
        return self.pos

    def read(self, n: int = -1) -> bytes:
        end = self.size if n is None or n < 0 else min(self.size, self.pos + n)
        if end <= self.pos:
            return b""
        data = self._range(self.pos, end - self.pos)
        self.pos += len(data)
        return data

    def readinto(self, buffer) -> int:  # noqa: ANN001 - memoryview-like
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def _range(self, start: int, length: int) -> bytes:
        if self.whole_file is not None:
            with self.whole_file.open("rb") as fh:
                fh.seek(start)
                return fh.read(length)
        cached = self.ranges_dir / f"{start}-{length}"
        if cached.is_file():
            return cached.read_bytes()
        headers = {**self.headers, "Range": f"bytes={start}-{start + length - 1}"}
        resp = request(self.http, "GET", self.url, self.path, headers=headers,
                       retries=self.retries, has_token=self.has_token, ok=(200, 206))  # fmt: skip
        self.requests += 1
        self.bytes_fetched += len(resp.content)
        if resp.status_code == 200:  # no Range support: the whole file came, keep it
            self._keep_whole(resp.content)
            return self._range(start, length)
        etag = resp.headers.get("etag", "").strip('W/"')
        total = resp.headers.get("content-range", "").rpartition("/")[2]
        if (etag and len(etag) == 64 and etag != self.sha256) or total != str(self.size):
            raise IntegrityError(
                f"{self.path}: the server now has another version of this file than the "
                "catalog (published meanwhile?); call again to use the new catalog"
            )
        data = resp.content
        if len(data) != length:
            raise IntegrityError(f"{self.path}: asked {length} bytes at {start}, got {len(data)}")
        self.ranges_dir.mkdir(parents=True, exist_ok=True)
        tmp = cached.with_name(f".{cached.name}.{os.getpid()}.part")
        tmp.write_bytes(data)
        os.replace(tmp, cached)
        return data

    def _keep_whole(self, data: bytes) -> None:
        got = hashlib.sha256(data).hexdigest()
        if len(data) != self.size or got != self.sha256:
            raise IntegrityError(f"{self.path}: downloaded file does not match the catalog")
        self.whole_target.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.whole_target.with_name(f".{self.whole_target.name}.{os.getpid()}.part")
        tmp.write_bytes(data)
        os.replace(tmp, self.whole_target)
        self.whole_file = self.whole_target
