"""The methodology's page cache (beanflows/render/methodology_runner.py) never changes a byte.

A page written from the cache must be exactly what mkdocs and Material render again, search
index included; a page whose data changed, or any page once the navigation changed, is built
again. Checked by comparing whole output trees with a build that had no cache.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from beanflows.render import methodology
from tests.sample_site import write_sample


def build(out: Path, catalog: dict[str, Any], cache: Path | None, monkeypatch) -> dict[str, int]:
    """One methodology build into `out` with this cache folder (None: no cache)."""
    if cache is None:
        monkeypatch.delenv("BEANFLOWS_CACHE_DIR", raising=False)
    else:
        monkeypatch.setenv("BEANFLOWS_CACHE_DIR", str(cache))
    run = methodology.Build(out, catalog)
    run.finish()
    return run.pages


def kept_pages(cache: Path) -> list[Path]:
    """The cache's page entries (not the client reference kept beside them)."""
    return sorted(p for p in cache.rglob("*.json") if p.parent.name != "client")


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def changed_data(catalog: dict[str, Any]) -> tuple[dict[str, Any], str, str]:
    """The catalog after a night that moved one dataset and one source: (catalog, names)."""
    out = copy.deepcopy(catalog)
    dataset, source = sorted(out["datasets"])[0], sorted(out["sources"])[0]
    out["datasets"][dataset]["as_of"] = "2031-02-03"
    out["sources"][source]["last_success"] = "2031-01-01T00:00:00Z"
    out["built_at"] = "2031-01-01T03:00:00Z"
    return out, dataset, source


@pytest.fixture(scope="module")
def catalog(tmp_path_factory) -> dict[str, Any]:
    return write_sample(tmp_path_factory.mktemp("dist"))


def test_pages_from_the_cache_are_byte_identical_to_pages_built_again(
    catalog, tmp_path: Path, monkeypatch
) -> None:
    cache = tmp_path / "cache"
    first = build(tmp_path / "first", catalog, cache, monkeypatch)
    assert first["pages_cached"] == 0 and first["pages_built"] > 50, first
    night, dataset, source = changed_data(catalog)
    cached = build(tmp_path / "cached", night, cache, monkeypatch)
    fresh = build(tmp_path / "fresh", night, tmp_path / "empty-cache", monkeypatch)
    assert fresh == {"pages_cached": 0, "pages_built": first["pages_built"]}
    # the two pages whose data moved are built again, every other page comes from the cache
    assert cached == {"pages_cached": first["pages_built"] - 2, "pages_built": 2}, cached
    assert tree(tmp_path / "cached") == tree(tmp_path / "fresh")
    site = tmp_path / "cached" / "methodology"
    assert "2031-02-03" in (site / "datasets" / dataset / "index.html").read_text()
    assert "2031-01-01" in (site / "sources" / source / "index.html").read_text()
    before = tmp_path / "first" / "methodology" / "datasets" / dataset / "index.html"
    assert "2031-02-03" not in before.read_text()


def test_a_change_to_the_navigation_builds_every_page_again(
    catalog, tmp_path: Path, monkeypatch
) -> None:
    cache = tmp_path / "cache"
    build(tmp_path / "first", catalog, cache, monkeypatch)
    grown = copy.deepcopy(catalog)
    name = sorted(grown["datasets"])[0]
    grown["datasets"][f"{name}_copy"] = grown["datasets"][name]  # a new page in the nav
    again = build(tmp_path / "again", grown, cache, monkeypatch)
    assert again["pages_cached"] == 0 and again["pages_built"] > 50, again
    fresh = build(tmp_path / "fresh", grown, None, monkeypatch)
    assert fresh == {}  # no cache folder: mkdocs as it comes
    assert tree(tmp_path / "again") == tree(tmp_path / "fresh")


def test_a_damaged_cache_entry_is_built_again(catalog, tmp_path: Path, monkeypatch) -> None:
    cache = tmp_path / "cache"
    build(tmp_path / "first", catalog, cache, monkeypatch)
    kept = kept_pages(cache)
    assert kept
    kept[0].write_text('{"html": ')  # a torn write of another tool, a full disk
    kept[1].write_text('{"search": []}')
    again = build(tmp_path / "again", catalog, cache, monkeypatch)
    assert again["pages_built"] == 2, again
    assert tree(tmp_path / "again") == tree(tmp_path / "first")


def small_site(root: Path, alpha: str) -> Path:
    """Two pages whose nav entries have no title: each shows the other's first heading."""
    (root / "docs").mkdir(parents=True, exist_ok=True)
    (root / "docs" / "index.md").write_text(f"# {alpha}\n\n## Part {{#x}}\n\nText.\n")
    (root / "docs" / "b.md").write_text("# Beta\n\nSee [alpha's part](index.md#x).\n")
    config = root / "mkdocs.yml"
    config.write_text(
        "site_name: t\ntheme:\n  name: material\nplugins:\n  - search\n"
        "nav:\n  - index.md\n  - b.md\n"
    )
    return config


