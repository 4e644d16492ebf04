"""The client through the real Worker (workerd): free files without a token, the full history
with one, and the Worker's refusals (401, 403 by reason, 429) as one-line client errors.

Tokens are the format of beanflows/tokens.py (the client sends any Bearer string it is given,
so API keys of another format work the same way).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

import beanflows
from beanflows.tokens import mint_token
from tests.demo_site import demo_dist
from tests.worker_server import WorkerUnavailable, release_objects, worker_server

pytestmark = pytest.mark.worker
SECRET = "client-test-secret"


def _site_files(dist: Path) -> dict[str, bytes]:
    keep = [p for p in dist.rglob("*") if p.is_file() and p.relative_to(dist).parts[0] == "data"]
    return {p.relative_to(dist).as_posix(): p.read_bytes() for p in keep}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory):
    dist = demo_dist(tmp_path_factory)
    objects = release_objects(_site_files(dist))
    try:
        limits = {"RATE_LIMIT": "2", "RATE_LIMIT_LEASE": "1"}
        with worker_server(objects, vars=limits, secrets={"TOKEN_SECRET": SECRET}) as worker:
            yield dist, worker.url.rstrip("/"), json.loads((dist / "data/catalog.json").read_text())
    except WorkerUnavailable as exc:
        pytest.skip(str(exc))


def token(plan: str = "pro", sub: str = "cust_1", **kw) -> str:
    return mint_token(SECRET, sub, plan, iat=int(time.time()), **kw)


def rows(catalog: dict, name: str, tier: str) -> int:
    return catalog["datasets"][name]["files"][tier]["parquet"]["rows"]


def test_free_without_token_and_full_history_with_one(site, tmp_path: Path) -> None:
    dist, url, catalog = site
    free = beanflows.Client(url, cache_dir=tmp_path / "c1")
    assert free.get("coffee_balance").num_rows == rows(catalog, "coffee_balance", "free")
    with pytest.raises(beanflows.AuthError, match="needs an API key.*BEANFLOWS_TOKEN"):
        free.get("coffee_balance", tier="pro")
    pro = beanflows.Client(url, token=token(sub="cust_full"), cache_dir=tmp_path / "c2",
                           range_min_bytes=0)  # fmt: skip
    balance = pro.get("coffee_balance", country_code="BR", columns=["market_year", "production"])
    assert pro.last_read["how"] == "range" and pro.last_read["path"].startswith("data/pro/")
    want = [r for r in _read(dist, "data/pro/coffee_balance.parquet") if r["country_code"] == "BR"]
    assert balance["production"].to_pylist() == [r["production"] for r in want]


def _read(dist: Path, rel: str) -> list[dict]:
    import pyarrow.parquet as pq

    return pq.read_table(dist / rel).to_pylist()


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: token(plan="free", sub="cust_free"), "plan does not include"),
        (lambda: token(sub="cust_old", exp=int(time.time()) - 10), "expired"),
        (lambda: "bf_live_not-a-key-this-worker-knows", "HTTP 403"),
    ],
)
def test_refusals_are_explained(site, tmp_path: Path, make, message: str) -> None:
    _, url, _ = site
    c = beanflows.Client(url, token=make(), cache_dir=tmp_path / "c")
    with pytest.raises(beanflows.PlanRequired, match=message):
        c.get("psd_coffee")


def test_rate_limit_is_a_clear_error_with_the_wait(site, tmp_path: Path) -> None:
    _, url, _ = site
    c = beanflows.Client(url, token=token(sub="cust_busy"), cache_dir=tmp_path / "c")
    c.get("psd_coffee")
    c.get("coffee_balance")  # 2 gated requests: the limit
    with pytest.raises(beanflows.RateLimited, match="too many requests.*retry in") as info:
        c.get("cot_legacy")
    assert info.value.retry_after_seconds > 5  # a long wait: not retried silently
    assert c.get("psd_coffee").num_rows > 0 and c.last_read["how"] == "cache"  # no request
