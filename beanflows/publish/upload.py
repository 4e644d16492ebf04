"""Parallel uploads with progress, byte counts and a crash hook for tests.

Objects are uploaded from a thread pool (boto3 clients are thread-safe); each file is
read once, checked against the sha256 it was planned with, and put in one request, or
in parts past MULTIPART_THRESHOLD so large files never sit whole in memory.
"""

from __future__ import annotations

import hashlib
import os
import signal
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from boto3.s3.transfer import TransferConfig
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TransferSpeedColumn,
)

from beanflows.publish.r2 import PublishError, Target, put_file

MULTIPART_THRESHOLD = 32 * 1024 * 1024  # at most jobs x this in memory
KILL_ENV = "BEANFLOWS_PUBLISH_KILL_AFTER"
HOLD_ENV = "BEANFLOWS_PUBLISH_HOLD_BEFORE_SWITCH"
HOLD_SECONDS = 120
_writes = 0
_writes_lock = threading.Lock()


@dataclass(frozen=True)
class Upload:
    """One object to write: key relative to the target prefix, local bytes, headers."""

    rel: str
    source: Path
    sha256: str
    size: int
    headers: dict


def note_write() -> None:
    """Count a completed write; SIGKILL this process after $BEANFLOWS_PUBLISH_KILL_AFTER.

    Only for crash tests: the hard kill (no cleanup, no finally) is what a power cut or
    an OOM kill does to a nightly publish, and the release must survive it.
    """
    global _writes
    limit = os.environ.get(KILL_ENV)
    if not limit:
        return
    with _writes_lock:
        _writes += 1
        if _writes >= int(limit):
            sys.stdout.flush()
            os.kill(os.getpid(), signal.SIGKILL)


def hold_before_switch() -> None:
    """Wait for the file named by $BEANFLOWS_PUBLISH_HOLD_BEFORE_SWITCH (race tests only).

    Creates `<file>.ready` once everything is uploaded, then waits (at most two minutes)
    for `<file>` to appear, so a test can let another publish switch the pointer first.
    """
    gate = os.environ.get(HOLD_ENV)
    if not gate:
        return
    Path(f"{gate}.ready").touch()
    deadline = time.monotonic() + HOLD_SECONDS
    while not Path(gate).exists() and time.monotonic() < deadline:
        time.sleep(0.05)


def _upload_one(target: Target, item: Upload) -> int:
    if item.size > MULTIPART_THRESHOLD:
        return _upload_large(target, item)
    body = item.source.read_bytes()
    if hashlib.sha256(body).hexdigest() != item.sha256:
        raise PublishError(f"{item.source} changed while publishing; rerun when the build is done")
    put_file(target, item.rel, body, item.headers, item.sha256)
    note_write()
    return len(body)


def _upload_large(target: Target, item: Upload) -> int:
    extra = {
        "ContentType": item.headers["content_type"],
        "CacheControl": item.headers["cache_control"],
        "Metadata": {"sha256": item.sha256},
    }
    if item.headers["content_encoding"]:
        extra["ContentEncoding"] = item.headers["content_encoding"]
    config = TransferConfig(
        multipart_threshold=MULTIPART_THRESHOLD, multipart_chunksize=16 << 20, use_threads=False
    )
    digest = hashlib.sha256()

    with item.source.open("rb") as fh:

        class Hashing:
            """File wrapper hashing what is actually sent (sequential without threads)."""

            def read(self, n: int = -1) -> bytes:
                chunk = fh.read(n)
                digest.update(chunk)
                return chunk

        target.client.upload_fileobj(
            Hashing(), target.bucket, target.key(item.rel), ExtraArgs=extra, Config=config
        )
    if digest.hexdigest() != item.sha256:
        target.client.delete_object(Bucket=target.bucket, Key=target.key(item.rel))
        raise PublishError(f"{item.source} changed while publishing; rerun when the build is done")
    note_write()
    return item.size


def upload_all(target: Target, items: list[Upload], jobs: int, label: str, quiet: bool) -> int:
    """Upload every item; returns bytes sent. The first failure stops the batch."""
    total = sum(i.size for i in items)
    show = not quiet and sys.stderr.isatty() and bool(items)
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.fields[done]}/{task.fields[count]} objects"),
        DownloadColumn(),
        TransferSpeedColumn(),
    )
    sent = done = 0
    with Progress(*columns, disable=not show, transient=True) as progress:
        task = progress.add_task(label, total=total, done=0, count=len(items))
        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            futures = [pool.submit(_upload_one, target, item) for item in items]
            try:
                for fut in as_completed(futures):
                    size = fut.result()
                    sent += size
                    done += 1
                    progress.update(task, advance=size, done=done)
            except BaseException:
                for fut in futures:
                    fut.cancel()
                raise
    return sent