def runner_build(config: Path, site: Path, cache: Path | None, monkeypatch) -> dict[str, int]:
    """One build with methodology_runner's cache in this process (mkdocs restored after the
    test); {hit, built, converted} (converted: pages whose Markdown was converted)."""
    from mkdocs.commands import build as mkdocs_build
    from mkdocs.config import load_config
    from mkdocs.structure.pages import Page

    from beanflows.render import methodology_runner

    converted = {"n": 0}
    render = Page.render

    def counting_render(page: Any, cfg: Any, files: Any) -> None:
        converted["n"] += 1
        render(page, cfg, files)

    monkeypatch.setattr(Page, "render", counting_render)
    monkeypatch.setattr(mkdocs_build, "_build_page", mkdocs_build._build_page)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    cfg = load_config(str(config), site_dir=str(site))
    counts = methodology_runner.use_cache(cfg, config, cache) if cache else {}
    mkdocs_build.build(cfg)
    monkeypatch.undo()
    return {**counts, "converted": converted["n"]}


def test_a_kept_page_is_not_converted_and_shows_the_navigation_titles_of_today(
    tmp_path: Path, monkeypatch
) -> None:
    cache, root = tmp_path / "cache", tmp_path / "src"
    config = small_site(root, "Alpha")
    first = runner_build(config, tmp_path / "first", cache, monkeypatch)
    assert first == {"hit": 0, "built": 2, "converted": 2}
    again = runner_build(config, tmp_path / "again", cache, monkeypatch)
    assert again == {"hit": 2, "built": 0, "converted": 0}
    assert tree(tmp_path / "again") == tree(tmp_path / "first")
    # the first page's heading is the other page's nav entry: both pages are built again
    small_site(root, "Alpha renamed")
    renamed = runner_build(config, tmp_path / "renamed", cache, monkeypatch)
    assert renamed == {"hit": 0, "built": 2, "converted": 2}
    assert runner_build(config, tmp_path / "fresh", None, monkeypatch) == {"converted": 2}
    assert tree(tmp_path / "renamed") == tree(tmp_path / "fresh")
    assert "Alpha renamed" in (tmp_path / "renamed" / "b" / "index.html").read_text()


def test_entries_unused_for_weeks_are_removed_before_the_next_build(
    catalog, tmp_path: Path, monkeypatch
) -> None:
    """The runner prunes while it waits for its order (not after the pages, which the render
    waits for): an entry unused for CACHE_DAYS goes, entries in use stay and serve."""
    import os
    import time

    from beanflows.render import methodology_runner

    cache = tmp_path / "cache"
    first = build(tmp_path / "first", catalog, cache, monkeypatch)
    kept = kept_pages(cache)
    assert len(kept) == first["pages_built"]
    weeks_ago = time.time() - (methodology_runner.CACHE_DAYS + 1) * 86400
    stale = kept[0].with_name("0" * 64 + ".json")  # a page no build has any more
    stale.write_text(kept[0].read_text())
    os.utime(stale, (weeks_ago, weeks_ago))
    recent = time.time() - (methodology_runner.CACHE_DAYS - 1) * 86400
    os.utime(kept[1], (recent, recent))  # unused for a while, not for weeks
    again = build(tmp_path / "again", catalog, cache, monkeypatch)
    assert again == {"pages_cached": first["pages_built"], "pages_built": 0}, again
    assert not stale.exists()
    assert kept_pages(cache) == kept
    assert kept[1].stat().st_mtime > recent + 86400  # read by this build: in use again


def test_the_client_reference_is_kept_until_its_code_changes(tmp_path: Path) -> None:
    """The runner makes the client reference once per version of the code it comes from (it
    imports the client: half a second of CPU beside SQLMesh on every build otherwise)."""
    import shutil

    from beanflows.render import client_docs, methodology_runner

    generator = Path(client_docs.__file__)
    made = methodology_runner.client_reference(generator, tmp_path)
    assert made == client_docs.reference()
    (entry,) = (tmp_path / "client").glob("*.json")
    entry.write_text('{"html": "# kept\\n"}')
    assert methodology_runner.client_reference(generator, tmp_path) == "# kept\n"
    changed = tmp_path / "client_docs.py"  # the generator edited: made again
    shutil.copy(generator, changed)
    changed.write_text(changed.read_text() + "\n# edited\n")
    assert methodology_runner.client_reference(changed, tmp_path) == made
    assert len(list((tmp_path / "client").glob("*.json"))) == 2
    entry.write_text('{"html": ')  # a damaged entry: made again
    assert methodology_runner.client_reference(generator, tmp_path) == made
    assert methodology_runner.client_reference(generator, None) == made  # no cache folder
