"""The weekly brief: generation with its charts, and sending to 1,000 recipients.

    uv run --frozen python bench/bench_brief.py [--dist DIST --week 2026-W05] [--recipients 1000]

1. `beanflows brief`'s work (data selection, 3-5 PNG charts at 2x, page, index, feed, the
   MIME message) on DIST (default: the hand-made dist of the tests), in this process:
   target <= 5 s.
2. `beanflows brief send` to N confirmed subscribers of a fresh account database, through a
   local aiosmtpd server on 127.0.0.1 with STARTTLS and AUTH (one connection, every message
   personal, the send log committed after each): target <= 60 s for 1,000. The server runs
   in its own process (as a real relay would), counting what it accepts.
Prints figures and their ratio to the targets.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from beanflows.brief import make, send  # noqa: E402
from beanflows.brief import settings as brief_settings  # noqa: E402
from tests.brief_data import WEEK, write_dist  # noqa: E402
from tests.brief_mail import add_accounts, env, smtp_server  # noqa: E402

GENERATE_TARGET_SECONDS, SEND_TARGET_SECONDS = 5.0, 60.0


def serve(folder: Path) -> int:
    """The SMTP server process: prints its URL and CA file, counts until stdin says stop."""
    with smtp_server(folder, keep=False) as (url, box, ca):
        print(url, ca, flush=True)
        sys.stdin.readline()
        print(box.count, flush=True)
    return 0


def main() -> int:
    if sys.argv[1:2] == ["--serve"]:
        return serve(Path(sys.argv[2]))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dist", type=Path, help="a built dist (default: a hand-made one)")
    parser.add_argument("--week", default=WEEK)
    parser.add_argument("--recipients", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        dist = args.dist or write_dist(tmp / "dist")
        make.make(dist, tmp / "warm", args.week, "https://site.test", "https://acct.test")
        t0 = time.perf_counter()
        made = make.make(dist, tmp / "var", args.week, "https://site.test", "https://acct.test")
        gen = time.perf_counter() - t0
        print(f"brief {args.week}: {gen:.2f} s with {made['charts']} charts "
              f"({made['bytes'] / 1024:.0f} KB message); target {GENERATE_TARGET_SECONDS:.0f} s, "
              f"ratio {gen / GENERATE_TARGET_SECONDS:.2f}")  # fmt: skip
        db = tmp / "auth.sqlite3"
        add_accounts(db, [(f"r{i:05d}@example.test", True, True, False)
                          for i in range(args.recipients)])  # fmt: skip
        server = subprocess.Popen(
            [sys.executable, __file__, "--serve", str(tmp)], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        url, ca = server.stdout.readline().split()
        settings = brief_settings.load(env(db, url, Path(ca)))
        t0 = time.perf_counter()
        out = send.send_brief(settings, tmp / "var", args.week)
        secs = time.perf_counter() - t0
        received, _ = server.communicate("stop\n", timeout=30)
        assert out.sent == args.recipients == int(received), (out.line("brief"), received)
        per_1000 = secs * 1000 / args.recipients
        print(f"sent {out.sent} messages over STARTTLS+AUTH in {secs:.2f} s "
              f"({out.sent / secs:.0f}/s, {per_1000:.1f} s per 1,000); target "
              f"{SEND_TARGET_SECONDS:.0f} s per 1,000, "
              f"ratio {per_1000 / SEND_TARGET_SECONDS:.2f}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
