"""A real S3-compatible server for tests: moto in server mode on 127.0.0.1.

Usage in a test module (no conftest needed):

    from tests.s3_server import S3Server, s3_server, make_bucket

    @pytest.fixture(scope="module")
    def s3():
        with s3_server() as server:
            yield server

    def test_x(s3):
        make_bucket(s3, "site-test")
        subprocess.run([...], env=s3.env())

The server is a child process (`python -m moto.server -H 127.0.0.1 -p PORT`) on a free
port, stopped (terminate, then kill) when the context exits. Its state lives in memory.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx

ACCESS_KEY = "testing-access-key"
SECRET_KEY = "testing-secret-key"


@dataclass(frozen=True)
class S3Server:
    """Where the server listens and how a client or a subprocess reaches it."""

    endpoint_url: str
    port: int
    process: subprocess.Popen

    def env(self, **extra: str) -> dict[str, str]:
        """os.environ plus credentials for this server, without the host's AWS settings."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(
            AWS_ACCESS_KEY_ID=ACCESS_KEY,
            AWS_SECRET_ACCESS_KEY=SECRET_KEY,
            AWS_EC2_METADATA_DISABLED="true",
            AWS_CONFIG_FILE=os.devnull,
            AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        )
        env.update(extra)
        return env

    def client(self, region: str = "us-east-1"):
        """A plain boto3 S3 client (us-east-1: region 'auto' cannot create buckets)."""
        import boto3
        from botocore.config import Config

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
            region_name=region,
            config=Config(s3={"addressing_style": "path"}),
        )


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def s3_server(timeout: float = 30.0) -> Iterator[S3Server]:
    """Start moto_server on 127.0.0.1:<free port>; yield it; stop it."""
    port = free_port()
    cmd = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
    url = f"http://127.0.0.1:{port}"
    # moto logs every request to stderr: a file, not a pipe, so it can never fill up
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=log)
        try:
            wait_ready(proc, url, log, timeout)
            yield S3Server(url, port, proc)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def wait_ready(proc: subprocess.Popen, url: str, log, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            log.seek(0)
            err = log.read().decode(errors="replace")
            raise RuntimeError(f"moto server exited with {proc.returncode}: {err[-2000:]}")
        try:
            httpx.get(f"{url}/moto-api/", timeout=1.0)
            return
        except httpx.HTTPError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"moto server not ready on {url} after {timeout}s") from None
            time.sleep(0.05)


def make_bucket(server: S3Server, name: str | None = None) -> str:
    """Create a bucket (a fresh unique name by default) and return its name."""
    name = name or f"test-{uuid.uuid4().hex[:12]}"
    server.client().create_bucket(Bucket=name)
    return name
