"""Read the published datasets (dist/data/...) for the site, never the warehouse.

Public pages may only see what a free reader could download, so `Data` opens the `free` files
of each dataset and nothing else: a dataset without free files (pro only) is simply absent for
the site. Sources arrive over time and are renamed rarely but not never, so every accessor
degrades to "not available" instead of raising: one missing dataset or column blanks one
section, never a page or the site.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb

NUMERIC = ("DOUBLE", "FLOAT", "REAL", "DECIMAL", "INT", "BIGINT", "SMALLINT", "HUGEINT", "INTEGER")


@dataclass(frozen=True)
class Dataset:
    """One catalog dataset as the site sees it (free tier only)."""

    name: str
    meta: dict[str, Any]
    view: str | None  # duckdb view over the free Parquet file, None when not readable

    @property
    def ok(self) -> bool:
        return self.view is not None

    @property
    def columns(self) -> list[str]:
        return [c["name"] for c in self.meta.get("columns", [])]

    def column(self, *candidates: str) -> str | None:
        """The first column named like one of `candidates` (exact, then prefix match)."""
        cols = {c.lower(): c for c in self.columns}
        for cand in candidates:
            if cand.lower() in cols:
                return cols[cand.lower()]
        for cand in candidates:
            for low, col in cols.items():
                if low.startswith(cand.lower()):
                    return col
        return None

    def unit(self, column: str) -> str:
        for c in self.meta.get("columns", []):
            if c["name"] == column:
                return c.get("unit") or ""
        return ""

    def numeric(self, column: str) -> bool:
        for c in self.meta.get("columns", []):
            if c["name"] == column:
                return str(c.get("type", "")).upper().startswith(NUMERIC)
        return False

    @property
    def stale(self) -> bool:
        return self.meta.get("status") == "stale"


class Data:
    """All datasets of one catalog, with a duckdb connection holding a table per free file.

    A dataset's file is loaded on first use (`get`): a render of a few pages (the brief's
    refresh of the home page) reads only what they show."""

    def __init__(self, out_dir: Path, catalog: dict[str, Any]) -> None:
        self.out_dir = out_dir
        self.catalog = catalog
        self.con = duckdb.connect(":memory:", config={"autoinstall_known_extensions": False})
        self.con.execute("SET threads = 1")
        self.datasets: dict[str, Dataset] = {}  # those opened so far
        self._cache: dict[str, list[dict[str, Any]]] = {}
        self._groups: dict[tuple[str, str], dict[Any, list[dict[str, Any]]]] = {}

    def _open(self, name: str, meta: dict[str, Any]) -> str | None:
        free = (meta.get("files") or {}).get("free") or {}
        rel = (free.get("parquet") or {}).get("path")
        if not rel or not rel.startswith("data/free/"):
            return None
        path = self.out_dir / rel
        if not path.is_file():
            return None
        view = f"ds_{name}"
        try:
            lit = str(path).replace("'", "''")
            self.con.execute(f"CREATE TABLE \"{view}\" AS SELECT * FROM read_parquet('{lit}')")
        except duckdb.Error:
            return None
        return view

    def get(self, name: str) -> Dataset:
        """The dataset, or an unreadable placeholder (so callers test `.ok` only)."""
        if name not in self.datasets:
            meta = (self.catalog.get("datasets") or {}).get(name)
            if meta is None:
                return Dataset(name, {}, None)
            self.datasets[name] = Dataset(name, meta, self._open(name, meta))
        return self.datasets[name]

    def rows(self, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
        """Run a query; `?` placeholders are filled with SQL literals (see `literal`)."""
        sql = _bind(sql, params)
        if sql not in self._cache:  # pages share series (home, positioning, prices)
            self._cache[sql] = self._fetch(sql)
        return [dict(r) for r in self._cache[sql]]

    def _fetch(self, sql: str) -> list[dict[str, Any]]:
        rel = self.con.execute(sql)
        names = [d[0] for d in rel.description]
        return [dict(zip(names, r, strict=True)) for r in rel.fetchall()]

    def group(
        self, sql: str, column: str, value: Any, params: list[Any] | None = None
    ) -> list[dict[str, Any]]:
        """The rows of `sql` whose `column` is `value`, without that column, in query order
        (`params` as in `rows`).

        The query runs once a render and is split by the column: forty commodity pages read
        three queries, not one hundred and twenty scans of the same tables (forty origins:
        three, not one hundred and twenty)."""
        sql = _bind(sql, params)
        if (sql, column) not in self._groups:
            split: dict[Any, list[dict[str, Any]]] = {}
            for row in self._fetch(sql):
                split.setdefault(row.pop(column), []).append(row)
            self._groups[(sql, column)] = split
        return [dict(r) for r in self._groups[(sql, column)].get(value, [])]

    def source(self, name: str) -> dict[str, Any]:
        return self.catalog.get("sources", {}).get(name, {})

    def close(self) -> None:
        self.con.close()


def _bind(sql: str, params: list[Any] | None) -> str:
    """`sql` with its `?` placeholders filled with SQL literals (see `literal`)."""
    if not params:
        return sql
    parts = sql.split("?")
    if len(parts) != len(params) + 1:
        raise ValueError("placeholder count does not match params")
    return "".join(p + literal(v) for p, v in zip(parts, params, strict=False)) + parts[-1]


def literal(value: Any) -> str:
    """A SQL literal for a str/int/float/None or a list of them.

    duckdb's Python parameter binding imports pandas on first use (about 2 s); the site's
    parameters are plain values, so quoting them here keeps the render fast.
    """
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(literal(v) for v in value) + "]"
    return "'" + str(value).replace("'", "''") + "'"


def iso(value: Any) -> str:
    """Dates and timestamps as ISO text (a `date` or `datetime` from duckdb, or text)."""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return "" if value is None else str(value)


def fmt(value: Any, digits: int = 0, unit: str = "") -> str:
    """Numbers with thin grouping for tables and KPIs; '–' for missing."""
    if value is None:
        return "–"
    if isinstance(value, int | float):
        text = f"{value:,.{digits}f}"
        return f"{text}{unit}"
    return str(value)


def signed(value: Any, digits: int = 0, unit: str = "") -> str:
    """A change with its sign; a change that rounds to zero has none ("0.0%", not "+0.0%")."""
    if value is None:
        return "–"
    if round(value, digits) == 0:
        return f"{0:,.{digits}f}{unit}"
    return f"{value:+,.{digits}f}{unit}"


def direction(change: Any, digits: int = 1) -> str:
    """CSS class of a change as shown: up, down, or flat when it rounds to zero (or is unknown)."""
    if change is None or round(change, digits) == 0:
        return "flat"
    return "up" if change > 0 else "down"
