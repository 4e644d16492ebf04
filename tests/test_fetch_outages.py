"""The fetch path under outages, against real misbehaving servers on 127.0.0.1.

Bounds here are generous (a shared 2-core machine); bench/bench_outages.py measures the targets.
"""

from __future__ import annotations

import time

import pytest

from ingest import http
from ingest.errors import SourceError
from ingest.fetchguard import Guard, Skipped, limits, retry_after_seconds
from tests.outage_servers import behaving, blackhole, refused_url


def _run(reqs: list[http.Request], settings: dict, guard: Guard | None = None, prev=None):
    """fetch_all over reqs: (seconds, [(request, answer or error)])."""
    t0 = time.monotonic()
    with http.make_client(settings) as client:
        out = list(http.fetch_all(client, "src", reqs, prev or (lambda r: None), settings, guard))
    return time.monotonic() - t0, out


def _reqs(base: str, n: int) -> list[http.Request]:
    return [http.Request(f"{base}/f{i}.csv", "k", f"f{i}.csv", "csv") for i in range(n)]


def _skips(out) -> list[Skipped]:
    return [got for req, got in out if req is None]


def test_refusing_host_is_skipped_after_a_few_failures_with_one_reason() -> None:
    settings = {"retries": 3, "backoff_seconds": 1.0, "max_connections_per_host": 2}
    seconds, out = _run(_reqs(refused_url(), 20), settings)
    assert seconds < 10  # 20 URLs x 3 attempts x back-off would be over a minute
    tried = [got for req, got in out if req is not None]
    assert 1 <= len(tried) <= 3 and all(isinstance(e, SourceError) for e in tried)
    assert all("network error: ConnectError" in str(e) for e in tried)
    (skip,) = _skips(out)
    assert isinstance(skip, Skipped)
    assert "host skipped: 3 consecutive connection failures (last: ConnectError" in str(skip)
    assert f"{20 - len(tried)} URLs not fetched (first: " in str(skip)
    assert "\n" not in str(skip)


def test_dns_failure_opens_the_breaker_too() -> None:
    settings = {"retries": 2, "backoff_seconds": 0.5}
    seconds, out = _run(_reqs("http://nonexistent.invalid", 10), settings)
    assert seconds < 15
    (skip,) = _skips(out)
    assert str(skip).startswith("[src] nonexistent.invalid: host skipped: 3 consecutive")
    assert "URLs not fetched" in str(skip)


def test_breaker_is_per_host_and_shared_across_sources() -> None:
    """Another host still answers; a second source reusing the dead host skips it at once."""
    guard = Guard({"retries": 1})
    dead = refused_url()
    with behaving() as ok:
        reqs = _reqs(dead, 6) + _reqs(ok.base_url, 3)
        _, out = _run(reqs, {"retries": 1}, guard)
        fetched = [got for req, got in out if isinstance(got, http.Fetched)]
        assert len(fetched) == 3 and all(f.data for f in fetched)
    t0 = time.monotonic()
    with http.make_client({}) as client, pytest.raises(Skipped, match="host skipped"):
        http.fetch(client, "other", _reqs(dead, 1)[0], None, {}, guard)
    assert time.monotonic() - t0 < 1


def test_blackholed_host_ends_within_the_source_budget() -> None:
    settings = {"timeout_seconds": 60, "source_budget_seconds": 2, "host_failures_before_skip": 99}
    with blackhole() as base:
        seconds, out = _run(_reqs(base, 12), settings)
    assert seconds < 2 + 3
    errors = [str(got) for _, got in out]
    assert any("ReadTimeout" in e for e in errors)
    assert any("source budget of 2 s used up" in e for e in errors), errors


def test_blackholed_host_read_timeouts_open_the_breaker() -> None:
    settings = {"timeout_seconds": 0.5, "retries": 3, "backoff_seconds": 1}
    with blackhole() as base:
        seconds, out = _run(_reqs(base, 30), settings)
    assert seconds < 5  # 30 URLs x 3 attempts x 0.5 s serial would be 45 s
    (skip,) = _skips(out)
    assert "consecutive connection failures (last: ReadTimeout" in str(skip)


