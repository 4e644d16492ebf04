"""The build's render step: render the site from the published files, or skip it.

The site reads only dist/data (catalog.json and the datasets), never the warehouse, so it is
skipped when neither the catalog nor the render code and templates changed since the last
successful render (fingerprint in VAR/state/render-state). The renderer is imported here,
lazily: a broken renderer becomes a failure in the summary, never a crash of the build.
"""

from __future__ import annotations

import hashlib
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from beanflows import errors, layout


def fingerprint(out_dir: Path) -> str:
    """Hash of what the site is made from: the catalog and the render code and templates."""
    h = hashlib.sha256((out_dir / "data" / "catalog.json").read_bytes())
    for folder in ("templates", "site", "beanflows/render"):
        for path in sorted((layout.REPO / folder).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                h.update(path.relative_to(layout.REPO).as_posix().encode() + path.read_bytes())
    return h.hexdigest()


@dataclass
class Prestarted:
    """Processes the render will use, started while SQLMesh runs: their start-up (imports, a
    Deno runtime) then overlaps the transform instead of delaying the render."""

    mkdocs: Any = None  # methodology.prestart(): mkdocs with its libraries loaded
    drawing: Any = None  # svg_workers.start(): a vl-convert runtime, warmed up


def prestart() -> Prestarted:
    """Start the methodology's mkdocs process and a drawing process (either None if
    unavailable: an optimisation only, the render starts its own)."""
    out = Prestarted()
    try:
        from beanflows.render import methodology, svg_workers

        out.mkdocs = methodology.prestart()
        out.drawing = svg_workers.start(main_thread=True)
    except Exception:  # noqa: BLE001 - an optimisation only
        pass
    return out


def _stop(prestarted: Prestarted | None) -> None:
    """Stop what was prestarted for a render that does not happen."""
    if prestarted is None:
        return
    if prestarted.mkdocs is not None:
        prestarted.mkdocs.kill()
        prestarted.mkdocs.communicate()
    if prestarted.drawing is not None:  # started: the renderer imported (prestart)
        from beanflows.render import svg_workers

        svg_workers.stop(prestarted.drawing, at_once=True)


def run(
    out_dir: Path,
    var_dir: Path,
    catalog: dict[str, Any],
    prestarted: Prestarted | None = None,
    site_url: str | None = None,
) -> tuple[dict[str, Any] | None, list[str], float]:
    """(render summary or None, errors, seconds). What was `prestarted` is handed to the
    render, or stopped here when the render is skipped."""
    try:
        from beanflows import render
    except Exception as exc:  # noqa: BLE001 - a broken renderer must not hide the summary
        if errors.debug():
            traceback.print_exc()
        _stop(prestarted)
        return None, [f"render import failed: {exc!r}"], 0.0
    # Internal state lives in var/, never in the published folder (publish refuses dot files).
    (out_dir / "data" / ".render-state").unlink(missing_ok=True)  # where older builds kept it
    state = layout.state_file(var_dir, "render-state")
    # one var/ may render two outs; the base URL is in every sitemap entry
    current = f"{out_dir}\n{site_url}\n{fingerprint(out_dir)}"
    if state.exists() and state.read_text() == current and (out_dir / "index.html").exists():
        _stop(prestarted)
        return {"skipped": True}, [], 0.0
    t0 = time.perf_counter()
    ahead = prestarted or Prestarted()
    try:
        summary = render.render_site(
            out_dir, catalog, ahead.mkdocs, site_url=site_url, drawing=ahead.drawing
        )
    except Exception as exc:  # noqa: BLE001 - a render bug must not hide the build summary
        if errors.debug():
            traceback.print_exc()
        summary = {"errors": [repr(exc)]}
    finally:  # the drawer closed it, unless the render failed before it had one
        if ahead.drawing is not None:
            from beanflows.render import svg_workers

            svg_workers.stop(ahead.drawing)
    summary = summary or {}
    problems = [str(e) for e in summary.get("errors") or []]
    if not problems:
        state.parent.mkdir(parents=True, exist_ok=True)
        state.write_text(current)
    return summary, problems, time.perf_counter() - t0
