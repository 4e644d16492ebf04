"""A publish killed (SIGKILL) after a random number of uploads leaves the old release live,
and a rerun completes, reusing what the killed run had uploaded."""

from __future__ import annotations

import json
import os
import random
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from beanflows.publish.r2 import Target, make_client
from beanflows.publish.release import publish
from tests.dists import write_catalog
from tests.s3_server import make_bucket, s3_server
from tests.test_publish import local, make_dist, served

ROOT = Path(__file__).resolve().parents[1]
EXTRA = 20  # new files in v2, on top of the 6 files whose bytes change
NEW_OBJECTS = 6 + EXTRA
SEED = int(os.environ.get("BEANFLOWS_TEST_SEED") or random.randrange(1 << 30))


@pytest.fixture(scope="module")
def s3():
    with s3_server() as server:
        yield server


def v2(root: Path) -> Path:
    dist = make_dist(root, "v2")
    for i in range(EXTRA):
        (dist / "data" / "free" / f"extra_{i}.csv").write_text(f"i,v\n{i},{i * i}\n" * (i + 1))
    write_catalog(dist, v="v2")
    return dist


def run_publish(s3, dist: Path, bucket: str, jobs: int, **env: str) -> subprocess.CompletedProcess:
    cmd = [sys.executable, str(ROOT / "publish.py"), str(dist), "--bucket", bucket,
           "--endpoint-url", s3.endpoint_url, "--jobs", str(jobs), "--quiet"]  # fmt: skip
    return subprocess.run(cmd, env=s3.env(**env), capture_output=True, text=True, timeout=120)


def live_pointer(t: Target) -> tuple[dict, str]:
    resp = t.client.get_object(Bucket=t.bucket, Key="live.json")
    return json.loads(resp["Body"].read()), resp["ETag"]


def kill_point(case: str, rng: random.Random) -> int:
    """How many writes the killed run completes (objects, then the release manifest)."""
    return {
        "first-object": 1,
        "random-object": rng.randint(2, NEW_OBJECTS),
        "after-manifest": NEW_OBJECTS + 1,  # everything written but the pointer
        "random-parallel": rng.randint(1, NEW_OBJECTS),
    }[case]


# the random points are drawn at run time (not collection time: xdist workers must agree)
@pytest.mark.parametrize(
    ("case", "jobs"),
    [("first-object", 1), ("random-object", 1), ("after-manifest", 1), ("random-parallel", 8)],
)
def test_killed_publish_keeps_old_release_live(s3, tmp_path, monkeypatch, case, jobs):
    kill_after = kill_point(case, random.Random(f"{SEED}-{case}"))
    for key, value in s3.env().items():
        if key.startswith("AWS_"):
            monkeypatch.setenv(key, value)
    t = Target(make_client(s3.endpoint_url), make_bucket(s3), "")
    one = make_dist(tmp_path / "one", "v1")
    first = publish(t, one)
    before, etag = live_pointer(t)
    two = v2(tmp_path / "two")
    info = f"seed={SEED} kill_after={kill_after} jobs={jobs}"

    killed = run_publish(s3, two, t.bucket, jobs, BEANFLOWS_PUBLISH_KILL_AFTER=str(kill_after))
    assert killed.returncode == -signal.SIGKILL, (info, killed.stdout, killed.stderr)
    assert live_pointer(t) == (before, etag), info
    assert before["release"] == first.release
    assert served(t) == local(one), info

    rerun = run_publish(s3, two, t.bucket, jobs)
    assert rerun.returncode == 0, (info, rerun.stderr)
    uploaded = int(re.search(r"uploaded (\d+) objects", rerun.stdout).group(1))
    if jobs == 1:
        assert uploaded == NEW_OBJECTS - min(kill_after, NEW_OBJECTS), (info, rerun.stdout)
    else:
        assert uploaded <= NEW_OBJECTS - kill_after, (info, rerun.stdout)
    after, _ = live_pointer(t)
    assert after["previous"] == first.release and after["release"] != first.release
    assert served(t) == local(two), info
