"""`beanflows brief`, `beanflows brief send`, `beanflows alerts send`, and the nightly hook.

The hook (`after_build`) is one call from beanflows/cli.py after a build: on the configured
weekday (and the rest of that ISO week, should a night fail) it writes the brief of the last
complete ISO week and, when mail is configured, sends it; after every build it checks the
subscribers' alerts. A failure there is one line and exit 1, never a lost build.
"""

from __future__ import annotations

import argparse
import logging
import sys
from datetime import date
from pathlib import Path
from typing import Any

from beanflows.brief import settings as brief_settings
from beanflows.brief import weeks

log = logging.getLogger("beanflows.brief")


def _dirs(args: argparse.Namespace) -> tuple[Path, Path]:
    from beanflows.config import load

    s = load(getattr(args, "config", None), args.var, args.out)
    return Path(s.out_dir), Path(s.var_dir)


def _today(args: argparse.Namespace) -> date:
    return date.fromisoformat(args.today) if getattr(args, "today", None) else date.today()


def cmd_brief(args: argparse.Namespace) -> int:
    from beanflows.brief import make, send

    s = brief_settings.load()
    out, var = _dirs(args)
    week = args.week or weeks.last_complete(_today(args))
    if args.action == "send":
        if not args.week:
            print("beanflows brief send: --week YYYY-Www is required", file=sys.stderr)
            return 2
        result = send.send_brief(s, var, week)
        print(result.line(f"brief {week}"))
        return 1 if result.failed else 0
    made = make.make(out, var, week, s.site_url, s.base_url)
    make.refresh_site(out, s.site_url)
    print(f"brief {week}: {made['page']} and {made['eml']} ({made['bytes']:,} bytes, "
          f"{made['charts']} charts, {made['seconds']:.2f}s)")  # fmt: skip
    return 0


def cmd_alerts(args: argparse.Namespace) -> int:
    from beanflows.brief import subscriber_alerts

    s = brief_settings.load()
    s.require_sending()
    out, _ = _dirs(args)
    new, result = subscriber_alerts.run(s, out)
    print(f"subscriber alerts: {new} new event(s); " + result.line("mailed"))
    return 1 if result.failed else 0


def after_build(settings: Any, today: date | None, demo: bool = False) -> int:
    """The nightly's brief and subscriber alerts (0, or 1 with one logged line on failure)."""
    if demo:  # demo numbers never go to real subscribers
        return 0
    from beanflows.brief import make, send, subscriber_alerts
    from beanflows.errors import one_line

    today = today or date.today()
    out, var = Path(settings.out_dir), Path(settings.var_dir)
    code = 0
    try:
        s = brief_settings.load()
        if today.isoweekday() >= s.brief_weekday:
            week = weeks.last_complete(today)
            if not (var / "briefs" / week / "brief.eml").is_file():
                made = make.make(out, var, week, settings.site_url, s.base_url)
                make.refresh_site(out, settings.site_url)
                print(f"brief {week}: written ({made['bytes']:,} bytes)")
            if s.can_send:
                result = send.send_brief(s, var, week)
                print(result.line(f"brief {week}"))
                code = 1 if result.failed else 0
        if s.db_path.is_file():  # no account database: no subscribers to alert
            new, result = subscriber_alerts.run(s, out)
            if result is not None:
                print(f"subscriber alerts: {new} new event(s); " + result.line("mailed"))
                code = max(code, 1 if result.failed else 0)
    except Exception as exc:  # noqa: BLE001 - the build stands; the operator gets one line
        print(f"beanflows: brief/alerts: {one_line(exc)[1]}", file=sys.stderr)
        return 1
    return code


def add_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    b = sub.add_parser(
        "brief", help="write the weekly brief (or `brief send`: mail it)", parents=[common]
    )
    b.add_argument("action", nargs="?", choices=["send"], help="send: mail it to subscribers")
    b.add_argument("--week", help="ISO week YYYY-Www (default: the last complete week)")
    b.add_argument("--out", type=Path, help="output folder (default ./dist)")
    b.add_argument("--var", type=Path, help="local state folder (default ./var)")
    b.add_argument("--config", type=Path, help="settings TOML (folders)")
    b.add_argument("--today", help="pretend today is YYYY-MM-DD (picks the default week)")
    b.set_defaults(func=cmd_brief)
    a = sub.add_parser(
        "alerts", help="subscriber alerts: `alerts send` checks and mails them", parents=[common]
    )
    a.add_argument("action", choices=["send"])
    a.add_argument("--out", type=Path, help="output folder (default ./dist)")
    a.add_argument("--var", type=Path, help="local state folder (default ./var)")
    a.add_argument("--config", type=Path, help="settings TOML (folders)")
    a.set_defaults(func=cmd_alerts)
