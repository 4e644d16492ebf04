"""Chart shapes kept on disk (beanflows/render/charts.py `_kept`): a kept shape is the one
Altair builds, is found again by a new process, and is never taken for another shape."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from beanflows.render import charts

ROWS = [{"t": "2024-01-02", "v": 1.0, "s": "a"}, {"t": "2024-01-09", "v": 2.0, "s": "b"}]


@pytest.fixture
def cache(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.setenv("BEANFLOWS_CACHE_DIR", str(tmp_path))
    for shape in (charts._line, charts._bars, charts._dual):
        shape.cache_clear()  # this process's memory: every call below reaches the folder
    yield tmp_path
    for shape in (charts._line, charts._bars, charts._dual):
        shape.cache_clear()


def kept(cache: Path) -> list[Path]:
    return sorted(cache.glob("altair-*/*/*.json"))


def specs() -> list[dict]:
    return [
        charts.line(ROWS, "t", "v", color="s", color_title="Series"),
        charts.line(ROWS, "t", "v", y_title="usd", fmt=",.2f"),
        charts.bars(ROWS, "s", "v", x_title="n"),
        charts.dual(ROWS, "t", "v", "left", "v", "right"),
    ]


def test_kept_shapes_make_the_specs_altair_makes(cache: Path, monkeypatch) -> None:
    monkeypatch.delenv("BEANFLOWS_CACHE_DIR")
    built = specs()  # no cache folder: Altair builds every shape
    assert not kept(cache)
    monkeypatch.setenv("BEANFLOWS_CACHE_DIR", str(cache))
    for shape in (charts._line, charts._bars, charts._dual):
        shape.cache_clear()
    assert specs() == built  # built by Altair and kept
    assert len(kept(cache)) == 4  # one per shape: the two lines differ
    for shape in (charts._line, charts._bars, charts._dual):
        shape.cache_clear()
    assert specs() == built  # from the folder, as a new process would read them


def test_a_kept_shape_is_read_from_the_folder_by_its_arguments(cache: Path) -> None:
    charts.line(ROWS, "t", "v", color="s")
    (path,) = kept(cache)
    shape = json.loads(path.read_text())
    shape["height"] = 123  # what a later build finds there is what it uses
    path.write_text(json.dumps(shape))
    charts._line.cache_clear()
    assert charts.line(ROWS, "t", "v", color="s")["height"] == 123
    assert charts.line(ROWS, "t", "v", color="s", height=99)["height"] == 99  # another shape
    assert len(kept(cache)) == 2


def test_a_damaged_kept_shape_is_built_and_written_again(cache: Path) -> None:
    built = charts.line(ROWS, "t", "v", color="s")
    (path,) = kept(cache)
    for damage in (b'{"mark": ', b"\xff\xfe", b"[]"):  # torn, not text, not a spec
        path.write_bytes(damage)
        charts._line.cache_clear()
        assert charts.line(ROWS, "t", "v", color="s") == built
        assert isinstance(json.loads(path.read_text()), dict)  # the good shape is back
