"""HTTP headers of published files: Content-Type, Cache-Control, Content-Encoding.

The rules live here, in one place, because the Worker serves whatever the release manifest
says: a wrong header here is a wrong header in every browser and every CDN cache.
"""

from __future__ import annotations

import mimetypes
import re
from pathlib import Path

GATED_PREFIX = "data/pro/"
IMMUTABLE = "public, max-age=31536000, immutable"
SHORT = "public, max-age=300"
POINTER = "no-cache"
PRIVATE = "private, max-age=0, must-revalidate"

# Explicit types for what the site ships; mimetypes' tables differ between machines.
TYPES = {
    ".html": "text/html; charset=utf-8",
    ".htm": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".map": "application/json; charset=utf-8",
    ".json": "application/json; charset=utf-8",
    ".webmanifest": "application/manifest+json; charset=utf-8",
    ".csv": "text/csv; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".md": "text/markdown; charset=utf-8",
    ".xml": "application/xml; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".avif": "image/avif",
    ".ico": "image/x-icon",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".ttf": "font/ttf",
    ".otf": "font/otf",
    ".pdf": "application/pdf",
    ".parquet": "application/vnd.apache.parquet",
    ".zip": "application/zip",
    ".wasm": "application/wasm",
    ".gz": "application/gzip",
}
DEFAULT_TYPE = "application/octet-stream"
GZIP_MAGIC = b"\x1f\x8b"

# name.<hash>.ext with a hex hash of 8+ characters, as the site build writes assets
HASHED_NAME = re.compile(r"\.[0-9a-f]{8,64}\.[A-Za-z0-9]+$")


def content_type(path: str) -> str:
    """Content-Type for a path relative to dist (by extension, explicit table first)."""
    ext = Path(path).suffix.lower()
    if ext in TYPES:
        return TYPES[ext]
    guessed, _ = mimetypes.guess_type(path, strict=False)
    return guessed or DEFAULT_TYPE


def content_encoding(path: str, head: bytes) -> str | None:
    """'gzip' only for a `.gz` file whose bytes really are gzip, never by name alone.

    A `.gz` file that is not gzip (or any other file) is served as-is: declaring an
    encoding the bytes do not have makes browsers fail to decode them.
    """
    if path.lower().endswith(".gz") and head[:2] == GZIP_MAGIC:
        return "gzip"
    return None


def cache_control(path: str) -> str:
    """Long and immutable for hashed assets, private for gated files, short otherwise."""
    if path.startswith(GATED_PREFIX):
        return PRIVATE
    inner = path[:-3] if path.lower().endswith(".gz") else path
    if path.startswith("assets/") and HASHED_NAME.search(inner):
        return IMMUTABLE
    return SHORT


def headers_for(path: str, head: bytes) -> dict[str, str | None]:
    """All three headers of one file; `head` is its first bytes (for the gzip check)."""
    encoding = content_encoding(path, head)
    if encoding:
        # app.js.gz served with Content-Encoding: gzip is a JavaScript file
        ctype = content_type(path[:-3])
        if ctype == DEFAULT_TYPE:
            ctype, encoding = TYPES[".gz"], None
    else:
        ctype = content_type(path)
    return {
        "content_type": ctype,
        "cache_control": cache_control(path),
        "content_encoding": encoding,
    }
