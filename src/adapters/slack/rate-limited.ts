import { ErrorCode } from '@slack/web-api';
import { z } from 'zod';

const rateLimitedError = z.object({ code: z.literal(ErrorCode.RateLimitedError), retryAfter: z.number() });
const MAX_WAITS = 5;

/**
 * Calls Slack, waiting out a 429's Retry-After and trying again: a rate-limited call was not carried out, so
 * repeating it cannot post twice. (The WebClient's own retries are off: they would also repeat calls whose
 * answer was merely lost.) The client must be built with `rejectRateLimitedCalls: true`.
 */
export async function honouringRateLimits<T>(call: () => Promise<T>, sleep: (ms: number) => Promise<void>): Promise<T> {
  for (let waits = 0; ; waits++) {
    try {
      return await call();
    } catch (error) {
      const limited = rateLimitedError.safeParse(error);
      if (!limited.success || waits >= MAX_WAITS) throw error;
      await sleep(limited.data.retryAfter * 1000);
    }
  }
}
