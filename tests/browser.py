"""Headless Chromium for the browser suites: the flags that work here (as root, offline) and one
launcher, so every suite starts the browser the same way (see ../shared/STACK.md).

The browser is `chromium` found on PATH (Debian's package), or BEANFLOWS_CHROMIUM."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path(os.environ.get("BEANFLOWS_CHROMIUM") or shutil.which("chromium") or "chromium")
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]  # fmt: skip
# for suites that assert no request leaves 127.0.0.1 (Chromium calls Google hosts otherwise)
LOOPBACK_ONLY = [*FLAGS, "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"]


def require_chromium() -> Any:
    """Playwright's sync API, or skip the test when Chromium or Playwright is missing."""
    if not CHROMIUM.is_absolute() or not CHROMIUM.is_file():
        pytest.skip(f"{CHROMIUM} not installed (apt-get install chromium); browser tests skipped")
    return pytest.importorskip("playwright.sync_api")


@contextmanager
def chromium(home: Path, flags: list[str] = FLAGS) -> Iterator[Any]:
    """A launched headless Chromium with HOME in `home` (a fresh profile per launch), closed
    and HOME restored afterwards."""
    sync_api = require_chromium()
    old = os.environ.get("HOME")
    os.environ["HOME"] = str(home)
    pw = sync_api.sync_playwright().start()
    browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=flags)
    try:
        yield browser
    finally:
        browser.close()
        pw.stop()
        if old is not None:
            os.environ["HOME"] = old
