"""One build at a time per state folder: an OS lock on VAR/build.lock.

Two builds on one var folder would race on the raw manifest, the landing files and the
DuckDB warehouse (which has one writer). `flock` is released by the kernel when the holder
dies, however it dies (kill -9 included), so a stale lock file never blocks the next night.
The lock is taken before the build writes anything; its file records who holds it, so the
second build can say so in one line.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from beanflows import layout

EXIT_LOCKED = 75  # EX_TEMPFAIL: try again later; distinct from a failed build (1)


class LockHeld(Exception):
    """Another process holds the build lock of this var folder."""

    def __init__(self, path: Path, holder: dict) -> None:
        self.path, self.holder = path, holder
        who = f"pid {holder.get('pid', '?')} since {holder.get('since', '?')}"
        super().__init__(f"another build holds {path} ({who}); nothing was written")


@contextlib.contextmanager
def build_lock(var_dir: Path) -> Iterator[Path]:
    """Hold VAR/build.lock exclusively for the duration, or raise LockHeld at once."""
    var_dir.mkdir(parents=True, exist_ok=True)
    path = layout.lock_file(var_dir)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise LockHeld(path, _holder(fd)) from None
        since = datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps({"pid": os.getpid(), "since": since}).encode(), 0)
        yield path
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def _holder(fd: int) -> dict:
    """Who holds the lock, as its holder wrote it (empty when unreadable)."""
    try:
        return json.loads(os.pread(fd, 4096, 0) or b"{}")
    except (OSError, ValueError):
        return {}
