"""The client against a local site: filters, tiers, as_of, cache, integrity, offline, ranges.

A synthetic site (a few Parquet files + catalog.json in the CONTRACT layout, many row groups
where range reads matter) is served by `beanflows serve`'s server (ETag, byte ranges) or by
tests/httpserver.py (ETag, no ranges, hit log, fault injection). Expected rows are computed
from the files with plain Python, not with the client's code.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
import warnings
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import beanflows
from tests.httpserver import serve
from tests.site_server import background


def _write(root: Path, rel: str, table: pa.Table, row_group_size: int) -> dict:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path, row_group_size=row_group_size, compression="zstd")
    data = path.read_bytes()
    return {"path": rel, "rows": table.num_rows, "bytes": len(data),
            "sha256": hashlib.sha256(data).hexdigest()}  # fmt: skip


def _cols(table: pa.Table) -> list[dict]:
    names = {pa.date32(): "DATE", pa.int64(): "BIGINT", pa.int32(): "INTEGER",
             pa.float64(): "DOUBLE", pa.string(): "VARCHAR"}  # fmt: skip
    return [{"name": f.name, "type": names[f.type], "unit": "contracts" if f.name == "mm_net"
             else None, "description": f.name} for f in table.schema]  # fmt: skip


def make_site(root: Path) -> dict:
    """cot_positioning (20 years weekly, 2 markets, 1 row group per year), psd vintages."""
    rows = []
    day = dt.date(2005, 1, 4)
    while day.year < 2025:
        for code in ("083731", "073732"):
            n = day.toordinal()
            row = {"report_date": day, "market_code": code, "mm_net": n % 997}
            for k in range(8):  # wide rows of incompressible text, as a big dataset has
                row[f"note_{k}"] = hashlib.sha256(f"{n}{code}{k}".encode()).hexdigest()
            rows.append(row)
        day += dt.timedelta(days=7)
    notes = [(f"note_{k}", pa.string()) for k in range(8)]
    fields = [("report_date", pa.date32()), ("market_code", pa.string()), ("mm_net", pa.int64())]
    pos = pa.Table.from_pylist(rows, pa.schema(fields + notes))
    free = pos.filter(pa.compute.field("report_date") >= dt.date(2020, 1, 1))
    vint = pa.Table.from_pylist(
        [{"release": r, "release_type": "bulk", "country_code": c, "market_year": y,
          "attribute_id": "028", "value": float(y * 10 + i)}
         for i, r in enumerate(["2022-05", "2023-05", "2024-05"])
         for c in ("BR", "VM") for y in range(2018, 2022 + i)]  # fmt: skip
        + [{"release": "2023-06", "release_type": "report_table", "country_code": "BR",
            "market_year": 2023, "attribute_id": "028", "value": -1.0}],
        pa.schema([("release", pa.string()), ("release_type", pa.string()),
                   ("country_code", pa.string()), ("market_year", pa.int32()),
                   ("attribute_id", pa.string()), ("value", pa.float64())]),
    )  # fmt: skip
    latest = vint.filter(pa.compute.field("release") == "2024-05").drop_columns(["release_type"])
    per_year = 104  # ~52 weeks x 2 markets: one row group a year
    ds = {
        "cot_positioning": (pos, free, "report_date", ["market_code", "report_date"]),
        "psd_coffee": (latest, None, "market_year", ["country_code", "market_year",
                                                     "attribute_id"]),
        "psd_coffee_vintages": (vint, None, "market_year", ["release", "release_type",
                                "country_code", "market_year", "attribute_id"]),
    }  # fmt: skip
    catalog = {"catalog_version": 1, "built_at": "2026-11-29T03:00:00Z", "demo": True,
               "datasets": {}, "sources": {}}  # fmt: skip
    for name, (pro, fr, tcol, grain) in ds.items():
        files = {"pro": {"parquet": _write(root, f"data/pro/{name}.parquet", pro, per_year)}}
        files["free"] = (
            {"parquet": _write(root, f"data/free/{name}.parquet", fr, per_year)} if fr else None
        )
        catalog["datasets"][name] = {"description": name, "time_column": tcol, "grain": grain,
                                     "columns": _cols(pro), "files": files}  # fmt: skip
    (root / "data" / "catalog.json").write_text(json.dumps(catalog))
    return catalog


@pytest.fixture
def site(tmp_path: Path):
    root = tmp_path / "site"
    make_site(root)
    server, url = background(root)
    yield root, url
    server.shutdown()
    server.server_close()


def client(url: str, tmp_path: Path, **kw) -> beanflows.Client:
    return beanflows.Client(url, cache_dir=tmp_path / "cache", retries=1, **kw)


def rows_of(root: Path, rel: str) -> list[dict]:
    return pq.read_table(root / rel).to_pylist()


def test_datasets_describe_tiers_rows_and_units(site, tmp_path: Path) -> None:
    root, url = site
    found = {d["name"]: d for d in client(url, tmp_path).datasets()}
    assert found["cot_positioning"]["tier"] == "free"
    assert found["psd_coffee"]["tier"] == "pro"
    assert found["cot_positioning"]["rows"]["pro"] == pq.read_metadata(
        root / "data/pro/cot_positioning.parquet").num_rows  # fmt: skip
    units = {c["name"]: c["unit"] for c in found["cot_positioning"]["columns"]}
    assert units["mm_net"] == "contracts"


def test_get_filters_columns_window_and_keeps_codes_as_text(site, tmp_path: Path) -> None:
    root, url = site
    c = client(url, tmp_path, token="any-string")  # a plain static site ignores the token
    got = c.get("cot_positioning", columns=["report_date", "mm_net"], start="2010-03",
                end=2011, market_code="083731")  # fmt: skip
    want = [{"report_date": r["report_date"], "mm_net": r["mm_net"]}
            for r in rows_of(root, "data/pro/cot_positioning.parquet")
            if r["market_code"] == "083731"
            and dt.date(2010, 3, 1) <= r["report_date"] <= dt.date(2011, 12, 31)]  # fmt: skip
    assert got.column_names == ["report_date", "mm_net"] and got.to_pylist() == want
    df = c.get_pandas("cot_positioning", market_code=["083731"], end="2005-01")
    assert list(df["market_code"].unique()) == ["083731"]
    assert str(df["report_date"].dtype).startswith("datetime64")
    pl = c.get_polars("cot_positioning", market_code="073732", start="2024-12")
    assert pl["market_code"].to_list() == ["073732"] * pl.height and pl.height > 0
    with pytest.raises(beanflows.UnknownDataset, match="no column 'nope'"):
        c.get("cot_positioning", nope=1)
    with pytest.raises(beanflows.UnknownDataset, match="no dataset"):
        c.get("cot_positions")


def test_without_token_free_files_and_clear_plan_messages(site, tmp_path: Path) -> None:
    root, url = site
    c = client(url, tmp_path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        t = c.get("cot_positioning", start="2010")
    assert t.num_rows == pq.read_metadata(root / "data/free/cot_positioning.parquet").num_rows
    assert any("paid plans" in str(w.message) for w in caught)
    with pytest.raises(beanflows.PlanRequired, match="paid plans only.*BEANFLOWS_TOKEN"):
        c.get("psd_coffee")


def test_as_of_returns_values_as_known_in_that_release(site, tmp_path: Path) -> None:
    root, url = site
    c = client(url, tmp_path, token="t")
    got = c.get("psd_coffee", as_of="2023-05", country_code="BR")
    vint = rows_of(root, "data/pro/psd_coffee_vintages.parquet")
    want = sorted(
        (r["market_year"], r["value"]) for r in vint
        if r["release"] == "2023-05" and r["country_code"] == "BR"
    )  # fmt: skip
    assert (
        sorted(zip(got["market_year"].to_pylist(), got["value"].to_pylist(), strict=True)) == want
    )
    assert set(got["release"].to_pylist()) == {"2023-05"}
    # a later report table (partial) never wins; a year first published later is absent
    later = c.get("psd_coffee", as_of="2023-12", country_code="BR", market_year=2023)
    assert later.num_rows == 0
    early = c.get("psd_coffee", as_of="2022-05-31", market_year=2018)
    assert set(early["release"].to_pylist()) == {"2022-05"} and early.num_rows == 2
    with pytest.raises(beanflows.BeanflowsError, match="vintages"):
        c.get("cot_positioning", as_of="2023-05")


def test_cache_revalidates_catalog_and_never_downloads_twice(tmp_path: Path) -> None:
    root = tmp_path / "site"
    make_site(root)
    with serve(root) as server:
        c1 = client(server.base_url, tmp_path)
        c1.get("cot_positioning")
        assert c1.last_read["how"] == "download"
        c2 = client(server.base_url, tmp_path)  # a new session, same cache
        c2.get("cot_positioning", start="2021")
        assert c2.last_read["how"] == "cache"
        catalog_hits = [h for p, h in server.hits if p.endswith("catalog.json")]
        assert len(catalog_hits) == 2 and "If-None-Match" in catalog_hits[1]
        assert sum(p.endswith("cot_positioning.parquet") for p, _ in server.hits) == 1


def test_a_corrupted_download_is_refused_and_not_cached(tmp_path: Path) -> None:
    root = tmp_path / "site"
    make_site(root)
    path = root / "data/free/cot_positioning.parquet"
    with serve(root) as server:
        server.faults["/data/free/cot_positioning.parquet"] = {
            "body": path.read_bytes()[:-1] + b"X"}  # fmt: skip
        c = client(server.base_url, tmp_path)
        with pytest.raises(beanflows.IntegrityError, match="sha256"):
            c.get("cot_positioning")
        assert not any((tmp_path / "cache" / "objects").glob("*"))


def test_offline_from_the_cache(site, tmp_path: Path) -> None:
    root, url = site
    client(url, tmp_path).get("cot_positioning")
    offline = client(url, tmp_path, offline=True)
    assert offline.get("cot_positioning", market_code="083731").num_rows > 0
    with pytest.raises(beanflows.NotCachedError, match="not in the cache"):
        offline.get("psd_coffee", tier="pro")
    # nothing listening and nothing cached: one clear error
    unreachable = beanflows.Client("http://127.0.0.1:9", cache_dir=tmp_path / "c2", retries=0)
    with pytest.raises(beanflows.NotCachedError, match="cannot reach"):
        unreachable.datasets()


def test_server_gone_uses_cached_catalog(tmp_path: Path) -> None:
    root = tmp_path / "site"
    make_site(root)
    server, url = background(root)
    client(url, tmp_path).get("cot_positioning")
    server.shutdown()
    server.server_close()
    with pytest.warns(UserWarning, match="cannot reach"):
        t = client(url, tmp_path).get("cot_positioning", start="2024")
    assert t.num_rows > 0


def test_range_reads_fetch_only_the_matching_row_groups(site, tmp_path: Path) -> None:
    root, url = site
    c = client(url, tmp_path, token="t", range_min_bytes=0)
    got = c.get("cot_positioning", start="2012", end="2012", columns=["mm_net"])
    assert c.last_read["how"] == "range"
    size, fetched = c.last_read["size"], c.last_read["bytes_fetched"]
    assert fetched < size / 5, (fetched, size)
    want = [r["mm_net"] for r in rows_of(root, "data/pro/cot_positioning.parquet")
            if r["report_date"].year == 2012]  # fmt: skip
    assert got["mm_net"].to_pylist() == want
    again = client(url, tmp_path, token="t", range_min_bytes=0)
    again.get("cot_positioning", start="2012", end="2012", columns=["mm_net"])
    assert again.last_read["requests"] == 0  # every range came from the cache
    assert not (tmp_path / "cache" / "objects").exists()  # the whole file was never fetched


def test_server_errors_are_retried_then_explained(tmp_path: Path, capsys) -> None:
    root = tmp_path / "site"
    make_site(root)
    with serve(root) as server:
        server.faults["/data/free/cot_positioning.parquet"] = {"status": 503}
        c = client(server.base_url, tmp_path)
        with pytest.raises(beanflows.ServerError, match="HTTP 503"):
            c.get("cot_positioning")
        assert sum(p.endswith("cot_positioning.parquet") for p, _ in server.hits) == 2
        del server.faults["/data/free/cot_positioning.parquet"]
        client(server.base_url, tmp_path, progress=True).get("cot_positioning")
    assert "100%" in capsys.readouterr().err


def test_default_client_from_environment(site, tmp_path: Path, monkeypatch) -> None:
    root, url = site
    monkeypatch.delenv("BEANFLOWS_TOKEN", raising=False)
    monkeypatch.setenv("BEANFLOWS_URL", url)
    monkeypatch.setenv("BEANFLOWS_DATA_CACHE", str(tmp_path / "envcache"))
    assert "cot_positioning" in [d["name"] for d in beanflows.datasets()]
    assert beanflows.get("cot_positioning", start="2024").num_rows > 0
    assert any((tmp_path / "envcache" / "objects").iterdir())
    monkeypatch.delenv("BEANFLOWS_URL")
    with pytest.raises(beanflows.BeanflowsError, match="BEANFLOWS_URL"):
        beanflows.datasets()


def test_prune_keeps_what_a_cached_catalog_lists(site, tmp_path: Path) -> None:
    root, url = site
    c = client(url, tmp_path)
    c.get("cot_positioning")
    stray = tmp_path / "cache" / "objects" / ("0" * 64)
    stray.write_bytes(b"old version")
    freed = beanflows.prune_cache(tmp_path / "cache")
    assert freed["files"] == 1 and not stray.exists()
    assert c.get("cot_positioning").num_rows > 0 and c.last_read["how"] == "cache"
    shutil.rmtree(tmp_path / "cache")
