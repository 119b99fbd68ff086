import type { Middleware, AnyMiddlewareArgs } from '@slack/bolt';
import { z } from 'zod';
import type { Clock, Store } from '../deploy/ports/index.js';

const IDEMPOTENCY_WINDOW_MS = 60 * 60 * 1000;
const withTrigger = z.object({ trigger_id: z.string().min(1) });

/**
 * Slack retries a request it believes failed, with the same trigger_id; Bolt does not de-duplicate. The first
 * delivery claims the trigger in the store (shared by replicas); a repeat is acknowledged and goes no further.
 */
export function retryGuard(store: Store, clock: Clock): Middleware<AnyMiddlewareArgs> {
  return async (args) => {
    const parsed = withTrigger.safeParse(args.body);
    if (parsed.success) {
      const now = clock.now();
      const first = await store.claimIdempotencyKey(
        `slack-trigger:${parsed.data.trigger_id}`,
        now,
        new Date(now.getTime() + IDEMPOTENCY_WINDOW_MS),
      );
      if (!first) {
        if ('ack' in args && typeof args.ack === 'function') await args.ack();
        return;
      }
    }
    await args.next();
  };
}
