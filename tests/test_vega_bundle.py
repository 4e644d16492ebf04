"""Where the charts' Vega bundle is cached, and that a bad cache folder never stops a build."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from beanflows import vega_bundle


def test_cache_lives_in_the_virtualenv_else_in_var(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    venv, base = tmp_path / "venv", tmp_path / "python"
    venv.mkdir()
    monkeypatch.setattr(sys, "prefix", str(venv))
    monkeypatch.setattr(sys, "base_prefix", str(base))
    assert vega_bundle.default_cache_dir(tmp_path / "var") == venv / "share" / "beanflows"
    monkeypatch.setattr(sys, "prefix", str(base))  # no virtualenv: local state only
    assert vega_bundle.default_cache_dir(tmp_path / "var") == tmp_path / "var" / "cache"


def test_a_cached_bundle_is_not_made_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BEANFLOWS_CACHE_DIR", str(tmp_path))
    path = vega_bundle.cached_path()
    assert path is not None and path.parent == tmp_path and "vega-" in path.name
    path.write_text("// cached")
    assert vega_bundle.prewarm() is None


def test_an_unusable_cache_folder_is_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder should be")
    monkeypatch.setenv("BEANFLOWS_CACHE_DIR", str(blocker / "cache"))
    assert vega_bundle.prewarm() is None  # the render bundles for itself
