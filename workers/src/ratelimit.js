// Per-subject rate limit on gated paths. One Durable Object per subject owns the count of the
// current fixed window: single-threaded and strongly consistent, so the limit holds across
// every Cloudflare location (the Rate Limiting binding only offers 10 s / 60 s periods).
//
// To keep the Durable Object off the hot path, an isolate takes a small lease of requests
// (RATE_LIMIT_LEASE, default 1% of the limit) and spends it locally. The object counts leased
// requests as used, so the limit is never exceeded; a lease left unspent (an isolate evicted,
// a subject moving between locations) only makes the 429 come slightly early.
import { DurableObject } from "cloudflare:workers";

export class RateLimiter extends DurableObject {
  /** Grant up to `want` requests of window number `window`: {granted, remaining}. */
  async lease(limit, window, want) {
    if (!this.state) this.state = (await this.ctx.storage.get("w")) ?? { window, count: 0 };
    if (this.state.window < window) this.state = { window, count: 0 };
    const granted = Math.max(0, Math.min(want, limit - this.state.count));
    if (granted > 0) {
      this.state = { window: this.state.window, count: this.state.count + granted };
      this.ctx.storage.put("w", this.state); // the output gate holds the reply until durable
    }
    return { granted, remaining: limit - this.state.count };
  }
}

const leases = new Map(); // subject -> {window, left, remaining} or {window, denied}
const MAX_LEASES = 10000;

function positiveInt(value, fallback) {
  const n = Number(value);
  return Number.isSafeInteger(n) && n > 0 ? n : fallback;
}

/**
 * Count one gated request for `subject` (vars RATE_LIMIT, RATE_LIMIT_WINDOW_SECONDS,
 * RATE_LIMIT_LEASE). Returns {ok, limit, remaining, reset}; reset is seconds to the window end.
 */
export async function checkRate(env, subject) {
  const limit = positiveInt(env.RATE_LIMIT, 1000);
  const windowSeconds = positiveInt(env.RATE_LIMIT_WINDOW_SECONDS, 3600);
  const step = Math.min(limit, positiveInt(env.RATE_LIMIT_LEASE, Math.ceil(limit / 100)));
  const now = Date.now() / 1000;
  const window = Math.floor(now / windowSeconds);
  const reset = Math.max(1, Math.ceil((window + 1) * windowSeconds - now));
  let held = leases.get(subject);
  if (held && held.window !== window) held = undefined;
  if (held?.denied) return { ok: false, limit, remaining: 0, reset }; // until the window ends
  if (held && held.left > 0) {
    held.left -= 1;
    return { ok: true, limit, remaining: held.remaining + held.left, reset };
  }
  const stub = env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(subject));
  const got = await stub.lease(limit, window, step);
  if (got.granted === 0) {
    leases.set(subject, { window, denied: true });
    return { ok: false, limit, remaining: 0, reset };
  }
  const other = leases.get(subject); // a concurrent request may have taken a lease meanwhile
  const left = got.granted - 1 + (other?.window === window ? other.left || 0 : 0);
  if (leases.size >= MAX_LEASES) leases.clear();
  leases.set(subject, { window, left, remaining: got.remaining });
  return { ok: true, limit, remaining: got.remaining + left, reset };
}
