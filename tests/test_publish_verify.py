"""Publish refuses a dist that disagrees with its catalog: nothing uploaded, pointer unchanged."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from beanflows.publish import main, plan
from beanflows.publish.r2 import POINTER_KEY, PublishError, get_json
from beanflows.publish.release import publish
from beanflows.publish.verify import problems
from tests.test_publish import env, make_dist, s3, snapshot, target  # noqa: F401 - fixtures


def _problems(dist: Path) -> list[str]:
    return problems(dist, plan.scan_dist(dist))


def test_a_consistent_dist_has_no_problems(tmp_path) -> None:
    assert _problems(make_dist(tmp_path / "dist")) == []


def test_every_kind_of_disagreement_is_named(tmp_path) -> None:
    dist = make_dist(tmp_path / "dist")
    parquet = dist / "data/pro/x.parquet"
    data = bytearray(parquet.read_bytes())
    data[10] ^= 1  # one byte, same size
    parquet.write_bytes(bytes(data))
    (dist / "data/free/x.csv").write_text("year,value\n")  # another size
    (dist / "data/pro/y.csv").write_text("a\n1\n")  # not in the catalog
    (dist / "data/.render-state").write_text("abc")  # internal state
    (dist / ".well-known").mkdir()
    (dist / ".well-known/security.txt").write_text("Contact: x")  # a public dot folder: fine
    found = _problems(dist)
    assert any(p.startswith("data/pro/x.parquet: sha256 ") for p in found), found
    assert any(p.startswith("data/free/x.csv: 11 bytes, the catalog says ") for p in found)
    assert "data/pro/y.csv: a data file the catalog does not list" in found
    assert "data/.render-state: internal file (a dot file) must not be published" in found
    assert len(found) == 4, found
    (dist / "data/pro/x.parquet").unlink()
    assert "data/pro/x.parquet: listed in the catalog but missing" in _problems(dist)
    (dist / "data/catalog.json").write_text("{")
    assert any("catalog.json is not readable JSON" in p for p in _problems(dist))
    (dist / "data/catalog.json").unlink()
    assert "data/catalog.json is missing but DIST has data files" in _problems(dist)


def test_publish_refuses_a_tampered_dist_and_leaves_the_bucket_alone(target, tmp_path) -> None:  # noqa: F811
    first = publish(target, make_dist(tmp_path / "v1", "v1"))
    before = snapshot(target)
    pointer_before = get_json(target, POINTER_KEY)
    dist = make_dist(tmp_path / "v2", "v2")
    parquet = dist / "data/pro/x.parquet"
    parquet.write_bytes(parquet.read_bytes().replace(b"v2", b"v3", 1))  # after the build
    with pytest.raises(PublishError) as err:
        publish(target, dist)
    message = str(err.value)
    assert "refusing to publish" in message and "nothing was uploaded" in message
    assert "data/pro/x.parquet: sha256 " in message and "\n" not in message
    assert snapshot(target) == before  # no object, no manifest, same pointer
    assert get_json(target, POINTER_KEY) == pointer_before
    assert get_json(target, POINTER_KEY)[0]["release"] == first.release
    with pytest.raises(PublishError):  # a dry run refuses too
        publish(target, dist, dry_run=True)


def test_cli_refusal_is_one_line_exit_1(env, target, tmp_path, capsys) -> None:  # noqa: F811
    dist = make_dist(tmp_path / "dist")
    catalog = json.loads((dist / "data/catalog.json").read_text())
    catalog["datasets"]["x"]["files"]["pro"]["parquet"]["bytes"] += 1
    (dist / "data/catalog.json").write_text(json.dumps(catalog))
    args = [str(dist), "--bucket", target.bucket, "--prefix", target.prefix,
            "--endpoint-url", env.endpoint_url, "--quiet"]  # fmt: skip
    assert main(args) == 1
    err = capsys.readouterr().err
    assert err.startswith("publish: error: refusing to publish ") and err.count("\n") == 1
    assert snapshot(target) == {}
