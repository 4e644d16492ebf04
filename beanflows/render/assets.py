"""Site assets with content-hashed names (cache forever; a change makes a new name).

The Vega/Vega-Lite/vega-embed bundle comes from vl-convert-python, so charts draw without any
CDN; it is written once and shared by every page. Bundling takes ~5 s of CPU and holds the
GIL, so a cold build bundles in a child process while the pages render, and
`assets/manifest.json` remembers which file belongs to which vl-convert version: a rebuild
with the same version reuses the file without bundling again.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

from beanflows.render.static_charts import dark_css, key_css
from beanflows.vega_bundle import GENERATE, cached_path

STATIC = Path(__file__).resolve().parents[2] / "templates" / "static"
VEGA_PLACEHOLDER = "/assets/__vega_bundle__.js"


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
            if key == "css":  # the dark recolouring of build-time drawings, the keys' swatches
                data += (dark_css() + key_css()).encode()
            fname = hashed_name(stem, ext, data)
            _write(self.dir / fname, data)
            self.urls[key] = f"/assets/{fname}"
        self.vl_version = version("vl-convert-python")
        self.manifest = self._manifest()
        cached = self.manifest.get("vega")
        shared = cached_path(self.vl_version)
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
                [sys.executable, "-c", GENERATE], stdout=subprocess.PIPE, stderr=subprocess.PIPE
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
            shared = cached_path(self.vl_version)
            if shared is not None:
                with contextlib.suppress(OSError):  # a read-only cache: next build bundles again
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
