"""A new box from the R2 raw backup: `publish --raw`, `restore-raw`, `build --raw-from`.

Real parts: USDA PSD fetched from a local HTTP server, the moto S3 server standing in for R2,
the real `beanflows` command. The rebuilt datasets must equal the original ones byte for byte.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import run_cli
from tests.s3_server import make_bucket, s3_server
from tests.test_ops_builds import FAMILY, TODAY, _cli, _setup


def test_restore_from_raw_backup_reproduces_the_datasets(upstream, http_root: Path,
                                                         tmp_path: Path) -> None:  # fmt: skip
    config, var, out = _setup(tmp_path, upstream, http_root)
    res = _cli("build", config, var, out, "--source", "usda_psd", "--today", TODAY)
    assert res.returncode == 0, res.stderr[-3000:]
    with s3_server() as s3:
        make_bucket(s3, "raw-backup")
        env = s3.env()
        res = run_cli("publish", "--raw", str(var / "raw"), "--raw-bucket", "raw-backup",
                      "--endpoint-url", s3.endpoint_url, cwd=tmp_path, env=env)  # fmt: skip
        assert res.returncode == 0, res.stderr[-2000:]
        restored = tmp_path / "restored"
        restore = ("restore-raw", str(restored), "--bucket", "raw-backup",
                   "--endpoint-url", s3.endpoint_url)  # fmt: skip
        res = run_cli(*restore, cwd=tmp_path, env=env)
        assert res.returncode == 0, res.stderr[-2000:]
        # two objects: coffee's file and the all-commodities file
        assert "2 objects downloaded" in res.stdout and "build --raw-from" in res.stdout
        again = run_cli(*restore, cwd=tmp_path, env=env)  # an interrupted restore resumes
        assert "0 objects downloaded" in again.stdout and "2 already present" in again.stdout

        # a damaged backup object is refused, never restored as good
        key = next(o["Key"] for o in s3.client().list_objects_v2(Bucket="raw-backup")["Contents"]
                   if "/objects/" in o["Key"])  # fmt: skip
        s3.client().put_object(Bucket="raw-backup", Key=key, Body=b"garbage")
        bad = run_cli("restore-raw", str(tmp_path / "other"), "--bucket", "raw-backup",
                      "--endpoint-url", s3.endpoint_url, cwd=tmp_path, env=env)  # fmt: skip
        assert bad.returncode == 1 and "does not match its sha256" in bad.stderr

    new_var, new_out = tmp_path / "new-var", tmp_path / "new-dist"
    res = run_cli("build", "--raw-from", str(restored), "--var", str(new_var), "--out",
                  str(new_out), "--source", "usda_psd", "--today", TODAY, cwd=tmp_path)  # fmt: skip
    assert res.returncode == 0, res.stderr[-3000:]
    old = json.loads((out / "data/catalog.json").read_text())["datasets"]
    new = json.loads((new_out / "data/catalog.json").read_text())["datasets"]
    for name in FAMILY:
        assert new[name]["files"] == old[name]["files"], name
