"""Helper processes never outlive the build: neither the child nor what the child forks."""

from __future__ import annotations

import os
import subprocess
import sys
import time

FORKING_CHILD = r"""
import os, time
from beanflows import children
children.forks_die_with_this_process()
pid = os.fork()  # as SQLMesh's model-loading pool does
if pid == 0:
    time.sleep(60)
    os._exit(0)
print(pid, flush=True)
time.sleep(60)
"""


def _alive(pid: int) -> bool:
    try:
        state = open(f"/proc/{pid}/status").read().split("State:")[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"


def test_a_killed_child_takes_its_forks_with_it() -> None:
    proc = subprocess.Popen([sys.executable, "-c", FORKING_CHILD], stdout=subprocess.PIPE,
                            text=True, env={**os.environ})  # fmt: skip
    grandchild = int(proc.stdout.readline())
    assert _alive(grandchild)
    proc.kill()
    proc.wait()
    deadline = time.monotonic() + 5
    while _alive(grandchild) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(grandchild), "a fork of the killed child is still running"
