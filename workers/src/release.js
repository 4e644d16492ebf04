// The live release: live.json -> releases/<id>.json -> objects/<sha256> (CONTRACT.md).
// live.json is trusted for LIVE_TTL_SECONDS, then revalidated by etag; manifests are
// immutable per release id, so a few are kept in memory.

let live = null; // {etag, pointer, checkedAt}
const manifests = new Map();
const MAX_MANIFESTS = 4;

export function bucketPrefix(env) {
  const p = env.R2_PREFIX || "";
  return p === "" || p.endsWith("/") ? p : `${p}/`;
}

async function readJson(object) {
  try {
    return JSON.parse(await object.text());
  } catch {
    return null;
  }
}

async function livePointer(env, prefix) {
  const ttl = Number(env.LIVE_TTL_SECONDS ?? 15) * 1000;
  const now = Date.now();
  if (live && live.prefix === prefix && now - live.checkedAt < ttl) return live.pointer;
  const cached = live && live.prefix === prefix ? live : null;
  const options = cached ? { onlyIf: { etagDoesNotMatch: cached.etag } } : {};
  const object = await env.SITE.get(`${prefix}live.json`, options);
  if (object === null) {
    live = null;
    return null;
  }
  if (!("body" in object) && cached) {
    cached.checkedAt = now; // unchanged since last read
    return cached.pointer;
  }
  const pointer = await readJson(object);
  if (!pointer || typeof pointer.manifest !== "string") return null;
  live = { prefix, etag: object.etag, pointer, checkedAt: now };
  return pointer;
}

/** The live manifest ({release, files}) or null when nothing is published yet. */
export async function liveManifest(env) {
  const prefix = bucketPrefix(env);
  const pointer = await livePointer(env, prefix);
  if (!pointer) return null;
  const key = `${prefix}${pointer.manifest}`;
  let manifest = manifests.get(key);
  if (!manifest) {
    const object = await env.SITE.get(key);
    manifest = object && (await readJson(object));
    if (!manifest || typeof manifest.files !== "object" || manifest.files === null) return null;
    if (manifests.size >= MAX_MANIFESTS) manifests.delete(manifests.keys().next().value);
    manifests.set(key, manifest);
  }
  return manifest;
}

/**
 * Map a normalised site path to a manifest entry, pretty-URL style:
 * "" -> index.html, "a/" -> a/index.html, "a" -> 301 "a/" when only a/index.html exists.
 * Returns {file, entry} | {redirect} | {notFound}.
 */
export function resolve(manifest, path) {
  const files = manifest.files;
  const has = (p) => Object.hasOwn(files, p);
  let file = path;
  if (path === "" || path.endsWith("/")) file = `${path}index.html`;
  if (has(file)) return { file, entry: files[file] };
  if (!path.endsWith("/") && path !== "" && has(`${path}/index.html`)) return { redirect: true };
  return { notFound: true };
}
