"""Benchmark of the nightly during upstream outages, and of polite parallel fetching (issue 16).

    uv run --frozen python bench/bench_outages.py [--latency-ms 100] [--quick]

Every upstream URL of every source is pointed at local servers on 127.0.0.1 (run in their own
process, so they never compete with the build for this process's GIL), with default [http]
settings. The var/ and dist/ folders are primed once by a demo build (untimed), as a nightly
box has them.

1. Network fully down: half the sources' hosts refuse connections, the other half do not
   resolve (`*.invalid`). Whole build, target <= 60 s.
2. One black-holed host (accepts, never answers) for usda_psd; every other host answers 304.
   Whole build and usda_psd's own ingest seconds; target <= that source's budget
   (source_budget_seconds, default 300 s). Skipped with --quick (it waits for read timeouts).
3. Fetch phase only (every source's ingest), every host answering 304 Not Modified after
   --latency-ms (a real upstream's round trip): one request at a time per host (as before
   issue 16) vs the default max_connections_per_host; requests, seconds and the ratio.
"""

from __future__ import annotations

import argparse
import multiprocessing
import shutil
import socket
import sys
import tempfile
import time
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from beanflows import build as build_mod  # noqa: E402
from beanflows.config import Settings  # noqa: E402
from ingest.fetchguard import Limits  # noqa: E402
from ingest.route import demo_files  # noqa: E402
from ingest.run import load_source, source_names  # noqa: E402


def _serve(mode: str, latency: float, ports: Any, hits: Any) -> None:
    """Server process: mode 'not-modified' (304 after `latency` s) or 'blackhole'."""
    if mode == "blackhole":
        listener = socket.create_server(("127.0.0.1", 0), backlog=256)
        ports.put(listener.getsockname()[1])
        held = []
        while True:
            held.append(listener.accept()[0])

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802
            with hits.get_lock():
                hits.value += 1
            time.sleep(latency)
            self.send_response(304)
            self.send_header("ETag", '"same"')
            self.end_headers()

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    ports.put(httpd.server_address[1])
    httpd.serve_forever()


def start_server(mode: str, latency: float = 0.0) -> tuple[multiprocessing.Process, str, Any]:
    """(process, base URL, hit counter) of a server process on a free port."""
    ports, hits = multiprocessing.Queue(), multiprocessing.Value("i", 0)
    proc = multiprocessing.Process(target=_serve, args=(mode, latency, ports, hits), daemon=True)
    proc.start()
    return proc, f"http://127.0.0.1:{ports.get(timeout=10)}", hits


def refused() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


def _point(value: Any, base: str) -> Any:
    """Every http(s) URL in a source.toml value, moved to `base` (path and query kept)."""
    if isinstance(value, str) and value.startswith(("http://", "https://")):
        parts = urlsplit(value)
        return f"{base}{parts.path}" + (f"?{parts.query}" if parts.query else "")
    if isinstance(value, dict):
        return {k: _point(v, base) for k, v in value.items()}
    if isinstance(value, list):
        return [_point(v, base) for v in value]
    return value


def overrides(base_of: dict[str, str]) -> dict[str, dict[str, Any]]:
    """[sources.*] settings sending each source to its base URL."""
    out = {}
    for name, base in base_of.items():
        cfg = {k: _point(v, base) for k, v in load_source(name)[1].items()}
        if name == "ico":
            cfg["table_urls"] = [f"{base}/ico/Coffee_production.csv"]
        if name == "worldbank":  # the page would need a real link; the workbook URL directly
            cfg["xlsx_url"] = f"{base}/CMO-Historical-Data-Monthly.xlsx"
        out[name] = cfg
    return out


def prime(root: Path) -> Path:
    """A var/ and dist/ made by a demo build (a nightly box has both)."""
    seed = root / "seed"
    settings = Settings(var_dir=seed / "var", out_dir=seed / "dist")
    build_mod.build(settings, demo_files(), demo=True)
    return seed


