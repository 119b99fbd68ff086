import type { App, SlackActionMiddlewareArgs } from '@slack/bolt';
import type { RollbackDesk } from '../deploy/rollback.js';
import { ACTION_IDS } from '../ui/action-ids.js';
import { rollbackReply } from '../ui/rollback-message.js';
import { withBookkeeping, type Handled } from './bookkeeping.js';
import { failureText, type HandlerContext } from './handler-context.js';
import { buttonActionSchema } from './payloads.js';

/** What a recovery button's value names; `extra` is the re-promote's freeze id. None of it authorizes anyone. */
interface Click {
  readonly runbook: string;
  readonly target: string;
  readonly userId: string;
  readonly extra: string;
}

/**
 * The recovery buttons posted with rollback answers: **Re-promote** (an approver puts a revision back and lifts
 * the freeze) and **Redeploy** (a new revision from the last good image when the target is gone).
 */
export function registerRecoveryButtons(app: App, ctx: HandlerContext, rollback: RollbackDesk | undefined): void {
  const buttons = [
    {
      actionId: ACTION_IDS.repromote,
      name: 're-promote',
      past: 're-promoted',
      done: 'repromoted',
      run: (desk: RollbackDesk, click: Click) =>
        desk.repromote({
          runbook: click.runbook,
          revision: click.target,
          userId: click.userId,
          freezeOwnerId: click.extra,
        }),
    },
    {
      actionId: ACTION_IDS.redeploy,
      name: 'redeploy',
      past: 'redeployed',
      done: 'rolled_back',
      run: (desk: RollbackDesk, click: Click) =>
        desk.redeploy({ runbook: click.runbook, image: click.target, userId: click.userId }),
    },
  ] as const;
  for (const button of buttons) {
    app.action(
      button.actionId,
      withBookkeeping<SlackActionMiddlewareArgs>(ctx, button.name, async ({ body, ack, respond }): Promise<Handled> => {
        await ack();
        const parsed = buttonActionSchema.safeParse(body);
        const [runbook, target, extra = ''] = (parsed.success ? (parsed.data.actions[0]?.value ?? '') : '').split(' ');
        if (!parsed.success || runbook === undefined || target === undefined || rollback === undefined)
          return { outcome: 'malformed' };
        const userId = parsed.data.user.id;
        const audit = { actorId: userId, action: `button ${button.name} ${runbook} ${target}` };
        try {
          const result = await button.run(rollback, { runbook, target, userId, extra });
          const reply = rollbackReply(result, userId);
          const done = result.kind === button.done;
          await respond({ response_type: done ? 'in_channel' : 'ephemeral', replace_original: false, ...reply });
          return { outcome: done ? `ok: ${button.past} ${target}` : `refused: ${result.kind}`, audit };
        } catch (error) {
          ctx.logger.error(`${button.name} ${target} failed`, error);
          await respond({
            response_type: 'ephemeral',
            replace_original: false,
            text: failureText(`${button.name} ${target}`),
          }).catch((e: unknown) => ctx.logger.error('respond failed', e));
          return { outcome: 'error', audit };
        }
      }),
    );
  }
}
