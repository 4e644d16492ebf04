"""API keys at the edge, in workerd: the Worker checks `Bearer bf_live_...` against the hashed
key list in its bucket (auth/api-keys.json), never calling the accounts service."""

from __future__ import annotations

import hashlib
import json
import time

import httpx
import pytest

from tests.worker_server import PRO_MARKER, demo_release, worker_or_skip

pytestmark = pytest.mark.worker

PRO_KEY = "bf_live_" + "p" * 43
STARTER_KEY = "bf_live_" + "s" * 43
FREE_KEY = "bf_live_" + "f" * 43
LAPSED_KEY = "bf_live_" + "l" * 43
COMP_KEY = "bf_live_" + "c" * 43


def h(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def initial_list() -> bytes:
    future = int(time.time()) + 86400
    return json.dumps(
        {
            "version": 1,
            "keys": {
                h(PRO_KEY): {"sub": "key_1", "plan": "pro", "until": future},
                h(STARTER_KEY): {"sub": "key_2", "plan": "starter", "until": future},
                h(FREE_KEY): {"sub": "key_3", "plan": "free", "until": None},
                h(LAPSED_KEY): {"sub": "key_4", "plan": "pro", "until": int(time.time()) - 1},
                h(COMP_KEY): {"sub": "key_5", "plan": "pro", "until": None},
            },
        }
    ).encode()


@pytest.fixture(scope="module")
def worker():
    objects = demo_release() | {"auth/api-keys.json": initial_list()}
    # no TOKEN_SECRET: API keys do not depend on the token secret
    with worker_or_skip(objects, {"KEYS_TTL_SECONDS": "0", "RATE_LIMIT": "5"}) as server:
        yield server


def get(worker, key: str | None, path: str = "/data/pro/vectors.csv") -> httpx.Response:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return httpx.get(worker.url.rstrip("/") + path, headers=headers, timeout=10)


@pytest.mark.parametrize("key", [PRO_KEY, STARTER_KEY, COMP_KEY])
def test_paid_keys_download(worker, key):
    r = get(worker, key)
    assert r.status_code == 200, r.text
    assert r.content.startswith(PRO_MARKER)
    assert r.headers["cache-control"] == "private, no-store"


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        (FREE_KEY, "plan"),
        (LAPSED_KEY, "expired"),
        ("bf_live_" + "x" * 43, "unknown_key"),
        ("bf_live_short", "malformed"),
        ("bf_live_" + "x" * 42 + "!", "malformed"),
    ],
)
def test_refused_keys(worker, key, reason):
    r = get(worker, key)
    assert (r.status_code, r.text.strip()) == (403, f"403 {reason}")
    assert PRO_MARKER not in r.content


def test_key_revoked_by_a_new_list(worker):
    other = "bf_live_" + "r" * 43
    doc = json.loads(initial_list())
    doc["keys"][h(other)] = {"sub": "key_9", "plan": "pro", "until": None}
    worker.put("auth/api-keys.json", json.dumps(doc).encode())
    assert get(worker, other).status_code == 200
    worker.put("auth/api-keys.json", initial_list())  # the key is gone from the list
    assert get(worker, other).text.strip() == "403 unknown_key"


def test_downgrade_in_a_new_list(worker):
    doc = json.loads(initial_list())
    doc["keys"][h(PRO_KEY)]["plan"] = "free"
    worker.put("auth/api-keys.json", json.dumps(doc).encode())
    assert get(worker, PRO_KEY).text.strip() == "403 plan"
    worker.put("auth/api-keys.json", initial_list())
    assert get(worker, PRO_KEY).status_code == 200


def test_no_list_no_access(worker):
    worker.delete("auth/api-keys.json")
    assert get(worker, PRO_KEY).text.strip() == "403 unknown_key"
    worker.put("auth/api-keys.json", initial_list())


def test_broken_list_keeps_the_last_good_one(worker):
    worker.put("auth/api-keys.json", initial_list())
    assert get(worker, PRO_KEY).status_code == 200
    worker.put("auth/api-keys.json", b"{not json")
    assert get(worker, PRO_KEY).status_code == 200
    worker.put("auth/api-keys.json", initial_list())


def test_rate_limit_counts_per_key(worker):
    lapsed_free = [get(worker, STARTER_KEY, "/data/pro/other.csv") for _ in range(6)]
    codes = [r.status_code for r in lapsed_free]
    assert codes.count(429) >= 1 and codes[0] == 200, codes
    assert "retry-after" in lapsed_free[-1].headers
    # another key has its own budget
    assert get(worker, COMP_KEY, "/data/pro/other.csv").status_code == 200


def test_usage_marker_written(worker):
    fresh = "bf_live_" + "u" * 43
    doc = json.loads(initial_list())
    doc["keys"][h(fresh)] = {"sub": "key_77", "plan": "pro", "until": None}
    worker.put("auth/api-keys.json", json.dumps(doc).encode())
    assert worker.get("auth/usage/key_77") is None
    assert get(worker, fresh, "/data/pro/psd_coffee.csv").status_code == 200
    deadline = time.monotonic() + 5
    while worker.get("auth/usage/key_77") is None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert worker.get("auth/usage/key_77") is not None
    # the marker is an object in the bucket, never a URL of the site
    assert get(worker, None, "/auth/usage/key_77").status_code == 404
    worker.put("auth/api-keys.json", initial_list())


def test_public_files_need_no_key(worker):
    assert get(worker, None, "/data/free/psd_coffee.csv").status_code == 200
    assert get(worker, None).status_code == 401
