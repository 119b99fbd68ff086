import type { Logger } from '@slack/logger';
import type { WebClient } from '@slack/web-api';
import { z } from 'zod';

const authTestResponse = z.object({ ok: z.literal(true), user_id: z.string(), bot_id: z.string() });
const platformError = z.object({ data: z.object({ error: z.string() }) });
const REJECTED_TOKEN = new Set(['invalid_auth', 'not_authed', 'account_inactive', 'token_revoked', 'token_expired']);

export class SlackTokenRejected extends Error {
  constructor(readonly slackError: string) {
    super(
      `SLACK_BOT_TOKEN was refused by Slack (${slackError}): check the token in the app's OAuth & Permissions page`,
    );
    this.name = 'SlackTokenRejected';
  }
}

/**
 * Asks Slack once who the bot is. Bolt, told not to verify the token, would otherwise call auth.test on every
 * request it routes. A refused token stops start-up; an unreachable Slack only costs that per-request call.
 */
export async function resolveBotIdentity(
  client: Pick<WebClient, 'auth'>,
  logger: Logger,
): Promise<{ readonly botId: string; readonly botUserId: string } | undefined> {
  try {
    const response = authTestResponse.parse(await client.auth.test());
    return { botId: response.bot_id, botUserId: response.user_id };
  } catch (error) {
    const coded = platformError.safeParse(error);
    if (coded.success && REJECTED_TOKEN.has(coded.data.data.error)) throw new SlackTokenRejected(coded.data.data.error);
    logger.warn(`could not reach Slack's auth.test at start-up (${String(error)}); carrying on`);
    return undefined;
  }
}
