"""`publish.py` / `beanflows publish`: arguments, the run, one summary line per part."""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from botocore.exceptions import BotoCoreError, ClientError

from beanflows.publish.r2 import PointerConflict, PublishError, Target, make_client
from beanflows.publish.r2 import normalise_prefix as norm
from beanflows.publish.raw import RawOutcome, sync_raw
from beanflows.publish.release import Outcome, prune, publish, rollback

EXIT_ERROR, EXIT_CONFLICT = 1, 3


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="publish",
        description="Upload DIST to an R2/S3 bucket as an atomic release (incremental), "
        "and optionally back up the raw archive. Credentials: AWS_ACCESS_KEY_ID / "
        "AWS_SECRET_ACCESS_KEY.",
    )
    p.add_argument("dist", nargs="?", type=Path, help="the built site (dist/)")
    p.add_argument("--bucket", help="site bucket")
    p.add_argument(
        "--endpoint-url",
        default=os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL"),
        help="S3 endpoint, for R2 https://<account>.r2.cloudflarestorage.com",
    )
    p.add_argument("--prefix", default="", help="key prefix inside the site bucket")
    p.add_argument("--dry-run", action="store_true", help="plan and report, write nothing")
    p.add_argument("--keep", type=positive, default=5, help="releases to keep (default 5)")
    p.add_argument(
        "--grace-hours", type=hours, default=48.0, help="prune delay in hours (default 48)"
    )
    p.add_argument("--rollback", action="store_true", help="make the previous release live")
    p.add_argument("--rollback-to", metavar="RELEASE", help="make this release live")
    p.add_argument("--prune", action="store_true", help="only prune old releases and objects")
    p.add_argument("--raw", type=Path, help="raw archive folder to back up (e.g. var/raw)")
    p.add_argument("--raw-bucket", help="bucket for the raw backup (default: --bucket)")
    p.add_argument("--raw-prefix", default="raw/", help="key prefix of the raw backup")
    p.add_argument("--jobs", type=positive, default=8, help="parallel uploads (default 8)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument(
        "--allow-demo", action="store_true", help="publish a --demo build (refused by default)"
    )
    return p


def positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def hours(text: str) -> float:
    value = float(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must not be negative")
    return value


def human(n: float) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n} B"


def site_summary(out: Outcome, where: str) -> str:
    dry = "dry run: would upload" if out.dry_run else "uploaded"
    pruned = ""
    if out.pruned_releases or out.pruned_objects:
        verb = "would prune" if out.dry_run else "pruned"
        pruned = f"; {verb} {len(out.pruned_releases)} releases, {out.pruned_objects} objects"
    if not out.changed:
        return (
            f"no changes: live release {out.release} already matches DIST ({out.files} files); "
            f"uploaded 0 objects, 0 bytes{pruned}"
        )
    state = "would go live" if out.dry_run else "live"
    return (
        f"release {out.release} {state} at {where} ({out.files} files, {out.objects} objects): "
        f"{dry} {out.uploaded} objects, {human(out.uploaded_bytes)}; "
        f"{out.objects - out.uploaded} unchanged; previous {out.previous}{pruned}"
    )


def raw_summary(out: RawOutcome, where: str) -> str:
    verb = "dry run: would upload" if out.dry_run else "uploaded"
    return (
        f"raw backup at {where} ({out.files} files): {verb} {out.uploaded} objects, "
        f"{human(out.uploaded_bytes)}; manifest {out.manifest}"
    )


def run(args: argparse.Namespace) -> int:
    modes = [args.dist is not None, bool(args.rollback or args.rollback_to), args.prune]
    if sum(modes) > 1:
        raise PublishError("give only one of DIST, --rollback/--rollback-to, --prune")
    site_action = any(modes)
    if not site_action and args.raw is None:
        raise PublishError("nothing to do: give DIST, --rollback, --prune or --raw")
    if site_action and not args.bucket:
        raise PublishError("--bucket is required")
    if not args.endpoint_url:
        raise PublishError("--endpoint-url is required (or set AWS_ENDPOINT_URL_S3)")
    client = make_client(args.endpoint_url, max_connections=args.jobs + 2)
    grace = timedelta(hours=args.grace_hours)
    quiet = args.quiet
    site = Target(client, args.bucket or "", norm(args.prefix))
    where = f"s3://{site.bucket}/{site.prefix}"
    if args.raw is not None:
        raw = Target(client, args.raw_bucket or args.bucket or "", norm(args.raw_prefix))
        if not raw.bucket:
            raise PublishError("--raw needs --raw-bucket or --bucket")
        if raw.bucket == site.bucket and site_action and overlaps(raw.prefix, site.prefix):
            raise PublishError("--raw-prefix and --prefix overlap in the same bucket")
    if args.rollback or args.rollback_to:
        out = rollback(site, args.rollback_to, dry_run=args.dry_run)
        verb = "would roll back" if args.dry_run else "rolled back"
        print(f"{verb}: release {out.release} live at {where}; previous {out.previous}")
    elif args.prune:
        dropped, objects = prune(site, args.keep, grace, datetime.now(UTC), dry_run=args.dry_run)
        verb = "would prune" if args.dry_run else "pruned"
        print(f"{verb} {len(dropped)} releases, {objects} objects at {where}")
    elif args.dist is not None:
        if not args.dist.is_dir():
            raise PublishError(f"DIST {args.dist} is not a folder")
        if is_demo(args.dist) and not args.allow_demo:
            raise PublishError(
                f"{args.dist} is a --demo build (catalog.json says demo); refusing to publish "
                "invented numbers to readers. Use --allow-demo for a staging bucket."
            )
        out = publish(
            site, args.dist, dry_run=args.dry_run, keep=args.keep, grace=grace,
            jobs=args.jobs, quiet=quiet,
        )  # fmt: skip
        print(site_summary(out, where), flush=True)
    if args.raw is not None:
        out_raw = sync_raw(raw, args.raw, dry_run=args.dry_run, jobs=args.jobs, quiet=quiet)
        print(raw_summary(out_raw, f"s3://{raw.bucket}/{raw.prefix}"), flush=True)
    return 0


def is_demo(dist: Path) -> bool:
    """True when the build in `dist` was made from the shipped demo fixtures."""
    catalog = dist / "data" / "catalog.json"
    try:
        return bool(json.loads(catalog.read_text()).get("demo"))
    except (OSError, ValueError):
        return False


def overlaps(a: str, b: str) -> bool:
    return a.startswith(b) or b.startswith(a)


def main(argv: list[str] | None = None) -> int:
    """Entry point for `publish.py` and `beanflows publish`; returns the exit code."""
    try:
        args = parser().parse_args(argv)
    except SystemExit as exc:  # --help or bad arguments: return argparse's code, not raise
        return exc.code if isinstance(exc.code, int) else 2
    try:
        return run(args)
    except PointerConflict as exc:
        print(f"publish: conflict: {exc}", file=sys.stderr)
        return EXIT_CONFLICT
    except PublishError as exc:
        print(f"publish: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except ClientError as exc:
        err = exc.response.get("Error", {})
        print(f"publish: error: {err.get('Code')}: {err.get('Message') or exc}", file=sys.stderr)
        return EXIT_ERROR
    except BotoCoreError as exc:
        print(f"publish: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
