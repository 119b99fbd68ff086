import type { App, SlackActionMiddlewareArgs } from '@slack/bolt';
import { ACTION_IDS } from '../ui/action-ids.js';
import { decisionReply } from '../ui/replies.js';
import { withBookkeeping, type Handled } from './bookkeeping.js';
import { failureText, type HandlerContext } from './handler-context.js';
import { buttonActionSchema } from './payloads.js';

/** The Approve and Deny buttons of a request. The message itself is edited by the desk. */
export function registerDecisionActions(app: App, ctx: HandlerContext): void {
  for (const decision of ['approve', 'deny'] as const) {
    app.action(
      ACTION_IDS[decision],
      withBookkeeping<SlackActionMiddlewareArgs>(ctx, decision, async ({ body, ack, respond }): Promise<Handled> => {
        await ack();
        const parsed = buttonActionSchema.safeParse(body);
        const action = parsed.success ? parsed.data.actions[0] : undefined;
        if (!parsed.success || action?.value === undefined) return { outcome: 'malformed' };
        const userId = parsed.data.user.id;
        const runId = action.value;
        const audit = { actorId: userId, action: `button ${decision}`, runId };
        try {
          const result = await ctx.desk.decide({ runId, userId, decision });
          const reply = decisionReply(result);
          if (reply !== undefined) await respond({ response_type: 'ephemeral', replace_original: false, ...reply });
          const accepted = reply === undefined || result.kind === 'approval_counted';
          return { outcome: accepted ? `ok: ${result.kind}` : `refused: ${result.kind}`, audit };
        } catch (error) {
          ctx.logger.error(`${decision} ${runId} failed`, error);
          await respond({
            response_type: 'ephemeral',
            replace_original: false,
            text: failureText(`${decision} ${runId}`),
          }).catch((e: unknown) => ctx.logger.error('respond failed', e));
          return { outcome: 'error', audit };
        }
      }),
    );
  }
}
