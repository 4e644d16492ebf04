"""Benchmark publish against a local S3 server (moto on 127.0.0.1).

    uv run --frozen python bench/bench_publish.py [DIST] [--jobs N]

Without DIST a synthetic dist of ~300 files (~30 MB) is generated in a temporary folder.
Prints: full publish (objects, bytes, seconds, MB/s), a no-change publish (must upload
0 bytes), a one-file change, and the same full publish with one upload at a time.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from beanflows.publish.r2 import Target, make_client  # noqa: E402
from beanflows.publish.release import publish  # noqa: E402
from tests.s3_server import make_bucket, s3_server  # noqa: E402


def synthetic_dist(root: Path, seed: int = 7) -> Path:
    """~300 files, ~30 MB, in the dist layout: pages, hashed assets, free/pro data."""
    rng = random.Random(seed)
    words = [f"w{i}" for i in range(500)]

    def write(rel: str, data: bytes) -> None:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)

    for i in range(200):
        text = " ".join(rng.choices(words, k=4000))
        write(f"page{i}/index.html" if i else "index.html", f"<html>{text}</html>".encode())
    for i in range(40):
        write(f"assets/chunk{i}.{rng.getrandbits(32):08x}.js", rng.randbytes(60_000))
    for i in range(30):
        write(f"data/free/ds{i}.csv", rng.randbytes(200_000))
        write(f"data/pro/ds{i}.parquet", rng.randbytes(650_000))
    write("data/catalog.json", b'{"catalog_version": 1}')
    write("404.html", b"<html>not found</html>")
    return root


def measure(label: str, target: Target, dist: Path, jobs: int) -> tuple[float, int]:
    start = time.perf_counter()
    out = publish(target, dist, jobs=jobs)
    secs = time.perf_counter() - start
    rate = out.uploaded_bytes / secs / 1e6 if secs else 0.0
    print(
        f"{label:<28} {out.files:>5} files {out.uploaded:>5} objects uploaded "
        f"{out.uploaded_bytes / 1e6:>8.2f} MB {secs:>7.2f} s {rate:>7.1f} MB/s"
    )
    return secs, out.uploaded_bytes


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("dist", nargs="?", type=Path)
    p.add_argument("--jobs", type=int, default=8)
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp, s3_server() as s3:
        os.environ.update({k: v for k, v in s3.env().items() if k.startswith("AWS_")})
        dist = args.dist or synthetic_dist(Path(tmp) / "dist")
        size = sum(f.stat().st_size for f in dist.rglob("*") if f.is_file())
        count = sum(1 for f in dist.rglob("*") if f.is_file())
        print(f"dist: {dist} ({count} files, {size / 1e6:.1f} MB); server {s3.endpoint_url}")
        client = make_client(s3.endpoint_url, max_connections=args.jobs + 2)
        target = Target(client, make_bucket(s3), "")
        full, _ = measure(f"full publish (jobs={args.jobs})", target, dist, args.jobs)
        same, same_bytes = measure("no-change publish", target, dist, args.jobs)
        changed = next(f for f in sorted(dist.rglob("*.html")))
        changed.write_bytes(changed.read_bytes() + b"<!-- changed -->")
        one, _ = measure("one file changed", target, dist, args.jobs)
        serial_target = Target(make_client(s3.endpoint_url), make_bucket(s3), "")
        serial, _ = measure("full publish (jobs=1)", serial_target, dist, 1)
        print(
            f"ratios: no-change/full {same / full:.3f}, one-change/full {one / full:.3f}, "
            f"jobs={args.jobs} speed-up over jobs=1 {serial / full:.2f}x"
        )
        if same_bytes != 0:
            print(f"FAIL: no-change publish uploaded {same_bytes} bytes")
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
