"""The render package's shape: pages share one module of helpers and never import each other."""

from __future__ import annotations

import ast
from pathlib import Path

RENDER = Path(__file__).resolve().parents[1] / "beanflows" / "render"


def imports_of(path: Path) -> list[tuple[str, str]]:
    """(module, name) of every import in a module ('' as name for `import x`)."""
    out = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            out += [(node.module, alias.name) for alias in node.names]
        elif isinstance(node, ast.Import):
            out += [(alias.name, "") for alias in node.names]
    return out


def test_pages_never_import_each_other_or_private_names() -> None:
    pages = sorted(RENDER.glob("pages_*.py"))
    assert len(pages) >= 10
    for page in pages:
        for module, name in imports_of(page):
            target = f"{module}.{name}" if name else module
            assert not target.split(".")[-1].startswith("pages_"), (page.name, target)
            assert not module.split(".")[-1].startswith("pages_"), (page.name, module)
            if module.startswith("beanflows."):
                assert not name.startswith("_"), (page.name, module, name)


def test_every_render_module_stays_small() -> None:
    for path in RENDER.glob("*.py"):
        assert len(path.read_text().splitlines()) < 400, path.name
