"""The scale benchmark runs end to end in its small mode and ends with its one-line summary.

bench/bench_scale.py is what proves the build at 40 commodities; if it broke (a generated file
the ingest rejects, a configuration the loader refuses, a build that fails), nobody would see
it until the next time someone measured. The small mode (4 commodities, 2 years, 8 markets)
goes through every step the full run takes: generate, full build, no-change rebuild, one new
COT week. No timing is asserted here: the benchmark prints its figures against the targets.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
LAST = re.compile(
    r"^scale: (\d+) commodities, full (\d+\.\d) s, no-change (\d+\.\d) s, "
    r"new week (\d+\.\d) s, peak RSS (\d+) MB$"
)


def test_small_scale_benchmark_prints_its_summary(tmp_path) -> None:
    work = tmp_path / "work"
    proc = subprocess.run(
        [sys.executable, str(REPO / "bench" / "bench_scale.py"), "--small", "--work", str(work),
         "--timeout-seconds", "300"],
        capture_output=True, text=True, timeout=600, cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = proc.stdout.strip().splitlines()
    m = LAST.match(lines[-1])
    assert m, lines[-1]
    assert m.group(1) == "4"
    assert float(m.group(2)) > 0 and int(m.group(5)) > 0
    # the no-change rebuild really changed nothing: SQLMesh was not even asked
    assert "transform skipped: True" in proc.stdout
    # the new week reached the published files: the COT datasets changed, the PSD ones not
    changed = (work / "changed.txt").read_text().split()
    assert "data/free/cot_legacy.parquet" in changed and "data/catalog.json" in changed, changed
    assert not [f for f in changed if "psd_coffee" in f or "prices_daily" in f], changed
    assert f"published files changed: {len(changed)} of" in proc.stdout
    log = (work / "new-week.log").read_text()
    assert "transform ran" in log, log[-2000:]
