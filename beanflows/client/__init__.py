"""The BeanFlows Python client (`pip install beanflows`).

    import beanflows
    beanflows.datasets()                                       # names, tiers, rows, units
    t = beanflows.get("cot_positioning", market_code="083731", start="2020")  # pyarrow.Table
    df = beanflows.get_pandas("psd_coffee", country_code="BR", as_of="2023-05")
    pro = beanflows.Client(base_url="https://data.example.com", token="bf_live_...")

The module functions use one default `Client` built from BEANFLOWS_URL and BEANFLOWS_TOKEN
(rebuilt when they change). Files are cached on disk by sha256 and verified on download;
see `Client` for every setting.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from beanflows.client.api import OFFLINE_ENV, TOKEN_ENV, URL_ENV, Client
from beanflows.client.cache import cache_dir
from beanflows.client.cache import prune as prune_cache
from beanflows.client.errors import (
    AuthError,
    BeanflowsError,
    IntegrityError,
    NotCachedError,
    PlanRequired,
    RateLimited,
    ServerError,
    UnknownDataset,
)

if TYPE_CHECKING:
    import pandas
    import polars
    import pyarrow

__version__ = "0.1.0"

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

_default: tuple[tuple[str, ...], Client] | None = None


def _client() -> Client:
    """The default Client for the current BEANFLOWS_* environment."""
    global _default
    key = tuple(
        os.environ.get(k, "") for k in (URL_ENV, TOKEN_ENV, OFFLINE_ENV, "BEANFLOWS_DATA_CACHE")
    )
    if _default is None or _default[0] != key:
        if _default is not None:
            _default[1].close()
        _default = (key, Client())
    return _default[1]


def datasets() -> list[dict[str, Any]]:
    """Every published dataset: name, description, tier, rows and columns with units."""
    return _client().datasets()


def dataset(name: str) -> dict[str, Any]:
    """One dataset's description (columns with type, unit, meaning; tier; rows; as-of)."""
    return _client().dataset(name)


def get(name: str, **kwargs: Any) -> pyarrow.Table:
    """Rows of a dataset as a pyarrow.Table (arguments: see `Client.get`)."""
    return _client().get(name, **kwargs)


def get_pandas(name: str, **kwargs: Any) -> pandas.DataFrame:
    """`get` as a pandas DataFrame, codes kept as text (``pip install beanflows[pandas]``)."""
    return _client().get_pandas(name, **kwargs)


def get_polars(name: str, **kwargs: Any) -> polars.DataFrame:
    """`get` as a polars DataFrame (``pip install beanflows[polars]``)."""
    return _client().get_polars(name, **kwargs)
