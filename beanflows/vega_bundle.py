"""The Vega + Vega-Lite + vega-embed JavaScript bundle the site's charts load, cached.

vl-convert-python generates the ~900 KB bundle in about 3 s of CPU, and its bytes depend only
on the installed vl-convert version. So it is cached per version beside the installation (in
the virtualenv, like bytecode: a fresh var/ or output folder does not pay for it again), or
in BEANFLOWS_CACHE_DIR when set (the test suite does), or in VAR/cache outside a virtualenv.
This module stays apart from beanflows.render so the build can look at the cache and start
the generation in a child process without importing Altair first.
"""

from __future__ import annotations

import os
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

from beanflows import children

GENERATE = (
    "import sys, vl_convert; sys.stdout.buffer.write(vl_convert.javascript_bundle().encode())"
)

Prewarm = tuple[subprocess.Popen, Path, Path]  # (child, its temporary file, cache file)


def default_cache_dir(var_dir: Path) -> Path:
    """The virtualenv's share/beanflows when in a writable virtualenv, else VAR/cache."""
    venv = Path(sys.prefix) / "share" / "beanflows"
    if sys.prefix != sys.base_prefix and os.access(sys.prefix, os.W_OK):
        return venv
    return var_dir / "cache"


def cached_path(vl_version: str | None = None) -> Path | None:
    """Where the bundle of this vl-convert version is kept (None: no cache configured)."""
    root = os.environ.get("BEANFLOWS_CACHE_DIR")
    vl_version = vl_version or version("vl-convert-python")
    return Path(root) / f"vega-{vl_version}.js" if root else None


def prewarm() -> Prewarm | None:
    """Start generating the bundle into the cache now, in a child process.

    The build calls this first thing: a cold cache costs seconds of CPU, which then overlap
    ingest and SQLMesh instead of delaying the render. Returns the child to hand to
    `finish_prewarm` before rendering, or None when the bundle is already cached.
    """
    shared = cached_path()
    if shared is None or shared.is_file():
        return None
    try:
        shared.parent.mkdir(parents=True, exist_ok=True)
        tmp = shared.with_name(f".{shared.name}.{os.getpid()}.tmp")
        with tmp.open("wb") as out:
            proc = children.popen(
                [sys.executable, "-c", GENERATE], stdout=out, stderr=subprocess.DEVNULL
            )
    except OSError:  # a read-only cache folder: the render bundles for itself
        return None
    return proc, tmp, shared


def finish_prewarm(prewarm: Prewarm | None) -> None:
    """Wait for a prewarm child and move its bundle into the cache (atomically)."""
    if prewarm is None:
        return
    proc, tmp, shared = prewarm
    try:
        if proc.wait() == 0 and tmp.stat().st_size > 0:
            os.replace(tmp, shared)
        else:
            tmp.unlink(missing_ok=True)
    except OSError:  # the render bundles for itself
        tmp.unlink(missing_ok=True)


def ensure(var_dir: Path = Path("var")) -> Path | None:
    """Make the bundle now unless it is cached (./dev.sh build does, once per install)."""
    os.environ.setdefault("BEANFLOWS_CACHE_DIR", str(default_cache_dir(var_dir)))
    finish_prewarm(prewarm())
    return cached_path()


if __name__ == "__main__":
    ensure()
