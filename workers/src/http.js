// Conditional and partial responses: ETag / If-None-Match -> 304, Range -> 206 / 416.
// R2 silently ignores an unsatisfiable raw Range header, so ranges are parsed here and passed
// to R2 as {offset, length}.

/** Strong ETag of a content-addressed object: its sha256. */
export const etagOf = (entry) => `"${entry.sha256}"`;

/** If-None-Match uses the weak comparison (RFC 9110 13.1.2). */
export function noneMatch(request, etag) {
  const header = request.headers.get("If-None-Match");
  if (header === null) return false;
  if (header.trim() === "*") return true;
  return header.split(",").some((t) => t.trim().replace(/^W\//, "") === etag);
}

/**
 * Parse a Range header against an object of `size` bytes.
 * Returns null (serve the whole object), {unsatisfiable: true} or {offset, length}.
 * Only a single range is honoured; multi-range and malformed headers get the full body.
 */
export function parseRange(request, size, etag) {
  const header = request.headers.get("Range");
  if (header === null) return null;
  const ifRange = request.headers.get("If-Range");
  if (ifRange !== null && ifRange.trim() !== etag) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === "" && m[2] === "")) return null;
  if (m[1] === "") {
    const suffix = Number(m[2]);
    if (suffix === 0 || size === 0) return { unsatisfiable: true };
    const length = Math.min(suffix, size);
    return { offset: size - length, length };
  }
  const start = Number(m[1]);
  const end = m[2] === "" ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (m[2] !== "" && Number(m[2]) < start) return null;
  if (start >= size) return { unsatisfiable: true };
  return { offset: start, length: end - start + 1 };
}

/** A small plain-text response with fixed headers. */
export function textResponse(status, body, headers = {}) {
  return new Response(`${body}\n`, {
    status,
    headers: { "Content-Type": "text/plain; charset=utf-8", ...headers },
  });
}
