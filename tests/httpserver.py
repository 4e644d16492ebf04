"""A real HTTP server on 127.0.0.1 serving recorded upstream files, with fault injection.

Tests point source URLs here so the real httpx code path runs (headers, retries, conditional
requests, size caps). `faults` maps a URL path to what to do instead of serving the file:
    {"status": 503}                  answer with that status (counts in `hits`)
    {"body": b"<html>..", "type": "text/html"}   serve these bytes instead
    {"truncate": 100}                declare the full Content-Length but send only 100 bytes
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit


@dataclass
class Server:
    root: Path
    base_url: str = ""
    faults: dict[str, dict[str, Any]] = field(default_factory=dict)
    hits: list[tuple[str, dict[str, str]]] = field(default_factory=list)  # (path, headers)

    def url(self, rel: str) -> str:
        return f"{self.base_url}/{rel.lstrip('/')}"


def _handler(server: Server) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # keep test output quiet
            pass

        def do_GET(self) -> None:  # noqa: N802
            path = unquote(urlsplit(self.path).path)
            server.hits.append((path, dict(self.headers)))
            fault = server.faults.get(path, {})
            if "status" in fault:
                self.send_response(fault["status"])
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if "body" in fault:
                body = fault["body"]
                ctype = fault.get("type", "application/octet-stream")
            else:
                file = (server.root / path.lstrip("/")).resolve()
                if not file.is_file() or server.root.resolve() not in file.parents:
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                body = file.read_bytes()
                ctype = "application/octet-stream"
            etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
            if self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("ETag", etag)
            self.end_headers()
            self.wfile.write(body[: fault["truncate"]] if "truncate" in fault else body)

    return Handler


@contextlib.contextmanager
def running(httpd: ThreadingHTTPServer) -> Iterator[str]:
    """Serve `httpd` (bound to 127.0.0.1) from a daemon thread until the block ends; yields
    its base URL. Every test server here starts and stops this way."""
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


@contextlib.contextmanager
def serve(root: Path) -> Iterator[Server]:
    """Serve files under `root` on 127.0.0.1 (a free port) until the block ends."""
    state = Server(root=root)
    with running(ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))) as url:
        state.base_url = url
        yield state
