"""Which source takes an imported file (--raw-from, --demo): the import side of the one door.

An imported file belongs to the source that recognises its content; failing that, to the
source that claims it by name (`CLAIMS`, e.g. `KC=F.csv`) or by the folder it sits in
(`PLACES`, e.g. `usda_psd/`). A claimed file that is not what its name promises (an HTML page
saved as a zip, an empty CSV) is rejected and fails its source, exactly as if it had been
fetched; a file nobody claims is reported as ignored, never dropped silently.
"""

from __future__ import annotations

import fnmatch
import functools
import importlib
from pathlib import Path, PurePosixPath
from types import ModuleType
from typing import Any

from beanflows import layout
from ingest import archive, sniff

# An imported file: (path, its upstream name, metadata). Metadata may hold `place` (its path
# relative to the imported folder: errors name it, never a local absolute path) or, for a
# copy of a raw archive, the manifest row (source, kind, url, fetched_at, ...).
ImportItem = tuple[Path, str, dict[str, Any]]
HEAD_BYTES = 4096


def demo_files() -> list[ImportItem]:
    """The small fixtures each source ships in ingest/<source>/fixtures/ (not their scripts)."""
    return [
        (p, p.name, {"place": p.relative_to(layout.INGEST_DIR).as_posix()})
        for p in sorted(layout.INGEST_DIR.glob("*/fixtures/**/*"))
        if p.is_file() and p.suffix != ".py" and "__pycache__" not in p.parts
    ]


def import_files(root: Path) -> list[ImportItem]:
    """Every file under root, any folder layout, in a stable order.

    A raw archive (a folder with manifest.jsonl, e.g. a copy of var/raw or of the R2 raw
    bucket) is imported with its manifest: original names, URLs and fetch times are kept, so
    the build reproduces the original byte for byte.
    """
    if (root / archive.MANIFEST).is_file():
        return [
            (archive.object_path(root, r["sha256"]), r["name"], r)
            for r in archive.load_manifest(root)
        ]
    return [
        (p, p.name, {"place": p.relative_to(root).as_posix()})
        for p in sorted(root.rglob("*"))
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(root).parts)
    ]


def unpack(item: Path | ImportItem) -> ImportItem:
    return item if isinstance(item, tuple) else (item, item.name, {})


def claims(name: str, place: str = "") -> dict[str, str | None]:
    """Sources that claim a file by its name, else by its folder: source -> kind (None when
    the folder says whose it is but not which kind).

    Names are more specific than folders; the innermost folder naming a source wins.
    """
    lower = name.lower()
    found: dict[str, str | None] = {}
    for mod in _modules():
        claimed = getattr(mod, "CLAIMS", {})
        kind = next((k for pat, k in claimed.items() if fnmatch.fnmatchcase(lower, pat)), None)
        if kind:
            found[mod.SOURCE] = kind
    if found or not place:
        return found
    fmt = sniff.EXTENSIONS.get(PurePosixPath(lower).suffix)
    for folder in reversed(PurePosixPath(place.lower()).parts[:-1]):
        for mod in _modules():
            places = (mod.SOURCE, *getattr(mod, "PLACES", ()))
            if any(fnmatch.fnmatchcase(folder, pat) for pat in places):
                kinds = sorted(k for k, f in mod.FORMATS.items() if f == fmt)
                if not kinds:  # a README or a script beside the data
                    return {}
                return {mod.SOURCE: kinds[0] if len(kinds) == 1 else None}
    return {}


def owners(item: Path | ImportItem) -> dict[str, str | None]:
    """Which sources take an imported file, as which kind: the one door for imports.

    A raw archive's manifest row says it outright. Otherwise the sources recognising its
    content take it (a UTF-8 BOM does not count as content); when none does, the sources
    claiming it by name or folder take it and their sniff and extractor say what is wrong.
    Empty: no source wants the file (it is listed as ignored).
    """
    path, name, meta = unpack(item)
    archived = next((m for m in _modules() if meta.get("source") == m.SOURCE), None)
    if archived is not None and meta.get("kind") in archived.FORMATS:
        return {archived.SOURCE: meta["kind"]}
    with path.open("rb") as fh:
        head = fh.read(HEAD_BYTES)
    head = head[len(sniff.BOM) :] if head.startswith(sniff.BOM) else head
    found: dict[str, str | None] = {}
    for mod in _modules():
        kind = mod.recognise(name, head)
        if kind:
            found[mod.SOURCE] = kind
    return found or claims(name, meta.get("place", ""))


def ignored(items: list[Path | ImportItem]) -> list[str]:
    """Imported files no source recognises or claims (names relative to the imported folder)."""
    return [
        meta.get("place") or name
        for path, name, meta in map(unpack, items)
        if not owners((path, name, meta))
    ]


@functools.cache
def _modules() -> tuple[ModuleType, ...]:
    """Every source's module, imported once (routing a file asks each of them)."""
    return tuple(importlib.import_module(f"ingest.{name}") for name in layout.source_names())
