"""Per-subject rate limit (Durable Object counter) and finished key rotation, in workerd."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from beanflows import tokens
from tests.worker_server import (
    PRO_MARKER,
    WINDOW_SECONDS,
    WorkerUnavailable,
    demo_release,
    worker_server,
)

pytestmark = pytest.mark.worker

VECTORS = json.loads((Path(__file__).parent / "vectors" / "tokens.json").read_text())
CURRENT = VECTORS["secrets"]["current"]
PREVIOUS = VECTORS["secrets"]["previous"]
LIMIT = 5
LEASE = 2  # isolates take 2 requests at a time from the Durable Object: 2 + 2 + 1
PRO = "/data/pro/other.csv"


@pytest.fixture(scope="module")
def client():
    # Only the current secret: the rotation has finished, previous-key tokens must fail.
    config = {
        "RATE_LIMIT": str(LIMIT),
        "RATE_LIMIT_LEASE": str(LEASE),
    }
    try:
        with (
            worker_server(demo_release(), config, {"TOKEN_SECRET": CURRENT}) as server,
            httpx.Client(base_url=server.url, timeout=10) as c,
        ):
            yield c
    except WorkerUnavailable as err:
        pytest.skip(str(err))


def bearer(sub: str, secret: str = CURRENT) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens.mint_token(secret, sub, 'pro', ttl=600)}"}


def test_limit_then_429_with_retry_after(client: httpx.Client) -> None:
    auth = bearer("limited_1")
    remaining = []
    for _ in range(LIMIT):
        r = client.get(PRO, headers=auth)
        assert r.status_code == 200
        remaining.append(int(r.headers["ratelimit-remaining"]))
        assert r.headers["ratelimit-limit"] == str(LIMIT)
    assert remaining == [4, 3, 2, 1, 0]
    r = client.get(PRO, headers=auth)
    assert r.status_code == 429
    assert 0 < int(r.headers["retry-after"]) <= WINDOW_SECONDS
    assert r.headers["cache-control"] == "private, no-store"
    # the RateLimit-* headers the README promises, and Vary as docs/tokens.md says
    assert r.headers["ratelimit-limit"] == str(LIMIT) and r.headers["ratelimit-remaining"] == "0"
    assert r.headers["ratelimit-reset"] == r.headers["retry-after"]
    assert r.headers["vary"] == "Authorization, Cookie"
    assert PRO_MARKER not in r.content
    # HEAD and Range count too and are refused the same way
    assert client.head(PRO, headers=auth).status_code == 429
    assert client.get(PRO, headers={**auth, "Range": "bytes=0-3"}).status_code == 429


def test_limit_is_per_subject_not_per_token(client: httpx.Client) -> None:
    for _ in range(LIMIT):
        assert client.get(PRO, headers=bearer("limited_2")).status_code == 200
    # a freshly minted token for the same subject shares the counter ...
    assert client.get(PRO, headers=bearer("limited_2")).status_code == 429
    # ... and so does a signed URL for that subject, while another subject is untouched
    url = tokens.sign_url(CURRENT, PRO, "limited_2", "pro", ttl=600)
    assert client.get(url).status_code == 429
    assert client.get(PRO, headers=bearer("limited_3")).status_code == 200


def test_public_paths_and_refused_requests_are_not_counted(client: httpx.Client) -> None:
    for _ in range(LIMIT * 3):
        assert client.get("/data/free/psd_coffee.csv").status_code == 200
        assert client.get(PRO).status_code == 401
        free = tokens.mint_token(CURRENT, "limited_4", "free", ttl=600)
        assert client.get(PRO, headers={"Authorization": f"Bearer {free}"}).status_code == 403
    assert client.get(PRO, headers=bearer("limited_4")).status_code == 200


def test_previous_key_refused_after_rotation(client: httpx.Client) -> None:
    r = client.get(PRO, headers=bearer("rotated", PREVIOUS))
    assert r.status_code == 403
    assert r.text.strip() == "403 bad_signature"
