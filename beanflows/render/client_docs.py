"""The Python client's reference page, generated from its docstrings for the methodology.

One source for the text: the signatures and docstrings of `beanflows.client`, so the
reference cannot drift from the code. Imports the client only (httpx, pyarrow), not pandas.
"""

from __future__ import annotations

import inspect

METHODS = ["datasets", "dataset", "get", "get_pandas", "get_polars", "catalog", "close"]


def _doc(obj: object) -> list[str]:
    """Summary as text; the rest (Args, Raises) as a preformatted block."""
    doc = inspect.getdoc(obj) or ""
    summary, _, rest = doc.partition("\n\n")
    out = [summary.replace("\n", " "), ""]
    if rest.strip():
        out += ["```text", rest.rstrip(), "```", ""]
    return out


def _sig(name: str, obj: object) -> str:
    sig = str(inspect.signature(obj)).replace("'", "")  # postponed annotations are strings
    return f"```python\n{name}{sig}\n```"


def reference() -> str:
    """Markdown of the client's public API: functions, the Client class, its errors."""
    from beanflows import client

    out = [
        "# Python client reference",
        "",
        f"`beanflows` {client.__version__}. Generated from the docstrings of "
        "`beanflows.client`; see [Python client](client.md) for a tour.",
        "",
        "## Functions",
        "",
        "They use one default `Client` built from `BEANFLOWS_URL` and `BEANFLOWS_TOKEN`.",
        "",
    ]
    names = client.__all__
    for name in names:
        obj = getattr(client, name)
        if inspect.isfunction(obj):
            out += [f"### beanflows.{name}", "", _sig(f"beanflows.{name}", obj), "", *_doc(obj)]
    out += ["## Client", "", _sig("beanflows.Client", client.Client), "", *_doc(client.Client)]
    for meth in METHODS:
        fn = getattr(client.Client, meth)
        out += [f"### Client.{meth}", "", _sig(f"Client.{meth}", fn), "", *_doc(fn)]
    out += ["## Errors", "", "Every error derives from `beanflows.BeanflowsError`.", ""]
    for name in names:
        obj = getattr(client, name)
        if inspect.isclass(obj) and issubclass(obj, Exception):
            out.append(f"- `beanflows.{name}`: {inspect.getdoc(obj)}")
    return "\n".join(out) + "\n"
