"""Methodology section: mkdocs-material, generated from catalog.json and the SQLMesh models.

The hand-written pages live in site/docs; beanflows.render.methodology_pages adds a page per
dataset (every field with type, unit and meaning, licence and citation, the trail from the
dataset down to its raw files and upstream URLs, audits), per source (publisher, licence,
citation, URLs, schedule, quirks from source.toml), per model (its header comment, what it
reads and what reads it, its SQL) and per audit; this module builds them into OUT/methodology.
The catalog is the single truth for fields, so the methodology
cannot drift from what is published. SOURCE_DATE_EPOCH is pinned to the catalog's build time
so mkdocs' sitemap dates do not change between identical rebuilds.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from beanflows import children, layout
from beanflows.render.methodology_pages import generate


def _epoch(catalog: dict[str, Any]) -> str:
    text = str(catalog.get("built_at") or "2000-01-01T00:00:00Z").replace("Z", "+00:00")
    try:
        return str(int(datetime.fromisoformat(text).timestamp()))
    except ValueError:
        return "946684800"


def prestart() -> subprocess.Popen:
    """Start a mkdocs process (`methodology_runner`) that loads its libraries and writes the
    client reference, then waits for `Build` to use it: its interpreter start and imports
    overlap the transform and the export.

    Stop it with `.kill()` if no methodology is built after all.
    """
    here = Path(__file__).parent
    return children.popen(
        # a script: nothing of beanflows is imported; -P keeps beanflows/render off sys.path
        [sys.executable, "-P", str(here / "methodology_runner.py"), str(here / "client_docs.py")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )


class Build:
    """An mkdocs build running in a child process (it takes ~1 s of CPU, GIL included)."""

    def __init__(
        self, out_dir: Path, catalog: dict[str, Any], proc: subprocess.Popen | None = None
    ) -> None:
        self.out_dir = out_dir
        self.pages: dict[str, int] = {}  # {"pages_cached", "pages_built"} once finished
        self._tmp = tempfile.TemporaryDirectory(prefix="beanflows-mkdocs-")
        self.work = Path(self._tmp.name)
        docs = self.work / "docs"
        shutil.copytree(layout.SITE_DIR / "docs", docs)
        nav = generate(docs, catalog, client_reference=False)  # the mkdocs process writes it
        cfg = yaml.safe_load((layout.SITE_DIR / "mkdocs.yml").read_text(encoding="utf-8"))
        cfg.update(nav=nav, docs_dir=str(docs), site_dir=str(self.work / "site"))
        cfg["hooks"] = [str(layout.SITE_DIR / "mkdocs_hooks.py")]  # compiled-template cache
        config = self.work / "mkdocs.yml"
        config.write_text(yaml.safe_dump(cfg, sort_keys=False))
        # sitemap dates from the catalog's build time (identical rebuilds stay identical)
        order = {"config": str(config), "epoch": _epoch(catalog),
                 "client_reference": str(docs / "client-reference.md")}  # fmt: skip
        self.proc = proc or prestart()
        try:
            self.proc.stdin.write((json.dumps(order) + "\n").encode())
            self.proc.stdin.close()
        except (BrokenPipeError, OSError):
            pass  # the runner died: finish() reports its exit code and stderr
        self.proc.stdin = None  # handed over; communicate() must not flush it again

    def finish(self) -> int:
        """Wait for mkdocs, copy the changed files into OUT/methodology; return page count."""
        try:
            out, err = self.proc.communicate(timeout=300)
            if self.proc.returncode != 0:
                raise RuntimeError(f"mkdocs build failed: {(err or out).decode()[-800:]}")
            self.pages = _counts(out)
            return _sync(self.work / "site", self.out_dir / "methodology")
        finally:
            self._tmp.cleanup()


def _counts(out: bytes | None) -> dict[str, int]:
    """The runner's last line: how many pages came from its cache and how many it built."""
    try:
        counts = json.loads((out or b"").decode().strip().splitlines()[-1])
    except (ValueError, IndexError):
        return {}
    return counts if isinstance(counts, dict) else {}


def _sync(src: Path, dst: Path) -> int:
    """Copy changed files only and drop files the new build no longer has."""
    pages = 0
    wanted = set()
    for path in sorted(src.rglob("*")):
        if not path.is_file():
            continue
        rel = path.relative_to(src)
        wanted.add(rel)
        pages += path.name == "index.html"
        target = dst / rel
        data = path.read_bytes()
        if target.is_file() and target.read_bytes() == data:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    if dst.is_dir():
        for path in sorted(dst.rglob("*"), reverse=True):
            rel = path.relative_to(dst)
            if path.is_file() and rel not in wanted:
                path.unlink()
            elif path.is_dir() and not any(path.iterdir()):
                path.rmdir()
    return pages
