"""The methodology's mkdocs build, run as a script in a process started ahead, with a cache of
built pages.

`beanflows.render.methodology.prestart` starts this file (`python -P methodology_runner.py
client_docs.py`) while SQLMesh runs: it imports mkdocs and the theme and makes the client
reference (kept by the hash of the client's code), then waits for one JSON line on stdin:
{"config", "epoch", "client_reference"}. Of beanflows it imports only light modules (the
package's __init__; `drawing_cache`, through the mkdocs hooks), not the heavy renderer, hence
a script.

Why a page cache: rendering a page through Material's templates (its whole navigation, the
search entry) is most of a methodology build, about a second of CPU for 105 pages, and it
is the render's last step on a nightly that takes in one new week. Yet a new week changes a
handful of pages (its datasets' coverage, the sources' fetch times). A page's HTML depends only
on its markdown and front matter, its place in the site (the nav and the set of files, which
the config and the file list give) and the mkdocs, theme and hook versions. So each built page
is kept by the hash of all that, with its search-index entries and what its conversion told
mkdocs (its title, anchors and links to other pages' anchors), under BEANFLOWS_CACHE_DIR. An
unchanged page is read but not converted (Markdown's conversion was half of a cached build):
it is written from the cache, byte for byte what Material would render again, and its links
are checked as in any build. Pages unused for CACHE_DAYS are removed while the runner waits
for its order (after a pause that long, the first build makes its pages again). The sitemap,
404 page and search index are still made by mkdocs on every build.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import runpy
import sys
import time
from importlib.metadata import version
from pathlib import Path
from typing import Any

CACHE_DAYS = 14  # kept pages unused this long are removed
KEY_VERSION = 2  # bump when what a key covers, or an entry holds, changes
# the libraries a page's HTML comes from (the cache folder also names mkdocs' and Material's)
LIBRARIES = ("mkdocs", "mkdocs-material", "markdown", "jinja2", "pymdown-extensions")


def cache_folder() -> Path | None:
    """BEANFLOWS_CACHE_DIR/mkdocs-pages-<mkdocs>-<material> (None: no cache configured)."""
    root = os.environ.get("BEANFLOWS_CACHE_DIR")
    if not root:
        return None
    return Path(root) / f"mkdocs-pages-{version('mkdocs')}-{version('mkdocs-material')}"


def site_key(config_path: Path, doc_files: list[str]) -> str:
    """What every page of this build shares: the config (nav, theme, extensions; not the
    temporary folders it names), the code that renders (libraries' versions, the hooks,
    theme overrides), the site's files, the key's version."""
    import yaml

    cfg = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    cfg.pop("docs_dir", None)
    cfg.pop("site_dir", None)
    h = hashlib.sha256(f"{KEY_VERSION}\n".encode())
    h.update(json.dumps(cfg, sort_keys=True, default=str).encode())
    h.update(" ".join(version(lib) for lib in LIBRARIES).encode())
    theme = cfg.get("theme") if isinstance(cfg.get("theme"), dict) else {}
    overrides = [Path(p) for p in [theme.get("custom_dir")] if p]
    for path in [Path(hook) for hook in cfg.get("hooks") or []] + overrides:
        files = sorted(path.rglob("*")) if path.is_dir() else [path]
        for file in (f for f in files if f.is_file()):
            h.update(file.as_posix().encode() + b"\n" + file.read_bytes())
    h.update("\n".join(sorted(doc_files)).encode())
    return h.hexdigest()


def page_key(site: str, src_uri: str, meta: dict[str, Any], markdown: str) -> str:
    h = hashlib.sha256(f"{site}\n{src_uri}\n".encode())
    h.update(json.dumps(meta, sort_keys=True, default=str).encode() + b"\n")
    h.update(markdown.encode("utf-8"))
    return h.hexdigest()


def _load(path: Path) -> dict[str, Any] | None:
    try:
        kept = json.loads(path.read_text(encoding="utf-8"))
        os.utime(path)  # still in use: pruning keeps it
    except (OSError, ValueError):
        return None
    return kept if isinstance(kept, dict) and isinstance(kept.get("html"), str) else None


def _store(path: Path, kept: dict[str, Any]) -> None:
    """Keep a page atomically (a reader never sees half of one); a failure costs speed only."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(json.dumps(kept), encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        tmp.unlink(missing_ok=True)


