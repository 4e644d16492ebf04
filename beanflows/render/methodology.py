"""Methodology section: mkdocs-material, generated from catalog.json and the SQLMesh models.

The hand-written pages live in site/docs; this module adds a page per dataset (every field
with type, unit and meaning, lineage down to the raw files, audits), per source (URLs,
schedule, quirks from source.toml), per model (its header comment and SQL) and per audit, then
builds into OUT/methodology. The catalog is the single truth for fields, so the methodology
cannot drift from what is published. SOURCE_DATE_EPOCH is pinned to the catalog's build time
so mkdocs' sitemap dates do not change between identical rebuilds.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from beanflows import children, layout
from beanflows.render import client_docs


def _md(text: Any) -> str:
    """Table-cell safe text."""
    return str(text if text is not None else "").replace("|", "\\|").replace("\n", " ")


def model_files() -> dict[str, Path]:
    """SQLMesh model name -> its .sql file (the same scan the build selects models with)."""
    return {name: m.path for name, m in layout.models().items()}


def _header(sql: str) -> str:
    lines = []
    for line in sql.splitlines():
        if not line.startswith("--"):
            break
        lines.append(line[2:].strip())
    return "\n".join(lines)


def _dataset_page(name: str, meta: dict[str, Any], models: dict[str, Path]) -> str:
    out = [f"# {name}", "", meta.get("description") or "", ""]
    files = meta.get("files") or {}
    facts = [
        (
            "Source(s)",
            ", ".join(
                f"[{s}](../sources/{s}.md)"
                for s in meta.get("sources") or [meta.get("source")]
                if s
            ),
        ),
        ("Model", f"`{meta.get('model', '')}`"),
        ("Grain", ", ".join(f"`{g}`" for g in meta.get("grain") or [])),
        ("Time column", f"`{meta.get('time_column') or '–'}`"),
        ("Free window", meta.get("free_window") or "none: Pro only"),
        ("Rows (free / pro)", f"{_rows(files.get('free'))} / {_rows(files.get('pro'))}"),
        ("As of", meta.get("as_of") or "–"),
        ("Releases", ", ".join(meta.get("releases") or []) or "–"),
        ("Status", meta.get("status") or "–"),
        (
            "Files",
            " · ".join(
                f"[{tier} {fmt}](/{f['path']})"
                for tier in ("free", "pro")
                for fmt, f in sorted((files.get(tier) or {}).items())
            )
            or "–",
        ),
    ]
    out += ["| Property | Value |", "|---|---|"] + [f"| {k} | {_md(v)} |" for k, v in facts] + [""]
    out += ["## Fields", "", "| Field | Type | Unit | Meaning |", "|---|---|---|---|"]
    for c in meta.get("columns") or []:
        out.append(
            f"| `{c['name']}` | {_md(c.get('type'))} | {_md(c.get('unit') or '')} | "
            f"{_md(c.get('description') or '')} |"
        )
    out += ["", "## Lineage", "", "From the published model down to the raw layer:", ""]
    for m in meta.get("lineage") or []:
        link = f"[`{m}`](../models/{m}.md)" if m in models else f"`{m}`"
        out.append(f"- {link}")
    raw = meta.get("raw_files") or []
    if raw:
        out += [
            "",
            "Raw files in the archive (content-addressed by sha256):",
            "",
            "| File | Release | sha256 | URL |",
            "|---|---|---|---|",
        ]
        for f in raw:
            out.append(
                f"| {_md(f.get('name'))} | {_md(f.get('release'))} | "
                f"`{str(f.get('sha256') or '')[:16]}…` | {_md(f.get('url') or 'imported')} |"
            )
    out += ["", "## Audits", ""]
    audits = meta.get("audits") or []
    out += [f"- [`{a}`](../audits.md#{a.replace('_', '-')})" for a in audits] or ["None."]
    return "\n".join(out) + "\n"


def _rows(tier: dict[str, Any] | None) -> str:
    rows = ((tier or {}).get("parquet") or {}).get("rows")
    return f"{rows:,}" if isinstance(rows, int) else "–"


def _source_page(name: str, meta: dict[str, Any]) -> str:
    toml = layout.INGEST_DIR / name / "source.toml"
    quirks = []
    if toml.is_file():
        for line in toml.read_text(encoding="utf-8").splitlines():
            if line.startswith("#"):
                quirks.append(line.lstrip("# ").rstrip())
            elif "#" in line and "=" in line:
                key, _, comment = line.partition("#")
                quirks.append(f"`{key.split('=')[0].strip()}`: {comment.strip()}")
    urls = meta.get("urls") or ([meta["url"]] if meta.get("url") else [])
    out = [
        f"# {meta.get('title') or name}",
        "",
        "| Property | Value |",
        "|---|---|",
        f"| Source id | `{name}` |",
        f"| Homepage | {_md(meta.get('homepage') or '–')} |",
        f"| Schedule | {_md(meta.get('schedule') or '–')} |",
        f"| Stale after | {_md(meta.get('stale_after_days') or '–')} days |",
        f"| Last success | {_md(meta.get('last_success') or 'never')} |",
        f"| Latest release / as of | {_md(meta.get('release') or '–')} |",
        f"| Status | {_md(meta.get('status') or '–')} |",
        "",
        "## Upstream URLs",
        "",
    ]
    out += [f"- `{u}`" for u in urls] or ["- (imported files only)"]
    out += ["", "## Notes and quirks", ""]
    out += [f"- {q}" for q in quirks if q] or ["- None recorded."]
    return "\n".join(out) + "\n"


def _model_page(name: str, path: Path) -> str:
    sql = path.read_text(encoding="utf-8")
    rel = path.relative_to(layout.REPO).as_posix()
    return f"# {name}\n\n{_header(sql)}\n\nFile: `{rel}`\n\n```sql\n{sql.rstrip()}\n```\n"


def _audits_page() -> str:
    out = [
        "# Audits",
        "",
        "SQLMesh audits run after each model; an audit that returns rows blocks the "
        "model's source and keeps the last good published files (marked stale).",
        "",
        "Built-in audits: `not_null`, `unique_values`, `unique_combination_of_columns`, "
        "`accepted_values` (SQLMesh's standard audits, named in each model).",
        "",
    ]
    for path in sorted((layout.MODELS_DIR / "audits").glob("*.sql")):
        sql = path.read_text(encoding="utf-8")
        out += [f"## {path.stem}", "", _header(sql), "", f"```sql\n{sql.rstrip()}\n```", ""]
    return "\n".join(out) + "\n"


def generate(docs: Path, catalog: dict[str, Any]) -> list[Any]:
    """Write the generated pages into docs/ and return the mkdocs nav."""
    models = model_files()
    datasets = catalog.get("datasets", {})
    sources = catalog.get("sources", {})
    nav_ds, nav_src, nav_models = [], [], []
    (docs / "datasets").mkdir(parents=True, exist_ok=True)
    (docs / "sources").mkdir(parents=True, exist_ok=True)
    (docs / "models").mkdir(parents=True, exist_ok=True)
    used: set[str] = set()
    for name, meta in sorted(datasets.items()):
        (docs / "datasets" / f"{name}.md").write_text(_dataset_page(name, meta, models))
        nav_ds.append({name: f"datasets/{name}.md"})
        used.update(meta.get("lineage") or [])
    for name, meta in sorted(sources.items()):
        (docs / "sources" / f"{name}.md").write_text(_source_page(name, meta))
        nav_src.append({meta.get("title") or name: f"sources/{name}.md"})
    for name in sorted(used & set(models)):
        (docs / "models" / f"{name}.md").write_text(_model_page(name, models[name]))
        nav_models.append({name: f"models/{name}.md"})
    (docs / "audits.md").write_text(_audits_page())
    (docs / "client-reference.md").write_text(client_docs.reference())
    return [
        {"Overview": "index.md"},
        {"Formulas": "formulas.md"},
        {"Python client": [{"Guide": "client.md"}, {"Reference": "client-reference.md"}]},
        {"Datasets": nav_ds or [{"None yet": "index.md"}]},
        {"Sources": nav_src or [{"None yet": "index.md"}]},
        {"Models": nav_models or [{"None yet": "index.md"}]},
        {"Audits": "audits.md"},
        {"Back to the site": "/"},
    ]


def _epoch(catalog: dict[str, Any]) -> str:
    text = str(catalog.get("built_at") or "2000-01-01T00:00:00Z").replace("Z", "+00:00")
    try:
        return str(int(datetime.fromisoformat(text).timestamp()))
    except ValueError:
        return "946684800"


# A mkdocs build that imports mkdocs and the theme first, then waits for its config path on
# stdin: started early (`prestart`), its interpreter start and imports overlap the export.
_RUNNER = """
import json, logging, os, sys
from mkdocs.commands.build import build
from mkdocs.config import load_config
import material
line = sys.stdin.readline()
if line:
    order = json.loads(line)
    os.environ["SOURCE_DATE_EPOCH"] = order["epoch"]
    os.chdir(os.path.dirname(order["config"]))
    logging.basicConfig(level=logging.ERROR, format="%(levelname)s %(name)s: %(message)s")
    build(load_config(order["config"]))
