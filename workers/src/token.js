// The BeanFlows access-token format (docs/tokens.md): verification with Web Crypto.
// Python (beanflows/tokens.py) mints the same format; tests/vectors/tokens.json proves it.

const enc = new TextEncoder();
const dec = new TextDecoder("utf-8", { fatal: true });

export const PLANS = ["free", "starter", "pro"];
export const MAX_TOKEN_LENGTH = 4096;
const SUBJECT = /^[A-Za-z0-9._:@+-]{1,128}$/;
const B64URL = /^[A-Za-z0-9_-]*$/;
const URL_DOMAIN = "BF-URL-1";

/** Strict base64url (no padding, canonical trailing bits): one token has one spelling. */
export function b64urlDecode(s) {
  if (!B64URL.test(s) || s.length % 4 === 1) return null;
  const bin = atob(s.replace(/-/g, "+").replace(/_/g, "/"));
  const bytes = Uint8Array.from(bin, (c) => c.charCodeAt(0));
  return b64urlEncode(bytes) === s ? bytes : null;
}

export function b64urlEncode(bytes) {
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

const keyCache = new Map();

function hmacKey(secret) {
  let key = keyCache.get(secret);
  if (!key) {
    key = crypto.subtle.importKey(
      "raw",
      enc.encode(secret),
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["sign"],
    );
    keyCache.set(secret, key);
  }
  return key;
}

/** Constant-time equality of two byte arrays (length is public: always 32 here). */
export function timingSafeEqual(a, b) {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

/** True when `sig` is the HMAC-SHA256 of `message` under any of `secrets` (all are tried). */
async function signedByAny(secrets, message, sig) {
  const data = enc.encode(message);
  let ok = false;
  for (const secret of secrets) {
    const mac = new Uint8Array(await crypto.subtle.sign("HMAC", await hmacKey(secret), data));
    ok = timingSafeEqual(mac, sig) || ok;
  }
  return ok;
}

function parseJson(bytes) {
  try {
    const value = JSON.parse(dec.decode(bytes));
    return value !== null && typeof value === "object" && !Array.isArray(value) ? value : null;
  } catch {
    return null;
  }
}

const isInt = (v) => Number.isSafeInteger(v) && v >= 0;

function checkClaims(c, now) {
  if (typeof c.sub !== "string" || !SUBJECT.test(c.sub)) return "bad_claims";
  if (!PLANS.includes(c.plan)) return "bad_claims";
  if (!Array.isArray(c.scopes) || !c.scopes.every((s) => typeof s === "string")) {
    return "bad_claims";
  }
  if (!isInt(c.exp)) return "bad_claims";
  if (c.nbf !== undefined && !isInt(c.nbf)) return "bad_claims";
  if (c.iat !== undefined && !isInt(c.iat)) return "bad_claims";
  if (now >= c.exp) return "expired";
  if (c.nbf !== undefined && now < c.nbf) return "not_yet_valid";
  return null;
}

// Tokens whose signature this isolate has already verified (under the same secrets): a repeat
// request skips the HMAC but not the claim and time checks. Only valid tokens enter.
const verified = new Map();
const MAX_VERIFIED = 10000;

/**
 * Verify a compact token `header.payload.signature` (JWS HS256).
 * Returns {claims} or {reason}; the reason names the first failed check.
 */
export async function verifyToken(token, secrets, now) {
  const keyring = secrets.join("\n");
  const seen = verified.get(token);
  if (seen && seen.keyring === keyring) {
    const reason = checkClaims(seen.claims, now);
    return reason ? { reason } : { claims: seen.claims };
  }
  const result = await verifyUncached(token, secrets, now);
  if (result.claims) {
    if (verified.size >= MAX_VERIFIED) verified.clear();
    verified.set(token, { keyring, claims: result.claims });
  }
  return result;
}

async function verifyUncached(token, secrets, now) {
  if (typeof token !== "string" || token.length > MAX_TOKEN_LENGTH) return { reason: "malformed" };
  const parts = token.split(".");
  if (parts.length !== 3) return { reason: "malformed" };
  const [h, p, s] = parts.map(b64urlDecode);
  if (!h || !p || !s) return { reason: "malformed" };
  const header = parseJson(h);
  if (!header) return { reason: "malformed" };
  const keys = Object.keys(header);
  const typOk = header.typ === undefined || header.typ === "JWT";
  if (header.alg !== "HS256" || !typOk || keys.some((k) => k !== "alg" && k !== "typ")) {
    return { reason: "bad_header" };
  }
  if (s.length !== 32 || !(await signedByAny(secrets, `${parts[0]}.${parts[1]}`, s))) {
    return { reason: "bad_signature" };
  }
  const claims = parseJson(p);
  if (!claims) return { reason: "bad_claims" };
  const reason = checkClaims(claims, now);
  return reason ? { reason } : { claims };
}

/** The exact bytes a signed URL's signature covers (see docs/tokens.md). */
export function urlMessage(path, sub, plan, exp) {
  return `${URL_DOMAIN}\n${path}\n${sub}\n${plan}\n${exp}`;
}

/**
 * Verify a per-file signed URL. `path` is the normalised site path with a leading "/";
 * `params` the URLSearchParams. Returns {claims} or {reason} like verifyToken.
 */
export async function verifySignedUrl(path, params, secrets, now) {
  const one = (name) => {
    const all = params.getAll(name);
    return all.length === 1 ? all[0] : null;
  };
  const sub = one("sub");
  const plan = one("plan");
  const exp = one("exp");
  const sigText = one("sig");
  if (sub === null || plan === null || exp === null || sigText === null) {
    return { reason: "malformed" };
  }
  if (!SUBJECT.test(sub) || !PLANS.includes(plan) || !/^[0-9]{1,12}$/.test(exp)) {
    return { reason: "malformed" };
  }
  const sig = b64urlDecode(sigText);
  if (!sig || sig.length !== 32) return { reason: "malformed" };
  if (!(await signedByAny(secrets, urlMessage(path, sub, plan, exp), sig))) {
    return { reason: "bad_signature" };
  }
  if (now >= Number(exp)) return { reason: "expired" };
  return { claims: { sub, plan, scopes: ["data:read"], exp: Number(exp) } };
}
