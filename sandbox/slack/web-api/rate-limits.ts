/** Rate limits by Slack's tiers: the defaults, the test-facing override, and the check before each call. */
import type { RateLimit } from '../rate-limiter.js';
import type { ApiAnswer, MethodSpec } from './method.js';
import type { Params } from './params.js';
import type { EmulatorState } from './state.js';

/**
 * Rate limits applied unless `setRateLimit` changes them. Slack lets chat.postMessage
 * post about one message a second a channel "with short bursts allowed" and publishes
 * no burst size: the emulator allows a burst of 10 per channel, then 1 a second, so a
 * test of the bot can post a few messages at once. The other methods get their tier's
 * documented minimum as a hard cap (Tier 2: 20, Tier 3: 50, Tier 4: 100 a minute),
 * with the whole minute's worth available as a burst.
 */
export const DEFAULT_RATE_LIMITS: Readonly<Record<string, RateLimit>> = Object.freeze({
  'chat.postMessage': { limit: 10, perSeconds: 10 },
  'chat.update': { limit: 50, perSeconds: 60 },
  'chat.postEphemeral': { limit: 100, perSeconds: 60 },
  'chat.getPermalink': { limit: 100, perSeconds: 60 },
  'views.publish': { limit: 100, perSeconds: 60 },
  'users.info': { limit: 100, perSeconds: 60 },
  'usergroups.users.list': { limit: 20, perSeconds: 60 },
  'conversations.info': { limit: 50, perSeconds: 60 },
  'auth.test': { limit: 100, perSeconds: 60 },
  'files.getUploadURLExternal': { limit: 100, perSeconds: 60 },
  'files.completeUploadExternal': { limit: 100, perSeconds: 60 },
});

/** Replaces the rate limit of `method` (`null` removes it) and forgets its buckets. */
export function setRateLimit(state: EmulatorState, method: string, limit: RateLimit | null): void {
  if (limit !== null && (!(limit.limit >= 1) || !(limit.perSeconds > 0)))
    throw new Error('a rate limit needs limit >= 1 and perSeconds > 0');
  state.rateLimits.set(method, limit);
  state.buckets.clear(`${method}|`);
}

/** Takes a token for this call of `method`: `undefined` when it may go on, Slack's 429 with Retry-After when not. */
export function takeRateLimit(
  state: EmulatorState,
  method: string,
  spec: MethodSpec,
  params: Params,
  now: Date,
): ApiAnswer | undefined {
  const limit = state.rateLimits.has(method) ? state.rateLimits.get(method) : DEFAULT_RATE_LIMITS[method];
  if (limit !== undefined && limit !== null) {
    const key = `${method}|${spec.rateKey?.(params) ?? 'workspace'}`;
    const decision = state.buckets.take(key, limit, now.getTime());
    if (!decision.allowed)
      return { status: 429, body: { ok: false, error: 'ratelimited' }, retryAfter: decision.retryAfterSeconds };
  }
  return undefined;
}
