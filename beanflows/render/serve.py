"""`beanflows serve`: preview OUT/ on 127.0.0.1 with the same pretty URLs as the Worker.

/supply/ -> supply/index.html, unknown paths -> 404.html with status 404. Loopback only: a
preview must never be reachable from the network. Like the Worker, files carry an ETag and
answer single byte ranges (206/416): the /sql/ page's DuckDB-WASM and the Python client read
Parquet footers and column chunks by Range, and .wasm goes out as application/wasm.
"""

from __future__ import annotations

import functools
import http.server
import io
import re
from pathlib import Path

HOST = "127.0.0.1"
_RANGE = re.compile(r"bytes=(\d*)-(\d*)$")


class _Handler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        ".wasm": "application/wasm",
        ".mjs": "text/javascript",
        ".parquet": "application/vnd.apache.parquet",
    }

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
        if path.is_file():
            return self._file(path)
        return super().send_head()

    def _file(self, path: Path):  # noqa: ANN202
        """A file with an ETag, If-None-Match (304) and one byte range (206, 416)."""
        st = path.stat()
        etag = f'"{st.st_mtime_ns:x}-{st.st_size:x}"'
        if self.headers.get("If-None-Match") == etag:
            self.send_response(304)
            self.send_header("ETag", etag)
            self.end_headers()
            return None
        size, start, end = st.st_size, 0, st.st_size - 1
        m = _RANGE.match(self.headers.get("Range", ""))
        if m and (m.group(1) or m.group(2)):
            if m.group(1):
                start = int(m.group(1))
                end = min(int(m.group(2)), size - 1) if m.group(2) else size - 1
            else:
                start = max(0, size - int(m.group(2)))
            if start >= size or start > end:
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{size}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return None
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        else:
            self.send_response(200)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Length", str(end - start + 1))
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("ETag", etag)
        if self.path.startswith("/assets/"):  # content-hashed names, as published
            self.send_header("Cache-Control", "public, max-age=31536000, immutable")
        self.end_headers()
        with path.open("rb") as fh:
            fh.seek(start)
            return io.BytesIO(fh.read(end - start + 1))

    def _not_found(self):  # noqa: ANN202
        page = Path(self.directory) / "404.html"
        body = page.read_bytes() if page.is_file() else b"not found"
        self.send_response(404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
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
