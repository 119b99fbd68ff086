import type {
  App,
  RespondArguments,
  RespondFn,
  SlackActionMiddlewareArgs,
  SlackCommandMiddlewareArgs,
} from '@slack/bolt';
import type { RollbackDesk } from '../deploy/rollback.js';
import type { RollbackPlanResult } from '../deploy/rollback-results.js';
import { parseRollbackCommand } from '../deploy/rollback-command.js';
import { ACTION_IDS } from '../ui/action-ids.js';
import type { SlackMessage } from '../ui/plan-message.js';
import { invalidCommandMessage } from '../ui/replies.js';
import {
  parseRollbackValue,
  rollbackChoicesMessage,
  rollbackConfirmMessage,
  rollbackReply,
} from '../ui/rollback-message.js';
import { answerEmergencyCommand, registerEmergencyStopButton } from './emergency-stop.js';
import { withBookkeeping, type Handled } from './bookkeeping.js';
import { failureText, type HandlerContext } from './handler-context.js';
import { buttonActionSchema, slashCommandSchema } from './payloads.js';

const ephemeral = (message: SlackMessage, replace = false): RespondArguments => ({
  response_type: 'ephemeral',
  replace_original: replace,
  ...message,
});

/**
 * Shows the confirmation: to the deployer alone, or in the channel for an approver when the runbook says a
 * rollback needs one. Returns the audit outcome.
 */
async function answerPlan(
  respond: RespondFn,
  plan: RollbackPlanResult,
  userId: string,
  replaceList: boolean,
): Promise<string> {
  if (plan.kind !== 'confirm') {
    await respond(ephemeral(rollbackReply(plan, userId), replaceList));
    return `refused: ${plan.kind}`;
  }
  if (!plan.needsApproval) {
    await respond(ephemeral(rollbackConfirmMessage(plan), replaceList));
    return 'ok: confirmation shown';
  }
  await respond({ response_type: 'in_channel', replace_original: false, ...rollbackConfirmMessage(plan, userId) });
  if (replaceList)
    await respond(ephemeral({ text: 'Asked in the channel: an approver confirms the rollback.', blocks: [] }, true));
  return 'ok: approval asked';
}

/**
 * `/rollback` and its two buttons: list → confirm → traffic moved, reported in the channel; and the emergency stop
 * (`--stop`, its Stop button, `--resume`).
 */
export function registerRollback(app: App, ctx: HandlerContext, rollback: RollbackDesk | undefined): void {
  registerEmergencyStopButton(app, ctx);
  app.command(
    '/rollback',
    withBookkeeping<SlackCommandMiddlewareArgs>(
      ctx,
      '/rollback',
      async ({ body, ack, respond }): Promise<Handled | undefined> => {
        const parsedBody = slashCommandSchema.safeParse(body);
        if (!parsedBody.success) {
          await ack(ephemeral(invalidCommandMessage('/rollback', 'Slack sent a command Liftoff cannot read', '')));
          return undefined;
        }
        const command = parsedBody.data;
        const handled = (outcome: string): Handled => ({
          outcome,
          audit: { actorId: command.user_id, action: `/rollback ${command.text}`.slice(0, 500) },
        });
        const parsed = parseRollbackCommand(
          command.text,
          ctx.catalog().runbooks.map((r) => r.runbook.name),
        );
        if (parsed.kind === 'invalid') {
          await ack(ephemeral(invalidCommandMessage('/rollback', parsed.problem, parsed.input)));
          return handled(`refused: ${parsed.problem}`);
        }
        if (parsed.kind === 'stop' || parsed.kind === 'resume') {
          await ack();
          return handled(
            await answerEmergencyCommand(ctx, respond, {
              kind: parsed.kind,
              runbook: parsed.runbook,
              userId: command.user_id,
            }),
          );
        }
        if (rollback === undefined) {
          await ack(
            ephemeral({
              text: '/rollback needs GITHUB_TOKEN and Google Cloud access configured; this Liftoff has neither.',
              blocks: [],
            }),
          );
          return handled('refused: not configured');
        }
        await ack();
        try {
          if (parsed.kind === 'list') {
            const result = await rollback.list({ runbook: parsed.runbook, userId: command.user_id });
            await respond(
              ephemeral(
                result.kind === 'choices' ? rollbackChoicesMessage(result) : rollbackReply(result, command.user_id),
              ),
            );
            return handled(result.kind === 'choices' ? 'ok: listed' : `refused: ${result.kind}`);
          }
          const plan = await rollback.plan({
            runbook: parsed.runbook,
            revision: parsed.revision,
            userId: command.user_id,
          });
          return handled(await answerPlan(respond, plan, command.user_id, false));
        } catch (error) {
          ctx.logger.error(`/rollback ${command.text} failed`, error);
          await respond(ephemeral({ text: failureText('prepare the rollback'), blocks: [] })).catch((e: unknown) =>
            ctx.logger.error('respond failed', e),
          );
          return handled('error');
        }
      },
    ),
  );

  for (const [actionId, step] of [
    [ACTION_IDS.rollbackPick, 'pick'],
    [ACTION_IDS.rollbackConfirm, 'confirm'],
  ] as const) {
    app.action(
      actionId,
      withBookkeeping<SlackActionMiddlewareArgs>(
        ctx,
        `rollback_${step}`,
        async ({ body, ack, respond }): Promise<Handled | undefined> => {
          await ack();
          const parsed = buttonActionSchema.safeParse(body);
          const target = parsed.success ? parseRollbackValue(parsed.data.actions[0]?.value ?? '') : null;
          if (!parsed.success || rollback === undefined) return undefined;
          const userId = parsed.data.user.id;
          if (target === null) {
            await respond(
              ephemeral({ text: ':no_entry: This button is not one Liftoff offered. Nothing changed.', blocks: [] }),
            );
            return {
              outcome: 'refused: unreadable value',
              audit: { actorId: userId, action: `button rollback ${step}` },
            };
          }
          const subject =
            'requestId' in target ? `request ${target.requestId}` : `${target.runbook} ${target.revision}`;
          const audit = { actorId: userId, action: `button rollback ${step} ${subject}` };
          try {
            if (step === 'pick') {
              if ('requestId' in target) return undefined;
              const plan = await rollback.plan({ ...target, userId });
              return { outcome: await answerPlan(respond, plan, userId, true), audit };
            }
            const result = await rollback.execute({ ...target, userId });
            if (result.kind === 'rolled_back' && 'requestId' in target) {
              // The approver confirmed the request in the channel: the report takes its place.
              await respond({ response_type: 'in_channel', replace_original: true, ...rollbackReply(result, userId) });
            } else if (result.kind === 'rolled_back') {
              await respond({ response_type: 'in_channel', replace_original: false, ...rollbackReply(result, userId) });
              await respond({ delete_original: true }).catch(() => undefined);
            } else {
              await respond(ephemeral(rollbackReply(result, userId)));
            }
            return {
              outcome:
                result.kind === 'rolled_back' ? `ok: rolled back to ${result.revision}` : `refused: ${result.kind}`,
              audit,
            };
          } catch (error) {
            ctx.logger.error(`rollback ${step} ${subject} failed`, error);
            await respond(ephemeral({ text: failureText(`roll back (${subject})`), blocks: [] })).catch(
              () => undefined,
            );
            return { outcome: 'error', audit };
          }
        },
      ),
    );
  }
}
