import type { App, SlackActionMiddlewareArgs } from '@slack/bolt';
import { ACTION_IDS } from '../ui/action-ids.js';
import { canaryAnswerReply } from '../ui/canary-card.js';
import { withBookkeeping, type Handled } from './bookkeeping.js';
import { failureText, type HandlerContext } from './handler-context.js';
import { buttonActionSchema } from './payloads.js';

const BUTTONS = [
  { actionId: ACTION_IDS.canaryPromote, action: 'promote' },
  { actionId: ACTION_IDS.canaryRollBack, action: 'rollback' },
  { actionId: ACTION_IDS.canaryHold, action: 'hold' },
] as const;

/** Reads `<run id> <step index>`; anything else is malformed. The value authorizes nobody. */
function parseValue(value: string | undefined): { readonly runId: string; readonly index: number } | undefined {
  const match = /^(run-[a-z0-9-]{1,64}) (\d{1,2})$/.exec(value ?? '');
  if (match?.[1] === undefined || match[2] === undefined) return undefined;
  return { runId: match[1], index: Number(match[2]) };
}

/** The buttons of a held canary step: Promote anyway, Roll back, Hold 15 min more (approvers only). */
export function registerCanaryActions(app: App, ctx: HandlerContext): void {
  for (const button of BUTTONS) {
    app.action(
      button.actionId,
      withBookkeeping<SlackActionMiddlewareArgs>(
        ctx,
        `canary_${button.action}`,
        async ({ body, ack, respond }): Promise<Handled> => {
          await ack();
          const parsed = buttonActionSchema.safeParse(body);
          const target = parsed.success ? parseValue(parsed.data.actions[0]?.value) : undefined;
          if (!parsed.success || target === undefined) return { outcome: 'malformed' };
          const userId = parsed.data.user.id;
          const audit = {
            actorId: userId,
            action: `button canary ${button.action} ${target.runId} step ${target.index + 1}`,
            runId: target.runId,
          };
          try {
            const result = await ctx.desk.answerCanary({ ...target, action: button.action, userId });
            const reply = canaryAnswerReply(result, userId);
            await respond({
              response_type: reply.inChannel ? 'in_channel' : 'ephemeral',
              replace_original: false,
              text: reply.text,
            });
            return { outcome: result.kind === 'answered' ? `ok: ${button.action}` : `refused: ${result.kind}`, audit };
          } catch (error) {
            ctx.logger.error(`canary ${button.action} of ${target.runId} failed`, error);
            await respond({
              response_type: 'ephemeral',
              replace_original: false,
              text: failureText(`answer the canary of ${target.runId}`),
            }).catch((e: unknown) => ctx.logger.error('respond failed', e));
            return { outcome: 'error', audit };
          }
        },
      ),
    );
  }
}
