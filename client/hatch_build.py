"""Put beanflows/__init__.py and beanflows/client/*.py into the `beanflows` wheel and sdist.

The files live in the repository's beanflows/ package (shared with the pipeline), one folder
up; an sdist carries them under beanflows/, so a wheel built from the sdist finds them there.
Only .py files are taken: no caches, no pipeline modules.
"""

from __future__ import annotations

from pathlib import Path

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class CustomBuildHook(BuildHookInterface):
    def initialize(self, version: str, build_data: dict) -> None:
        root = Path(self.root)
        package = root.parent / "beanflows"
        if not (package / "client").is_dir():
            package = root / "beanflows"  # building from the sdist
        if not (package / "client" / "__init__.py").is_file():
            raise RuntimeError(f"beanflows/client not found beside {root}")
        files = [package / "__init__.py", *sorted((package / "client").glob("*.py"))]
        for path in files:
            rel = path.relative_to(package.parent).as_posix()
            build_data["force_include"][str(path)] = rel
