import type { WebClient } from '@slack/web-api';
import { z } from 'zod';
import type { Plan } from '../../deploy/plan.js';
import type { RequestNotifier } from '../../deploy/ports/index.js';
import type { Run } from '../../deploy/run.js';
import type { ChatMessage } from './chat-message.js';
import { honouringRateLimits } from './rate-limited.js';

const postResponse = z.object({ ok: z.literal(true), ts: z.string() });

/** How the request message looks, waiting and decided: the src/ui builders, handed in by the bot. */
export interface RequestRendering {
  request(run: Run, plan: Plan): ChatMessage;
  decided(run: Run, plan: Plan): ChatMessage;
}

/** Posts the request message and edits it in place with its decision. */
export function slackRequestNotifier(
  client: Pick<WebClient, 'chat'>,
  render: RequestRendering,
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
): RequestNotifier {
  return {
    async postRequest(run, plan) {
      const message = render.request(run, plan);
      const response = postResponse.parse(
        await honouringRateLimits(() => client.chat.postMessage({ channel: run.channelId, ...message }), sleep),
      );
      return response.ts;
    },
    async showDecision(run, plan) {
      if (run.messageTs === null) return;
      const ts = run.messageTs;
      const message = render.decided(run, plan);
      await honouringRateLimits(() => client.chat.update({ channel: run.channelId, ts, ...message }), sleep);
    },
  };
}
