"""Export skips a dataset whose content key is unchanged, and only then.

A nightly that took in one COT week must not rewrite the other datasets' files (at 40
commodities the balance alone is 2 M rows written four times), but a dataset whose rows, types,
model metadata or raw files changed must always be written again: the key covers them all.
"""

from __future__ import annotations

import duckdb
import pytest

from beanflows import export

SPEC = {"model": "serving.t", "sources": ["cftc_cot"], "order_by": ["a"]}
MODELS = {"serving.t": {"depends_on": [], "audits": [], "description": "t"}}
RAW = {"cftc_cot": [{"sha256": "ab", "name": "f.zip", "source": "cftc_cot"}]}


@pytest.fixture
def con():
    con = duckdb.connect()
    con.execute("CREATE SCHEMA serving")
    con.execute("CREATE TABLE serving.t AS SELECT range AS a, range * 1.5 AS b FROM range(1000)")
    yield con
    con.close()


def key(con, **change) -> str:
    args = {"spec": SPEC, "meta": {}, "models": MODELS, "raw_files": RAW, "demo": False}
    args.update(change)
    return export.content_key(con, **args)


def test_same_rows_in_another_order_keep_the_key(con) -> None:
    before = key(con)
    con.execute("CREATE TABLE serving.u AS SELECT * FROM serving.t ORDER BY a DESC")
    con.execute("DROP TABLE serving.t")
    con.execute("ALTER TABLE serving.u RENAME TO t")
    assert key(con) == before


@pytest.mark.parametrize(
    "change",
    [
        "UPDATE serving.t SET b = 2 WHERE a = 500",
        "DELETE FROM serving.t WHERE a = 999",
        "INSERT INTO serving.t VALUES (5, 7.5)",  # a duplicate row counts too
        "ALTER TABLE serving.t ALTER a TYPE INTEGER",  # same values, other bytes
    ],
)
def test_any_change_of_the_rows_or_their_types_changes_the_key(con, change) -> None:
    before = key(con)
    con.execute(change)
    assert key(con) != before


def test_metadata_manifest_and_demo_are_part_of_the_key(con) -> None:
    before = key(con)
    assert key(con, meta={"columns": {"a": "meaning [t]"}}) != before
    assert key(con, raw_files={"cftc_cot": [*RAW["cftc_cot"], {"sha256": "cd"}]}) != before
    assert key(con, demo=True) != before
    assert key(con, raw_files={**RAW, "usda_psd": [{"sha256": "ef"}]}) == before  # not its source


def test_reuse_needs_the_files_the_catalog_lists(tmp_path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "t.csv").write_text("a\n1\n")
    files = {"pro": {"csv": {"path": "data/t.csv", "bytes": 4, "sha256": "x"}}, "free": None}
    prev = {"status": "ok", "files": files}
    assert export._unchanged(prev, {"key": "k", "files": files}, "k", tmp_path)
    assert not export._unchanged(prev, {"key": "k", "files": files}, "other", tmp_path)
    # export wrote new files under this key but the build died before the catalog listed them
    newer = {"pro": {"csv": {"path": "data/t.csv", "bytes": 4, "sha256": "y"}}, "free": None}
    assert not export._unchanged(prev, {"key": "k", "files": newer}, "k", tmp_path)
    (tmp_path / "data" / "t.csv").write_text("a\n12\n")  # a file changed size under the entry
    assert not export._unchanged(prev, {"key": "k", "files": files}, "k", tmp_path)
    assert not export._unchanged({**prev, "status": "stale"}, {"key": "k", "files": files}, "k",
                                 tmp_path)  # fmt: skip
