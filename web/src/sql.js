// The /sql/ page: DuckDB-WASM 1.28.0 (Parquet built in: no extension is ever downloaded) runs
// the reader's SQL over the site's free Parquet files, read by HTTP Range requests.
// Bundled by esbuild at render time (beanflows/render/pages_sql.py) with apache-arrow into one
// file; the worker script and the .wasm are self-hosted assets named in #sql-config.
import * as duckdb from "@duckdb/duckdb-wasm/dist/duckdb-browser.mjs";
import { DataType } from "apache-arrow";

const cfg = JSON.parse(document.getElementById("sql-config").textContent);
const $ = (id) => document.getElementById(id);
const SHOWN_ROWS = 1000;
let state = null; // {conn, views} once DuckDB is open
let opening = null;
let last = null; // the last result: {columns, rows}

function status(text, kind) {
  const el = $("sql-status");
  el.textContent = text;
  el.dataset.state = kind;
  el.setAttribute("role", kind === "error" ? "alert" : "status");
}

async function open() {
  const worker = new Worker(cfg.worker);
  const db = new duckdb.AsyncDuckDB(new duckdb.VoidLogger(), worker);
  await db.instantiate(cfg.wasm);
  await db.open({});
  const conn = await db.connect();
  return { conn, views: new Set() };
}

function db() {
  opening = opening || open().then((s) => (state = s));
  return opening;
}

// A view per dataset the query names, on its free file by absolute URL (ranges read lazily).
async function ensureViews(sql) {
  for (const ds of cfg.datasets) {
    if (state.views.has(ds.name) || !new RegExp(`\\b${ds.name}\\b`, "i").test(sql)) continue;
    const url = new URL(ds.path, window.location.origin).href.replaceAll("'", "''");
    await state.conn.query(
      `CREATE OR REPLACE VIEW "${ds.name}" AS SELECT * FROM read_parquet('${url}')`,
    );
    state.views.add(ds.name);
  }
}

function formatter(type) {
  if (DataType.isDate(type) || DataType.isTimestamp(type)) {
    const dayOnly = DataType.isDate(type);
    return (v) => {
      if (v === null || v === undefined) return "";
      const iso = new Date(Number(v)).toISOString();
      return dayOnly ? iso.slice(0, 10) : iso.replace("T", " ").replace(".000Z", "");
    };
  }
  return (v) => (v === null || v === undefined ? "" : String(v));
}

function render(table, ms) {
  const fields = table.schema.fields;
  const fmt = fields.map((f) => formatter(f.type));
  const columns = fields.map((f) => f.name);
  const rows = [];
  for (const row of table) {
    const values = row.toArray ? row.toArray() : columns.map((c) => row[c]);
    rows.push(values.map((v, i) => fmt[i](v)));
  }
  last = { columns, rows };
  const numeric = fields.map((f) => DataType.isInt(f.type) || DataType.isFloat(f.type)
    || DataType.isDecimal(f.type));
  const out = $("sql-result");
  out.replaceChildren();
  const t = document.createElement("table");
  const cap = document.createElement("caption");
  const more = rows.length > SHOWN_ROWS ? ` (first ${SHOWN_ROWS} shown; the CSV has all)` : "";
  cap.textContent = `${rows.length.toLocaleString("en")} rows${more}`;
  t.append(cap);
  const head = t.createTHead().insertRow();
  columns.forEach((c, i) => {
    const th = document.createElement("th");
    th.scope = "col";
    th.textContent = c;
    if (numeric[i]) th.className = "num";
    head.append(th);
  });
  const body = t.createTBody();
  for (const r of rows.slice(0, SHOWN_ROWS)) {
    const tr = body.insertRow();
    r.forEach((v, i) => {
      const td = tr.insertCell();
      td.textContent = v;
      if (numeric[i]) td.className = "num";
    });
  }
  const wrap = document.createElement("div");
  wrap.className = "table-wrap";
  wrap.tabIndex = 0;
  wrap.setAttribute("role", "region");
  wrap.setAttribute("aria-label", "Query result");
  wrap.append(t);
  out.append(wrap);
  $("sql-csv").disabled = false;
  status(`${rows.length.toLocaleString("en")} rows in ${(ms / 1000).toFixed(2)} s`, "done");
}

function csv() {
  const q = (v) => (/[",\n\r]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v);
  const lines = [last.columns.map(q).join(",")];
  for (const r of last.rows) lines.push(r.map(q).join(","));
  const blob = new Blob([lines.join("\n") + "\n"], { type: "text/csv" });
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = "beanflows-query.csv";
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10000);
}

async function run(event) {
  if (event) event.preventDefault();
  const sql = $("sql-input").value.trim();
  if (!sql) return;
  const t0 = performance.now();
  $("sql-run").disabled = true;
  status(state ? "Running…" : "Loading DuckDB (first query only)…", "busy");
  try {
    await db();
    await ensureViews(sql);
    const table = await state.conn.query(sql);
    render(table, performance.now() - t0);
  } catch (err) {
    status(String(err && err.message ? err.message : err).split("\n")[0], "error");
  } finally {
    $("sql-run").disabled = false;
  }
}

$("sql-form").addEventListener("submit", run);
$("sql-csv").addEventListener("click", csv);
$("sql-examples").addEventListener("change", (e) => {
  const ex = cfg.examples[Number(e.target.value)];
  if (ex) $("sql-input").value = ex.sql;
});
document.querySelectorAll("[data-sql]").forEach((btn) =>
  btn.addEventListener("click", () => {
    $("sql-input").value = btn.dataset.sql;
    $("sql-input").focus();
  }),
);
$("sql-input").addEventListener("keydown", (e) => {
  if ((e.ctrlKey || e.metaKey) && e.key === "Enter") run(e);
});
db().catch((err) => status(`DuckDB could not start: ${err.message || err}`, "error"));
