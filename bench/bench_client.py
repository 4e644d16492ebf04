"""Client benchmark: 20 years of Coffee C positioning into pandas, vs the `cot_reports` package.

    uv run --frozen --group bench-cot python bench/bench_client.py [--shared ../shared/data]
        [--years 20] [--repeat 5]

1. Upstream: 20 yearly CFTC disaggregated futures-only zips (`fut_disagg_txt_YYYY.zip`, every
   market, ~10k rows x 191 columns each), made from the real 2023 file by shifting its report
   dates back a whole number of 52-week years (Tuesdays stay Tuesdays; the original's
   holiday Mondays become Tuesdays, as CFTC's holiday rule would not apply to them).
2. A real build of those files (`beanflows build --raw-from ... --source cftc_cot`) gives
   data/pro/cot_positioning.parquet; `beanflows serve`'s server (ETag, Range) serves the dist,
   and a second one the upstream zips, both on 127.0.0.1.
3. beanflows: `get_pandas("cot_positioning", market_code="083731")` with a cold disk cache
   (new cache folder, new Client: catalog + file download + sha256 check + decode) and warm
   (the file cached: catalog revalidated by ETag on a new Client, or trusted within its TTL).
   Imports are done before timing; a fresh interpreter doing all of it is timed too.
   Targets: cold <= 0.3 s, warm <= 50 ms.
4. cot_reports (PyPI, its own dependency group): `cot_year(y, "disaggregated_fut")` for each
   year, concatenated and filtered to Coffee C, managed-money net computed. It hard-codes
   https://cftc.gov/files/dea/history/, so its `requests.get` is wrapped to fetch the same file
   names from the local upstream server (its parsing is unchanged: unzip to the working folder,
   pandas.read_csv). Target: beanflows cold >= 50x faster. Both results are compared.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import pandas as pd  # noqa: E402

import beanflows  # noqa: E402
from tests.site_server import background  # noqa: E402

DATES = re.compile(rb'^(".*?"),(\d{6}),(\d{4}-\d{2}-\d{2}),', re.M)
COFFEE = "083731"


def make_upstream(template: Path, years: int, out: Path) -> list[int]:
    """Yearly zips ending with 2025, each the 2023 file shifted by whole 364-day years."""
    text = zipfile.ZipFile(template).read("f_year.txt")
    last = 2025
    made = []
    for year in range(last - years + 1, last + 1):
        shift = dt.timedelta(days=364 * (2023 - year))

        def move(m: re.Match, shift: dt.timedelta = shift) -> bytes:
            day = dt.date.fromisoformat(m.group(3).decode()) - shift
            day += dt.timedelta(days=(1 - day.weekday()) % 7)  # a holiday Monday -> Tuesday
            return b"%s,%s,%s," % (
                m.group(1),
                day.strftime("%y%m%d").encode(),
                day.isoformat().encode(),
            )

        body = DATES.sub(move, text)
        with zipfile.ZipFile(out / f"fut_disagg_txt_{year}.zip", "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr("f_year.txt", body)
        made.append(year)
    return made


def build(upstream: Path, work: Path) -> Path:
    t0 = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "beanflows", "build", "--raw-from", str(upstream), "--source",
         "cftc_cot", "--var", str(work / "var"), "--out", str(work / "dist")],
        capture_output=True, text=True, cwd=work,
        env={**os.environ, "SQLMESH__DISABLE_ANONYMIZED_ANALYTICS": "1"},
    )  # fmt: skip
    if done.returncode != 0:
        sys.exit(f"build failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    print(f"build of the 20 yearly files: {time.perf_counter() - t0:.1f} s")
    return work / "dist"


def bench_beanflows(url: str, work: Path, repeat: int) -> tuple[pd.DataFrame, list, list, list]:
    cold, warm_new, warm_same = [], [], []
    df = None
    for i in range(repeat):
        cache = work / f"cache{i}"
        t0 = time.perf_counter()
        with beanflows.Client(url, token="bench", cache_dir=cache) as c:
            df = c.get_pandas("cot_positioning", market_code=COFFEE)
        cold.append(time.perf_counter() - t0)
        with beanflows.Client(url, token="bench", cache_dir=cache) as c:
            t0 = time.perf_counter()
            c.get_pandas("cot_positioning", market_code=COFFEE)  # new session: 1 revalidation
            warm_new.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            c.get_pandas("cot_positioning", market_code=COFFEE)  # catalog within its TTL
            warm_same.append(time.perf_counter() - t0)
    return df, cold, warm_new, warm_same


def import_seconds() -> float:
    """`import beanflows` in a fresh interpreter, as measured inside it (target <= 0.3 s)."""
    code = "import time; t = time.perf_counter(); import beanflows; print(time.perf_counter() - t)"
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return float(out.stdout)


def fresh_process(url: str, work: Path) -> float:
    code = (
        "import beanflows; beanflows.Client(token='x').get_pandas('cot_positioning', "
        f"market_code='{COFFEE}')"
    )
    env = {**os.environ, "BEANFLOWS_URL": url, "BEANFLOWS_DATA_CACHE": str(work / "fresh")}
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, env=env)
    return time.perf_counter() - t0


def bench_cot_reports(
    upstream_url: str, years: list[int], work: Path
) -> tuple[pd.DataFrame, float] | None:
    try:
        import cot_reports.cot_reports as cr
        import requests
    except ImportError:
        print("cot_reports: not installed; run with `uv run --frozen --group bench-cot ...`")
        return None
    real_get = requests.get

    def local_get(url: str, *a, **kw):  # noqa: ANN002, ANN003, ANN202
        return real_get(url.replace("https://cftc.gov/files/dea/history", upstream_url), *a, **kw)

    cr.requests.get = local_get
    os.chdir(work)  # it unzips into the working folder
    t0 = time.perf_counter()
    frames = [cr.cot_year(y, cot_report_type="disaggregated_fut", store_txt=False, verbose=False)
              for y in years]  # fmt: skip
    df = pd.concat(frames, ignore_index=True)
    # its codes arrive as numbers (083731 -> 83731), so the filter must know that
    coffee = df[df["CFTC_Contract_Market_Code"].astype(str).str.zfill(6) == COFFEE].copy()
    coffee["mm_net"] = coffee["M_Money_Positions_Long_All"] - coffee["M_Money_Positions_Short_All"]
    coffee = coffee.sort_values("Report_Date_as_YYYY-MM-DD")
    seconds = time.perf_counter() - t0
    cr.requests.get = real_get
    return coffee, seconds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--shared", type=Path, default=REPO.parent / "shared" / "data")
    ap.add_argument("--years", type=int, default=20)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    template = args.shared / "cftc_cot/disagg_futures_only_2023/fut_disagg_txt_2023.zip"
    if not template.is_file():
        sys.exit(f"needs the real 2023 CFTC file at {template}")
    with tempfile.TemporaryDirectory(prefix="bench-client-") as tmp:
        work = Path(tmp)
        upstream = work / "upstream"
        upstream.mkdir()
        years = make_upstream(template, args.years, upstream)
        dist = build(upstream, work)
        site, url = background(dist)
        files, upstream_url = background(upstream)
        try:
            df, cold, warm_new, warm_same = bench_beanflows(url, work, args.repeat)
            fresh = fresh_process(url, work)
            theirs = bench_cot_reports(upstream_url, years, work)
        finally:
            for s in (site, files):
                s.shutdown()
                s.server_close()
        pro = dist / "data/pro/cot_positioning.parquet"
        span = f"{df['report_date'].min():%Y-%m-%d} .. {df['report_date'].max():%Y-%m-%d}"
        print(f"Coffee C positioning: {len(df)} rows x {df.shape[1]} columns, {span}; "
              f"file {pro.stat().st_size / 1e3:.0f} KB")  # fmt: skip
        med = statistics.median
        print(
            f"beanflows cold cache (download + sha256 + decode): median "
            f"{med(cold) * 1e3:.1f} ms, best {min(cold) * 1e3:.1f} ms (target <= 300 ms)"
        )
        print(f"beanflows warm, new session (ETag revalidation): median "
              f"{med(warm_new) * 1e3:.1f} ms  (target <= 50 ms)")  # fmt: skip
        print(f"beanflows warm, same session: median {med(warm_same) * 1e3:.1f} ms")
        print(f"beanflows in a fresh interpreter (imports of pyarrow + pandas included): "
              f"{fresh * 1e3:.0f} ms")  # fmt: skip
        print(f"import beanflows in a fresh interpreter: {import_seconds() * 1e3:.1f} ms "
              "(target <= 300 ms)")  # fmt: skip
        if theirs is not None:
            coffee, seconds = theirs
            print(f"cot_reports: {len(years)} yearly zips fetched and parsed in {seconds:.2f} s "
                  f"({len(coffee)} Coffee C rows)")  # fmt: skip
            print(f"ratio cot_reports / beanflows cold: {seconds / med(cold):.0f}x "
                  f"(target >= 50x); / warm: {seconds / med(warm_new):.0f}x")  # fmt: skip
            same = list(coffee["mm_net"]) == list(df.sort_values("report_date")["mm_net"])
            print(f"managed-money net identical week by week: {same}")


if __name__ == "__main__":
    main()
