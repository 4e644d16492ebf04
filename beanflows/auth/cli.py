"""`beanflows auth serve|backup|restore|publish-keys`: the accounts service's commands."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from pathlib import Path

from beanflows.auth.settings import Settings, SettingsError, load


def _r2_client(settings: Settings):
    from beanflows.publish.r2 import PublishError, make_client

    if not settings.r2_endpoint_url:
        return None
    try:
        return make_client(settings.r2_endpoint_url)
    except PublishError as err:
        raise SettingsError(str(err)) from None


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    import os

    import uvicorn

    from beanflows.auth.app import create_app

    if os.environ.get("TEST_MODE"):  # paddle-python-sdk would skip the replay check
        raise SettingsError("TEST_MODE is set: it turns off Paddle's timestamp check; unset it")
    client = _r2_client(settings)
    if settings.keys_bucket and client is None:
        raise SettingsError("BEANFLOWS_KEYS_BUCKET needs BEANFLOWS_R2_ENDPOINT_URL")
    app = create_app(settings, client)
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_level="info",
        proxy_headers=False,  # the client IP comes from BEANFLOWS_CLIENT_IP_HEADER
        server_header=False,
        timeout_graceful_shutdown=10,
    )
    return 0


def _backup_target(settings: Settings):
    client = _r2_client(settings)
    if client is None or not settings.backup_bucket:
        raise SettingsError("backups need BEANFLOWS_R2_ENDPOINT_URL and BEANFLOWS_BACKUP_BUCKET")
    return client, settings.backup_bucket


def cmd_backup(settings: Settings, args: argparse.Namespace) -> int:
    from beanflows.auth.backup import backup

    client, bucket = _backup_target(settings)
    print(f"backed up to s3://{bucket}/{backup(settings.db_path, client, bucket)}")
    return 0


def cmd_restore(settings: Settings, args: argparse.Namespace) -> int:
    from beanflows.auth.backup import restore

    client, bucket = _backup_target(settings)
    key = restore(settings.db_path, client, bucket, args.key, args.force)
    print(f"restored {settings.db_path} from s3://{bucket}/{key}")
    return 0


def cmd_publish_keys(settings: Settings, args: argparse.Namespace) -> int:
    from beanflows.auth.db import open_db
    from beanflows.auth.keys import KeyPublisher

    client = _r2_client(settings)
    if client is None or not settings.keys_bucket:
        raise SettingsError("needs BEANFLOWS_R2_ENDPOINT_URL and BEANFLOWS_KEYS_BUCKET")
    pub = KeyPublisher(open_db(settings.db_path), client, settings.keys_bucket,
                       settings.keys_prefix)  # fmt: skip
    asyncio.run(pub.publish_once())
    print(f"key list uploaded to s3://{settings.keys_bucket}/{settings.keys_prefix}")
    return 0


def main(argv: list[str]) -> int:
    from beanflows.auth.backup import BackupError

    parser = argparse.ArgumentParser(prog="beanflows auth", description=__doc__)
    parser.add_argument("--config", type=Path, help="settings TOML (environment wins)")
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("serve", help="run the service (uvicorn)")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=8100)
    s.set_defaults(func=cmd_serve)
    b = sub.add_parser("backup", help="online backup of the database to the R2 raw bucket")
    b.set_defaults(func=cmd_backup)
    r = sub.add_parser("restore", help="replace the database with a backup from R2")
    r.add_argument("--key", help="backup object key (default: the newest)")
    r.add_argument("--force", action="store_true", help="replace an existing database")
    r.set_defaults(func=cmd_restore)
    p = sub.add_parser("publish-keys", help="upload the API-key list for the Worker now")
    p.set_defaults(func=cmd_publish_keys)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    try:
        return args.func(load(args.config), args)
    except (SettingsError, BackupError) as err:
        print(f"beanflows auth: {err}", file=sys.stderr)
        return 2 if isinstance(err, SettingsError) else 1
