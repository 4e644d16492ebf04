"""What the build benchmarks share: run one `beanflows build`, watch its memory, compare outputs.

    run_build(args, cwd)      one build process, bounded in time; seconds, peak RSS, its log
    published(out)            path -> sha256 of every file under an output folder
    changed(before, after)    the published files a build added, changed or removed
    drop_last_week(src, dst)  a COT annual file without its newest report week (zip or text)

Peak RSS is the peak of the *sum* over the build's process tree (the build, the SQLMesh child,
mkdocs, the drawing processes, the Vega bundler), sampled every 50 ms from /proc: what the
machine must hold at once. Each process counts its resident set size as the kernel keeps it
(/proc/PID/stat, no walk of its memory), so the sampler does not slow what it measures. (It
used to read each process's proportional set size from smaps_rollup: a walk of every page
table, 2.5-3 s of CPU during a 12 s build of 40 commodities, with the build's memory
allocations waiting on it, so the timed builds ran 20-30 % slower. Pages shared between
the tree's processes, their common libraries, now count once per process: a few tens of MB
more, never less.) The kernel's high-water mark of the largest single process
(RUSAGE_CHILDREN) is reported beside it; it also catches a spike shorter than a sample.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import re
import resource
import signal
import subprocess
import sys
import threading
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024
# "transform 16.87s, export 2.23s, render 2.79s, total 26.44s" in the build's summary line
STEP = re.compile(r"\b(transform|export|render|total) ([0-9.]+)s")


@dataclass
class Run:
    seconds: float
    tree_peak_mb: float  # peak of the summed RSS of the build's process tree (sampled)
    process_peak_mb: float  # the kernel's high-water mark of any single reaped process
    log: str  # the build's stderr
    returncode: int
    cpu_seconds: float = 0.0  # user + system CPU of the whole process tree (load-independent)

    def step(self, name: str) -> float | None:
        """Seconds of one step (transform, export, render, total) from the summary line."""
        found = dict(STEP.findall(self.log.replace("\n", " ")))
        return float(found[name]) if name in found else None

    @property
    def transform_skipped(self) -> bool:
        return "transform skipped" in self.log.replace("\n", " ")


def _tree_rss_kb(root: int) -> int:
    """Summed resident memory (kB) of `root` and every process descending from it."""
    parent: dict[int, int] = {}
    rss: dict[int, int] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue
        fields = stat[stat.rindex(b")") + 2 :].split()
        pid = int(entry.name)
        parent[pid] = int(fields[1])
        rss[pid] = int(fields[21])
    tree, todo = {root}, [root]
    children: dict[int, list[int]] = {}
    for pid, ppid in parent.items():
        children.setdefault(ppid, []).append(pid)
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in tree:
                tree.add(child)
                todo.append(child)
    return sum(rss[pid] for pid in tree if pid in rss) * PAGE_KB


def run_build(
    args: list[str],
    cwd: Path,
    extra_env: dict[str, str] | None = None,
    timeout_seconds: float = 900,
    accept: tuple[int, ...] = (0, 1),
) -> Run:
    """One `python -m beanflows build ARGS` in `cwd`; stopped (whole tree) after the timeout."""
    env = {**os.environ, "SQLMESH__DISABLE_ANONYMIZED_ANALYTICS": "1", **(extra_env or {})}
    cpu0 = _children_cpu()
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "beanflows", "build", *args],
        cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        start_new_session=True,
    )  # fmt: skip
    peak = [0]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.05):
            peak[0] = max(peak[0], _tree_rss_kb(proc.pid))

    watcher = threading.Thread(target=sample, daemon=True)
    watcher.start()
    try:
        _, err = proc.communicate(timeout=timeout_seconds)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        sys.exit(f"build did not finish within {timeout_seconds:.0f} s: {' '.join(args)}")
    finally:
        done.set()
        watcher.join()
    seconds = time.perf_counter() - t0
    single = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    if proc.returncode not in accept:
        sys.exit(f"build failed ({proc.returncode}):\n{err[-3000:]}")
    return Run(seconds, peak[0] / 1024, single, err, proc.returncode, _children_cpu() - cpu0)


def _children_cpu() -> float:
    """User + system CPU seconds of every reaped descendant of this process so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def published(out: Path) -> dict[str, str]:
    """path (relative) -> sha256 of every file under `out`."""
    return {
        p.relative_to(out).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(out.rglob("*"))
        if p.is_file()
    }


def changed(before: dict[str, str], after: dict[str, str]) -> list[str]:
    """Files added, changed or removed between two `published` snapshots."""
    return sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))


DATE_COLUMNS = ("As of Date in Form YYYY-MM-DD", "Report_Date_as_YYYY-MM-DD")


def drop_last_week_text(text: str) -> tuple[str, str]:
    """(the file without the rows of its newest report date, that date); every other byte is
    kept as it was (line endings, padding, quoting), so the result is the file as CFTC
    published it a week earlier."""
    lines = text.splitlines(keepends=True)
    header = next(csv.reader([lines[0]]))
    col = next(i for i, name in enumerate(header) if name.strip() in DATE_COLUMNS)
    dates = [row[col] if row else "" for row in csv.reader(io.StringIO("".join(lines[1:])))]
    newest = max(dates)
    kept = [line for line, day in zip(lines[1:], dates, strict=True) if day != newest]
    return lines[0] + "".join(kept), newest


def drop_last_week(src: Path, dst: Path) -> str:
    """Write `src` (a COT annual .zip or .txt) to `dst` without its newest week; that date."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    if src.suffix != ".zip":
        text, newest = drop_last_week_text(src.read_bytes().decode("utf-8"))
        dst.write_bytes(text.encode("utf-8"))
        return newest
    with zipfile.ZipFile(src) as z:
        member = z.namelist()[0]
        text, newest = drop_last_week_text(z.read(member).decode("utf-8"))
    with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(member, text)
    return newest


def mirror(src: Path, dst: Path, skip: set[Path] = frozenset()) -> None:
    """`dst` as a tree of symbolic links to the files of `src` (but those in `skip`): an
    input folder that one file can be swapped in without copying the others."""
    for path in sorted(src.rglob("*")):
        if path.is_file() and path not in skip:
            link = dst / path.relative_to(src)
            link.parent.mkdir(parents=True, exist_ok=True)
            link.symlink_to(path.resolve())


def load() -> str:
    """The machine's load averages (1, 5, 15 min) and its speed now: the machine is shared,
    say how busy and how fast it was around each figure."""
    one, five, fifteen = os.getloadavg()
    return f"load {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} cores, {speed()}"


def speed(steps: int = 10_000_000) -> str:
    """Seconds of a fixed pure-Python loop on one core. A shared 2-vCPU host runs the same
    work up to twice as slowly from one quarter hour to the next with no load of its own
    (measured: one loop took 3.2 s, then 6.0 s); figures are comparable only beside this."""
    t0 = time.perf_counter()
    total = 0
    for i in range(steps):
        total += i
    return f"10 M-step Python loop {time.perf_counter() - t0:.2f} s"


def target_line(label: str, measured: float, target: float, unit: str = "s") -> str:
    """`label  measured  (target <= T, ratio R)`; a ratio above 1 misses the target."""
    ratio = measured / target if target else float("inf")
    verdict = "ok" if ratio <= 1 else "MISSED"
    return (
        f"{label:<22} {measured:9.2f} {unit:<3} target <= {target:g} {unit}, "
        f"ratio {ratio:4.2f} {verdict}"
    )
