"""Where everything lives: the repository's folders, the var/ layout, the models and datasets.

One leaf module (standard library only) owns these facts so that no other module recomputes
them: ingest, transform, export, render, ops and tests all ask here. It also holds the one scan
of the models' `MODEL (...)` headers, which reads the project in milliseconds without importing
SQLMesh (SQLMesh alone costs seconds), and the naming rule that makes every published number
traceable by names alone:

    dataset D            models/datasets/<family>.toml, section [D]
    its serving model    models/models/<family>/serving_D.sql, named serving.D
    any other model      models/models/<family>/<layer>_<what>.sql, named <layer>.<family>_<what>

where <family> is a source folder of ingest/ or `combined` (models that join several sources).
"""

from __future__ import annotations

import functools
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
MODELS_DIR = REPO / "models"  # the SQLMesh project (config.py, models/, macros/, audits/, tests/)
INGEST_DIR = REPO / "ingest"  # one folder per source, each with its source.toml
TEMPLATES_DIR = REPO / "templates"
SITE_DIR = REPO / "site"  # mkdocs project of the methodology pages
DOCS_DIR = REPO / "docs"
LAYERS = ("raw", "staging", "cleaned", "serving")
COMBINED = "combined"  # the family of models that join several sources


# ---- var/: everything the build keeps between runs (never published) -----------------------


def raw_dir(var_dir: Path) -> Path:
    """The content-addressed raw archive: objects/<sha256> and manifest.jsonl."""
    return var_dir / "raw"


def landing_dir(var_dir: Path, source: str | None = None) -> Path:
    """Parquet files the raw models read, one folder per source."""
    return var_dir / "landing" if source is None else var_dir / "landing" / source


def rejected_dir(var_dir: Path) -> Path:
    """Files refused at the door (kept apart, never in the manifest or landing)."""
    return var_dir / "rejected"


def warehouse_file(var_dir: Path) -> Path:
    return var_dir / "warehouse.duckdb"


def state_file(var_dir: Path, name: str) -> Path:
    """A small state file of one step: transform.json, models.json, render-state, alerts.json."""
    return var_dir / "state" / name


def requests_dir(var_dir: Path, state: str | None = None) -> Path:
    """The operator's rebuild queue: pending/, running/, done/."""
    return var_dir / "requests" if state is None else var_dir / "requests" / state


def runs_file(var_dir: Path) -> Path:
    return var_dir / "runs.jsonl"


def lock_file(var_dir: Path) -> Path:
    return var_dir / "build.lock"


# ---- models: the one scan of MODEL headers ------------------------------------------------


@dataclass(frozen=True)
class Model:
    name: str  # layer.table, as SQL elsewhere refers to it
    path: Path
    family: str  # its folder: a source of ingest/ or `combined`
    layer: str
    incremental: bool
    depends_on: frozenset[str]  # project models its SQL names
    landing: str | None = None  # the landing table a raw model reads: 'source/table'


MODEL_HEADER = re.compile(r"MODEL\s*\(\s*name\s+([\w.]+)")
MODEL_REF = re.compile(r"\b(?:raw|staging|cleaned|serving)\.\w+\b")
LANDING_REF = re.compile(r"@landing\(\s*@landing_root\s*,\s*'([\w/]+)'\s*\)")


@functools.cache
def models(models_dir: Path = MODELS_DIR) -> dict[str, Model]:
    """model name -> Model, read from every models/<family>/*.sql file's MODEL header.

    Model references in this project are plain `layer.table` names, so the scan (comments
    removed) also finds the DAG.
    """
    found: dict[str, tuple[Path, str]] = {}
    for path in sorted((models_dir / "models").glob("*/*.sql")):
        text = re.sub(r"--[^\n]*", "", path.read_text(encoding="utf-8"))
        m = MODEL_HEADER.search(text)
        if m:
            found[m.group(1)] = (path.resolve(), text)
    out = {}
    for name, (path, text) in found.items():
        header = text[MODEL_HEADER.search(text).start() :].split(");", 1)[0]
        out[name] = Model(
            name=name,
            path=path,
            family=path.parent.name,
            layer=name.split(".", 1)[0],
            incremental=re.search(r"kind\s+INCREMENTAL_BY_TIME_RANGE", header) is not None,
            depends_on=frozenset(r for r in MODEL_REF.findall(text) if r in found and r != name),
            landing=next(iter(LANDING_REF.findall(text)), None),
        )
    return out


def upstream(name: str, models_dir: Path = MODELS_DIR) -> set[str]:
    """Every model `name` reads, directly or through others (what its rows can come from)."""
    found = models(models_dir)
    seen: set[str] = set()
    todo = [name]
    while todo:
        model = found.get(todo.pop())
        for up in (model.depends_on if model else frozenset()) - seen:
            seen.add(up)
            todo.append(up)
    return seen


def downstream(names: set[str] | list[str], models_dir: Path = MODELS_DIR) -> set[str]:
    """`names` and every model that reads one of them, directly or through others (what a
    change of their rows reaches)."""
    found = models(models_dir)
    seen: set[str] = set()
    todo = [n for n in names if n in found]
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo.extend(m for m, model in found.items() if name in model.depends_on)
    return seen


def model_families(models_dir: Path = MODELS_DIR) -> dict[str, list[Model]]:
    """family -> its models, in file order."""
    out: dict[str, list[Model]] = {}
    for model in models(models_dir).values():
        out.setdefault(model.family, []).append(model)
    return out


def family_of(models_dir: Path = MODELS_DIR) -> dict[str, str]:
    """model name -> family."""
    return {m.name: m.family for m in models(models_dir).values()}


def expected_name(path: Path) -> str:
    """The model name the naming rule gives a model file (see the module docstring)."""
    layer, _, what = path.stem.partition("_")
    return f"serving.{what}" if layer == "serving" else f"{layer}.{path.parent.name}_{what}"


def source_names() -> list[str]:
    """Every source: a folder of ingest/ holding a source.toml."""
    return sorted(p.parent.name for p in INGEST_DIR.glob("*/source.toml"))


# ---- published datasets --------------------------------------------------------------------


@functools.cache
def dataset_specs(models_dir: Path = MODELS_DIR) -> dict[str, dict[str, Any]]:
    """All published datasets, from models/datasets/<family>.toml, in name order.

    Each spec gets `family` (its file's stem) and `model_file` (repo-relative path).
    """
    files = {m.name: m.path for m in models(models_dir).values()}
    specs: dict[str, dict[str, Any]] = {}
    for path in sorted((models_dir / "datasets").glob("*.toml")):
        with path.open("rb") as fh:
            for name, spec in tomllib.load(fh).items():
                if name in specs:
                    raise ValueError(f"dataset {name} defined twice ({path.name})")
                file = files.get(spec["model"])
                rel = file.relative_to(models_dir.parent).as_posix() if file else None
                specs[name] = {**spec, "family": path.stem, "model_file": rel}
    return dict(sorted(specs.items()))
