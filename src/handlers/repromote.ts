import type { App } from '@slack/bolt';
import type { RollbackDesk } from '../deploy/rollback.js';
import { ACTION_IDS } from '../ui/action-ids.js';
import { rollbackReply } from '../ui/rollback-message.js';
import { failureText, type HandlerContext } from './handler-context.js';
import { buttonActionSchema } from './payloads.js';

/** The **Re-promote** button of a rollback report: an approver puts the revision back and lifts the freeze. */
export function registerRepromote(app: App, ctx: HandlerContext, rollback: RollbackDesk | undefined): void {
  app.action(ACTION_IDS.repromote, async ({ body, ack, respond }) => {
    await ack();
    const parsed = buttonActionSchema.safeParse(body);
    const [runbook, revision] = (parsed.success ? (parsed.data.actions[0]?.value ?? '') : '').split(' ');
    if (!parsed.success || runbook === undefined || revision === undefined || rollback === undefined) {
      ctx.metrics.countRequest('repromote', 'malformed');
      return;
    }
    const userId = parsed.data.user.id;
    let outcome = 'error';
    try {
      const result = await rollback.repromote({ runbook, revision, userId });
      const reply = rollbackReply(result, userId);
      await respond(
        result.kind === 'repromoted'
          ? { response_type: 'in_channel', replace_original: false, ...reply }
          : { response_type: 'ephemeral', replace_original: false, ...reply },
      );
      outcome = result.kind === 'repromoted' ? `ok: re-promoted ${revision}` : `refused: ${result.kind}`;
    } catch (error) {
      ctx.logger.error(`re-promote ${revision} failed`, error);
      await respond({
        response_type: 'ephemeral',
        replace_original: false,
        text: failureText(`re-promote ${revision}`),
      }).catch((e: unknown) => ctx.logger.error('respond failed', e));
    }
    ctx.metrics.countRequest('repromote', outcome.split(':')[0] ?? outcome);
    await ctx.audit({ actorId: userId, action: `button re-promote ${runbook} ${revision}`, runId: null, outcome });
  });
}
