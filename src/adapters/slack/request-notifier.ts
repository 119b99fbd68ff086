import type { WebClient } from '@slack/web-api';
import { z } from 'zod';

import { decidedMessage, requestMessage } from '../../ui/plan-message.js';
import { honouringRateLimits } from './rate-limited.js';
import type { RequestNotifier } from '../../deploy/ports/index.js';

const postResponse = z.object({ ok: z.literal(true), ts: z.string() });

/** Posts the request message and edits it in place with its decision. */
export function slackRequestNotifier(
  client: Pick<WebClient, 'chat'>,
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
): RequestNotifier {
  return {
    async postRequest(run, plan) {
      const message = requestMessage(run, plan);
      const response = postResponse.parse(
        await honouringRateLimits(() => client.chat.postMessage({ channel: run.channelId, ...message }), sleep),
      );
      return response.ts;
    },
    async showDecision(run, plan) {
      if (run.messageTs === null) return;
      const ts = run.messageTs;
      await honouringRateLimits(
        () => client.chat.update({ channel: run.channelId, ts, ...decidedMessage(run, plan) }),
        sleep,
      );
    },
  };
}
