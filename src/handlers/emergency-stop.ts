import type { App, RespondArguments, RespondFn, SlackActionMiddlewareArgs } from '@slack/bolt';
import { ACTION_IDS } from '../ui/action-ids.js';
import {
  emergencyResumedMessage,
  emergencyStoppedMessage,
  emergencyStopReply,
  emergencyStopRequestMessage,
} from '../ui/emergency-stop-message.js';
import type { SlackMessage } from '../ui/plan-message.js';
import { withBookkeeping, type Handled } from './bookkeeping.js';
import { failureText, type HandlerContext } from './handler-context.js';
import { buttonActionSchema } from './payloads.js';

const ephemeral = (message: SlackMessage): RespondArguments => ({
  response_type: 'ephemeral',
  replace_original: false,
  ...message,
});
const inChannel = (message: SlackMessage, replace = false): RespondArguments => ({
  response_type: 'in_channel',
  replace_original: replace,
  ...message,
});

/**
 * `/rollback <runbook> --stop` (a deployer asks in the channel) and `--resume` (an approver restores). Called after
 * the command was acknowledged; returns the audit outcome.
 */
export async function answerEmergencyCommand(
  ctx: HandlerContext,
  respond: RespondFn,
  command: { readonly kind: 'stop' | 'resume'; readonly runbook: string | undefined; readonly userId: string },
): Promise<string> {
  const desk = ctx.emergencyStop;
  if (desk === undefined) {
    await respond(
      ephemeral({ text: '/rollback --stop needs Google Cloud access configured; this Liftoff has none.', blocks: [] }),
    );
    return 'refused: not configured';
  }
  try {
    if (command.kind === 'stop') {
      const plan = await desk.request({ runbook: command.runbook, userId: command.userId });
      if (plan.kind !== 'confirm') {
        await respond(ephemeral(emergencyStopReply(plan)));
        return `refused: ${plan.kind}`;
      }
      await respond(inChannel(emergencyStopRequestMessage(plan)));
      return 'ok: stop asked';
    }
    const result = await desk.resume({ runbook: command.runbook, userId: command.userId });
    if (result.kind !== 'resumed') {
      await respond(ephemeral(emergencyStopReply(result)));
      return `refused: ${result.kind}`;
    }
    await respond(inChannel(emergencyResumedMessage(result, command.userId)));
    return `ok: resumed ${result.runbook}`;
  } catch (error) {
    ctx.logger.error(`/rollback --${command.kind} failed`, error);
    await respond(ephemeral({ text: failureText(`${command.kind} the service`), blocks: [] })).catch((e: unknown) =>
      ctx.logger.error('respond failed', e),
    );
    return 'error';
  }
}

/**
 * The **Stop** button of an emergency stop request: an approver's click stops the service and the request
 * becomes the report, buttonless; anyone else's is refused to them alone.
 */
export function registerEmergencyStopButton(app: App, ctx: HandlerContext): void {
  app.action(
    ACTION_IDS.emergencyStop,
    withBookkeeping<SlackActionMiddlewareArgs>(
      ctx,
      'emergency_stop',
      async ({ body, ack, respond }): Promise<Handled> => {
        await ack();
        const parsed = buttonActionSchema.safeParse(body);
        const [runbook, requestedBy] = (parsed.success ? (parsed.data.actions[0]?.value ?? '') : '').split(' ');
        const desk = ctx.emergencyStop;
        if (!parsed.success || runbook === undefined || runbook === '' || desk === undefined)
          return { outcome: 'malformed' };
        const userId = parsed.data.user.id;
        const audit = { actorId: userId, action: `button emergency stop ${runbook}` };
        try {
          const result = await desk.stop({ runbook, userId });
          if (result.kind === 'stopped') {
            await respond(inChannel(emergencyStoppedMessage(result, userId, requestedBy), true));
            return { outcome: `ok: stopped ${result.service.name}`, audit };
          }
          await respond(ephemeral(emergencyStopReply(result)));
          return { outcome: `refused: ${result.kind}`, audit };
        } catch (error) {
          ctx.logger.error(`emergency stop of ${runbook} failed`, error);
          await respond(ephemeral({ text: failureText(`stop ${runbook}`), blocks: [] })).catch((e: unknown) =>
            ctx.logger.error('respond failed', e),
          );
          return { outcome: 'error', audit };
        }
      },
    ),
  );
}
