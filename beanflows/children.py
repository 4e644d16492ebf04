"""Child processes that end with the build that started them, however it ends.

The build starts helpers (SQLMesh, the Vega bundle, mkdocs) to use both cores. A `kill -9` of
the build must not leave them running: SQLMesh would hold the warehouse, the others would
write into caches and temporary folders after the build is gone. On Linux the kernel sends
them SIGKILL when their parent dies (PR_SET_PDEATHSIG, set between fork and exec).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
from typing import Any

_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:  # runs in the child, between fork and exec
    # not Linux: the child's own watcher (if any) covers it
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def forks_die_with_this_process() -> None:
    """Processes this one forks (SQLMesh loads models in a fork pool) die with it too.

    The kernel clears the parent-death signal in a forked child; without this, killing the
    SQLMesh process would leave its pool workers blocked on their queue forever, holding the
    build's output pipes open.
    """
    if sys.platform.startswith("linux"):
        os.register_at_fork(after_in_child=_die_with_parent)


def popen(args: list[str], **kwargs: Any) -> subprocess.Popen:
    """subprocess.Popen of a child that the kernel kills when this process dies."""
    if sys.platform.startswith("linux"):
        kwargs.setdefault("preexec_fn", _die_with_parent)
    return subprocess.Popen(args, **kwargs)


def start_transform() -> subprocess.Popen:
    """The build's SQLMesh process (`beanflows.transform_child`), which imports SQLMesh right
    away and then waits for its settings. It lives here, not in `transform_child`, so that a
    build can start it before importing anything else of the build (SQLMesh's imports are
    the longest thing a new week's build waits for; a tenth of a second earlier is as much
    sooner done)."""
    return popen(
        [sys.executable, "-m", "beanflows.transform_child"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "BEANFLOWS_PARENT_PID": str(os.getpid())},
        start_new_session=True,  # its own process group: `cancel` also stops what it forked
    )


def start_transform_for(argv: list[str]) -> subprocess.Popen | None:
    """The SQLMesh process, started now when the command line (without the program) is a
    build: both `python -m beanflows` and the `beanflows` script start it first thing."""
    return start_transform() if argv[:1] == ["build"] else None
