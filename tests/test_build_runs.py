"""The benchmarks' memory sampler (bench/build_runs.py) counts the whole process tree.

A build is a tree: the build, the SQLMesh child, mkdocs, the drawing processes. The peak the
scale benchmark reports against its 2 GB target is the sum over that tree, so a grandchild's
memory must be in it.
"""

from __future__ import annotations

import subprocess
import sys

from bench import build_runs

# a parent whose child holds 200 MB (touched, so resident) and says when it has them
TREE = """
import subprocess, sys
child = subprocess.Popen([sys.executable, "-c",
    "import sys, time; b = bytearray(200 * 1024 * 1024); print('ready', flush=True); "
    "sys.stdin.read()"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
print(child.stdout.readline().strip(), flush=True)
sys.stdin.read()
child.stdin.close(); child.wait()
"""


def test_the_sampled_peak_counts_every_process_of_the_tree() -> None:
    parent = subprocess.Popen(
        [sys.executable, "-c", TREE], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert parent.stdout.readline().strip() == "ready"
        tree_mb = build_runs._tree_rss_kb(parent.pid) / 1024
        assert tree_mb > 200, tree_mb  # the grandchild's 200 MB and two interpreters
        assert tree_mb < 400, tree_mb  # each page counted once per process that holds it
    finally:
        parent.stdin.close()
        parent.wait(timeout=30)
    assert build_runs._tree_rss_kb(parent.pid) == 0
