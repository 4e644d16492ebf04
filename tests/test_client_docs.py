"""The client's docs cannot drift: every public name is in the generated reference, every
setting and environment variable the client reads is in the guide (site/docs/client.md)."""

from __future__ import annotations

import inspect
import re

import beanflows.client
from beanflows.render.client_docs import reference
from tests.conftest import REPO


def test_reference_lists_every_public_name_and_method() -> None:
    text = reference()
    for name in beanflows.client.__all__:
        if name != "__version__":
            assert f"beanflows.{name}" in text, name
    for meth in ("get", "get_pandas", "get_polars", "datasets", "dataset"):
        assert f"### Client.{meth}" in text
    assert "as_of" in text and "**filters" in text and "'" not in text.split("## Client")[1][:400]


def test_guide_names_every_setting_and_environment_variable() -> None:
    guide = (REPO / "site/docs/client.md").read_text()
    code = "\n".join(p.read_text() for p in (REPO / "beanflows/client").glob("*.py"))
    env_vars = set(re.findall(r'"(BEANFLOWS_[A-Z_]+)"', code))
    assert env_vars >= {"BEANFLOWS_URL", "BEANFLOWS_TOKEN", "BEANFLOWS_DATA_CACHE"}
    for var in env_vars:
        assert f"`{var}`" in guide, var
    params = inspect.signature(beanflows.client.Client).parameters
    for name in params:
        if name not in ("base_url", "token", "cache_dir", "offline"):
            assert f"`{name}`" in guide or f"`{name}`" in reference(), name


def test_import_beanflows_forwards_exactly_the_client_names() -> None:
    """beanflows/__init__.py lists the client's names to forward them without importing the
    client; the two lists must agree, or a name would be missing from `import beanflows`."""
    import beanflows

    assert beanflows.__all__ == beanflows.client.__all__
    for name in beanflows.__all__:
        assert getattr(beanflows, name) is getattr(beanflows.client, name), name
