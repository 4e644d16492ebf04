"""`beanflows build --demo`: every source from the shipped fixtures, labelled as demo data."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq

from beanflows.export import DEMO_LABEL
from tests.conftest import REPO, run_cli


def test_demo_build_is_complete_and_labelled(tmp_path: Path) -> None:
    res = run_cli("build", "--demo", "--var", str(tmp_path / "var"), "--out",
                  str(tmp_path / "dist"), cwd=tmp_path)  # fmt: skip
    assert res.returncode == 0, res.stderr[-3000:]
    dist = tmp_path / "dist"
    catalog = json.loads((dist / "data/catalog.json").read_text())
    assert catalog["demo"] is True
    assert all(s["status"] != "stale" for s in catalog["sources"].values()), catalog["sources"]
    stale = [n for n, d in catalog["datasets"].items() if d["status"] == "stale"]
    assert not stale
    for name, ds in catalog["datasets"].items():
        assert ds["description"].startswith(DEMO_LABEL), name
        if not name.endswith(("_revisions", "_reconciliation")):  # may rightly be empty
            assert ds["files"]["pro"]["parquet"]["rows"] > 0, f"{name}: the demo leaves it empty"
        meta = pq.read_metadata(dist / ds["files"]["pro"]["parquet"]["path"]).metadata
        assert meta[b"beanflows_demo"] == b"true", name
    assert "demo" in (dist / "index.html").read_text().lower()

    # publishing invented numbers is refused unless asked for explicitly
    refused = run_cli("publish", str(dist), "--bucket", "b", "--endpoint-url",
                      "http://127.0.0.1:9", cwd=tmp_path,
                      env={"AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "y"})  # fmt: skip
    assert refused.returncode == 1 and "--demo build" in refused.stderr
    assert (REPO / "publish.py").is_file()
