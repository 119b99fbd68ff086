/**
 * GitHub's two kinds of REST limits, on the emulator's injected clock.
 *
 * Primary: a budget of requests an hour per token (5,000 for a user token; 60 an
 * hour for unauthenticated callers), reported on every answer in the `x-ratelimit-*`
 * headers; the window opens with the first request and resets an hour later.
 *
 * Secondary: content-creating requests (every POST, PATCH, PUT and DELETE here), at
 * most 80 a minute and 500 an hour (docs.github.com, "Rate limits for the REST API");
 * over that GitHub answers 403 with `retry-after`.
 */

export interface RateLimitOptions {
  /** Requests an hour for the token (default 5,000). */
  readonly limit?: number;
  /** Content-creating requests a minute (default 80). */
  readonly writesPerMinute?: number;
  /** Content-creating requests an hour (default 500). */
  readonly writesPerHour?: number;
}

export interface PrimaryWindow {
  readonly limit: number;
  readonly used: number;
  readonly remaining: number;
  /** Epoch seconds when the window resets. */
  readonly reset: number;
}

const HOUR_MS = 3_600_000;
const MINUTE_MS = 60_000;

export class RateLimits {
  readonly #primary = new Map<string, { startMs: number; used: number }>();
  readonly #writes = new Map<string, number[]>();

  constructor(private readonly options: RateLimitOptions = {}) {}

  /** Counts one request for `key` and returns its window (remaining never below 0). */
  countRequest(key: string, limit: number, nowMs: number): PrimaryWindow & { readonly exceeded: boolean } {
    let window = this.#primary.get(key);
    if (window === undefined || nowMs >= window.startMs + HOUR_MS) {
      window = { startMs: nowMs, used: 0 };
      this.#primary.set(key, window);
    }
    const exceeded = window.used >= limit;
    if (!exceeded) window.used += 1;
    return {
      limit,
      used: window.used,
      remaining: Math.max(0, limit - window.used),
      reset: Math.ceil((window.startMs + HOUR_MS) / 1000),
      exceeded,
    };
  }

  get tokenLimit(): number {
    return this.options.limit ?? 5000;
  }

  /**
   * Takes one content-creating request for `key`, or says how many seconds until one
   * is allowed again. Refused requests are not counted.
   */
  takeWrite(key: string, nowMs: number): { readonly allowed: true } | { readonly allowed: false; retryAfter: number } {
    const perMinute = this.options.writesPerMinute ?? 80;
    const perHour = this.options.writesPerHour ?? 500;
    const times = (this.#writes.get(key) ?? []).filter((at) => at > nowMs - HOUR_MS);
    this.#writes.set(key, times);
    const lastMinute = times.filter((at) => at > nowMs - MINUTE_MS);
    let waitMs = 0;
    if (lastMinute.length >= perMinute)
      waitMs = (lastMinute[lastMinute.length - perMinute] ?? nowMs) + MINUTE_MS - nowMs;
    if (times.length >= perHour) waitMs = Math.max(waitMs, (times[times.length - perHour] ?? nowMs) + HOUR_MS - nowMs);
    if (waitMs > 0) return { allowed: false, retryAfter: Math.max(1, Math.ceil(waitMs / 1000)) };
    times.push(nowMs);
    return { allowed: true };
  }

  reset(): void {
    this.#primary.clear();
    this.#writes.clear();
  }
}
