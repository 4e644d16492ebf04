// Per-subject rate limit on gated paths: one Durable Object per subject keeps a fixed-window
// counter. A Durable Object is single-threaded and strongly consistent, so the count is exact
// across every Cloudflare location (the Rate Limiting binding only offers 10 s / 60 s periods).
import { DurableObject } from "cloudflare:workers";

export class RateLimiter extends DurableObject {
  /** Count one request; returns {ok, limit, remaining, reset} (reset: seconds to window end). */
  async hit(limit, windowSeconds) {
    const now = Date.now() / 1000;
    const window = Math.floor(now / windowSeconds);
    const reset = Math.max(1, Math.ceil((window + 1) * windowSeconds - now));
    if (!this.state) this.state = (await this.ctx.storage.get("w")) ?? { window, count: 0 };
    if (this.state.window !== window) this.state = { window, count: 0 };
    if (this.state.count >= limit) return { ok: false, limit, remaining: 0, reset };
    this.state = { window, count: this.state.count + 1 };
    // The count lives in memory while the object is active; a storage write costs a commit,
    // so it is persisted every `step` hits (1% of the limit) and whenever the limit is reached.
    // An eviction therefore forgets fewer than `step` requests, never an exhausted quota.
    const step = Math.max(1, Math.floor(limit / 100));
    if (this.state.count % step === 0 || this.state.count >= limit) {
      this.ctx.storage.put("w", this.state);
    }
    return { ok: true, limit, remaining: limit - this.state.count, reset };
  }
}

function positiveInt(value, fallback) {
  const n = Number(value);
  return Number.isSafeInteger(n) && n > 0 ? n : fallback;
}

/** Count a gated request for `subject` against the configured limit (vars RATE_LIMIT*). */
export async function checkRate(env, subject) {
  const limit = positiveInt(env.RATE_LIMIT, 1000);
  const windowSeconds = positiveInt(env.RATE_LIMIT_WINDOW_SECONDS, 3600);
  const stub = env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(subject));
  return stub.hit(limit, windowSeconds);
}
