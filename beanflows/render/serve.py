"""`beanflows serve`: preview OUT/ on 127.0.0.1 with the same pretty URLs as the Worker.

/supply/ -> supply/index.html, unknown paths -> 404.html with status 404. Loopback only: a
preview must never be reachable from the network.
"""

from __future__ import annotations

import functools
import http.server
import threading
from pathlib import Path

HOST = "127.0.0.1"


class _Handler(http.server.SimpleHTTPRequestHandler):
    def send_head(self):  # noqa: ANN201 - stdlib signature
        path = Path(self.translate_path(self.path))
        if not path.exists() and not self.path.endswith("/"):
            alt = path / "index.html"
            if alt.is_file():
                self.send_response(301)
                self.send_header("Location", self.path.split("?")[0] + "/")
                self.end_headers()
                return None
        if not path.exists():
            return self._not_found()
        return super().send_head()

    def _not_found(self):  # noqa: ANN202
        page = Path(self.directory) / "404.html"
        body = page.read_bytes() if page.is_file() else b"not found"
        self.send_response(404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        import io

        return io.BytesIO(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


def make_server(out_dir: Path, port: int = 0) -> http.server.ThreadingHTTPServer:
    """A loopback server for out_dir (port 0 = any free port; see server.server_address)."""
    handler = functools.partial(_Handler, directory=str(out_dir))
    return http.server.ThreadingHTTPServer((HOST, port), handler)


def serve(out_dir: Path, port: int) -> None:
    """Serve out_dir on 127.0.0.1:port until interrupted."""
    server = make_server(Path(out_dir), port)
    print(f"Serving {out_dir} on http://{HOST}:{server.server_address[1]}/ (Ctrl-C to stop)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


def background(out_dir: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    """Start a server in a daemon thread (tests, benchmarks); return it and its base URL."""
    server = make_server(Path(out_dir), 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://{HOST}:{server.server_address[1]}"
