"""Benchmark of the operator's commands: `status`, `runs` and the per-run bookkeeping.

    uv run python bench/bench_ops.py [--years 10] [--repeat 5]

`status` is what monitoring calls every few minutes, so it must stay fast however long the
box has run. This writes a catalog shaped like the real one (8 sources, 21 datasets) and a run
history of `--years` nightly runs plus requests, then prints, measured in this run: the
`beanflows status` and `beanflows runs` wall times (a new process each, as monitoring runs
them), their ratio to `beanflows --help` (the CLI's own start-up, the floor), and the in-process
cost of recording one run and evaluating alerts with nothing to send. Target: status within
1.5x the CLI's own start-up with 10 years of history (it reads only the tail of runs.jsonl).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

SOURCES = ["cftc_cot", "fred", "ice_stocks", "ico", "open_meteo", "usda_psd", "worldbank",
           "yahoo_prices"]  # fmt: skip


def write_state(root: Path, years: int) -> tuple[Path, Path]:
    from beanflows import runs

    var, out = root / "var", root / "dist"
    (out / "data").mkdir(parents=True)
    sources = {s: {"status": "ok", "last_success": "2026-11-30T05:31:00Z", "error": None,
                   "data_as_of": "2026-11-28", "late": False, "stale_after_days": 10}
               for s in SOURCES}  # fmt: skip
    datasets = {f"dataset_{i}": {"status": "ok", "sources": [SOURCES[i % 8]],
                                 "columns": [{"name": f"c{j}"} for j in range(20)],
                                 "raw_files": [{"sha256": "0" * 64}] * 200}
                for i in range(21)}  # fmt: skip
    (out / "data/catalog.json").write_text(json.dumps({"sources": sources, "datasets": datasets}))
    line = {"kind": "build", "started_at": "2026-11-30T05:30:00Z", "exit_code": 0,
            "sources": {s: {"outcome": "ok", "files_new": 1} for s in SOURCES},
            "datasets_changed": list(datasets)[:5]}  # fmt: skip
    for _ in range(years * 365 + years * 20):
        runs.record(var, line)
    return var, out


def timed(cmd: list[str], repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run(cmd, capture_output=True, check=False)
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        var, out = write_state(Path(tmp), args.years)
        lines = len((var / "runs.jsonl").read_text().splitlines())
        size = (var / "runs.jsonl").stat().st_size
        cli = [sys.executable, "-m", "beanflows"]
        base = timed([*cli, "--help"], args.repeat)
        status = timed([*cli, "status", "--var", str(var), "--out", str(out),
                        "--max-run-age-hours", "0"], args.repeat)  # fmt: skip
        history = timed([*cli, "runs", "--var", str(var)], args.repeat)

        from beanflows import alerts, runs

        t0 = time.perf_counter()
        for _ in range(20):
            runs.record(var, {"kind": "build", "started_at": "x", "exit_code": 0})
            alerts.notify(var, out, {}, env={})
        per_run = (time.perf_counter() - t0) / 20
    print(f"history: {lines} runs, {size / 1e6:.2f} MB of runs.jsonl")
    print(f"beanflows --help (CLI start-up):  {base:.3f} s")
    print(f"beanflows status:                 {status:.3f} s  ({status / base:.2f}x start-up)")
    print(f"beanflows runs (last 20):         {history:.3f} s  ({history / base:.2f}x start-up)")
    print(f"record a run + alerting, no channel: {per_run * 1000:.2f} ms per run")


if __name__ == "__main__":
    main()