def prune(folder: Path) -> None:
    before = time.time() - CACHE_DAYS * 86400
    for path in folder.glob("*/*.json"):
        try:
            if path.stat().st_mtime < before:
                path.unlink()
        except OSError:
            pass


def use_cache(config: Any, config_path: Path, folder: Path) -> dict[str, int]:
    """Route mkdocs' page conversion and page building through the cache; returns the live
    {hit, built} counts.

    A page is looked up once its markdown is read (after the hooks' `on_page_markdown`):
    a kept page is not converted at all. What other pages need of it (its title for their
    navigation, its anchors for their links' checks) and its own links to check come from
    the cache; its HTML and search entries are written when mkdocs builds it, unless the
    navigation's titles changed since it was kept (a nav entry without a title shows its
    page's first heading): then it is converted and built again."""
    from mkdocs.commands import build as mkdocs_build
    from mkdocs.structure.pages import Page

    build_page, render = mkdocs_build._build_page, Page.render
    # Material's search plugin ("search" in mkdocs.yml); its index is made in on_config
    search = next((p for k, p in config.plugins.items() if k.endswith("search")), None)
    counts = {"hit": 0, "built": 0}
    site: list[str] = []  # computed on the first page, when mkdocs knows the files
    looked_up: dict[str, tuple[Path, dict[str, Any] | None]] = {}  # src_uri: (entry, kept)
    seen: dict[str, Any] = {}  # the build's Files, the digest of its navigation's titles

    def entries() -> list[Any]:
        index = getattr(search, "search_index", None)
        return index.entries if index is not None else []

    def cached_render(page: Any, cfg: Any, files: Any) -> None:
        seen["files"] = files
        if not site:
            site.append(site_key(config_path, [f.src_uri for f in files.documentation_pages()]))
        key = page_key(site[0], page.file.src_uri, page.meta, page.markdown or "")
        path = folder / key[:2] / f"{key}.json"
        kept = _restore(page, _load(path), files)
        looked_up[page.file.src_uri] = (path, kept)
        if kept is None:
            render(page, cfg, files)

    def cached_build_page(page: Any, cfg: Any, doc_files: Any, nav: Any, env: Any, *args: Any,
                          **kwargs: Any) -> None:  # fmt: skip
        if "titles" not in seen:
            titles = [(p.file.src_uri, p.title) for p in nav.pages]
            seen["titles"] = hashlib.sha256(json.dumps(titles).encode()).hexdigest()
        path, kept = looked_up.pop(page.file.src_uri, (None, None))
        dest = Path(page.file.abs_dest_path)
        if kept is not None and kept.get("titles") != seen["titles"]:
            cfg._current_page = page  # as _populate_page converts it (build_page resets it)
            render(page, cfg, seen["files"])
            page.content = cfg.plugins.on_page_content(
                page.content, page=page, config=cfg, files=seen["files"]
            )
            kept = None
        if kept is not None:
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(kept["html"].encode("utf-8"))
            entries().extend(kept.get("search") or [])
            counts["hit"] += 1
            return
        first = len(entries())
        build_page(page, cfg, doc_files, nav, env, *args, **kwargs)
        counts["built"] += 1
        if path is not None and dest.is_file():
            html = dest.read_bytes().decode("utf-8")
            _store(path, _entry(page, html, entries()[first:], seen["titles"]))

    Page.render = cached_render
    mkdocs_build._build_page = cached_build_page
    return counts


