/**
 * Token buckets for the Slack emulator's rate limits. A limit `{ limit, perSeconds }`
 * lets `limit` calls through at once, then refills at `limit / perSeconds` calls a
 * second. Time comes from the injected clock, so tests decide when tokens come back.
 */

export interface RateLimit {
  /** Calls allowed at once (the burst), and per `perSeconds` on average. */
  readonly limit: number;
  readonly perSeconds: number;
}

/** The outcome of asking for one call: allowed, or refused with the seconds to wait. */
export type RateDecision = { readonly allowed: true } | { readonly allowed: false; readonly retryAfterSeconds: number };

interface Bucket {
  tokens: number;
  updatedMs: number;
}

export class TokenBuckets {
  readonly #buckets = new Map<string, Bucket>();

  /** Takes one token from the bucket `key` under `limit`, or says how long until one is back. */
  take(key: string, limit: RateLimit, nowMs: number): RateDecision {
    const ratePerMs = limit.limit / (limit.perSeconds * 1000);
    const bucket = this.#buckets.get(key) ?? { tokens: limit.limit, updatedMs: nowMs };
    const elapsed = Math.max(0, nowMs - bucket.updatedMs);
    bucket.tokens = Math.min(limit.limit, bucket.tokens + elapsed * ratePerMs);
    bucket.updatedMs = nowMs;
    this.#buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { allowed: true };
    }
    const waitMs = (1 - bucket.tokens) / ratePerMs;
    // Slack's Retry-After is whole seconds, never 0.
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)) };
  }

  /** Forgets every bucket whose key starts with `prefix` (all of them without one). */
  clear(prefix?: string): void {
    if (prefix === undefined) {
      this.#buckets.clear();
      return;
    }
    for (const key of [...this.#buckets.keys()]) if (key.startsWith(prefix)) this.#buckets.delete(key);
  }
}
