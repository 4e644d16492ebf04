"""Every number of the brief, recomputed from the Parquet files in plain Python (pyarrow
rows, no SQL), on a hand-made dist and on a real demo build; and every number the page
shows is one of those recomputed numbers, linked to its dataset's methodology page."""

from __future__ import annotations

import re
from datetime import date, timedelta
from html import unescape
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from beanflows.brief import make, select
from beanflows.brief.pages import fmt
from tests.brief_data import WEEK, write_dist


def _rows(dist: Path, name: str) -> list[dict]:
    path = dist / "data" / "pro" / f"{name}.parquet"
    return pq.read_table(path).to_pylist() if path.is_file() else []


def _near(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return abs(float(a) - float(b)) < 1e-6


def expected(dist: Path, week: str) -> dict:
    """The brief's numbers, computed the long way."""
    monday = date.fromisocalendar(int(week[:4]), int(week[6:]), 1)
    sunday = monday + timedelta(days=6)
    out: dict = {}
    prices = _rows(dist, "prices_daily")
    for sym in ("KC=F", "RC=F"):
        s = sorted((r for r in prices if r["symbol"] == sym and r["close"] is not None
                    and r["date"] <= sunday), key=lambda r: r["date"])  # fmt: skip
        if not s:
            continue
        now = s[-1]
        prev = [r for r in s if r["date"] <= now["date"] - timedelta(days=7)]
        year = [r for r in s if now["date"] - timedelta(days=364) <= r["date"]]
        change = now["close"] - prev[-1]["close"] if prev else None
        out[sym] = {
            "close": now["close"], "change": change,
            "change_pct": 100 * change / prev[-1]["close"] if prev else None,
            "high": max(r["high"] for r in year), "low": min(r["low"] for r in year),
        }  # fmt: skip
    cot = sorted((r for r in _rows(dist, "cot_positioning") if r["market_code"] == "083731"
                  and r["report_type"] == "futures_only" and r["report_date"] <= sunday),
                 key=lambda r: r["report_date"])  # fmt: skip
    if cot:
        r = cot[-1]
        g = "mm" if r["mm_net"] is not None else "noncomm"
        out["cot"] = (r[f"{g}_net"], r[f"{g}_net_change"], r[f"cot_index_{g}_52w"])
    stocks = sorted((r for r in _rows(dist, "ice_certified_stocks") if r["date"] <= sunday),
                    key=lambda r: r["date"])  # fmt: skip
    if stocks:
        prev = [r for r in stocks if r["date"] <= stocks[-1]["date"] - timedelta(days=7)]
        out["stocks"] = (
            stocks[-1]["bags"],
            stocks[-1]["bags"] - prev[-1]["bags"] if prev else None,
        )
    ports = [r for r in _rows(dist, "ice_certified_stocks_by_port") if r["date"] <= sunday]
    if ports:
        now = max(r["date"] for r in ports)
        before = [r["date"] for r in ports if r["date"] <= now - timedelta(days=7)]
        a = {r["port"]: r["bags"] for r in ports if r["date"] == now}
        b = {r["port"]: r["bags"] for r in ports if before and r["date"] == max(before)}
        moved = sorted(((p, a[p], a[p] - b[p]) for p in a if p in b and a[p] != b[p]),
                       key=lambda x: (-abs(x[2]), x[0]))  # fmt: skip
        out["ports"] = moved[:3]
    vint = _rows(dist, "psd_coffee_vintages")
    month = sunday.strftime("%Y-%m")
    releases = sorted({r["release"] for r in vint if r["release"] <= month})
    out["release"] = releases[-1] if releases else None
    if (
        releases
        and releases[-1] == month
        and (sunday - timedelta(days=7)).strftime("%Y-%m") < month
    ):
        keyed: dict = {}
        for r in sorted(vint, key=lambda r: (r["release"], r["release_type"])):
            if r["release"] <= month:
                keyed.setdefault(
                    (r["country_code"], r["market_year"], r["attribute_id"]), []
                ).append(r)
        revs = []
        for rows in keyed.values():
            if (
                len(rows) > 1
                and rows[-1]["release"] == month
                and rows[-1]["value"] != rows[-2]["value"]
            ):
                revs.append((rows[-1]["value"], rows[-1]["value"] - rows[-2]["value"]))
        revs.sort(key=lambda x: -abs(x[1]))
        out["revisions"] = revs[:5]
    days = [r["date"] for r in _rows(dist, "weather_daily") if r["date"] <= sunday]
    if days:
        day = max(days)
        out["alerts"] = sorted(
            (r["alert_type"], r["days"]) for r in _rows(dist, "weather_alerts")
            if r["start_date"] <= day and r["end_date"] >= day - timedelta(days=6)
        )  # fmt: skip
    return out


def check(dist: Path, week: str) -> dict:
    brief = select.select(dist, week)
    exp = expected(dist, week)
    s = brief["sections"]
    items = {i["symbol"]: i for i in s["price"]["items"]}
    assert set(items) == {k for k in exp if k.endswith("=F")}
    for sym, i in items.items():
        e = exp[sym]
        assert _near(i["close"]["value"], e["close"]) and _near(i["change"]["value"], e["change"])
        assert _near(i["change_pct"]["value"], e["change_pct"])
        assert _near(i["high_52w"]["value"], e["high"]) and _near(i["low_52w"]["value"], e["low"])
    if "cot" in exp:
        got = (s["positioning"]["net"]["value"], s["positioning"]["change"]["value"],
               s["positioning"]["index"]["value"])  # fmt: skip
        assert all(_near(a, b) for a, b in zip(got, exp["cot"], strict=True))
    if "stocks" in exp:
        assert (s["stocks"]["bags"]["value"], s["stocks"]["change"]["value"]) == exp["stocks"]
        got = [(p["port"], p["bags"]["value"], p["change"]["value"]) for p in s["stocks"]["ports"]]
        assert got == exp.get("ports", [])
    assert s["supply"]["release"] == exp["release"]
    got = [(r["value"]["value"], r["revision"]["value"]) for r in s["supply"]["revisions"]]
    assert sorted(got) == sorted(exp.get("revisions", []))
    if "alerts" in exp:
        got = sorted((a["type"], a["days"]["value"]) for a in s["weather"]["alerts"])
        assert got == exp["alerts"]
    return brief


def _facts(node) -> list[dict]:
    if isinstance(node, dict):
        if "dataset" in node and "value" in node:
            return [node]
        return [f for v in node.values() for f in _facts(v)]
    if isinstance(node, list):
        return [f for v in node for f in _facts(v)]
    return []


def page_numbers_are_facts(dist: Path, tmp: Path, brief: dict) -> None:
    """Every linked number on the page is a recomputed fact, formatted, pointing at its dataset."""
    made = make.make(dist, tmp / "var", brief["week"], "", "")
    html = made["page"].read_text()
    shown = re.findall(r'<a class="num" href="([^"]+)">([^<]+)</a>', html)
    assert shown, "the page shows no linked number"
    allowed = {}
    for f in _facts(brief):
        if f["value"] is None:
            continue
        for digits in (0, 1, 2):
            for sign in (False, True):
                text = fmt(f["value"], digits, sign)
                allowed.setdefault(text, set()).add(f["dataset"])
    for href, text in shown:
        number = unescape(text).split(" ")[0]
        assert number in allowed, f"{text!r} is not a recomputed number"
        ds = re.match(r"/methodology/datasets/([a-z_]+)/", href).group(1)
        assert ds in allowed[number], (text, href)


def test_every_number_recomputed_handmade(tmp_path: Path) -> None:
    dist = write_dist(tmp_path / "dist")
    brief = check(dist, WEEK)
    s = brief["sections"]
    assert s["supply"]["new"] and len(s["supply"]["revisions"]) == 5
    assert s["positioning"]["extreme"] == "extreme long"
    assert len(s["stocks"]["ports"]) == 3 and s["weather"]["alerts"]
    page_numbers_are_facts(dist, tmp_path, brief)
    # a later week with no newer data: sections say their (older) date
    later = check(dist, "2026-W51")
    assert (
        later["sections"]["price"]["older"] and later["sections"]["price"]["as_of"] == "2026-12-04"
    )
    assert not later["sections"]["supply"]["new"]
    assert (
        "Newest data: 2026-12-04 (before this week)"
        in make.make(dist, tmp_path / "var", "2026-W51", "", "")["page"].read_text()
    )


def test_every_number_recomputed_demo_build(tmp_path_factory: pytest.TempPathFactory) -> None:
    import shutil

    from tests.demo_site import demo_dist

    dist = tmp_path_factory.mktemp("demo") / "dist"  # a copy: the shared demo dist stays as built
    shutil.copytree(demo_dist(tmp_path_factory) / "data", dist / "data")
    for week in ("2025-W27", "2025-W50", "2026-W02"):
        brief = check(dist, week)
        page_numbers_are_facts(dist, tmp_path_factory.mktemp("var"), brief)
