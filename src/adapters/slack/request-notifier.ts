import type { WebClient } from '@slack/web-api';
import { z } from 'zod';
import type { RequestNotifier } from '../../deploy/deploy-desk.js';
import { decidedMessage, requestMessage } from '../../ui/plan-message.js';

const postResponse = z.object({ ok: z.literal(true), ts: z.string() });

/** Posts the request message and edits it in place with its decision. */
export function slackRequestNotifier(client: Pick<WebClient, 'chat'>): RequestNotifier {
  return {
    async postRequest(run, plan) {
      const message = requestMessage(run, plan);
      const response = postResponse.parse(await client.chat.postMessage({ channel: run.channelId, ...message }));
      return response.ts;
    },
    async showDecision(run, plan) {
      if (run.messageTs === null) return;
      await client.chat.update({ channel: run.channelId, ts: run.messageTs, ...decidedMessage(run, plan) });
    },
  };
}
