// Request-path normalisation. Runs BEFORE the gate so that no spelling of a path can
// reach a gated object without passing the gate: decode exactly once, refuse anything
// that could decode differently somewhere else.

export const GATED_PREFIX = "data/pro/";
const MAX_PATH = 1024;
// Encoded separators, NUL and an encoded "%" (double encoding) are refused outright.
const BAD_ENCODED = /%(2f|5c|00|25)/i;
// After one decode: control characters, backslash and a leftover "%" are refused.
const BAD_DECODED = /[\u0000-\u001f\u007f\\%]/;

/**
 * Turn a URL pathname (as parsed by the runtime) into a bucket-relative site path.
 * Returns {path} ("" for the root, may end with "/") or {status} (400/414) for a refusal.
 */
export function normalizePath(pathname) {
  if (pathname.length > MAX_PATH) return { status: 414 };
  if (!pathname.startsWith("/") || pathname.includes("\\") || BAD_ENCODED.test(pathname)) {
    return { status: 400 };
  }
  let decoded;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return { status: 400 };
  }
  if (BAD_DECODED.test(decoded)) return { status: 400 };
  const rel = decoded.slice(1);
  if (rel === "") return { path: "" };
  const segments = rel.split("/");
  for (let i = 0; i < segments.length; i++) {
    const s = segments[i];
    const last = i === segments.length - 1;
    if ((s === "" && !last) || s === "." || s === "..") return { status: 400 };
  }
  return { path: rel };
}

/** Exact, case-sensitive prefix test on a normalised path ("data/pro" itself is gated too). */
export function isGated(path) {
  return path === GATED_PREFIX.slice(0, -1) || path.startsWith(GATED_PREFIX);
}
