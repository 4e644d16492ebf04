"""mkdocs hooks for the methodology build (wired in by beanflows.render.methodology).

`on_post_page` names Material's search dialog (it ships as an unnamed `role="dialog"`, which
screen readers announce as just "dialog"); `on_post_template` fixes 404.html's links.
Compiling Material's Jinja templates is a third of every methodology build, and the templates
only change with the mkdocs-material version: keep their compiled bytecode in the build's
cache folder (BEANFLOWS_CACHE_DIR), keyed by Jinja on each template's source checksum.
"""

from __future__ import annotations

import re
from typing import Any

from jinja2 import Environment

from beanflows.drawing_cache import jinja_bytecode


def on_env(env: Environment, config: Any, files: Any) -> Environment:  # noqa: ANN401, ARG001
    cache = jinja_bytecode("jinja-mkdocs")  # None: no cache folder, compile as usual
    if cache is not None:
        env.bytecode_cache = cache
    return env


SEARCH_DIALOG = '<div class="md-search" data-md-component="search" role="dialog">'
NAMED_DIALOG = SEARCH_DIALOG[:-1] + ' aria-label="Search the methodology">'


def on_post_page(output: str, page: Any, config: Any) -> str:  # noqa: ANN401, ARG001
    return output.replace(SEARCH_DIALOG, NAMED_DIALOG, 1)


ROOT_LINK = re.compile(r'((?:href|src)="|"(?:base|search)": ")/(?!")')
MOUNT = "/methodology/"  # where beanflows.render.methodology puts this build in the site


def on_post_template(output: str, template_name: str, config: Any) -> str:  # noqa: ANN401, ARG001
    """404.html is served at any depth, so mkdocs gives it root-relative links (no site_url
    here); point them into /methodology/, where the pages are (the logo's "/" stays home)."""
    if template_name != "404.html":
        return output
    output = ROOT_LINK.sub(lambda m: m.group(1) + MOUNT, output)
    return output.replace(f'href="{MOUNT}."', f'href="{MOUNT}"').replace(
        '"base": "/"', f'"base": "{MOUNT}"'
    )
