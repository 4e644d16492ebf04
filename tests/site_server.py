"""Serve a built dist/ folder from a daemon thread as `beanflows serve` does (tests, benches)."""

from __future__ import annotations

import http.server
import threading
from pathlib import Path

from beanflows.render.serve import HOST, make_server


def background(out_dir: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    """Start a server in a daemon thread (tests, benchmarks); return it and its base URL."""
    server = make_server(Path(out_dir), 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://{HOST}:{server.server_address[1]}"
