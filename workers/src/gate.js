// Access policy for gated paths: find the credential, verify it, check plan and scope.
import { isApiKey, verifyApiKey } from "./apikeys.js";
import { verifySignedUrl, verifyToken } from "./token.js";

export const COOKIE_NAME = "bf_token";
export const REQUIRED_SCOPE = "data:read";
const PAID_PLANS = ["starter", "pro"];
const MAX_HEADER = 8192;

function secretsOf(env) {
  return [env.TOKEN_SECRET, env.TOKEN_SECRET_PREVIOUS].filter(
    (s) => typeof s === "string" && s.length > 0,
  );
}

/** The cookie's value, null when absent, undefined when ambiguous (sent twice). */
function cookieValue(header, name) {
  let found = null;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0 || part.slice(0, eq).trim() !== name) continue;
    if (found !== null) return undefined;
    found = part.slice(eq + 1).trim();
  }
  return found;
}

/**
 * Which credential the request carries, in order of precedence:
 * Authorization: Bearer (an API key `bf_live_...` or a token), then a signed URL (`sig`
 * query parameter), then the cookie.
 * Returns {kind, value} or null when there is none.
 */
function findCredential(request, url) {
  const auth = request.headers.get("Authorization");
  if (auth !== null) {
    const m = /^Bearer +(\S+)$/i.exec(auth);
    if (!m) return { kind: "invalid" };
    return { kind: isApiKey(m[1]) ? "apikey" : "token", value: m[1] };
  }
  if (url.searchParams.has("sig")) return { kind: "url" };
  const cookies = request.headers.get("Cookie");
  if (cookies !== null) {
    if (cookies.length > MAX_HEADER) return { kind: "invalid" };
    const value = cookieValue(cookies, COOKIE_NAME);
    if (value === undefined) return { kind: "invalid" };
    if (value !== null) return { kind: "token", value };
  }
  return null;
}

/**
 * Decide on a request for a gated path ("data/pro/..."): returns {claims} when allowed,
 * otherwise {status: 401|403, reason}. Fails closed when no secret is configured.
 */
export async function authorize(request, url, path, env, now) {
  const secrets = secretsOf(env);
  const cred = findCredential(request, url);
  if (cred === null) return { status: 401, reason: "missing" };
  if (cred.kind === "apikey") return policy(await verifyApiKey(cred.value, env, now));
  if (secrets.length === 0) return { status: 403, reason: "not_configured" };
  let result = { reason: "malformed" };
  if (cred.kind === "token") result = await verifyToken(cred.value, secrets, now);
  if (cred.kind === "url") {
    result = await verifySignedUrl(`/${path}`, url.searchParams, secrets, now);
  }
  return policy(result);
}

/** Plan and scope of a verified credential (API keys need no token secret: their list is
 * the service's, read from the bucket). */
function policy(result) {
  if (!result.claims) return { status: 403, reason: result.reason };
  if (!PAID_PLANS.includes(result.claims.plan)) return { status: 403, reason: "plan" };
  if (!result.claims.scopes.includes(REQUIRED_SCOPE)) return { status: 403, reason: "scope" };
  return { claims: result.claims };
}