def fresh(seed: Path, root: Path, name: str) -> tuple[Path, Path]:
    shutil.copytree(seed, root / name)
    return root / name / "var", root / name / "dist"


def timed_build(var: Path, out: Path, http: dict, sources: dict) -> tuple[float, Any]:
    settings = Settings(var_dir=var, out_dir=out, http=http, sources=sources)
    t0 = time.perf_counter()
    report = build_mod.build(settings, None)
    return time.perf_counter() - t0, report


def network_down(seed: Path, root: Path) -> None:
    names = source_names()
    base_of = {
        n: (refused() if i % 2 else f"http://{n.replace('_', '-')}.invalid")
        for i, n in enumerate(names)
    }  # fmt: skip  (one host per source, as upstream)
    seconds, report = timed_build(*fresh(seed, root, "down"), {}, overrides(base_of))
    failed = sum(not r.ok for r in report.sources.values())
    print(f"1. network fully down: build {seconds:6.1f} s   (target <= 60 s; "
          f"{failed}/{len(names)} sources failed, last good kept)")  # fmt: skip
    per = [f"{k[7:]} {v:.1f}" for k, v in report.seconds.items() if k.startswith("ingest:")]
    print("   ingest seconds: " + ", ".join(per))


def black_hole(seed: Path, root: Path) -> None:
    hole, hole_url, _ = start_server("blackhole")
    ok, ok_url, _ = start_server("not-modified")
    try:
        base_of = {n: ok_url for n in source_names()} | {"usda_psd": hole_url}
        seconds, report = timed_build(*fresh(seed, root, "hole"), {}, overrides(base_of))
    finally:
        hole.kill(), ok.kill()
    own = report.seconds.get("ingest:usda_psd", 0.0)
    budget = Limits().source_budget_seconds
    others_ok = all(r.ok for n, r in report.sources.items() if n != "usda_psd")
    print(f"2. usda_psd black-holed: build {seconds:6.1f} s, usda_psd ingest {own:6.1f} s   "
          f"(target <= its budget, {budget:g} s); other sources ok: {others_ok}")  # fmt: skip
    print(f"   usda_psd: {report.sources['usda_psd'].errors[-1][:160]}")


def fetch_phase(seed: Path, root: Path, latency: float) -> None:
    srv, url, hits = start_server("not-modified", latency)
    try:
        names = source_names()
        sources = overrides({n: url for n in names})
        rows = []
        now = f"{Limits().max_connections_per_host} per host (now)"
        for label, http in (("1 per host (before)", {"max_connections_per_host": 1}), (now, {})):
            var, out = fresh(seed, root, f"fetch{len(rows)}")
            settings = Settings(var_dir=var, out_dir=out, http=http, sources=sources)
            hits.value = 0
            report = build_mod.BuildReport()
            t0 = time.perf_counter()
            build_mod._ingest_all(settings, names, None, date.today(), report)
            rows.append((label, time.perf_counter() - t0, hits.value, report))
    finally:
        srv.kill()
    print(f"3. fetch phase, every host 304 after {latency * 1000:.0f} ms:")
    for label, seconds, n, report in rows:
        bad = [n for n, r in report.sources.items() if not r.ok]
        print(f"   {label:22s} {seconds:6.2f} s   {n} requests   failed: {bad or 'none'}")
    print(f"   ratio before/now: {rows[0][1] / rows[1][1]:.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--latency-ms", type=float, default=100.0)
    parser.add_argument("--quick", action="store_true", help="skip the black-hole build")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        t0 = time.perf_counter()
        seed = prime(root)
        print(f"(demo build to prime var/ and dist/: {time.perf_counter() - t0:.1f} s, untimed)")
        network_down(seed, root)
        if not args.quick:
            black_hole(seed, root)
        fetch_phase(seed, root, args.latency_ms / 1000)


if __name__ == "__main__":
    main()
