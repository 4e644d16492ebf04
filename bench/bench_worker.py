"""Bounded load run through the local Worker (workerd on 127.0.0.1): public vs gated file.

    uv run --frozen python bench/bench_worker.py [--seconds 18]

Starts the Worker with the same fixture code as the tests (tests/worker_server.py), then
1. latency: public and gated requests strictly alternated, one at a time, so both see the
   same machine state; p50 / p99 per kind and the gated/public p50 ratio (target <= 1.2);
2. throughput: CONCURRENCY threads per kind for a fixed slice of time, requests/s.
Every phase is bounded by a request count and a deadline; the whole run (start-up included)
stays under 20 s.
Both files are ~130 KB CSVs of the same size; the gated one costs an HMAC check and a
Durable Object round trip for the rate-limit counter. The Worker runs with the production
limit (1000 per hour per subject), so each subject is used for fewer than 1000 requests.
"""

from __future__ import annotations

import argparse
import functools
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from beanflows.tokens import mint_token  # noqa: E402
from tests.worker_server import WorkerUnavailable, demo_release, worker_server  # noqa: E402

PUBLIC = "/data/free/big.csv"
GATED = "/data/pro/psd_coffee.csv"
SECRET = "bench-secret-not-for-production"
CONCURRENCY = 4
MAX_LATENCY_PAIRS = 1500
MAX_THROUGHPUT_REQUESTS = 3000
PER_SUBJECT = 900  # below the production limit of 1000 gated requests per hour


@functools.cache
def auth(subject: int) -> dict[str, str]:
    token = mint_token(SECRET, f"bench-{subject}", "pro", ttl=600)
    return {"Authorization": f"Bearer {token}"}


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def timed_get(client: httpx.Client, path: str, headers: dict) -> tuple[float, bool]:
    start = time.perf_counter()
    try:
        r = client.get(path, headers=headers)
        ok = r.status_code == 200 and len(r.content) > 0
    except httpx.HTTPError:
        ok = False
    return time.perf_counter() - start, ok


def latency_phase(url: str, seconds: float) -> dict[str, tuple[list[float], int]]:
    samples: dict[str, list[float]] = {"public": [], "gated": []}
    errors = {"public": 0, "gated": 0}
    deadline = time.perf_counter() + seconds
    with httpx.Client(base_url=url, timeout=10) as client:
        for _ in range(20):  # warm up connections, the pointer cache and the Durable Object
            timed_get(client, PUBLIC, {})
            timed_get(client, GATED, auth(0))
        for i in range(MAX_LATENCY_PAIRS):
            if time.perf_counter() > deadline:
                break
            pair = [("public", PUBLIC, {}), ("gated", GATED, auth(1 + i // PER_SUBJECT))]
            for kind, path, headers in pair if i % 2 else reversed(pair):  # cancel order effects
                elapsed, ok = timed_get(client, path, headers)
                samples[kind].append(elapsed)
                errors[kind] += not ok
    return {k: (samples[k], errors[k]) for k in samples}


def throughput_phase(url: str, path: str, gated: bool, seconds: float) -> tuple[float, int, int]:
    deadline = time.perf_counter() + seconds
    per_thread = MAX_THROUGHPUT_REQUESTS // CONCURRENCY

    def run(thread: int) -> tuple[int, int]:
        headers = auth(100 + thread) if gated else {}
        done = errors = 0
        with httpx.Client(base_url=url, timeout=10) as client:
            while done < per_thread and time.perf_counter() < deadline:
                _, ok = timed_get(client, path, headers)
                done += 1
                errors += not ok
        return done, errors

    start = time.perf_counter()
    with ThreadPoolExecutor(CONCURRENCY) as pool:
        results = list(pool.map(run, range(CONCURRENCY)))
    elapsed = time.perf_counter() - start
    total = sum(d for d, _ in results)
    return total / elapsed, total, sum(e for _, e in results)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=18.0, help="whole run, start included")
    args = parser.parse_args()
    t0 = time.perf_counter()
    try:
        server = worker_server(demo_release(), {"RATE_LIMIT": "1000"}, {"TOKEN_SECRET": SECRET})
        with server as worker:
            started = time.perf_counter() - t0
            # what is left of the run after start-up, one second kept for the shutdown
            budget = max(2.0, min(args.seconds, 19.0) - started - 1.0)
            lat = latency_phase(worker.url, budget / 2)
            rps = {
                kind: throughput_phase(worker.url, path, kind == "gated", budget / 4)
                for kind, path in (("public", PUBLIC), ("gated", GATED))
            }
    except WorkerUnavailable as err:
        print(f"skipped: {err}")
        return 0
    print(f"Worker started in {started:.2f} s; total run {time.perf_counter() - t0:.1f} s")
    print(
        f"{'kind':8} {'n(lat)':>7} {'p50 ms':>8} {'p99 ms':>8} {'mean ms':>8} "
        f"{'req/s':>8} {'n(tput)':>8} {'errors':>7}"
    )
    for kind in ("public", "gated"):
        samples, lat_errors = lat[kind]
        rate, total, tput_errors = rps[kind]
        print(
            f"{kind:8} {len(samples):7d} {pct(samples, 0.5) * 1e3:8.2f} "
            f"{pct(samples, 0.99) * 1e3:8.2f} {statistics.fmean(samples) * 1e3:8.2f} "
            f"{rate:8.0f} {total:8d} {lat_errors + tput_errors:7d}"
        )
    ratio = pct(lat["gated"][0], 0.5) / pct(lat["public"][0], 0.5)
    verdict = "meets" if ratio <= 1.2 else "MISSES"
    print(f"gated/public p50 latency ratio: {ratio:.2f} ({verdict} target <= 1.2)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
