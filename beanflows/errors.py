"""Operator-facing failures: one clear line and a documented exit code, never a traceback.

Exit codes of `beanflows` (also in README.md):
    0   everything built and published
    1   a source, an audit, the export or the render failed; all good data still published
    2   usage or configuration error (bad option, unreadable or invalid --config)
    3   the environment stopped the build (permission denied, disk full, I/O error)
    70  an unexpected internal error (a bug: rerun with --debug for the traceback)
    75  another build holds the lock of this var folder; nothing was written
`--debug` (or BEANFLOWS_DEBUG=1) prints the traceback as well.
"""

from __future__ import annotations

import errno
import os
import re
import signal
import sys
import tomllib
import traceback
from argparse import Namespace
from collections.abc import Callable

EXIT_FAILED, EXIT_USAGE, EXIT_ENVIRONMENT, EXIT_INTERNAL, EXIT_LOCKED = 1, 2, 3, 70, 75
_PATH = re.compile(r"(?<![\w:/])(?:/[^\s'\"/:]+)+/([^\s'\":/]+)")


class UsageError(Exception):
    """A bad option or settings file: exit 2 with this message."""


def debug() -> bool:
    """True when tracebacks were asked for (`--debug` sets BEANFLOWS_DEBUG for child processes)."""
    return os.environ.get("BEANFLOWS_DEBUG") == "1"


def without_paths(text: str) -> str:
    """Replace absolute local paths by their file name: public files never show local paths."""
    return _PATH.sub(lambda m: m.group(1), text)


def one_line(exc: BaseException) -> tuple[int, str]:
    """(exit code, message) for an exception that stopped a command."""
    from beanflows.lock import LockHeld

    if isinstance(exc, LockHeld):
        return EXIT_LOCKED, str(exc)
    if isinstance(exc, UsageError):
        return EXIT_USAGE, str(exc)
    if isinstance(exc, tomllib.TOMLDecodeError):
        return EXIT_USAGE, f"invalid settings file: {exc}"
    if isinstance(exc, PermissionError):
        where = exc.filename or "a file"
        return EXIT_ENVIRONMENT, f"permission denied writing or reading {where}: fix its owner/mode"
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        where = f" writing {exc.filename}" if exc.filename else ""
        return EXIT_ENVIRONMENT, f"no space left on device{where}: free space and rerun"
    if isinstance(exc, OSError):
        where = f" ({exc.filename})" if exc.filename else ""
        return EXIT_ENVIRONMENT, f"I/O error{where}: {exc.strerror or exc}"
    text = str(exc).strip().splitlines()
    first = text[0] if text else ""
    if "Permission denied" in first:  # DuckDB reports file errors as its own exceptions
        return EXIT_ENVIRONMENT, f"permission denied: {first}"
    if "No space left" in first:
        return EXIT_ENVIRONMENT, f"no space left on device: {first}"
    return EXIT_INTERNAL, f"internal error {type(exc).__name__}: {first} (--debug shows where)"


def run_clean(func: Callable[[Namespace], int], args: Namespace, debug: bool = False) -> int:
    """Run a command; turn any exception into one line on stderr and its exit code."""
    if debug:
        os.environ["BEANFLOWS_DEBUG"] = "1"
    try:
        return func(args)
    except KeyboardInterrupt:
        print("beanflows: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - the operator gets one line, --debug the rest
        if debug:
            traceback.print_exc()
        code, message = one_line(exc)
        print(f"beanflows: {message}", file=sys.stderr)
        return code


def checkpoint(step: str) -> None:
    """Fault injection for the kill tests: `BEANFLOWS_KILL_AT=<step>[:<n>]` makes the build
    kill itself with SIGKILL the n-th time (default 1st) it passes this step, exactly as an
    operator's `kill -9` or a power cut would. Unset in production: one dict lookup."""
    target = os.environ.get("BEANFLOWS_KILL_AT")
    if not target or target.split(":")[0] != step:
        return
    count = int(os.environ.get("_BEANFLOWS_KILL_COUNT", "0")) + 1
    os.environ["_BEANFLOWS_KILL_COUNT"] = str(count)
    if count >= int((target.split(":") + ["1"])[1]):
        os.kill(os.getpid(), signal.SIGKILL)
