"""The /sql/ page: SQL over the free Parquet files in the reader's browser (DuckDB-WASM).

DuckDB-WASM 1.28.0 comes from npm (web/package.json, `npm ci` in web/ by ./dev.sh); it is the
last release with Parquet built in (later ones download an extension from the internet on
first use, which this page must never do). At render time esbuild bundles web/src/sql.js with
duckdb-browser and apache-arrow into one file; that bundle, the `eh` worker script and the
`.wasm` are copied into assets/ with content-hashed names, referenced by this page only.
Without web/node_modules (no npm on the machine) the page and its nav entry are left out and
the build goes on.
"""

from __future__ import annotations

import hashlib
import json
import logging
import subprocess
from pathlib import Path
from typing import Any

from beanflows.render import layout as L
from beanflows.render.assets import hashed_name

log = logging.getLogger(__name__)

WEB = Path(__file__).resolve().parents[2] / "web"
DUCKDB = WEB / "node_modules" / "@duckdb" / "duckdb-wasm" / "dist"
ESBUILD = WEB / "node_modules" / ".bin" / "esbuild"
NAV_ITEM = {"key": "sql", "label": "SQL", "href": "/sql/"}

EXAMPLES = [
    ("Coffee C managed money, last 52 weeks", "cot_positioning",
     "SELECT report_date, mm_net, mm_net_pct_oi, cot_index_mm_52w\nFROM cot_positioning\n"
     "WHERE market_code = '083731' AND report_type = 'futures_only'\n"
     "ORDER BY report_date DESC\nLIMIT 52"),
    ("World stock-to-use by market year", "coffee_balance",
     "SELECT marketing_year, production, domestic_consumption, ending_stocks, stock_to_use\n"
     "FROM coffee_balance\nWHERE country_code = 'WORLD'\nORDER BY market_year"),
    ("Certified stocks by port, latest day", "ice_certified_stocks_by_port",
     "SELECT date, port_name, bags\nFROM ice_certified_stocks_by_port\n"
     "WHERE date = (SELECT max(date) FROM ice_certified_stocks_by_port)\nORDER BY bags DESC"),
    ("Coffee C monthly average close", "prices_daily",
     "SELECT date_trunc('month', date) AS month, round(avg(close), 2) AS avg_close_cents_lb\n"
     "FROM prices_daily\nWHERE symbol = 'KC=F'\nGROUP BY 1\nORDER BY 1 DESC"),
]  # fmt: skip


def _copy(out_dir: Path, src: Path, stem: str, ext: str) -> str:
    data = src.read_bytes()
    name = hashed_name(stem, ext, data)
    target = out_dir / "assets" / name
    if not (target.is_file() and target.stat().st_size == len(data)):
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return f"/assets/{name}"


def _bundle() -> Path:
    """esbuild's bundle of web/src/sql.js, rebuilt only when the source or the lock changes."""
    stamp = hashlib.sha256(
        (WEB / "src" / "sql.js").read_bytes() + (WEB / "package-lock.json").read_bytes()
    ).hexdigest()[:16]
    out = WEB / ".build" / f"sql.{stamp}.js"
    if not out.is_file():
        subprocess.run(
            [str(ESBUILD), "src/sql.js", "--bundle", "--format=esm", "--minify",
             "--target=es2020", "--log-level=error", f"--outfile={out}"],
            cwd=WEB, check=True, capture_output=True, timeout=120,
        )  # fmt: skip
    return out


def prepare(out_dir: Path) -> dict[str, str] | None:
    """Write the page's assets; their URLs, or None (logged) when DuckDB-WASM is not installed."""
    needed = [DUCKDB / "duckdb-eh.wasm", DUCKDB / "duckdb-browser-eh.worker.js", ESBUILD]
    missing = [p for p in needed if not p.is_file()]
    if missing:
        log.warning(
            "SQL page left out: %s missing (npm ci in web/ installs DuckDB-WASM; ./dev.sh "
            "does it when npm is available)",
            missing[0],
        )
        return None
    try:
        script = _bundle()
    except (subprocess.SubprocessError, OSError) as exc:
        detail = getattr(exc, "stderr", b"") or b""
        log.warning("SQL page left out: esbuild failed: %s", detail.decode()[-300:] or exc)
        return None
    return {
        "script": _copy(out_dir, script, "sql", "js"),
        "worker": _copy(out_dir, DUCKDB / "duckdb-browser-eh.worker.js", "duckdb-eh-worker", "js"),
        "wasm": _copy(out_dir, DUCKDB / "duckdb-eh.wasm", "duckdb-eh", "wasm"),
    }


def _free(catalog: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for name, meta in sorted((catalog.get("datasets") or {}).items()):
        facts = ((meta.get("files") or {}).get("free") or {}).get("parquet")
        if not facts:
            continue
        out.append({
            "name": name,
            "path": "/" + facts["path"],
            "rows": facts.get("rows"),
            "description": meta.get("description") or "",
            "columns": [
                {"name": c["name"], "type": c.get("type"), "unit": c.get("unit") or ""}
                for c in meta.get("columns") or []
            ],
        })  # fmt: skip
    return out


def render(env: Any, catalog: dict[str, Any], urls: dict[str, str], ctx: dict[str, Any]) -> str:
    """The page's HTML (DuckDB starts when the page loads; the first query waits for it)."""
    datasets = _free(catalog)
    names = {d["name"] for d in datasets}
    examples = [{"label": lbl, "sql": sql} for lbl, ds, sql in EXAMPLES if ds in names]
    tables = [{"name": d["name"], "path": d["path"]} for d in datasets]
    config = {"worker": urls["worker"], "wasm": urls["wasm"], "datasets": tables,
              "examples": examples}  # fmt: skip
    pg = L.page(
        "sql", "sql", "SQL",
        "Query BeanFlows' free datasets with SQL in your browser (DuckDB), no install.",
        takeaway="Run SQL over the free Parquet files right here: DuckDB runs in your browser "
        "and reads only the parts of each file a query needs.",
    )  # fmt: skip
    pg["charts"] = False
    text = json.dumps(config, sort_keys=True).replace("</", "<\\/")
    return env.get_template("sql.html").render(
        page=pg, sql={**urls, "config": text, "datasets": datasets,
                      "examples": examples, "first": examples[0]["sql"] if examples else ""},
        **ctx,
    )  # fmt: skip