def test_fetch_deadline_bounds_all_sources_together() -> None:
    guard = Guard({"timeout_seconds": 60, "fetch_deadline_seconds": 1.5})
    with blackhole() as base:
        t0 = time.monotonic()
        _run(_reqs(base, 2), {}, guard)
        _, out = _run(_reqs(base, 2), {}, guard)  # the next source: nothing left
    assert time.monotonic() - t0 < 1.5 + 3
    assert "fetch deadline of 1.5 s (all sources) used up" in str(_skips(out)[0])


def test_slow_server_is_fetched_a_few_at_a_time_in_request_order() -> None:
    with behaving() as srv:
        for i in range(8):
            srv.script[f"/f{i}.csv"] = {"delay": 0.4}
        seconds, out = _run(_reqs(srv.base_url, 8), {"max_connections_per_host": 3})
        assert srv.max_in_flight == 3  # parallel, and never more than the per-host limit
    assert seconds < 8 * 0.4  # not a serial chain
    assert [req.name for req, _ in out] == [f"f{i}.csv" for i in range(8)]
    assert all(got.data and req.name.encode() in got.data for req, got in out)


def test_retry_honours_retry_after() -> None:
    with behaving() as srv:
        srv.script["/f0.csv"] = {"status": 429, "retry_after": "1", "times": 1}
        _, out = _run(_reqs(srv.base_url, 1), {"backoff_seconds": 0.01})
        (first, second) = [t for path, t, _ in srv.hits]
    assert isinstance(out[0][1], http.Fetched) and out[0][1].data
    assert second - first >= 0.95  # the server's 1 s, not the 0.01 s back-off


def test_retry_after_beyond_the_limit_gives_up_at_once() -> None:
    with behaving() as srv:
        srv.script["/f0.csv"] = {"status": 503, "retry_after": "3600"}
        seconds, out = _run(_reqs(srv.base_url, 1), {"max_retry_after_seconds": 60})
        assert len(srv.hits) == 1
    assert seconds < 2
    assert "HTTP 503 after retries (1 attempt); Retry-After 3600 s exceeds" in str(out[0][1])


def test_conditional_requests_get_304_and_user_agent_names_project_and_contact() -> None:
    with behaving() as srv:
        reqs = _reqs(srv.base_url, 5)
        _, first = _run(reqs, {})
        etags = {req.url: {"etag": got.etag} for req, got in first}
        _, again = _run(reqs, {"contact": "mailto:ops@example.org"}, prev=lambda r: etags[r.url])
        agents = {h["User-Agent"] for _, _, h in srv.hits}
    assert all(got.data is None for _, got in again)  # 304 Not Modified
    assert any(a.startswith("BeanFlows/") and "data@beanflows.example" in a for a in agents)
    assert any("mailto:ops@example.org" in a for a in agents)


def test_settings_are_typed_and_unknown_keys_refused() -> None:
    assert limits({"source_budget_seconds": "5"}).source_budget_seconds == 5.0
    with pytest.raises(ValueError, match="unknown setting"):
        limits({"timeout": 5})
    with pytest.raises(ValueError, match="expected int"):
        limits({"retries": "many"})
    assert retry_after_seconds("120") == 120
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT") == 0
    assert retry_after_seconds("soon") is None


def test_build_refuses_an_unknown_http_setting_in_one_line(tmp_path) -> None:
    from tests.conftest import run_cli

    cfg = tmp_path / "beanflows.toml"
    cfg.write_text("[http]\ntimeout = 5\n")  # the setting is timeout_seconds
    res = run_cli("build", "--config", str(cfg), "--var", str(tmp_path / "var"), cwd=tmp_path)
    assert res.returncode == 2
    assert res.stderr.strip().count("\n") == 0, res.stderr
    assert "[http]: unknown setting(s) ['timeout']" in res.stderr
    assert not (tmp_path / "var").exists()  # nothing was written
