// Start the Worker in workerd (Miniflare JS API) for the pytest suite and the benchmark.
//
//   node test/serve.mjs CONFIG.json
//
// CONFIG: {"preload": DIR|null, "vars": {...}, "secrets": {...}}. Every file under DIR is put
// into the R2 bucket under its relative path (DIR/releases/x.json -> key releases/x.json).
// The bindings, compatibility date and Durable Objects come from ../wrangler.toml (read here
// with a TOML parser: importing wrangler itself costs seconds of start-up).
// Prints one JSON line {"url", "control"} once ready; stops when stdin closes or on SIGTERM.
// The control server (test use only, 127.0.0.1) changes the bucket while running:
//   PUT /<key> (body, optional Content-Type), DELETE /<key> and GET /<key> (404 when absent).
import { readFile, readdir } from "node:fs/promises";
import http from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Miniflare } from "miniflare";
import { parse } from "smol-toml";

const here = path.dirname(fileURLToPath(import.meta.url));
const config = JSON.parse(await readFile(process.argv[2], "utf8"));
const toml = parse(await readFile(path.join(here, "..", "wrangler.toml"), "utf8"));

/** Miniflare options for the bindings wrangler.toml declares (the ones this Worker uses). */
function optionsFromToml(t) {
  const sqlite = new Set((t.migrations ?? []).flatMap((m) => m.new_sqlite_classes ?? []));
  return {
    compatibilityDate: t.compatibility_date,
    compatibilityFlags: t.compatibility_flags ?? [],
    bindings: t.vars ?? {},
    r2Buckets: Object.fromEntries((t.r2_buckets ?? []).map((b) => [b.binding, b.bucket_name])),
    durableObjects: Object.fromEntries(
      (t.durable_objects?.bindings ?? []).map((d) => [
        d.name,
        { className: d.class_name, useSQLite: sqlite.has(d.class_name) },
      ]),
    ),
  };
}
const options = optionsFromToml(toml);

const mf = new Miniflare({
  ...options,
  modules: true,
  modulesRules: [{ type: "ESModule", include: ["**/*.js"] }],
  scriptPath: path.join(here, "..", toml.main),
  bindings: { ...options.bindings, ...config.vars, ...config.secrets },
  host: "127.0.0.1",
  port: 0,
  r2Persist: false,
  durableObjectsPersist: false,
  cachePersist: false,
});
const url = await mf.ready;
const bucket = await mf.getR2Bucket(toml.r2_buckets[0].binding);

const arrayBuffer = (buf) => buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);

async function preload(dir, rel = "") {
  for (const entry of await readdir(path.join(dir, rel), { withFileTypes: true })) {
    const child = rel ? `${rel}/${entry.name}` : entry.name;
    if (entry.isDirectory()) await preload(dir, child);
    else await bucket.put(child, arrayBuffer(await readFile(path.join(dir, child))));
  }
}
if (config.preload) await preload(config.preload);

const control = http.createServer(async (req, res) => {
  const key = decodeURIComponent(new URL(req.url, "http://x").pathname.slice(1));
  try {
    if (req.method === "PUT") {
      const chunks = [];
      for await (const c of req) chunks.push(c);
      const type = req.headers["content-type"];
      const httpMetadata = type ? { contentType: type } : {};
      await bucket.put(key, arrayBuffer(Buffer.concat(chunks)), { httpMetadata });
    } else if (req.method === "DELETE") {
      await bucket.delete(key);
    } else if (req.method === "GET") {
      const object = await bucket.get(key);
      if (object === null) res.writeHead(404).end();
      else res.writeHead(200).end(Buffer.from(await object.arrayBuffer()));
      return;
    } else {
      res.writeHead(405).end();
      return;
    }
    res.writeHead(204).end();
  } catch (err) {
    res.writeHead(500).end(String(err));
  }
});
await new Promise((ok) => control.listen(0, "127.0.0.1", ok));

const controlUrl = `http://127.0.0.1:${control.address().port}/`;
process.stdout.write(`${JSON.stringify({ url: url.href, control: controlUrl })}\n`);

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  control.close();
  await mf.dispose();
  process.exit(0);
}
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
process.stdin.on("end", stop);
process.stdin.resume();
