"""Benchmark of the build spine (issue 2): full build, no-change rebuild, raw scan, memory.

    uv run python bench/bench_build.py [--data ../shared/data] [--source usda_psd | --all]
                                       [--repeat 3] [--cold-caches]

Prints, measured in this one run: the full build from the real upstream files (a fresh var/
and output folder each time), the no-change rebuild, DuckDB's own scan of the same input
files (the floor any build must pay), their ratios, the CPU seconds and the peak RSS of the
build processes. Each build is repeated (median, min and max printed): on a shared 2-vCPU
machine one sample can be off by 30%. Targets (2 cores): full build of one source <= 10 s,
of every source <= 12 s (issue 15), no-change rebuild <= 3 s, peak RSS <= 1 GB.

With --all it also measures one new CFTC COT week end to end (target <= 4 s): a build from the
same files with the newest week of the 2025 legacy annual file held back (the file as CFTC
published it a week earlier) dated yesterday, then the real file today (as the nightly sees
it): the seconds of that rebuild and how many published files it changed.

The machine-level caches (the Vega bundle and compiled mkdocs templates, keyed by the
installed library versions; the planned empty warehouse of this project version,
beanflows/plan_cache.py; SQLMesh's parsed models in models/.cache) are warm unless
--cold-caches points the first three at an empty folder for every build (a first build on a
new machine: it plans).
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import tempfile
import time
import zipfile
from datetime import date, timedelta
from pathlib import Path

import duckdb

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run as a script: `bench` is importable from the checkout
    sys.path.insert(0, str(REPO))

from bench import build_runs  # noqa: E402

NEW_WEEK_FILE = Path("cftc_cot") / "legacy_futures_only_2025_ytd" / "annual.txt"


def run_build(
    args: list[str], cwd: Path, extra_env: dict[str, str] | None = None
) -> tuple[float, float, str]:
    """(seconds, peak RSS in MB, stderr) of one `beanflows build` process."""
    run = build_runs.run_build(args, cwd, extra_env)
    return run.seconds, run.process_peak_mb, run.log


def new_week(data: Path, root: Path, env: dict[str, str]) -> tuple[float, list[str], int, float]:
    """(seconds, published files changed, files published, CPU seconds) of the rebuild that
    takes in one new COT week, after a build of the same files with that week held back."""
    feed, real = root / "inputs", data / NEW_WEEK_FILE
    build_runs.mirror(data, feed, {real})
    build_runs.drop_last_week(real, feed / NEW_WEEK_FILE)
    common = ["--raw-from", str(feed), "--var", "var", "--out", "dist"]
    # The nightly that takes the week in runs on the day after the last build: SQLMesh then
    # also has a new day's intervals to run, as it has every night.
    today = date.today()
    run_build([*common, "--today", (today - timedelta(days=1)).isoformat()], root, env)
    before = build_runs.published(root / "dist")
    (feed / NEW_WEEK_FILE).unlink()
    (feed / NEW_WEEK_FILE).symlink_to(real.resolve())
    run = build_runs.run_build([*common, "--today", today.isoformat()], root, env)
    after = build_runs.published(root / "dist")
    return run.seconds, build_runs.changed(before, after), len(before), run.cpu_seconds


def raw_scan(data: Path, source: str) -> float:
    """DuckDB reading the same upstream files the source ingests (all columns as text)."""
    con = duckdb.connect()
    with tempfile.TemporaryDirectory() as tmp:
        files = []
        for path in sorted(data.rglob("*")):
            if path.suffix == ".zip" and source in ("usda_psd", "all"):
                if "psd" in path.name or source == "all":
                    with zipfile.ZipFile(io.BytesIO(path.read_bytes())) as zf:
                        for name in zf.namelist():
                            target = Path(tmp) / f"{path.stem}_{name}"
                            target.write_bytes(zf.read(name))
                            files.append(target)
            elif path.suffix == ".csv" and (source == "all" or "usda_psd" in path.parts):
                files.append(path)
        t0 = time.perf_counter()
        for f in files:
            con.execute(
                "SELECT COUNT(*) FROM read_csv(?, all_varchar = true, null_padding = true, "
                "ignore_errors = true)", [str(f)]
            ).fetchone()  # fmt: skip
        return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--source", default="usda_psd")
    parser.add_argument("--all", action="store_true", help="every source, not one")
    parser.add_argument("--repeat", type=int, default=3, help="builds of each kind (median)")
    parser.add_argument("--cold-caches", action="store_true", help="empty caches")
    args = parser.parse_args()
    args.data = args.data.resolve()  # the build runs in a temporary folder
    if not args.data.is_dir():
        sys.exit(f"no upstream samples at {args.data}")
    source = "all" if args.all else args.source
    full, again, cpu, peaks, skipped = [], [], [], [], True
    week: list[float] = []
    week_changed: list[int] = []
    week_cpu: list[float] = []
    print(f"start: {build_runs.load()}", flush=True)
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            env = {"BEANFLOWS_CACHE_DIR": str(root / "cold-cache")} if args.cold_caches else {}
            common = ["--raw-from", str(args.data), "--var", "var", "--out", "dist"]
            if source != "all":
                common += ["--source", source]
            cpu0 = _children_cpu()
            seconds, peak, _ = run_build(common, root, env)
            full.append(seconds)
            cpu.append(_children_cpu() - cpu0)
            seconds, peak2, log = run_build(common, root, env)
            again.append(seconds)
            peaks += [peak, peak2]
            skipped &= "transform skipped" in log.replace("\n", " ")
        if source == "all":
            with tempfile.TemporaryDirectory() as tmp:
                seconds, diff, total, week_cpu_s = new_week(args.data, Path(tmp), env)
                week.append(seconds)
                week_cpu.append(week_cpu_s)
                week_changed.append(len(diff))
    scan_s = raw_scan(args.data, source)
    caches = "cold (empty cache folder per build)" if args.cold_caches else "warm"
    print(f"source(s): {source}; input: {args.data}; {args.repeat} runs each; caches {caches}")
    target = "(target <= 10 s)" if source != "all" else "(the 10 s target is per source)"
    print(f"full build        {_spread(full)}   {target}")
    print(f"no-change rebuild {_spread(again)}   transform skipped: {skipped}   (target <= 3 s)")
    print(f"DuckDB raw scan   {scan_s:7.2f} s   (read_csv of the same input files)")
    f, a = statistics.median(full), statistics.median(again)
    print(f"ratios (medians): full/scan {f / scan_s:6.1f}x   no-change/full {a / f:5.2f}")
    print(f"CPU seconds of a full build (all its processes): {statistics.median(cpu):.1f} s")
    print(f"peak RSS of any build process: {max(peaks):.0f} MB (target <= 1024 MB)")
    if week:
        print(f"new COT week      {_spread(week)}   published files changed: "
              f"{statistics.median(week_changed):.0f} of {total} ({diff[:8]} ...)")  # fmt: skip
        print(f"CPU seconds of a new-week build (all its processes): "
              f"{statistics.median(week_cpu):.1f} s")  # fmt: skip
        print(f"end: {build_runs.load()}")
        print(build_runs.target_line("full build (median)", f, 12.0))
        print(build_runs.target_line("new COT week (median)", statistics.median(week), 4.0))
    else:
        print(f"end: {build_runs.load()}")


def _spread(values: list[float]) -> str:
    med = statistics.median(values)
    return f"{med:7.2f} s median (min {min(values):.2f}, max {max(values):.2f})"


def _children_cpu() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


if __name__ == "__main__":
    main()
