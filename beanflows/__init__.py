"""BeanFlows: coffee-market datasets in Python (`pip install beanflows`).

    import beanflows
    beanflows.datasets()                                   # what is published, with units
    cot = beanflows.get_pandas("cot_positioning", market_code="083731", start="2020")

The client lives in `beanflows.client`; this module only forwards names to it on first use,
so `import beanflows` costs nothing (httpx and pyarrow load when data is first asked for).
The same import package holds the nightly pipeline in the repository (`beanflows.build`,
`beanflows.cli`, ...): the `beanflows` distribution ships only this file and `client/`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

# The client's names (beanflows.client.__all__, which a test keeps equal): known here without
# importing the client, so that `import beanflows` stays free.
__all__ = [
    "AuthError",
    "BeanflowsError",
    "Client",
    "IntegrityError",
    "NotCachedError",
    "PlanRequired",
    "RateLimited",
    "ServerError",
    "UnknownDataset",
    "__version__",
    "cache_dir",
    "dataset",
    "datasets",
    "get",
    "get_pandas",
    "get_polars",
    "prune_cache",
]

if TYPE_CHECKING:  # for type checkers and IDEs; at run time __getattr__ does the import
    from beanflows.client import *  # noqa: F403


def __getattr__(name: str) -> Any:
    if name in __all__:
        from beanflows import client

        return getattr(client, name)
    raise AttributeError(f"module 'beanflows' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
