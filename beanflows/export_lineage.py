"""A published dataset's lineage: the models it is made from and the raw files its rows hold.

Both go into its catalog entry (beanflows.export): the methodology shows the models, the
downloads page and the gate the raw files, each with the tiers holding rows from it.
"""

from __future__ import annotations

from typing import Any

import duckdb

from ingest import provenance


def models(model: str, models: dict[str, Any]) -> list[str]:
    """The model and every model it depends on, down to the raw layer (breadth first)."""
    seen, queue = [], [model]
    while queue:
        name = queue.pop(0)
        if name in seen or name not in models:
            continue
        seen.append(name)
        queue.extend(models[name]["depends_on"])
    return seen


def raw_files(
    con: duckdb.DuckDBPyConnection,
    relation: str,
    types: dict[str, str],
    free_where: str | None,
    sources: list[str],
    raw_files: dict[str, list[dict[str, Any]]],
) -> list[dict[str, Any]]:
    """Exactly the raw files whose rows the dataset holds: the distinct `raw_sha256` over its
    rows (a list column unnested), each with its manifest facts and the tiers holding rows
    from it (`free` holds fewer years than `pro`). Sorted by sha256.

    A hash the manifest does not know is a broken trail: the dataset is not published.
    """
    if "raw_sha256" not in types:
        raise duckdb.Error("no raw_sha256 column: every published row must name its raw files")
    col = "UNNEST(raw_sha256)" if types["raw_sha256"].endswith("[]") else "raw_sha256"
    free = f"BOOL_OR({free_where})" if free_where else "FALSE"
    query = (
        f"SELECT sha256, {free} FROM (SELECT *, {col} AS sha256 FROM {relation}) "
        "WHERE sha256 IS NOT NULL GROUP BY sha256 ORDER BY sha256"
    )
    facts: dict[str, dict[str, Any]] = {}
    for source in reversed(sources):  # the dataset's first source wins a shared file
        for row in provenance.fill_urls(raw_files.get(source, [])):
            facts[row["sha256"]] = row
    out = []
    for digest, in_free in con.execute(query).fetchall():
        row = facts.get(digest)
        if row is None:
            raise duckdb.Error(f"raw file {digest} of its rows is not in the raw manifest")
        entry = {k: row.get(k) for k in ("name", "sha256", "source", "release", "url")}
        entry["fetched_at"] = row.get("fetched_at")
        entry["tiers"] = ["free", "pro"] if in_free else ["pro"]
        out.append(entry)
    return out
