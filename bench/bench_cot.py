"""CFTC COT benchmarks: extractor vs DuckDB read_csv, and the one-new-week incremental build.

    uv run --frozen python bench/bench_cot.py [--shared ../shared/data] [--repeat 3]

1. Load the 2023 disaggregated file (~9.8k rows x 191 columns, every market) through the
   extractor (header check, strict field counts, date/duplicate/type checks, typed landing of
   the configured markets) and through DuckDB's own `read_csv` (auto-detected) of the same
   extracted file, alternately in the same run; best of N; target ratio <= 1.5.
2. Land the legacy wk1 file, build; land the legacy YTD file, build again restating the YTD
   file's report dates; print which intervals SQLMesh evaluated per model and the row counts.
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import sys
import tempfile
import time
import zipfile
from datetime import date
from pathlib import Path

import duckdb

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from ingest import cftc_cot  # noqa: E402
from ingest.run import ingest_source  # noqa: E402

INCREMENTAL = [
    "staging.cftc_cot_disaggregated",
    "staging.cftc_cot_legacy",
    "cleaned.cftc_cot_disaggregated",
    "cleaned.cftc_cot_legacy",
    "cleaned.cftc_cot_revisions",
]


def bench_extract(shared: Path, repeat: int, tmp: Path) -> None:
    data = (shared / "cftc_cot/disagg_futures_only_2023/fut_disagg_txt_2023.zip").read_bytes()
    text = zipfile.ZipFile(io.BytesIO(data)).read("f_year.txt")
    path = tmp / "f_year.txt"
    path.write_bytes(text)
    ours, theirs, zipped = [], [], []
    for _ in range(repeat):
        t0 = time.perf_counter()
        _, tables = cftc_cot.extract("disagg_futures_only_text", text, "f_year.txt", "bench")
        ours.append(time.perf_counter() - t0)
        con = duckdb.connect()
        t0 = time.perf_counter()
        con.execute(f"CREATE TABLE t AS SELECT * FROM read_csv('{path}')")
        theirs.append(time.perf_counter() - t0)
        rows = con.execute("SELECT count(*) FROM t").fetchone()[0]
        con.close()
        t0 = time.perf_counter()
        cftc_cot.extract("disagg_futures_only_zip", data, "fut_disagg_txt_2023.zip", "bench")
        zipped.append(time.perf_counter() - t0)
    best_ours, best_theirs = min(ours), min(theirs)
    print(f"2023 disaggregated file: {len(text):,} bytes, {rows:,} rows x 191 columns")
    print(f"  extractor (text)        best {best_ours:.3f} s  runs {[round(x, 3) for x in ours]}")
    print(f"  extractor (zip, +unzip) best {min(zipped):.3f} s")
    print(
        f"  duckdb read_csv         best {best_theirs:.3f} s  runs {[round(x, 3) for x in theirs]}"
    )
    print(f"  ratio extractor / read_csv = {best_ours / best_theirs:.2f} (target <= 1.5)")
    print(f"  landed rows (configured markets {cftc_cot.markets()}): "
          f"{tables['disaggregated'].num_rows}")  # fmt: skip


def _run(var: Path, proj: Path, restate: dict, today: date):  # noqa: ANN202
    """The child's transform, in this process so the console hook above sees SQLMesh."""
    from beanflows import transform

    var.mkdir(parents=True, exist_ok=True)
    cwd = Path.cwd()
    os.chdir(var)
    try:
        ctx, result, select = transform.open_project(proj, None)
        try:
            return transform.execute(ctx, result, select, var, restate, today)
        finally:
            ctx.close()
    finally:
        os.chdir(cwd)


def bench_incremental(shared: Path, tmp: Path) -> None:
    from beanflows import transform

    proj = tmp / "models"
    (proj / "models").mkdir(parents=True)
    (proj / "audits").mkdir()
    shutil.copy(REPO / "models/config.py", proj / "config.py")
    for audit in (REPO / "models/audits").glob("cot_*.sql"):
        shutil.copy(audit, proj / "audits")
    shutil.copytree(REPO / "models/models/cftc_cot", proj / "models/cftc_cot")
    shutil.copytree(REPO / "models/macros", proj / "macros")
    evaluated: dict[str, list[tuple[str, str]]] = {}
    collecting = transform._console

    def recording(result):  # noqa: ANN001, ANN202 - instrumentation only
        console = collecting(result)
        base = type(console)

        class Recording(base):  # type: ignore[misc, valid-type]
            def start_evaluation_progress(self, batched_intervals, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
                from sqlmesh.utils.date import to_ds

                for snap, intervals in batched_intervals.items():
                    name = ".".join(p.strip('"') for p in snap.name.split(".")[-2:])
                    evaluated[name] = [(to_ds(a), to_ds(b)) for a, b in intervals]
                return super().start_evaluation_progress(batched_intervals, *args, **kwargs)

        console.__class__ = Recording
        return console

    transform._console = recording
    var = tmp / "var"
    cot = shared / "cftc_cot"
    ingest_source("cftc_cot", var, {}, {}, [cot / "legacy_futures_only_2025_wk1/annual.txt"],
                  date(2025, 3, 20))  # fmt: skip
    t0 = time.perf_counter()
    _run(var, proj, {}, date(2025, 3, 20))
    print(f"first build (wk1): {time.perf_counter() - t0:.1f} s, evaluated {sorted(evaluated)}")
    res = ingest_source("cftc_cot", var, {}, {}, [cot / "legacy_futures_only_2025_ytd/annual.txt"],
                        date(2025, 3, 20))  # fmt: skip
    span = (min(res.periods), max(res.periods))
    evaluated.clear()
    t0 = time.perf_counter()
    out = _run(var, proj, dict.fromkeys(INCREMENTAL, span), date(2025, 3, 20))
    print(f"second build (YTD lands, restating {span[0]}..{span[1]}): "
          f"{time.perf_counter() - t0:.1f} s, failed={out.failed}")  # fmt: skip
    for name, intervals in sorted(evaluated.items()):
        shown = intervals if len(intervals) <= 4 else [*intervals[:2], "...", intervals[-1]]
        print(f"  evaluated {name}: {len(intervals)} interval batch(es) {shown}")
    if not evaluated:
        print("  evaluated: nothing")
    con = duckdb.connect(str(var / "warehouse.duckdb"), read_only=True)
    for table in ("staging.cftc_cot_legacy", "serving.cot_legacy"):  # raw: relative glob
        print(f"  rows in {table}: {con.execute(f'SELECT count(*) FROM {table}').fetchone()[0]}")
    con.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", type=Path, default=REPO.parent / "shared" / "data")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--skip-build", action="store_true")
    args = ap.parse_args()
    if not (args.shared / "cftc_cot").is_dir():
        sys.exit(f"real CFTC samples not found under {args.shared}")
    with tempfile.TemporaryDirectory(prefix="bench-cot-") as tmp:
        bench_extract(args.shared, args.repeat, Path(tmp))
        if not args.skip_build:
            bench_incremental(args.shared, Path(tmp))


if __name__ == "__main__":
    main()