"""


def prestart() -> subprocess.Popen:
    """Start a mkdocs process that loads its libraries, then waits for `Build` to use it.

    Stop it with `.kill()` if no methodology is built after all.
    """
    return children.popen(
        [sys.executable, "-c", _RUNNER],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )


class Build:
    """An mkdocs build running in a child process (it takes ~1 s of CPU, GIL included)."""

    def __init__(
        self, out_dir: Path, catalog: dict[str, Any], proc: subprocess.Popen | None = None
    ) -> None:
        self.out_dir = out_dir
        self._tmp = tempfile.TemporaryDirectory(prefix="beanflows-mkdocs-")
        self.work = Path(self._tmp.name)
        docs = self.work / "docs"
        shutil.copytree(layout.SITE_DIR / "docs", docs)
        nav = generate(docs, catalog)
        cfg = yaml.safe_load((layout.SITE_DIR / "mkdocs.yml").read_text(encoding="utf-8"))
        cfg.update(nav=nav, docs_dir=str(docs), site_dir=str(self.work / "site"))
        cfg["hooks"] = [str(layout.SITE_DIR / "mkdocs_hooks.py")]  # compiled-template cache
        config = self.work / "mkdocs.yml"
        config.write_text(yaml.safe_dump(cfg, sort_keys=False))
        # sitemap dates from the catalog's build time (identical rebuilds stay identical)
        order = {"config": str(config), "epoch": _epoch(catalog)}
        self.proc = proc or prestart()
        try:
            self.proc.stdin.write((json.dumps(order) + "\n").encode())
            self.proc.stdin.close()
        except (BrokenPipeError, OSError):
            pass  # the runner died: finish() reports its exit code and stderr
        self.proc.stdin = None  # handed over; communicate() must not flush it again

    def finish(self) -> int:
        """Wait for mkdocs, copy the changed files into OUT/methodology; return page count."""
        try:
            out, err = self.proc.communicate(timeout=300)
            if self.proc.returncode != 0:
                raise RuntimeError(f"mkdocs build failed: {(err or out).decode()[-800:]}")
            return _sync(self.work / "site", self.out_dir / "methodology")
        finally:
            self._tmp.cleanup()


def _sync(src: Path, dst: Path) -> int:
    """Copy changed files only and drop files the new build no longer has."""
    pages = 0
    wanted = set()
    for path in sorted(src.rglob("*")):
        if not path.is_file():
            continue
        rel = path.relative_to(src)
        wanted.add(rel)
        pages += path.name == "index.html"
        target = dst / rel
        data = path.read_bytes()
        if target.is_file() and target.read_bytes() == data:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    if dst.is_dir():
        for path in sorted(dst.rglob("*"), reverse=True):
            rel = path.relative_to(dst)
            if path.is_file() and rel not in wanted:
                path.unlink()
            elif path.is_dir() and not any(path.iterdir()):
                path.rmdir()
    return pages
