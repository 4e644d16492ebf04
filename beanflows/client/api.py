"""The client: a catalog, a disk cache and a few functions that return Arrow tables.

`Client` holds what really is state (the HTTP connection pool, the site, the token and the
catalog last read); the module-level `datasets()` / `get()` use one default Client built from
BEANFLOWS_URL and BEANFLOWS_TOKEN, rebuilt when those change.
"""

from __future__ import annotations

import json
import os
import time
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

from beanflows.client import cache, query, transport
from beanflows.client.errors import (
    BeanflowsError,
    NotCachedError,
    PlanRequired,
    ServerError,
    UnknownDataset,
)

if TYPE_CHECKING:
    import pandas
    import polars
    import pyarrow

URL_ENV = "BEANFLOWS_URL"
TOKEN_ENV = "BEANFLOWS_TOKEN"
OFFLINE_ENV = "BEANFLOWS_OFFLINE"
CATALOG_PATH = "data/catalog.json"
VERSION_COLUMNS = ("release", "vintage")


class Client:
    """A connection to one BeanFlows site.

    Args:
        base_url: the site, e.g. ``https://data.example.com`` (default: ``BEANFLOWS_URL``).
        token: an API key (``Authorization: Bearer``) for the full-history files; any string
            your account page gives (default: ``BEANFLOWS_TOKEN``). Without one, the free
            files (the most recent 5 years) are read.
        cache_dir: where files are kept (default: ``BEANFLOWS_DATA_CACHE`` or the user cache).
        offline: never use the network, only the cache (default: ``BEANFLOWS_OFFLINE=1``).
        timeout_seconds: per network operation (connect, read).
        retries: extra tries after a network error or a 5xx (backoff from 0.25 s, doubling).
        range_min_bytes: files at least this large are read in part (HTTP Range requests)
            when only some columns or rows are asked for; smaller files are downloaded whole.
        catalog_ttl_seconds: how long a catalog is trusted before it is revalidated (ETag).
        progress: show a progress bar for large downloads (default: only in a terminal).
    """

    def __init__(
        self,
        base_url: str | None = None,
        token: str | None = None,
        *,
        cache_dir: str | Path | None = None,
        offline: bool | None = None,
        timeout_seconds: float = 30.0,
        retries: int = 3,
        range_min_bytes: int = 32 * 2**20,
        catalog_ttl_seconds: float = 60.0,
        progress: bool | None = None,
    ) -> None:
        url = base_url or os.environ.get(URL_ENV, "")
        if not url:
            raise BeanflowsError(
                f"no site given: set {URL_ENV} (e.g. https://data.example.com) "
                "or pass Client(base_url=...)"
            )
        self.base_url = url.rstrip("/")
        self.token = token if token is not None else (os.environ.get(TOKEN_ENV) or None)
        self.cache_dir = Path(cache_dir).expanduser() if cache_dir else cache.cache_dir()
        if offline is None:
            offline = os.environ.get(OFFLINE_ENV, "").lower() in ("1", "true", "yes")
        self.offline = offline
        self.timeout_seconds = timeout_seconds
        self.retries = retries
        self.range_min_bytes = range_min_bytes
        self.catalog_ttl_seconds = catalog_ttl_seconds
        self.progress = progress
        self._http = None
        self._catalog: dict[str, Any] | None = None
        self._checked_at = float("-inf")
        self.last_read: dict[str, Any] = {}  # how the last get() was served (tests, curiosity)

    def __repr__(self) -> str:
        auth = "with token" if self.token else "free files"
        return f"beanflows.Client({self.base_url!r}, {auth}, cache={str(self.cache_dir)!r})"

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool (the cache stays)."""
        if self._http is not None:
            self._http.close()
            self._http = None

    @property
    def http(self):  # noqa: ANN201 - httpx.Client, imported lazily
        if self._http is None:
            self._http = transport.make_http(self.base_url, self.timeout_seconds)
        return self._http

    # -- catalog ---------------------------------------------------------------------------

    def catalog(self, refresh: bool = False) -> dict[str, Any]:
        """The site's catalog.json (revalidated with its ETag when older than the TTL)."""
        fresh = time.monotonic() - self._checked_at < self.catalog_ttl_seconds
        if self._catalog is not None and fresh and not refresh:
            return self._catalog
        cached, validators = cache.load_catalog(self.cache_dir, self.base_url)
        if self.offline:
            if cached is None:
                raise NotCachedError(f"offline and no catalog of {self.base_url} in the cache")
            self._catalog = cached
            return cached
        headers = {}
        if cached is not None and validators.get("etag"):
            headers["If-None-Match"] = validators["etag"]
        if cached is not None and validators.get("last_modified"):
            headers["If-Modified-Since"] = validators["last_modified"]
        try:
            resp = transport.request(self.http, "GET", self._url(CATALOG_PATH), CATALOG_PATH,
                                     headers=headers, retries=self.retries, has_token=False,
                                     ok=(200, 304))  # fmt: skip
        except transport.Unreachable as exc:
            if cached is None:
                raise NotCachedError(
                    f"cannot reach {self.base_url} ({exc}); nothing cached"
                ) from None
            warnings.warn(
                f"beanflows: cannot reach {self.base_url}; using the catalog cached "
                f"(built {cached.get('built_at', '?')})",
                stacklevel=3,
            )
            self._catalog, self._checked_at = cached, time.monotonic()
            return cached
        if resp.status_code == 304 and cached is not None:
            self._catalog = cached
        else:
            try:
                self._catalog = json.loads(resp.content)
            except ValueError:
                raise ServerError(f"{CATALOG_PATH} from {self.base_url} is not JSON") from None
            cache.store_catalog(
                self.cache_dir,
                self.base_url,
                resp.content,
                {
                    "etag": resp.headers.get("etag", ""),
                    "last_modified": resp.headers.get("last-modified", ""),
                },
            )
        self._checked_at = time.monotonic()
        return self._catalog

    def datasets(self) -> list[dict[str, Any]]:
        """Every published dataset: name, description, tier, rows, time column, columns.

        ``tier`` is ``"free"`` when a free file (the most recent years) exists, ``"pro"`` when
        the dataset is on paid plans only; ``rows`` gives both counts; each column has its
        ``name``, ``type``, ``unit`` and ``description``.
        """
        return [self.dataset(name) for name in sorted(self.catalog().get("datasets", {}))]

    def dataset(self, name: str) -> dict[str, Any]:
        """One dataset's description (see `datasets`), plus its status and as-of."""
        meta = self._meta(name)
        files = meta.get("files") or {}
        rows = {t: ((files.get(t) or {}).get("parquet") or {}).get("rows") for t in ("free", "pro")}
        return {
            "name": name,
            "description": meta.get("description", ""),
            "tier": "free" if files.get("free") else "pro",
            "rows": rows,
            "time_column": meta.get("time_column"),
            "free_window": meta.get("free_window"),
            "grain": meta.get("grain") or [],
            "as_of": meta.get("as_of"),
            "status": meta.get("status"),
            "columns": [
                {k: c.get(k) for k in ("name", "type", "unit", "description")}
                for c in meta.get("columns") or []
            ],
        }

    def _meta(self, name: str) -> dict[str, Any]:
        found = self.catalog().get("datasets", {})
        if name not in found:
            close = [n for n in found if name.split("_")[0] in n] or sorted(found)
            raise UnknownDataset(f"no dataset {name!r}; try one of: {', '.join(close[:8])}")
        return found[name]

    def _url(self, path: str) -> str:
        return f"{self.base_url}/{path}"

    # -- data ------------------------------------------------------------------------------

    def get(
        self,
        name: str,
        *,
        columns: list[str] | None = None,
        start: Any = None,
        end: Any = None,
        as_of: str | None = None,
        tier: str | None = None,
        **filters: Any,
    ) -> pyarrow.Table:
        """Rows of one dataset as a ``pyarrow.Table``.

        Args:
            name: a dataset name from `datasets()`, e.g. ``"cot_positioning"``.
            columns: the columns to return (default all), in that order.
            start, end: inclusive bounds on the dataset's time column: ``2020``,
                ``"2020-05"`` (a whole month), ``"2020-05-17"`` or a ``date``.
            as_of: a release (``"2023-05"``): the values as known then, from the dataset's
                vintages (``psd_coffee``, ``prices_monthly``); the full history needs a plan.
            tier: ``"free"`` or ``"pro"`` (default: pro with a token, else free).
            **filters: equality filters on columns, e.g. ``market_code="083731"`` or
                ``country_code=["BR", "VN"]``; codes are compared as text.

        Raises:
            PlanRequired: the dataset (or ``as_of``) needs a paid plan, or the plan refuses.
            AuthError, RateLimited, IntegrityError, NotCachedError, UnknownDataset.
        """
        tier = tier or ("pro" if self.token else "free")
        if tier not in ("free", "pro"):
            raise ValueError("tier must be 'free' or 'pro'")
        if as_of is not None:
            return self._get_as_of(name, columns, start, end, str(as_of), tier, filters)
        meta = self._meta(name)
        self._check_columns(name, meta, [*(columns or []), *filters])
        table, file_meta = self._read(name, meta, tier, columns, start, end, filters)
        self._warn_free_window(name, meta, tier, start, file_meta)
        return table

    def get_pandas(self, name: str, **kwargs: Any) -> pandas.DataFrame:
        """`get` as a pandas DataFrame: codes stay text, dates become datetime64."""
        table = self.get(name, **kwargs)
        return table.to_pandas(date_as_object=False)

    def get_polars(self, name: str, **kwargs: Any) -> polars.DataFrame:
        """`get` as a polars DataFrame (``pip install beanflows[polars]``)."""
        import polars as pl

        return pl.from_arrow(self.get(name, **kwargs))

    def _check_columns(self, name: str, meta: dict[str, Any], wanted: list[str]) -> None:
        known = [c["name"] for c in meta.get("columns") or []]
        unknown = [c for c in wanted if c not in known]
        if unknown:
            raise UnknownDataset(
                f"{name} has no column {unknown[0]!r}; columns: {', '.join(known)}"
            )

    def _file(self, name: str, meta: dict[str, Any], tier: str) -> dict[str, Any]:
        files = (meta.get("files") or {}).get(tier) or {}
        if "parquet" in files:
            return files["parquet"]
        if tier == "free":
            raise PlanRequired(
                f"{name} is on paid plans only (no free file): set BEANFLOWS_TOKEN "
                "or pass Client(token=...)"
            )
        raise BeanflowsError(f"{name} has no published file yet (status {meta.get('status')})")

    def _read(
        self,
        name: str,
        meta: dict[str, Any],
        tier: str,
        columns: list[str] | None,
        start: Any,
        end: Any,
        filters: dict[str, Any],
        extra: tuple[str, ...] = (),
    ) -> tuple[pyarrow.Table, Any]:
        facts = self._file(name, meta, tier)
        path, sha, size = facts["path"], facts["sha256"], int(facts["bytes"])
        local = cache.object_path(self.cache_dir, sha)
        headers = {"Authorization": f"Bearer {self.token}"} if self.token and tier == "pro" else {}
        partial = columns is not None or start is not None or end is not None or filters
        rf = None
        if local.is_file() and local.stat().st_size == size:
            source, how = local, "cache"
        elif self.offline:
            raise NotCachedError(f"offline and {path} ({name}, {tier}) is not in the cache")
        elif partial and size >= self.range_min_bytes:
            rf = transport.RangeFile(
                self.http, self._url(path), path, sha256=sha, size=size, headers=headers,
                retries=self.retries, has_token=bool(self.token),
                ranges_dir=cache.ranges_path(self.cache_dir, sha), whole_target=local,
            )  # fmt: skip
            source, how = rf, "range"
        else:
            try:
                transport.download(
                    self.http, self._url(path), path, local, sha256=sha, size=size,
                    headers=headers, retries=self.retries, has_token=bool(self.token),
                    progress=self.progress,
                )  # fmt: skip
            except transport.Unreachable as exc:
                raise NotCachedError(
                    f"cannot reach the server ({exc}) and {path} is not cached"
                ) from None
            source, how = local, "download"
        schema = query.catalog_schema(meta)
        preds = query.predicates(schema, meta.get("time_column"), start, end, filters)
        try:
            table, file_meta = query.read(source, columns, preds, extra)
        except transport.Unreachable as exc:
            raise NotCachedError(
                f"cannot reach the server ({exc}) and {path} is not cached"
            ) from None
        self.last_read = {"dataset": name, "path": path, "how": how, "sha256": sha}
        if rf is not None:
            self.last_read.update(requests=rf.requests, bytes_fetched=rf.bytes_fetched, size=size)
        return table, file_meta

    def _warn_free_window(
        self, name: str, meta: dict[str, Any], tier: str, start: Any, file_meta: Any
    ) -> None:
        tcol = meta.get("time_column")
        if tier != "free" or start is None or not tcol:
            return
        files = meta.get("files") or {}
        pro_rows = ((files.get("pro") or {}).get("parquet") or {}).get("rows") or 0
        free_rows = ((files.get("free") or {}).get("parquet") or {}).get("rows") or 0
        first = query.column_min(file_meta, tcol)
        if first is None or pro_rows <= free_rows:
            return
        typ = query.catalog_schema(meta).field(tcol).type
        if query.bound(start, typ, False) < first:
            warnings.warn(
                f"beanflows: free {name} starts at {first}; earlier rows are on paid plans "
                "(set BEANFLOWS_TOKEN for the full history)",
                stacklevel=3,
            )

    def _get_as_of(
        self,
        name: str,
        columns: list[str] | None,
        start: Any,
        end: Any,
        as_of: str,
        tier: str,
        filters: dict[str, Any],
    ) -> pyarrow.Table:
        base = self._meta(name)
        vname = name if name.endswith("_vintages") else f"{name}_vintages"
        found = self.catalog().get("datasets", {})
        if vname not in found:
            have = sorted(n[: -len("_vintages")] for n in found if n.endswith("_vintages"))
            raise BeanflowsError(f"as_of needs published vintages: {', '.join(have)} have them")
        vmeta = found[vname]
        vcols = [c["name"] for c in vmeta.get("columns") or []]
        version = next((c for c in VERSION_COLUMNS if c in vcols), None)
        keys = [k for k in (base.get("grain") or []) if k in vcols and k != version]
        if version is None or not keys:
            raise BeanflowsError(f"{vname} has no release column to pick an as-of from")
        self._check_columns(vname, vmeta, [*(columns or []), *filters])
        extra = tuple(
            dict.fromkeys([version, *keys, *(["release_type"] if "release_type" in vcols else [])])
        )
        table, _ = self._read(vname, vmeta, tier, columns, start, end, filters, extra)
        if "release_type" in vcols:  # USDA: bulk releases are complete, report tables partial
            import pyarrow.compute as pc

            table = table.filter(pc.equal(table.column("release_type"), "bulk"))
        table = query.latest_versions(query.version_prefix_le(table, version, as_of), keys, version)
        return table.select(columns if columns is not None else vcols)
