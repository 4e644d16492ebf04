"""Servers on 127.0.0.1 that misbehave the way upstreams do during outages.

- `refused_url()`: a port nothing listens on (connection refused at once);
- `blackhole()`: accepts connections and never answers a byte;
- `behaving()`: an HTTP server whose answers per path are scripted: a delay before answering,
  a status with a Retry-After, or 304 Not Modified for a matching If-None-Match. It records
  every hit with its time and the largest number of requests in flight at once.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.httpserver import running


def refused_url() -> str:
    """http://127.0.0.1:PORT where PORT was free a moment ago and nothing listens now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@contextlib.contextmanager
def blackhole() -> Iterator[str]:
    """A host that accepts every connection and then says nothing (base URL)."""
    listener = socket.create_server(("127.0.0.1", 0), backlog=64)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            with contextlib.suppress(TimeoutError, OSError):
                held.append(listener.accept()[0])

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join()
        for conn in held:
            conn.close()
        listener.close()


@dataclass
class Behaving:
    base_url: str = ""
    # path -> {"delay": s, "status": n, "retry_after": "5", "times": n (then normal)}
    script: dict[str, dict[str, Any]] = field(default_factory=dict)
    hits: list[tuple[str, float, dict[str, str]]] = field(default_factory=list)
    in_flight: int = 0
    max_in_flight: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str) -> str:
        return f"{self.base_url}/{path.lstrip('/')}"


def _handler(state: Behaving) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802
            with state.lock:
                state.hits.append((self.path, time.monotonic(), dict(self.headers)))
                state.in_flight += 1
                state.max_in_flight = max(state.max_in_flight, state.in_flight)
                rule = dict(state.script.get(self.path, {}))
                if rule.get("times") is not None:
                    if rule["times"] <= 0:
                        rule = {}
                    state.script[self.path]["times"] -= 1
            try:
                time.sleep(rule.get("delay", 0))
                self._answer(rule)
            finally:
                with state.lock:
                    state.in_flight -= 1

        def _answer(self, rule: dict[str, Any]) -> None:
            body = f"date,value\n2026-01-02,{self.path}\n".encode()
            etag = f'"{abs(hash(body))}"'
            status = rule.get("status", 200)
            if status == 200 and self.headers.get("If-None-Match") == etag:
                status, body = 304, b""
            elif status != 200:
                body = b""
            self.send_response(status)
            if rule.get("retry_after"):
                self.send_header("Retry-After", rule["retry_after"])
            self.send_header("ETag", etag)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return Handler


@contextlib.contextmanager
def behaving() -> Iterator[Behaving]:
    """The scripted HTTP server (see the module docstring) on a free port."""
    state = Behaving()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    httpd.daemon_threads = True
    with running(httpd) as url:
        state.base_url = url
        yield state
