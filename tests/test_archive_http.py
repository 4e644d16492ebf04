"""The raw archive and the HTTP fetch path, against a real server on 127.0.0.1."""

from __future__ import annotations

import stat
from pathlib import Path

import httpx
import pytest

from ingest import archive, http, sniff
from ingest.errors import NotPublishedYet, SourceError
from tests.usda_fixtures import bulk_csv, bulk_zip

FAST = {"retries": 3, "backoff_seconds": 0.01, "timeout_seconds": 5}


def test_store_is_content_addressed_and_immutable(tmp_path: Path) -> None:
    manifest: list = []
    row, new = archive.store(tmp_path, manifest, b"abc", source="s", kind="k", name="f.csv")
    assert new and row["sha256"] == archive.sha256(b"abc")
    path = archive.object_path(tmp_path, row["sha256"])
    assert path.read_bytes() == b"abc"
    assert not path.stat().st_mode & stat.S_IWUSR  # read-only on disk
    again, new2 = archive.store(tmp_path, manifest, b"abc", source="s", kind="k", name="g.csv")
    assert not new2 and again == row
    assert len(archive.load_manifest(tmp_path)) == 1  # refetching unchanged content stores nothing


def test_read_refuses_a_corrupted_object(tmp_path: Path) -> None:
    manifest: list = []
    row, _ = archive.store(tmp_path, manifest, b"good", source="s", kind="k", name="f")
    path = archive.object_path(tmp_path, row["sha256"])
    path.chmod(0o644)
    path.write_bytes(b"evil")
    with pytest.raises(OSError, match="does not match"):
        archive.read(tmp_path, row["sha256"])


@pytest.mark.parametrize(
    ("data", "fmt", "message"),
    [
        (b"", "zip", "empty body"),
        (b"<!DOCTYPE html><html><body>Service unavailable</body></html>", "zip", "HTML page"),
        (b"  \r\n<html><head><title>Error</title>", "csv", "HTML page"),
        (bulk_zip(bulk_csv())[:-200], "zip", "truncated or corrupt"),
        (b"not a zip at all", "zip", "bad magic"),
        (b'{"a": [1, 2', "json", "invalid JSON"),
    ],
)
def test_sniff_refuses_bad_content(data: bytes, fmt: str, message: str) -> None:
    with pytest.raises(SourceError, match=message) as err:
        sniff.check("usda_psd", "http://x/psd_coffee_csv.zip", data, fmt)
    assert "[usda_psd] http://x/psd_coffee_csv.zip" in str(err.value)


def test_non_utf8_byte_names_line_and_offset() -> None:
    with pytest.raises(SourceError, match=r"line 2: non-UTF-8 byte 0xff"):
        sniff.decode_text("usda_psd", "f.csv", b"a,b\r\nc,\xff\r\n")


def test_fetch_conditional_request_and_304(upstream, http_root: Path) -> None:
    (http_root / "f.zip").write_bytes(bulk_zip(bulk_csv()))
    req = http.Request(upstream.url("f.zip"), "bulk", "f.zip", "zip")
    with http.make_client(FAST) as client:
        first = http.fetch(client, "usda_psd", req, None, FAST)
        assert first.data and first.etag
        second = http.fetch(client, "usda_psd", req, {"etag": first.etag}, FAST)
    assert second.data is None  # 304: nothing downloaded, nothing stored
    assert upstream.hits[-1][1].get("If-None-Match") == first.etag
    assert "BeanFlows" in upstream.hits[-1][1].get("User-Agent", "")


def test_fetch_retries_then_fails_with_the_url(upstream, http_root: Path) -> None:
    upstream.faults["/down.zip"] = {"status": 503}
    req = http.Request(upstream.url("down.zip"), "bulk", "down.zip", "zip")
    with http.make_client(FAST) as client, pytest.raises(SourceError) as err:
        http.fetch(client, "usda_psd", req, None, FAST)
    assert "HTTP 503 after retries" in str(err.value) and "down.zip" in str(err.value)
    assert sum(1 for p, _ in upstream.hits if p == "/down.zip") == 3  # bounded: 3 attempts


def test_fetch_optional_404_is_not_published_yet(upstream) -> None:
    req = http.Request(upstream.url("fut_2027.zip"), "k", "n", "zip", optional=True)
    with http.make_client(FAST) as client, pytest.raises(NotPublishedYet):
        http.fetch(client, "cftc_cot", req, None, FAST)


def test_fetch_size_cap_and_truncated_body(upstream, http_root: Path) -> None:
    (http_root / "big.csv").write_bytes(b"x" * (2 * 1024 * 1024))
    req = http.Request(upstream.url("big.csv"), "k", "big.csv", "csv")
    with http.make_client(FAST) as client, pytest.raises(SourceError, match="size cap|cap"):
        http.fetch(client, "s", req, None, {**FAST, "max_megabytes": 1})
    upstream.faults["/cut.zip"] = {"body": b"PK" + b"0" * 5000, "truncate": 100}
    req = http.Request(upstream.url("cut.zip"), "k", "cut.zip", "zip")
    with http.make_client(FAST) as client, pytest.raises(SourceError, match="cut.zip"):
        http.fetch(client, "s", req, None, FAST)


def test_fetch_network_error_names_the_url() -> None:
    req = http.Request("http://127.0.0.1:9/nothing.zip", "k", "n", "zip")
    with httpx.Client(timeout=1) as client, pytest.raises(SourceError, match="nothing.zip"):
        http.fetch(client, "s", req, None, {**FAST, "retries": 1})
