"""The gate on data/pro/ in workerd: shared token vectors and bypass attempts over real HTTP.

Every bypass attempt asserts the same thing: no 2xx/304 and no byte of any gated file in the
response (gated files all contain PRO_MARKER; see tests/worker_server.py).
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

import httpx
import pytest

from beanflows import tokens
from tests.worker_server import PRO_MARKER, demo_files, demo_release, worker_or_skip

pytestmark = pytest.mark.worker

VECTORS = json.loads((Path(__file__).parent / "vectors" / "tokens.json").read_text())
CURRENT = VECTORS["secrets"]["current"]
PREVIOUS = VECTORS["secrets"]["previous"]
FILES = demo_files()
PRO = "/data/pro/psd_coffee.csv"
PRO_BYTES = FILES[PRO[1:]]
PRO_ETAG = '"' + hashlib.sha256(PRO_BYTES).hexdigest() + '"'
GOOD = tokens.mint_token(CURRENT, "gate_tester", "pro", ttl=3600)


@pytest.fixture(scope="module")
def worker():
    secrets = {"TOKEN_SECRET": CURRENT, "TOKEN_SECRET_PREVIOUS": PREVIOUS}
    with worker_or_skip(demo_release(), {"RATE_LIMIT": "100000"}, secrets) as server:
        yield server


def raw(client: httpx.Client, target: str, method: str = "GET", **headers: str) -> httpx.Response:
    """Send `target` byte for byte as the request target (httpx would normalise it)."""
    request = client.build_request(method, "/", headers=headers)
    request.extensions["target"] = target.encode("latin-1")
    return client.send(request)


def assert_no_leak(r: httpx.Response) -> None:
    assert r.status_code not in (200, 206, 304), (r.status_code, r.request.url)
    assert PRO_MARKER not in r.content
    assert r.headers.get("etag") not in {PRO_ETAG}
    if r.status_code in (401, 403, 429):
        assert r.headers["cache-control"] == "private, no-store"
        # docs/tokens.md: gated answers vary on the credential (refusals also on Accept)
        assert r.headers["vary"].startswith("Authorization, Cookie"), r.headers.get("vary")


# -- the shared vectors, judged by the Worker -------------------------------------------------

GATED_VECTOR_PATH = "/" + VECTORS["gated_path"]


@pytest.mark.parametrize("vector", VECTORS["tokens"], ids=lambda v: v["name"])
def test_token_vector_bearer(client: httpx.Client, vector: dict) -> None:
    r = client.get(
        GATED_VECTOR_PATH, headers={"Authorization": f"Bearer {vector['token']}".strip()}
    )
    assert r.status_code == vector["status"]
    if vector["status"] == 200:
        assert r.content == FILES[VECTORS["gated_path"]]
        assert r.headers["cache-control"] == "private, no-store"
    else:
        assert r.text.strip() == f"403 {vector['expect']}"
        assert_no_leak(r)


@pytest.mark.parametrize("vector", VECTORS["tokens"], ids=lambda v: v["name"])
def test_token_vector_cookie(client: httpx.Client, vector: dict) -> None:
    r = client.get(GATED_VECTOR_PATH, headers={"Cookie": f"theme=dark; bf_token={vector['token']}"})
    assert r.status_code == vector["status"]
    if r.status_code != 200:
        assert_no_leak(r)


@pytest.mark.parametrize("vector", VECTORS["signed_urls"], ids=lambda v: v["name"])
def test_signed_url_vector(client: httpx.Client, vector: dict) -> None:
    r = raw(client, f"{vector['path']}?{vector['query']}")
    assert r.status_code == vector["status"]
    if vector["status"] == 200:
        assert r.content == FILES[vector["path"][1:]]
        assert r.headers["cache-control"] == "private, no-store"
    else:
        assert r.text.strip() == f"403 {vector['expect']}"
        assert_no_leak(r)


# -- allowed access -----------------------------------------------------------------------------


def test_bearer_cookie_and_signed_url_grant_access(client: httpx.Client) -> None:
    for headers in (
        {"Authorization": f"Bearer {GOOD}"},
        {"Cookie": f"bf_token={GOOD}"},
        {"Authorization": f"bearer {GOOD}"},
    ):
        r = client.get(PRO, headers=headers)
        assert r.status_code == 200
        assert r.content == PRO_BYTES
        assert r.headers["cache-control"] == "private, no-store"
        assert "Authorization" in r.headers["vary"]
    url = tokens.sign_url(CURRENT, PRO, "gate_tester", "starter", ttl=60)
    assert raw(client, url).content == PRO_BYTES


def test_gated_head_range_and_etag_with_token(client: httpx.Client) -> None:
    auth = {"Authorization": f"Bearer {GOOD}"}
    r = client.head(PRO, headers=auth)
    assert (r.status_code, r.content) == (200, b"")
    assert int(r.headers["content-length"]) == len(PRO_BYTES)
    r = client.get(PRO, headers={**auth, "Range": "bytes=5-14"})
    assert (r.status_code, r.content) == (206, PRO_BYTES[5:15])
    assert r.headers["cache-control"] == "private, no-store"
    r = client.get(PRO, headers={**auth, "If-None-Match": PRO_ETAG})
    assert r.status_code == 304
    assert r.headers["cache-control"] == "private, no-store"


def test_previous_key_still_accepted(client: httpx.Client) -> None:
    old = tokens.mint_token(PREVIOUS, "rotating", "starter", ttl=60)
    assert client.get(PRO, headers={"Authorization": f"Bearer {old}"}).status_code == 200


def test_token_expiring_while_in_use(client: httpx.Client) -> None:
    """The Worker remembers verified tokens; expiry must still be checked on every request."""
    short = tokens.mint_token(CURRENT, "short_lived", "pro", exp=int(time.time()) + 2)
    auth = {"Authorization": f"Bearer {short}"}
    assert client.get(PRO, headers=auth).status_code == 200
    time.sleep(max(0.0, tokens.verify_token(short, [CURRENT])["exp"] - time.time()) + 0.2)
    r = client.get(PRO, headers=auth)
    assert (r.status_code, r.text.strip()) == (403, "403 expired")


def test_unknown_gated_file_with_token_is_private_404(client: httpx.Client) -> None:
    r = client.get("/data/pro/nope.csv", headers={"Authorization": f"Bearer {GOOD}"})
    assert r.status_code == 404
    assert r.headers["cache-control"] == "private, no-store"


def test_public_files_need_no_token(client: httpx.Client) -> None:
    r = client.get("/data/free/psd_coffee.csv")
    assert r.status_code == 200
    assert r.headers["cache-control"].startswith("public")


# -- bypass attempts ----------------------------------------------------------------------------

FREE_TOKEN = tokens.mint_token(CURRENT, "freeloader", "free", ttl=3600)
EXPIRED = tokens.mint_token(CURRENT, "late", "pro", exp=1_000_000_000)
OTHER_PATH_URL = tokens.sign_url(CURRENT, "/data/pro/other.csv", "c1", "pro", ttl=600)

# (name, request target, headers, expected statuses)
BYPASSES: list[tuple[str, str, dict[str, str], set[int]]] = [
    ("no credential", PRO, {}, {401}),
    ("dotdot from public", "/data/free/../pro/psd_coffee.csv", {}, {400, 401, 404}),
    ("dotdot twice", "/data/free/../../data/pro/psd_coffee.csv", {}, {400, 401, 404}),
    ("encoded dots", "/data/free/%2e%2e/pro/psd_coffee.csv", {}, {400, 401, 404}),
    ("encoded slash", "/data/free/..%2fpro/psd_coffee.csv", {}, {400, 404}),
    ("encoded slash in prefix", "/data%2fpro/psd_coffee.csv", {}, {400, 404}),
    ("encoded slash lowercase", "/data%2Fpro%2fpsd_coffee.csv", {}, {400, 404}),
    ("encoded backslash", "/data/free/..%5cpro/psd_coffee.csv", {}, {400, 404}),
    ("raw backslash", "/data\\pro\\psd_coffee.csv", {}, {400, 401, 404}),
    ("double-encoded slash", "/data%252fpro/psd_coffee.csv", {}, {400, 404}),
    ("double-encoded dots", "/data/free/%252e%252e/pro/psd_coffee.csv", {}, {400, 404}),
    ("encoded letters in prefix", "/%64ata/%70ro/psd_coffee.csv", {}, {401}),
    ("NUL byte", "/data/pro/psd_coffee.csv%00.html", {}, {400}),
    ("empty segment", "/data/pro//psd_coffee.csv", {}, {400}),
    ("leading double slash", "//data/pro/psd_coffee.csv", {}, {400}),
    ("dot segment", "/./data/pro/./psd_coffee.csv", {}, {400, 401}),
    ("upper-case prefix", "/DATA/PRO/psd_coffee.csv", {}, {404}),
    ("mixed-case prefix", "/data/Pro/psd_coffee.csv", {}, {404}),
    (
        "upper-case prefix with free token",
        "/Data/pro/psd_coffee.csv",
        {"Authorization": f"Bearer {FREE_TOKEN}"},
        {404},
    ),
    ("full-width letters", "/data/%EF%BD%90ro/psd_coffee.csv", {}, {404}),
    ("prefix without slash", "/data/pro", {}, {401}),
    ("prefix directory", "/data/pro/", {}, {401}),
    ("unknown gated file (no oracle)", "/data/pro/nope.csv", {}, {401}),
    ("trailing junk", "/data/pro/psd_coffee.csv;.html", {}, {401}),
    ("content-addressed key", "/objects/" + hashlib.sha256(PRO_BYTES).hexdigest(), {}, {404}),
    ("manifest", "/releases/r1.json", {}, {404}),
    ("token in query", f"{PRO}?token={GOOD}", {}, {401}),
    ("free plan", PRO, {"Authorization": f"Bearer {FREE_TOKEN}"}, {403}),
    ("expired", PRO, {"Authorization": f"Bearer {EXPIRED}"}, {403}),
    ("basic auth", PRO, {"Authorization": "Basic Z2F0ZTp0ZXN0ZXI="}, {403}),
    ("bearer with junk", PRO, {"Authorization": f"Bearer {GOOD} extra"}, {403}),
    ("empty bearer", PRO, {"Authorization": "Bearer"}, {403}),
    ("duplicate cookies", PRO, {"Cookie": f"bf_token={FREE_TOKEN}; bf_token={GOOD}"}, {403}),
    ("cookie under other name", PRO, {"Cookie": f"token={GOOD}; bf_token_x={GOOD}"}, {401}),
    ("signed URL for another file", PRO + "?" + OTHER_PATH_URL.split("?")[1], {}, {403}),
    (
        "signed URL + bad bearer",
        OTHER_PATH_URL.split("?")[0].replace("other", "psd_coffee")
        + "?"
        + OTHER_PATH_URL.split("?")[1],
        {"Authorization": "Bearer x"},
        {403},
    ),
    ("etag probe without token", PRO, {"If-None-Match": PRO_ETAG}, {401}),
    ("etag wildcard without token", PRO, {"If-None-Match": "*"}, {401}),
    ("range without token", PRO, {"Range": "bytes=0-99"}, {401}),
    (
        "range with expired token",
        PRO,
        {"Range": "bytes=0-99", "Authorization": f"Bearer {EXPIRED}"},
        {403},
    ),
    (
        "suffix range with free token",
        PRO,
        {"Range": "bytes=-10", "Cookie": f"bf_token={FREE_TOKEN}"},
        {403},
    ),
    (
        "rewrite headers",
        PRO,
        {
            "X-Original-URL": "/data/free/psd_coffee.csv",
            "X-Rewrite-URL": "/index.html",
            "X-Forwarded-For": "127.0.0.1",
        },
        {401},
    ),
    ("oversize bearer", PRO, {"Authorization": "Bearer " + GOOD + "A" * 20000}, {400, 403, 431}),
    ("oversize cookie", PRO, {"Cookie": f"bf_token={GOOD}; pad=" + "x" * 20000}, {400, 403, 431}),
    ("oversize path", "/data/pro/" + "a" * 5000, {}, {400, 401, 414}),
]


@pytest.mark.parametrize(
    ("name", "target", "headers", "expected"), BYPASSES, ids=[b[0] for b in BYPASSES]
)
def test_bypass_get(
    client: httpx.Client, name: str, target: str, headers: dict, expected: set
) -> None:
    r = raw(client, target, **headers)
    assert r.status_code in expected, (name, r.status_code, r.text[:200])
    assert_no_leak(r)


@pytest.mark.parametrize(
    ("name", "target", "headers", "expected"), BYPASSES, ids=[b[0] for b in BYPASSES]
)
def test_bypass_head(
    client: httpx.Client, name: str, target: str, headers: dict, expected: set
) -> None:
    r = raw(client, target, "HEAD", **headers)
    assert r.status_code in expected, (name, r.status_code)
    assert r.headers.get("etag") != PRO_ETAG
    assert r.headers.get("content-length") != str(len(PRO_BYTES))


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "OPTIONS", "PROPFIND"])
def test_other_methods_on_gated_path(client: httpx.Client, method: str) -> None:
    r = raw(client, PRO, method, Authorization=f"Bearer {GOOD}")
    assert r.status_code == 405
    assert PRO_MARKER not in r.content


def test_public_response_is_not_reused_for_gated_path(client: httpx.Client) -> None:
    """Warm every cache with public and authorised gated responses, then ask anonymously."""
    public = client.get("/data/free/big.csv")
    assert public.status_code == 200
    for _ in range(3):
        assert client.get(PRO, headers={"Authorization": f"Bearer {GOOD}"}).status_code == 200
    for headers in (
        {},
        {"If-None-Match": public.headers["etag"]},
        {"If-None-Match": PRO_ETAG},
        {"Cache-Control": "max-age=3600"},
        {"Range": "bytes=0-10"},
    ):
        assert_no_leak(client.get(PRO, headers=headers))


def test_gated_responses_are_never_shared_cacheable(client: httpx.Client) -> None:
    auth = {"Authorization": f"Bearer {GOOD}"}
    for path in (PRO, "/data/pro/other.csv", "/data/pro/nope.csv"):
        for method in ("GET", "HEAD"):
            r = client.request(method, path, headers=auth)
            assert r.headers["cache-control"] == "private, no-store", (path, method)


def test_large_header_block_never_leaks(worker) -> None:
    """64 KiB of headers around a free-plan token: refused outright or denied, never served."""
    with httpx.Client(base_url=worker.url, timeout=10) as c:
        try:
            r = c.get(PRO, headers={"Authorization": f"Bearer {FREE_TOKEN}", "X-Pad": "p" * 65536})
        except httpx.HTTPError:
            return  # the runtime closed the connection: nothing was served
        assert_no_leak(r)
