"""Drawings kept by content under BEANFLOWS_CACHE_DIR: the site's SVG charts, the brief's PNGs
(and the charts' Altair shapes, `beanflows.render.chart_shapes`, and compiled Jinja
templates).

A drawing depends only on what it draws and on the vl-convert version, so it is named by the
hash of its spec (and size) in a folder per kind and version. A rebuild then redraws only the
charts whose data changed; drawings unused for CACHE_DAYS are removed.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path
from typing import Any

CACHE_DAYS = 14  # cached drawings unused this long are removed


def folder(kind: str, library: str = "vl-convert-python") -> Path | None:
    """BEANFLOWS_CACHE_DIR/<kind>-<version of the library that makes them> (None: no cache
    configured)."""
    root = os.environ.get("BEANFLOWS_CACHE_DIR")
    return Path(root) / f"{kind}-{version(library)}" if root else None


def path(where: Path | None, key: str, suffix: str) -> Path | None:
    return where / key[:2] / f"{key}{suffix}" if where else None


def load(drawing: Path | None, intact: Callable[[bytes], bool] | None = None) -> bytes | None:
    """The kept drawing, marked as still in use (pruning keeps it); None when not kept, or
    when `intact` says it is not a whole drawing (a truncated copy, another tool's file): it
    is then drawn and stored again, never published as it is."""
    if drawing is None or not drawing.is_file():
        return None
    try:
        data = drawing.read_bytes()
        if intact is not None and not intact(data):
            return None
        os.utime(drawing)
        return data
    except OSError:  # removed meanwhile: draw it again
        return None


def whole_svg(data: bytes) -> bool:
    """An SVG document as vl-convert writes it, from its opening to its closing tag."""
    text = data.strip()
    return text.startswith(b"<svg") and text.endswith(b"</svg>") and _utf8(text)


def whole_png(data: bytes) -> bool:
    """A PNG from its signature to its closing IEND chunk (name and CRC)."""
    return data.startswith(b"\x89PNG\r\n\x1a\n") and data.endswith(b"IEND\xaeB`\x82")


def _utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def store(drawing: Path | None, data: bytes) -> None:
    """Keep a drawing (atomically: a reader never sees half of one)."""
    if drawing is None:
        return
    tmp = drawing.with_name(f".{drawing.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        drawing.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_bytes(data)
        os.replace(tmp, drawing)
    except OSError:  # a read-only cache: the next build draws again
        tmp.unlink(missing_ok=True)


def prune(where: Path | None, suffix: str) -> None:
    """Remove the drawings of this folder unused for CACHE_DAYS."""
    if where is None or not where.is_dir():
        return
    before = time.time() - CACHE_DAYS * 86400
    for drawing in where.glob(f"*/*{suffix}"):
        try:
            if drawing.stat().st_mtime < before:
                drawing.unlink()
        except OSError:
            pass


def jinja_bytecode(kind: str) -> Any:  # noqa: ANN401 - a jinja2.BytecodeCache, imported lazily
    """Compiled Jinja templates kept in BEANFLOWS_CACHE_DIR/<kind> (None: no writable folder).

    Compiling a set of templates costs about a tenth of a second in every process that renders
    with them. Jinja names an entry by its template and checks it by the template's source
    checksum and the Python version, so an edited template is compiled again; an unreadable
    entry is compiled again too."""
    root = os.environ.get("BEANFLOWS_CACHE_DIR")
    if not root:
        return None
    folder = Path(root) / kind
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    if not os.access(folder, os.W_OK):
        return None
    from jinja2 import FileSystemBytecodeCache

    return FileSystemBytecodeCache(str(folder))
