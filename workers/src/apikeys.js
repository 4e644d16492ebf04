// API keys at the edge (docs/auth.md): `Authorization: Bearer bf_live_...` is checked against
// the hashed key list the accounts service publishes to this bucket (auth/api-keys.json).
// The Worker never calls the service: it reads the list from R2, trusts it for
// KEYS_TTL_SECONDS (default 30), then revalidates it by etag. A revoked key, a downgrade or a
// cancellation therefore reaches the edge within the service's upload delay plus the TTL;
// while the service is down the last list stays in force, and each paid entry carries its
// own end (`until`: the end of the paid period plus a grace), so access ends on time anyway.

export const KEY_PREFIX = "bf_live_";
const KEY_SHAPE = /^bf_live_[A-Za-z0-9_-]{20,128}$/;
const LIST_OBJECT = "auth/api-keys.json";
const USAGE_PREFIX = "auth/usage/";
const MISS_SECONDS = 2;
const enc = new TextEncoder();

let cached = null; // {key, etag, keys, checkedAt}
const reported = new Map(); // subject -> ms of the last usage marker written by this isolate
const MAX_REPORTED = 10000;

const seconds = (value, fallback) => {
  const n = Number(value);
  return Number.isFinite(n) && n >= 0 ? n : fallback;
};

function prefixOf(env) {
  const p = env.R2_PREFIX || "";
  return p === "" || p.endsWith("/") ? p : `${p}/`;
}

/**
 * The key list {hash: {sub, plan, until}}, or null when none is published. `ttlSeconds`
 * overrides KEYS_TTL_SECONDS (a key not in the list looks again sooner: a new key works
 * within seconds, while a flood of wrong keys costs one conditional read per MISS_SECONDS).
 */
async function keyList(env, ttlSeconds) {
  const key = `${prefixOf(env)}${LIST_OBJECT}`;
  const ttl = (ttlSeconds ?? seconds(env.KEYS_TTL_SECONDS, 30)) * 1000;
  const now = Date.now();
  if (cached && cached.key === key && now - cached.checkedAt < ttl) return cached.keys;
  const previous = cached && cached.key === key ? cached : null;
  let object;
  try {
    const options = previous ? { onlyIf: { etagDoesNotMatch: previous.etag } } : {};
    object = await env.SITE.get(key, options);
  } catch {
    return previous ? previous.keys : null; // R2 hiccup: the last good list stays in force
  }
  if (object === null) {
    cached = null;
    return null;
  }
  if (!("body" in object) && previous) {
    previous.checkedAt = now;
    return previous.keys;
  }
  let doc;
  try {
    doc = JSON.parse(await object.text());
  } catch {
    return previous ? previous.keys : null;
  }
  if (!doc || doc.version !== 1 || typeof doc.keys !== "object" || doc.keys === null) {
    return previous ? previous.keys : null;
  }
  cached = { key, etag: object.etag, keys: doc.keys, checkedAt: now };
  return doc.keys;
}

async function sha256Hex(text) {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", enc.encode(text)));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

export const isApiKey = (value) => value.startsWith(KEY_PREFIX);

/**
 * Check an API key: {claims} like a token's (sub key_<id>, plan, scope data:read) or
 * {reason}: malformed | unknown_key | expired.
 */
export async function verifyApiKey(value, env, now) {
  if (!KEY_SHAPE.test(value)) return { reason: "malformed" };
  const hash = await sha256Hex(value);
  let keys = await keyList(env);
  if (!keys || !Object.hasOwn(keys, hash)) keys = await keyList(env, MISS_SECONDS);
  if (!keys || !Object.hasOwn(keys, hash)) return { reason: "unknown_key" };
  const entry = keys[hash];
  if (typeof entry?.sub !== "string" || typeof entry.plan !== "string") {
    return { reason: "unknown_key" };
  }
  if (entry.until !== null && entry.until !== undefined && !(now < entry.until)) {
    return { reason: "expired" };
  }
  return { claims: { sub: entry.sub, plan: entry.plan, scopes: ["data:read"], exp: entry.until } };
}

/**
 * Leave a last-use marker for the service (auth/usage/<sub>) at most once per
 * USAGE_REPORT_SECONDS (default 300) per key and isolate, after the response.
 */
export function reportUse(env, ctx, sub) {
  if (!sub.startsWith("key_") || !ctx?.waitUntil) return;
  const every = seconds(env.USAGE_REPORT_SECONDS, 300) * 1000;
  const now = Date.now();
  if (now - (reported.get(sub) ?? 0) < every) return;
  if (reported.size >= MAX_REPORTED) reported.clear();
  reported.set(sub, now);
  const key = `${prefixOf(env)}${USAGE_PREFIX}${sub}`;
  ctx.waitUntil(env.SITE.put(key, new Date(now).toISOString()).catch(() => {}));
}
