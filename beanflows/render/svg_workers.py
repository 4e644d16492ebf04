"""Chart drawing in child processes: one vl-convert runtime per core instead of one in all.

vl-convert runs every drawing of a process on its single Deno runtime, so in-process drawing
uses one core however many threads call it; a drawing costs 40-100 ms of CPU, mostly
measuring label text. At 40 commodities (about 400 drawings) that one core is the render's
critical path. Each worker here is a Python child with its own runtime, fed one Vega-Lite spec
per line on stdin and answering one JSON line (`{"svg": ...}` or `{"error": ...}`) on stdout.
A worker ends at the end of its input, so it ends with the build however the build ends (the
kernel closes the pipe). Workers start from the drawing threads: no `preexec_fn` (unsafe with
threads), so not `beanflows.children`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

WORKERS_ENV = "BEANFLOWS_SVG_WORKERS"  # how many drawing processes (default: one per core)
MAX_DEFAULT = 2  # more runtimes than this start slower than they draw on a typical build

_RUNNER = """
import json, sys
import vl_convert
for line in sys.stdin:
    try:
        out = {"svg": vl_convert.vegalite_to_svg(json.loads(line))}
    except Exception as exc:
        out = {"error": f"{type(exc).__name__}: {str(exc)[:300]}"}
    sys.stdout.write(json.dumps(out) + "\\n")
    sys.stdout.flush()
"""


def count() -> int:
    """Drawing processes to run: BEANFLOWS_SVG_WORKERS, else one per core (at most 2)."""
    try:
        wanted = int(os.environ.get(WORKERS_ENV, "0"))
    except ValueError:
        wanted = 0
    return wanted if wanted > 0 else max(1, min(MAX_DEFAULT, os.cpu_count() or 1))


def start() -> subprocess.Popen:
    """A drawing process (its runtime starts on the first spec it reads)."""
    return subprocess.Popen(
        [sys.executable, "-c", _RUNNER],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        encoding="utf-8",
    )


def draw(proc: subprocess.Popen, spec: dict[str, Any]) -> str:
    """The SVG of one spec, drawn by `proc` (one request at a time per process).

    Raises RuntimeError when the spec cannot be drawn, OSError or EOFError when the process
    is gone (the caller then draws in-process)."""
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(json.dumps(spec, separators=(",", ":")) + "\n")
    proc.stdin.flush()
    line = proc.stdout.readline()
    if not line:
        raise EOFError(f"drawing process ended (exit code {proc.poll()})")
    answer = json.loads(line)
    if "error" in answer:
        raise RuntimeError(answer["error"])
    return str(answer["svg"])


def stop(proc: subprocess.Popen) -> None:
    """Close its input (it exits at end of input) and reap it."""
    try:
        if proc.stdin is not None:
            proc.stdin.close()
        proc.wait(timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        proc.kill()
        proc.wait()