def _entry(page: Any, html: str, search: list[Any], titles: str) -> dict[str, Any]:
    """What is kept of a built page: its HTML and search entries, the navigation's titles it
    shows, and what converting it told mkdocs (title, anchors, links to other pages'
    anchors)."""
    links = page.links_to_anchors
    return {
        "html": html,
        "search": search,
        "titles": titles,
        "title": page._title_from_render,
        "anchors": sorted(page.present_anchor_ids or ()),
        "links": None if links is None else {f.src_uri: a for f, a in links.items()},
    }


def _restore(page: Any, kept: dict[str, Any] | None, files: Any) -> dict[str, Any] | None:
    """Give the page, unconverted, what its conversion would have set; None (convert it)
    when the entry lacks any of it."""
    if kept is None or not isinstance(kept.get("anchors"), list) or "links" not in kept:
        return None
    links = None
    if kept["links"] is not None:
        targets = {uri: files.get_file_from_path(uri) for uri in kept["links"]}
        if None in targets.values():
            return None
        links = {targets[uri]: dict(anchors) for uri, anchors in kept["links"].items()}
    page.content = ""  # not written by mkdocs: the kept HTML is (cached_build_page)
    page._title_from_render = kept.get("title")
    page.present_anchor_ids = set(kept["anchors"])
    page.links_to_anchors = links
    return kept


def client_reference(generator: Path, folder: Path | None) -> str:
    """The client reference page (`client_docs.reference()`), kept in `folder` by the hash of
    the code it is generated from: the client package, the generator, the Python version.

    Generating it imports the client (httpx, pyarrow), half a second of CPU that would run
    beside SQLMesh on every build, for a page that changes only with the client's code."""
    from importlib.util import find_spec

    spec = find_spec("beanflows.client")  # imports beanflows/__init__.py only (names, no client)
    package = Path(next(iter(spec.submodule_search_locations or []), "")) if spec else None
    if folder is None or package is None or not package.is_dir():
        return runpy.run_path(str(generator))["reference"]()
    h = hashlib.sha256(f"{KEY_VERSION}\n{sys.version}\n".encode())
    for path in [generator, package.parent / "__init__.py", *sorted(package.glob("*.py"))]:
        h.update(path.name.encode() + b"\n" + path.read_bytes())
    key = h.hexdigest()
    path = folder / "client" / f"{key}.json"
    kept = _load(path)  # {"html": the page's markdown}
    if kept is not None:
        return kept["html"]
    text = runpy.run_path(str(generator))["reference"]()  # not all of beanflows.render
    _store(path, {"html": text})
    return text


def main() -> None:
    import material  # noqa: F401 - the theme's imports, paid before the order arrives
    import mkdocs.config.defaults  # noqa: F401 - what load_config imports, paid now too
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    folder = cache_folder()
    if folder:  # before the build: its own pages are marked in use as it reads them
        prune(folder)
    reference = client_reference(Path(sys.argv[1]), folder)
    line = sys.stdin.readline()
    if not line:  # no methodology after all
        return
    order = json.loads(line)
    with open(order["client_reference"], "w", encoding="utf-8") as f:
        f.write(reference)
    os.environ["SOURCE_DATE_EPOCH"] = order["epoch"]
    config_path = Path(order["config"])
    os.chdir(config_path.parent)
    logging.basicConfig(level=logging.ERROR, format="%(levelname)s %(name)s: %(message)s")
    config = load_config(str(config_path))
    counts = use_cache(config, config_path, folder) if folder else None
    build(config)
    if counts is not None:
        print(json.dumps({"pages_cached": counts["hit"], "pages_built": counts["built"]}))


if __name__ == "__main__":
    main()
    sys.stdout.flush()
    sys.stderr.flush()
    # The site is written: tearing down mkdocs' and Material's modules would only make the
    # render wait (a sixth of a second, after the last page).
    os._exit(0)
