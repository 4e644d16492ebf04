"""The charts' Altair shapes kept on disk, under BEANFLOWS_CACHE_DIR/altair-<altair version>.

Altair takes 2-20 ms to build a chart shape (its JSON-schema checks), about a fifth of a
second for the site's 19 shapes: a nightly need not pay it again for the same shapes. A shape
is what the code of the module that defines it (`charts`: its CONFIG, `_finish`, the shape
function) makes of its arguments, so the key is those arguments and that module's source.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Callable
from functools import lru_cache, wraps
from pathlib import Path
from typing import Any

from beanflows import drawing_cache

SHAPES = "altair"  # the kept shapes' folder: BEANFLOWS_CACHE_DIR/altair-<altair version>


def kept(shape: Callable[..., str]) -> Callable[..., str]:
    """The shape from this process's memory, else from the cache folder, else built by Altair
    and kept. A kept file that is not a spec (damaged by a full disk, another tool) is built
    and written again (`drawing_cache.load`'s check), as a damaged drawing is."""
    code = hashlib.sha256(Path(sys.modules[shape.__module__].__file__).read_bytes()).hexdigest()

    @lru_cache(maxsize=256)
    @wraps(shape)
    def cached(*args: Any) -> str:
        key = hashlib.sha256(f"{shape.__name__}\n{json.dumps(args)}\n{code}".encode())
        where = drawing_cache.path(drawing_cache.folder(SHAPES, "altair"), key.hexdigest(), ".json")
        text = drawing_cache.load(where, _spec)
        if text is not None:
            return text.decode("utf-8")
        out = shape(*args)
        drawing_cache.store(where, out.encode("utf-8"))
        return out

    return cached


def _spec(data: bytes) -> bool:
    """A kept shape as Altair wrote it: a JSON object (UTF-8)."""
    try:
        return isinstance(json.loads(data), dict)
    except ValueError:  # UnicodeDecodeError included
        return False


def prune() -> None:
    """Remove the kept shapes unused for drawing_cache.CACHE_DAYS."""
    drawing_cache.prune(drawing_cache.folder(SHAPES, "altair"), ".json")
