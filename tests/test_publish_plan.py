"""The publish rules without a bucket: headers, manifest, release ids, what to upload/prune."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime, timedelta
from pathlib import Path

from beanflows.publish import content, plan

NOW = datetime(2026, 11, 29, 3, 0, 0, tzinfo=UTC)
GRACE = timedelta(hours=48)


def test_content_types_of_the_dist_layout():
    h = content.headers_for
    assert h("index.html", b"<!doctype")["content_type"] == "text/html; charset=utf-8"
    assert h("supply/index.html", b"")["cache_control"] == "public, max-age=300"
    assert h("assets/app.1a2b3c4d.js", b"")["content_type"] == "text/javascript; charset=utf-8"
    assert h("data/catalog.json", b"{")["content_type"] == "application/json; charset=utf-8"
    assert h("data/free/x.csv", b"a,b")["content_type"] == "text/csv; charset=utf-8"
    assert h("data/pro/x.parquet", b"PAR1")["content_type"] == "application/vnd.apache.parquet"
    assert h("sitemap.xml", b"<")["content_type"] == "application/xml; charset=utf-8"
    assert h("unknown.zzz", b"")["content_type"] == "application/octet-stream"


def test_cache_control_rules():
    cc = content.cache_control
    assert cc("assets/app.1a2b3c4d.js") == content.IMMUTABLE
    assert cc("assets/style.0123456789abcdef.css") == content.IMMUTABLE
    assert cc("assets/app.js.1a2b3c4d.js.gz") == content.IMMUTABLE
    # not content-hashed, or not under assets/: may change under the same name
    assert cc("assets/app.js") == content.SHORT
    assert cc("app.1a2b3c4d.js") == content.SHORT
    assert cc("index.html") == content.SHORT
    assert cc("data/pro/x.parquet").startswith("private")
    assert cc("data/pro/deep/x.csv").startswith("private")
    assert not cc("data/free/x.csv").startswith("private")


def test_content_encoding_only_when_really_gzip():
    gz = gzip.compress(b"a,b\n1,2\n")
    h = content.headers_for("data/free/x.csv.gz", gz[:16])
    assert h == {
        "content_type": "text/csv; charset=utf-8",
        "cache_control": content.SHORT,
        "content_encoding": "gzip",
    }
    # named .gz but not gzip bytes: no encoding claimed
    fake = content.headers_for("data/free/y.csv.gz", b"a,b\n")
    assert fake["content_encoding"] is None
    assert fake["content_type"] == "application/gzip"
    # gzip of something without a known type stays an opaque gzip download
    assert content.headers_for("backup.gz", gz[:16])["content_encoding"] is None
    # gzip bytes without .gz name: served as is
    assert content.headers_for("data/free/x.csv", gz[:16])["content_encoding"] is None


def write(root: Path, rel: str, data: bytes) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def test_scan_dist_and_release_id(tmp_path):
    write(tmp_path, "index.html", b"<h1>hi</h1>")
    write(tmp_path, "supply/index.html", b"<h1>supply</h1>")
    write(tmp_path, "copy.html", b"<h1>hi</h1>")
    files = plan.scan_dist(tmp_path)
    assert [f.path for f in files] == ["copy.html", "index.html", "supply/index.html"]
    mfiles = plan.manifest_files(files)
    entry = mfiles["index.html"]
    assert entry["key"] == f"objects/{entry['sha256']}"
    assert entry["size"] == 11
    assert set(entry) == {
        "key", "sha256", "size", "content_type", "cache_control", "content_encoding"
    }  # fmt: skip
    # identical bytes under two paths share one object
    assert len(plan.unique_objects(files)) == 2
    rid = plan.release_id(mfiles, NOW)
    assert rid.startswith("20261129T030000Z-") and len(rid) == len("20261129T030000Z-") + 8
    assert plan.release_time(rid) == NOW
    write(tmp_path, "index.html", b"<h1>changed</h1>")
    other = plan.manifest_files(plan.scan_dist(tmp_path))
    assert plan.release_id(other, NOW) != rid
    manifest = plan.build_manifest(mfiles, NOW)
    assert manifest["release"] == rid and manifest["created_at"] == "2026-11-29T03:00:00Z"
    # a release in the same second (or from a clock behind) still sorts after the newest
    later = plan.build_manifest(other, NOW - timedelta(hours=1), [rid])
    assert later["release"] > rid and later["created_at"] == "2026-11-29T03:00:01Z"


def test_to_upload_reuses_only_objects_a_prune_cannot_take(tmp_path):
    write(tmp_path, "a.html", b"a")
    write(tmp_path, "b.html", b"bb")
    write(tmp_path, "c.html", b"ccc")
    write(tmp_path, "d.html", b"dddd")
    files = {f.path: f for f in plan.scan_dist(tmp_path)}
    sha = {p: f.sha256 for p, f in files.items()}
    old = NOW - timedelta(days=30)
    remote = {
        sha["a.html"]: plan.RemoteObject(1, old),  # in the live release: reuse
        sha["b.html"]: plan.RemoteObject(2, NOW - timedelta(hours=1)),  # fresh orphan: reuse
        sha["c.html"]: plan.RemoteObject(3, old),  # old orphan: a prune may take it
        # d.html missing entirely
    }
    needed = plan.to_upload(list(files.values()), remote, {sha["a.html"]}, NOW, GRACE)
    assert sorted(f.path for f in needed) == ["c.html", "d.html"]
    # a wrong size is never trusted
    remote[sha["a.html"]] = plan.RemoteObject(99, old)
    needed = plan.to_upload(list(files.values()), remote, {sha["a.html"]}, NOW, GRACE)
    assert "a.html" in {f.path for f in needed}


def rid(hours_ago: float, tag: str) -> str:
    return f"{(NOW - timedelta(hours=hours_ago)).strftime(plan.ID_TIME_FORMAT)}-{tag}"


def test_releases_to_keep():
    r = [rid(200, "aaaaaaaa"), rid(150, "bbbbbbbb"), rid(100, "cccccccc"), rid(10, "dddddddd")]
    # keep 1: the live one, its predecessor, and r[2] (superseded by r[3] only 10 h ago)
    kept = plan.releases_to_keep(r, r[3], r[2], 1, NOW, GRACE)
    assert kept == {r[2], r[3]}
    # r[1] was superseded 100 h ago, r[0] 150 h ago: both go with keep=2 as well
    assert plan.releases_to_keep(r, r[3], r[2], 2, NOW, GRACE) == {r[2], r[3]}
    assert plan.releases_to_keep(r, r[3], r[2], 3, NOW, GRACE) == {r[1], r[2], r[3]}
    # after a rollback the live release is old, and still kept
    kept = plan.releases_to_keep(r, r[0], None, 1, NOW, GRACE)
    assert r[0] in kept and r[3] in kept
    # a short grace keeps only what `keep` and the pointer demand
    assert plan.releases_to_keep(r, r[3], r[2], 1, NOW, timedelta(hours=1)) == {r[2], r[3]}
    # everything superseded within the grace period stays
    assert plan.releases_to_keep(r, r[3], r[2], 1, NOW, timedelta(hours=500)) == set(r)


def test_prunable_objects_respect_grace():
    remote = {
        "a" * 64: plan.RemoteObject(1, NOW - timedelta(hours=49)),
        "b" * 64: plan.RemoteObject(1, NOW - timedelta(hours=47)),
        "c" * 64: plan.RemoteObject(1, NOW - timedelta(hours=100)),
    }
    assert plan.prunable_objects(remote, {"c" * 64}, NOW, GRACE) == ["a" * 64]
    assert plan.prunable_objects(remote, set(), NOW, timedelta(0)) == sorted(remote)
