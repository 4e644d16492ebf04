// What a refused request for a gated file gets (401 without a credential, 403 when refused).
// A browser (Accept: text/html) gets the site's Pro page from the live release, which says what
// Pro holds and how to subscribe or sign in, with the file asked for filled in; a client asking
// for JSON gets the same in JSON; anything else the one-line `<status> <reason>` of
// docs/tokens.md, which scripts and the Python client parse. Every variant links the Pro page.
import { textResponse } from "./http.js";
import { bucketPrefix, liveManifest } from "./release.js";

export const PRO_PAGE = "pro/index.html";
export const GATED_VARY = "Authorization, Cookie";
const PRIVATE = "private, no-store";

/** The quality the Accept header gives `type` when it names it (a wildcard does not count). */
function named(accept, type) {
  let best = 0;
  for (const part of accept.split(",")) {
    const [media, ...params] = part.trim().toLowerCase().split(";");
    if (media.trim() !== type) continue;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith("q="));
    const value = q ? Number(q.slice(2)) : 1;
    if (Number.isFinite(value)) best = Math.max(best, value);
  }
  return best;
}

/** "html", "json" or "text": what the client asks for by name (curl, fetch, httpx: text). */
export function preferred(request) {
  const accept = request.headers.get("Accept") || "";
  const html = named(accept, "text/html");
  const json = named(accept, "application/json");
  if (html > 0 && html >= json) return "html";
  if (json > 0) return "json";
  return "text";
}

const FALLBACK_PAGE = `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>BeanFlows Pro</title></head><body><main><h1>BeanFlows Pro</h1>
<p>This file is part of BeanFlows Pro: the full history of every dataset as Parquet and CSV.
Subscribe or sign in on the <a href="/pro/">Pro page</a>; the free recent files are on the
<a href="/downloads/">Downloads</a> page.</p></main></body></html>
`;

async function proPage(env) {
  const manifest = await liveManifest(env);
  const entry = manifest?.files?.[PRO_PAGE];
  if (!entry) return FALLBACK_PAGE;
  const object = await env.SITE.get(`${bucketPrefix(env)}${entry.key}`);
  return object === null ? FALLBACK_PAGE : object.body;
}

/** The refusal for `decision` ({status, reason}) of a request for gated `path`. */
export async function refusal(request, env, decision, path) {
  const { status, reason } = decision;
  const error = status === 401 ? "" : ', error="invalid_token"';
  const headers = {
    "Cache-Control": PRIVATE,
    "WWW-Authenticate": `Bearer realm="beanflows"${error}`,
    // the body depends on the credential and on Accept: no shared cache may mix them
    Vary: `${GATED_VARY}, Accept`,
    Link: '</pro/>; rel="help"',
    "X-Content-Type-Options": "nosniff",
  };
  const kind = preferred(request);
  if (kind === "text") return textResponse(status, `${status} ${reason}`, headers);
  const file = `/${path}`;
  const origin = new URL(request.url).origin;
  if (kind === "json") {
    const body = {
      status,
      error: reason,
      file,
      message:
        "This file is part of BeanFlows Pro: the full history of every dataset as Parquet " +
        "and CSV. Subscribe or sign in on the Pro page; scripts send an API key as " +
        "'Authorization: Bearer bf_live_...'.",
      pro: `${origin}/pro/`,
    };
    return new Response(`${JSON.stringify(body)}\n`, {
      status,
      headers: { ...headers, "Content-Type": "application/json; charset=utf-8" },
    });
  }
  if (request.method === "HEAD") {
    return new Response(null, {
      status,
      headers: { ...headers, "Content-Type": "text/html; charset=utf-8" },
    });
  }
  const page = new Response(await proPage(env), {
    status,
    headers: { ...headers, "Content-Type": "text/html; charset=utf-8" },
  });
  // Fill in the file asked for: a direct link through the reader's account (signed for them).
  return new HTMLRewriter()
    .on("a[data-pro-file]", {
      element(el) {
        el.setAttribute("href", `${el.getAttribute("data-pro-file")}${encodeURI(path)}`);
      },
    })
    .on("a[data-pro-file] code", {
      element(el) {
        el.setInnerContent(file);
      },
    })
    .on("p.pro-file", {
      element(el) {
        el.removeAttribute("hidden");
      },
    })
    .transform(page);
}
