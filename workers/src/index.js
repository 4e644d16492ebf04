// BeanFlows Worker: serves the live release from R2 (CONTRACT.md) and gates data/pro/.
// Order matters: method -> normalise path -> gate (+ rate limit) -> resolve -> serve.
import { reportUse } from "./apikeys.js";
import { authorize } from "./gate.js";
import { etagOf, noneMatch, parseRange, textResponse } from "./http.js";
import { isGated, normalizePath } from "./path.js";
import { checkRate } from "./ratelimit.js";
import { GATED_VARY, refusal } from "./refusal.js";
import { bucketPrefix, liveManifest, resolve } from "./release.js";

export { RateLimiter } from "./ratelimit.js";

const PRIVATE = "private, no-store";
const DEFAULT_CACHE = "public, max-age=300";

function rateHeaders(headers, rate) {
  headers.set("RateLimit-Limit", String(rate.limit));
  headers.set("RateLimit-Remaining", String(rate.remaining));
  headers.set("RateLimit-Reset", String(rate.reset));
}

const publicCache = (entry, status) =>
  status === 200 ? entry.cache_control || DEFAULT_CACHE : "no-cache";

/** Stream one manifest entry from R2, honouring ETag and Range (only for status 200). */
async function serveEntry(request, env, entry, status, gated) {
  const etag = etagOf(entry);
  const headers = new Headers({
    "Content-Type": entry.content_type || "application/octet-stream",
    "Cache-Control": gated ? PRIVATE : publicCache(entry, status),
    ETag: etag,
    "Accept-Ranges": "bytes",
    "X-Content-Type-Options": "nosniff",
  });
  if (gated) headers.set("Vary", GATED_VARY);
  if (entry.content_encoding) headers.set("Content-Encoding", entry.content_encoding);
  if (status === 200 && noneMatch(request, etag)) {
    return new Response(null, { status: 304, headers });
  }

  const key = `${bucketPrefix(env)}${entry.key}`;
  const size = entry.size;
  const rangeable = status === 200 && Number.isSafeInteger(size);
  const range = rangeable ? parseRange(request, size, etag) : null;
  if (range?.unsatisfiable) {
    headers.set("Content-Range", `bytes */${size}`);
    headers.delete("Content-Encoding");
    headers.delete("Content-Type");
    return new Response(null, { status: 416, headers });
  }
  const head = request.method === "HEAD";
  const options = range ? { range: { offset: range.offset, length: range.length } } : {};
  const object = head ? await env.SITE.head(key) : await env.SITE.get(key, options);
  if (object === null) {
    return textResponse(503, "503 release object missing", { "Cache-Control": "no-store" });
  }
  let length = object.size;
  if (range) {
    status = 206;
    length = range.length;
    const last = range.offset + range.length - 1;
    headers.set("Content-Range", `bytes ${range.offset}-${last}/${size}`);
  }
  headers.set("Content-Length", String(length));
  const encodeBody = entry.content_encoding ? "manual" : "automatic";
  return new Response(head ? null : object.body, { status, headers, encodeBody });
}

async function notFound(request, env, manifest, gated) {
  const page = manifest.files["404.html"];
  if (!page) return textResponse(404, "404 not found", { "Cache-Control": "no-cache" });
  return serveEntry(request, env, page, 404, gated);
}

/** Everything after the gate: resolve the path in the live release and build the response. */
async function serve(request, env, url, path, gated) {
  const manifest = await liveManifest(env);
  if (!manifest) return textResponse(503, "503 no live release", { "Cache-Control": "no-store" });
  const found = resolve(manifest, path);
  if (found.redirect) {
    const location = `${url.pathname}/${url.search}`;
    const headers = { Location: location, "Cache-Control": gated ? PRIVATE : DEFAULT_CACHE };
    if (gated) headers.Vary = GATED_VARY;
    return textResponse(301, "301 moved", headers);
  }
  if (found.notFound) return notFound(request, env, manifest, gated);
  return serveEntry(request, env, found.entry, 200, gated);
}

export default {
  async fetch(request, env, ctx) {
    if (request.method !== "GET" && request.method !== "HEAD") {
      return textResponse(405, "405 method not allowed", { Allow: "GET, HEAD" });
    }
    const url = new URL(request.url);
    const norm = normalizePath(url.pathname);
    if (norm.status) {
      return textResponse(norm.status, `${norm.status} bad path`, { "Cache-Control": PRIVATE });
    }
    const path = norm.path;
    if (!isGated(path)) return serve(request, env, url, path, false);

    const decision = await authorize(request, url, path, env, Math.floor(Date.now() / 1000));
    if (!decision.claims) return refusal(request, env, decision, path);
    // Authorised: count the request and prepare the response concurrently (the Durable Object
    // round trip overlaps the R2 read); nothing is sent before the counter has answered.
    const [rate, response] = await Promise.all([
      checkRate(env, decision.claims.sub),
      serve(request, env, url, path, true),
    ]);
    if (!rate.ok) {
      await response.body?.cancel();
      const headers = {
        "Cache-Control": PRIVATE,
        "Retry-After": String(rate.reset),
        Vary: GATED_VARY,
      };
      const limited = textResponse(429, "429 rate limited", headers);
      rateHeaders(limited.headers, rate);
      return limited;
    }
    rateHeaders(response.headers, rate);
    reportUse(env, ctx, decision.claims.sub);
    return response;
  },
};
