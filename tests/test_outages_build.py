"""Nightly builds during upstream outages, through the real CLI, fetching from 127.0.0.1.

Night 1 every upstream answers. Night 2 ICE's host does not resolve (DNS failure) and ICO's
host accepts connections and never answers (black hole): both keep their last good datasets,
marked stale with a one-line reason, within ICO's time budget, while the weather updates.
Night 3 the network is down (every host refuses or does not resolve) with default retry
settings: the build still ends quickly. Time bounds are generous; bench/bench_outages.py
measures the targets.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from tests.outage_servers import blackhole, refused_url
from tests.test_weather_isolation import (
    FAST_HTTP,
    SOURCES,
    _forecast,
    build_sources,
    upstream_files,
    write_config,
)

STALE = ("ice_certified_stocks", "ice_certified_stocks_indicators", "ico_trade")
BUDGET_SECONDS = 4


def _pro(root: Path) -> dict[str, bytes]:
    return {p.stem: p.read_bytes() for p in (root / "dist/data/pro").glob("*.parquet")}


@pytest.fixture(scope="module")
def nights(tmp_path_factory):
    from tests.httpserver import serve

    root = tmp_path_factory.mktemp("outages")
    www = root / "www"
    both = ("Coffee_production.csv", "Coffee_import.csv")
    upstream_files(www, both)
    out = {}
    with serve(www) as up:
        url = up.base_url
        cfg = write_config(root, url, url, url, FAST_HTTP, both)
        out["first"] = build_sources(root, cfg, "2025-12-31")
        out["before"] = _pro(root)
        (www / "v1/forecast").write_bytes(_forecast(date(2026, 1, 2)))
        with blackhole() as hole:
            # the breaker off: this night proves the budget alone bounds a black hole
            http = (f"timeout_seconds = 60\nsource_budget_seconds = {BUDGET_SECONDS}\n"
                    "host_failures_before_skip = 99")  # fmt: skip
            cfg = write_config(root, "http://nonexistent.invalid", hole, url, http, both)
            out["second"] = build_sources(root, cfg, "2026-01-02")
        out["after_second"] = _pro(root)
    down = refused_url()
    cfg = write_config(root, down, "http://nonexistent.invalid", down, "", both)  # default retries
    out["third"] = build_sources(root, cfg, "2026-01-03")
    out["after_third"] = _pro(root)
    return root, out


def test_first_night_builds_everything(nights) -> None:
    _, out = nights
    assert out["first"]["rc"] == 0, out["first"]["stderr"][-3000:]
    for name in (*STALE, "weather_daily"):
        assert out["first"]["catalog"]["datasets"][name]["status"] in ("ok", "late"), name


def test_dns_failure_and_black_hole_fail_their_sources_within_the_budget(nights) -> None:
    _, out = nights
    second = out["second"]
    assert second["rc"] == 1, second["stderr"][-3000:]
    # The black-holed source stops at its budget: without it, 3 attempts x the 60 s read
    # timeout would hold this build for over 180 s. Generous for a loaded machine.
    assert second["seconds"] < 150
    sources = second["catalog"]["sources"]
    assert sources["ice_stocks"]["status"] == "stale"
    assert "nonexistent.invalid" in sources["ice_stocks"]["error"]
    assert "ConnectError" in sources["ice_stocks"]["error"]
    assert sources["ico"]["status"] == "stale"
    assert f"source budget of {BUDGET_SECONDS} s used up" in sources["ico"]["error"]
    for err in (sources["ice_stocks"]["error"], sources["ico"]["error"]):
        assert "\n" not in err and "Traceback" not in second["stderr"]
    assert (
        f"source budget of {BUDGET_SECONDS} s used up (network error: ReadTimeout"
        in (second["stderr"])
    )
    assert "probably moved the file" not in second["stderr"]  # an outage, not a moved URL


def test_failed_sources_keep_their_last_good_files_stale(nights) -> None:
    _, out = nights
    for night in ("second", "third"):
        datasets = out[night]["catalog"]["datasets"]
        for name in STALE:
            assert datasets[name]["status"] == "stale", (night, name)
            assert datasets[name]["stale_reason"], (night, name)
            assert out[f"after_{night}"][name] == out["before"][name], (night, name)


def test_the_weather_still_builds_during_the_outage(nights) -> None:
    _, out = nights
    second = out["second"]["catalog"]
    assert second["sources"]["open_meteo"]["status"] == "ok"
    assert second["datasets"]["weather_daily"]["status"] in ("ok", "late")
    assert out["after_second"]["weather_daily"] != out["before"]["weather_daily"]


def test_network_down_ends_fast_with_one_reason_per_host(nights) -> None:
    _, out = nights
    third = out["third"]
    assert third["rc"] == 1
    assert third["seconds"] < 120, third["stderr"][-3000:]  # bench_outages: target 60 s
    sources = third["catalog"]["sources"]
    assert all(sources[s]["status"] == "stale" for s in SOURCES)
    assert "Connection refused" in sources["open_meteo"]["error"]
    assert "nonexistent.invalid" in sources["ico"]["error"]
    assert third["catalog"]["datasets"]["weather_daily"]["status"] == "stale"
    assert out["after_third"]["weather_daily"] == out["after_second"]["weather_daily"]


def test_the_dist_is_publishable_and_holds_no_internal_state(nights) -> None:
    from beanflows.publish import plan
    from beanflows.publish.verify import problems

    root, _ = nights
    dist = root / "dist"
    assert problems(dist, plan.scan_dist(dist)) == []
    assert not list(dist.rglob(".*"))
    assert (root / "var/state/render-state").is_file()
