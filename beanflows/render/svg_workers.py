"""Chart drawing in child processes: one vl-convert runtime per core instead of one in all.

vl-convert runs every drawing of a process on its single Deno runtime, so in-process drawing
uses one core however many threads call it; a drawing costs 40-100 ms of CPU, mostly
measuring label text. At 40 commodities (about 400 drawings) that one core is the render's
critical path. Each worker here is a Python child with its own runtime, fed one chart per line
on stdin (`{"spec": Vega-Lite at its first width, "widths": [...]}`) and answering one JSON
line (`{"svgs": [...]}` or `{"error": ...}`) on stdout.

A chart is compiled to Vega once and drawn at each of its widths from that: the compiled specs
of two widths differ only in `width` (static drawings have no legend; `static_charts.sized`),
and the drawings are byte-identical to compiling each width (a test checks every chart of the
demo site); the compile is about a sixth of a drawing. Only workers do this: they draw one
chart at a time. (In the build process, threads calling vl-convert's compile and its drawing
at once hung a build: the compile's large returned dict let the garbage collector run a
finalizer mid-call.)

A worker ends at the end of its input, so it ends with the build however the build ends (the
kernel closes the pipe). Workers started by the drawing threads get no `preexec_fn` (unsafe
with threads); the one the build starts ahead from its main thread dies with it
(`beanflows.children`).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

WORKERS_ENV = "BEANFLOWS_SVG_WORKERS"  # how many drawing processes (default: one per core)
MAX_DEFAULT = 2  # more runtimes than this start slower than they draw on a typical build


def draw_widths(spec: dict[str, Any], widths: list[int]) -> list[str]:
    """The chart at each width, from one compile (`spec`: sized for its first width)."""
    import vl_convert

    vega = vl_convert.vegalite_to_vega(spec)
    svgs = []
    for width in widths:
        vega["width"] = width
        svgs.append(vl_convert.vega_to_svg(vega))
    return svgs


# A tiny chart drawn before the first request: vl-convert starts its Deno runtime (most of a
# second) on the first drawing, which a worker started ahead (render_step.prestart) thereby
# does while SQLMesh still runs.
WARM_UP = {"data": {"values": [{"a": 1}]}, "mark": "point",
           "encoding": {"x": {"field": "a", "type": "quantitative"}}}  # fmt: skip


def serve() -> None:
    """A worker: one chart per line in, its drawings (or the error) as one line out."""
    import vl_convert

    vl_convert.vegalite_to_svg(WARM_UP)
    for line in sys.stdin:
        try:
            chart = json.loads(line)
            out: dict[str, Any] = {"svgs": draw_widths(chart["spec"], chart["widths"])}
        except Exception as exc:  # noqa: BLE001 - reported to the drawing thread
            out = {"error": f"{type(exc).__name__}: {str(exc)[:300]}"}
        sys.stdout.write(json.dumps(out) + "\n")
        sys.stdout.flush()


def count() -> int:
    """Drawing processes to run: BEANFLOWS_SVG_WORKERS, else one per core (at most 2)."""
    try:
        wanted = int(os.environ.get(WORKERS_ENV, "0"))
    except ValueError:
        wanted = 0
    return wanted if wanted > 0 else max(1, min(MAX_DEFAULT, os.cpu_count() or 1))


def start(main_thread: bool = False) -> subprocess.Popen:
    """A drawing process; it starts its runtime at once, then waits for charts.

    `main_thread`: started by the build's main thread (render_step.prestart), so it can be
    made to die with the build (`beanflows.children`; the kernel ties that to the starting
    thread, which is why the drawing threads do not). Either way it ends at end of input."""
    popen = subprocess.Popen
    if main_thread:
        from beanflows import children

        popen = children.popen
    return popen(
        # this file as a script: nothing of beanflows is imported (its renderer is heavy);
        # -P keeps the script's folder (beanflows/render: data.py, layout.py...) off sys.path
        [sys.executable, "-P", __file__],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        encoding="utf-8",
    )


def draw(proc: subprocess.Popen, spec: dict[str, Any], widths: list[int]) -> list[str]:
    """The SVGs of one chart at each width (`spec`: sized for the first), drawn by `proc` (one
    request at a time per process).

    Raises RuntimeError when the spec cannot be drawn, OSError or EOFError when the process
    is gone (the caller then draws in-process)."""
    assert proc.stdin is not None and proc.stdout is not None
    chart = {"spec": spec, "widths": widths}
    proc.stdin.write(json.dumps(chart, separators=(",", ":")) + "\n")
    proc.stdin.flush()
    line = proc.stdout.readline()
    if not line:
        raise EOFError(f"drawing process ended (exit code {proc.poll()})")
    answer = json.loads(line)
    if "error" in answer:
        raise RuntimeError(answer["error"])
    return [str(svg) for svg in answer["svgs"]]


def stop(proc: subprocess.Popen, at_once: bool = False) -> None:
    """Close its input (it exits at end of input) and reap it; `at_once`: kill it first (it
    has nothing in flight, e.g. a worker started ahead for a render that is skipped)."""
    try:
        if at_once:
            proc.kill()
        for pipe in (proc.stdin, proc.stdout):
            if pipe is not None:
                pipe.close()
        proc.wait(timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        proc.kill()
        proc.wait()


if __name__ == "__main__":
    serve()
