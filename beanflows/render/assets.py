"""Site assets with content-hashed names (cache forever; a change makes a new name).

The Vega/Vega-Lite/vega-embed bundle comes from vl-convert-python, so charts draw without any
CDN; it is written once and shared by every page. Bundling takes ~5 s of CPU and holds the
GIL, so a cold build bundles in a child process while the pages render, and
`assets/manifest.json` remembers which file belongs to which vl-convert version: a rebuild
with the same version reuses the file without bundling again.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

STATIC = Path(__file__).resolve().parents[2] / "templates" / "static"
VEGA_PLACEHOLDER = "/assets/__vega_bundle__.js"
_BUNDLE = "import sys, vl_convert; sys.stdout.buffer.write(vl_convert.javascript_bundle().encode())"


def hashed_name(stem: str, ext: str, data: bytes) -> str:
    return f"{stem}.{hashlib.sha256(data).hexdigest()[:12]}.{ext}"


def _write(path: Path, data: bytes) -> None:
    if path.is_file() and path.read_bytes() == data:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


class Assets:
    """Writes the small assets at once; the Vega bundle when `finish()` is called."""

    def __init__(self, out_dir: Path) -> None:
        self.dir = out_dir / "assets"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.urls: dict[str, str] = {}
        for key, (stem, ext, name) in {
            "css": ("site", "css", "site.css"),
            "js": ("site", "js", "site.js"),
            "icon": ("icon", "svg", "icon.svg"),
        }.items():
            data = (STATIC / name).read_bytes()
            fname = hashed_name(stem, ext, data)
            _write(self.dir / fname, data)
            self.urls[key] = f"/assets/{fname}"
        self.vl_version = version("vl-convert-python")
        self.manifest = self._manifest()
        cached = self.manifest.get("vega")
        shared = _shared_bundle(self.vl_version)
        if (
            self.manifest.get("vl_convert") == self.vl_version
            and cached
            and (self.dir / cached).is_file()
        ):
            self.vega_file: str | None = cached
            self._proc = None
        elif shared is not None and shared.is_file():  # built before, in another output folder
            data = shared.read_bytes()
            self.vega_file = hashed_name("vega", "js", data)
            _write(self.dir / self.vega_file, data)
            self._proc = None
        else:
            self.vega_file = None
            self._proc = subprocess.Popen(
                [sys.executable, "-c", _BUNDLE], stdout=subprocess.PIPE, stderr=subprocess.PIPE
            )
        self.urls["vega"] = f"/assets/{self.vega_file}" if self.vega_file else VEGA_PLACEHOLDER

    def _manifest(self) -> dict[str, str]:
        path = self.dir / "manifest.json"
        try:
            return json.loads(path.read_text())
        except (OSError, ValueError):
            return {}

    def finish(self) -> str:
        """Wait for the bundle (if one is being built), write it; return its URL."""
        if self._proc is not None:
            out, err = self._proc.communicate()
            if self._proc.returncode != 0:
                raise RuntimeError(f"vl_convert bundle failed: {err.decode()[-500:]}")
            self.vega_file = hashed_name("vega", "js", out)
            _write(self.dir / self.vega_file, out)
            self._proc = None
            shared = _shared_bundle(self.vl_version)
            if shared is not None:
                shared.parent.mkdir(parents=True, exist_ok=True)
                _write(shared, out)
        manifest = {
            "vl_convert": self.vl_version,
            "vega": self.vega_file,
            **{k: v.rsplit("/", 1)[1] for k, v in self.urls.items() if k != "vega"},
        }
        text = json.dumps(manifest, indent=1, sort_keys=True) + "\n"
        _write(self.dir / "manifest.json", text.encode())
        self.urls["vega"] = f"/assets/{self.vega_file}"
        return self.urls["vega"]


def _shared_bundle(vl_version: str) -> Path | None:
    """Where the Vega bundle of this vl-convert version is kept across output folders.

    Set BEANFLOWS_CACHE_DIR (the test suite does) so fresh output folders copy the ~900 KB
    bundle instead of spending seconds of CPU regenerating the same bytes.
    """
    root = os.environ.get("BEANFLOWS_CACHE_DIR")
    return Path(root) / f"vega-{vl_version}.js" if root else None


Prewarm = tuple[subprocess.Popen, Path, Path]  # (child, its temporary file, cache file)


def prewarm_bundle() -> Prewarm | None:
    """Start generating the Vega bundle into the shared cache now, in a child process.

    The build calls this first thing: on a fresh machine the bundle costs seconds of CPU,
    which then overlap ingest and SQLMesh instead of delaying the render. Returns the child
    to hand to `finish_prewarm` before rendering, or None when the bundle is already cached.
    """
    shared = _shared_bundle(version("vl-convert-python"))
    if shared is None or shared.is_file():
        return None
    shared.parent.mkdir(parents=True, exist_ok=True)
    tmp = shared.with_name(f".{shared.name}.{os.getpid()}.tmp")
    with tmp.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-c", _BUNDLE], stdout=out, stderr=subprocess.DEVNULL
        )
    return proc, tmp, shared


def finish_prewarm(prewarm: Prewarm | None) -> None:
    """Wait for a prewarm child and move its bundle into the cache (atomically)."""
    if prewarm is None:
        return
    proc, tmp, shared = prewarm
    if proc.wait() == 0 and tmp.stat().st_size > 0:
        os.replace(tmp, shared)
    else:
        tmp.unlink(missing_ok=True)
