import type { App, RespondArguments, SlackCommandMiddlewareArgs } from '@slack/bolt';
import { parseDeployCommand } from '../deploy/deploy-command.js';
import { dryRunMessage } from '../ui/plan-message.js';
import {
  cancelReply,
  helpMessage,
  invalidCommandMessage,
  lockReply,
  requestReply,
  runbookListMessage,
  statusMessage,
} from '../ui/replies.js';
import type { SlackMessage } from '../ui/plan-message.js';
import { withBookkeeping, type Handled } from './bookkeeping.js';
import { failureText, type HandlerContext } from './handler-context.js';
import { slashCommandSchema } from './payloads.js';
import { runbookListing } from './runbook-listing.js';

const ephemeral = (message: SlackMessage): RespondArguments => ({ response_type: 'ephemeral', ...message });

/** `/deploy …`: parse, delegate to the desk, answer the caller. The plan itself is posted by the desk. */
export function registerDeployCommand(app: App, ctx: HandlerContext): void {
  app.command(
    '/deploy',
    withBookkeeping<SlackCommandMiddlewareArgs>(ctx, '/deploy', async ({ body, ack, respond }): Promise<Handled> => {
      const parsedBody = slashCommandSchema.safeParse(body);
      if (!parsedBody.success) {
        await ack(ephemeral(invalidCommandMessage('/deploy', 'Slack sent a command Liftoff cannot read', '')));
        return { outcome: 'malformed' };
      }
      const command = parsedBody.data;
      const parsed = parseDeployCommand(command.text);
      const handled = (outcome: string, runId: string | null = null): Handled => ({
        outcome,
        audit: { actorId: command.user_id, action: `/deploy ${command.text}`.slice(0, 500), runId },
      });

      // Answers that need no I/O go back in the acknowledgement itself.
      switch (parsed.kind) {
        case 'help':
          await ack(ephemeral(helpMessage()));
          return handled('ok: help');
        case 'invalid':
          await ack(ephemeral(invalidCommandMessage('/deploy', parsed.problem, parsed.input)));
          return handled(`refused: ${parsed.problem}`);
        case 'list':
          await ack(ephemeral(runbookListMessage(runbookListing(ctx.catalog()))));
          return handled('ok: list');
      }
      await ack();
      try {
        switch (parsed.kind) {
          case 'status':
            await respond(ephemeral(statusMessage(await ctx.desk.status())));
            return handled('ok: status');
          case 'deploy': {
            const result = await ctx.desk.request({
              runbook: parsed.runbook,
              userId: command.user_id,
              channelId: command.channel_id,
              dryRun: parsed.dryRun,
            });
            if (result.kind === 'dry_run') {
              await respond(ephemeral(dryRunMessage(result.plan)));
              return handled('ok: dry run');
            }
            await respond(ephemeral(requestReply(result)));
            return handled(
              result.kind === 'requested' ? 'ok: requested' : `refused: ${result.kind}`,
              result.kind === 'requested' ? result.run.id : null,
            );
          }
          case 'cancel': {
            const result = await ctx.desk.cancel({ userId: command.user_id, target: parsed.target });
            await respond(ephemeral(cancelReply(result)));
            return handled(
              result.kind === 'cancelled' ? 'ok: cancelled' : `refused: ${result.kind}`,
              'run' in result ? result.run.id : null,
            );
          }
          case 'lock':
          case 'unlock': {
            const result =
              parsed.kind === 'lock'
                ? await ctx.desk.lock({
                    runbook: parsed.runbook,
                    userId: command.user_id,
                    reason: parsed.reason,
                    durationMs: parsed.durationMs,
                  })
                : await ctx.desk.unlock({ runbook: parsed.runbook, userId: command.user_id });
            await respond(ephemeral(lockReply(result)));
            return handled(
              ['locked', 'unlocked'].includes(result.kind) ? `ok: ${result.kind}` : `refused: ${result.kind}`,
            );
          }
        }
      } catch (error) {
        ctx.logger.error(`/deploy ${command.text} failed`, error);
        await respond(ephemeral({ text: failureText(`run \`/deploy ${parsed.kind}\``), blocks: [] })).catch(
          (e: unknown) => ctx.logger.error('respond failed', e),
        );
        return handled('error');
      }
    }),
  );
}
