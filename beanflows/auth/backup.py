"""Online backups of the accounts database to the R2 raw bucket, and restoring one.

`backup` uses SQLite's backup API (a consistent copy while the service keeps writing),
checks the copy, gzips it and uploads `auth/backups/auth-<UTC time>.sqlite3.gz`. `restore`
downloads one (the newest by default), checks it, and replaces the database file atomically;
it refuses to overwrite an existing database unless told to (`--force`).
"""

from __future__ import annotations

import gzip
import os
import shutil
import sqlite3
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BACKUP_PREFIX = "auth/backups/"


class BackupError(RuntimeError):
    """One line for the operator."""


def snapshot(db_path: Path, dest: Path) -> None:
    """A consistent copy of a live database (SQLite online backup API), checked."""
    if not db_path.is_file():
        raise BackupError(f"no database at {db_path}")
    src = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    dst = sqlite3.connect(dest)
    try:
        src.backup(dst)
        check(dst)
    finally:
        src.close()
        dst.close()


def check(conn: sqlite3.Connection) -> None:
    if conn.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
        raise BackupError("integrity check failed")
    if not conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'schema_migrations'").fetchone():
        raise BackupError("not an accounts database (no schema_migrations table)")


def backup(db_path: Path, client: Any, bucket: str, now: datetime | None = None) -> str:
    """Snapshot, gzip and upload; returns the object key."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    key = f"{BACKUP_PREFIX}auth-{stamp}.sqlite3.gz"
    with tempfile.TemporaryDirectory(prefix="bf-auth-backup-") as tmp:
        copy = Path(tmp) / "auth.sqlite3"
        snapshot(db_path, copy)
        packed = Path(tmp) / "auth.sqlite3.gz"
        with (
            copy.open("rb") as src,
            packed.open("wb") as raw,
            gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as dst,
        ):
            shutil.copyfileobj(src, dst)
        client.upload_file(str(packed), bucket, key)
    return key


def latest_key(client: Any, bucket: str) -> str:
    keys: list[str] = []
    for page in client.get_paginator("list_objects_v2").paginate(
        Bucket=bucket, Prefix=BACKUP_PREFIX
    ):
        keys += [o["Key"] for o in page.get("Contents", []) if o["Key"].endswith(".sqlite3.gz")]
    if not keys:
        raise BackupError(f"no backups under s3://{bucket}/{BACKUP_PREFIX}")
    return max(keys)  # names sort by time


def restore(
    db_path: Path, client: Any, bucket: str, key: str | None = None, force: bool = False
) -> str:
    """Replace `db_path` with a backup (the newest when `key` is None); returns the key."""
    if db_path.exists() and not force:
        raise BackupError(f"{db_path} exists; stop the service and pass --force to replace it")
    key = key or latest_key(client, bucket)
    db_path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=db_path.parent, prefix=".restore-", suffix=".sqlite3")
    os.close(fd)
    try:
        with tempfile.TemporaryFile() as packed:
            client.download_fileobj(bucket, key, packed)
            packed.seek(0)
            with gzip.open(packed, "rb") as src, open(tmp, "wb") as dst:
                shutil.copyfileobj(src, dst)
        conn = sqlite3.connect(tmp)
        try:
            check(conn)
        except sqlite3.DatabaseError as err:
            raise BackupError(f"{key} is not a usable database: {err}") from None
        finally:
            conn.close()
        for suffix in ("-wal", "-shm"):  # the old journal must not be replayed onto the copy
            Path(f"{db_path}{suffix}").unlink(missing_ok=True)
        os.replace(tmp, db_path)
    finally:
        Path(tmp).unlink(missing_ok=True)
    return key
