import type { App, SlackCommandMiddlewareArgs } from '@slack/bolt';
import { parseMetricsCommand } from '../deploy/metrics-command.js';
import { metricsMessage, metricsRefusal } from '../ui/metrics-message.js';
import { invalidCommandMessage } from '../ui/replies.js';
import { withBookkeeping, type Handled } from './bookkeeping.js';
import { failureText, type HandlerContext } from './handler-context.js';
import { slashCommandSchema } from './payloads.js';

/** `/metrics [runbook] [--compare]`: the live snapshot, posted in the channel for everyone. */
export function registerMetricsCommand(app: App, ctx: HandlerContext): void {
  app.command(
    '/metrics',
    withBookkeeping<SlackCommandMiddlewareArgs>(
      ctx,
      '/metrics',
      async ({ body, ack, respond }): Promise<Handled | undefined> => {
        const parsedBody = slashCommandSchema.safeParse(body);
        if (!parsedBody.success) {
          await ack({
            response_type: 'ephemeral',
            ...invalidCommandMessage('/metrics', 'Slack sent a command Liftoff cannot read', ''),
          });
          return undefined;
        }
        const command = parsedBody.data;
        const handled = (outcome: string): Handled => ({
          outcome,
          audit: { actorId: command.user_id, action: `/metrics ${command.text}`.slice(0, 500) },
        });
        const parsed = parseMetricsCommand(command.text);
        if (parsed.kind === 'invalid') {
          await ack({ response_type: 'ephemeral', ...invalidCommandMessage('/metrics', parsed.problem, parsed.input) });
          return handled(`refused: ${parsed.problem}`);
        }
        if (ctx.liveMetrics === undefined) {
          await ack({
            response_type: 'ephemeral',
            text: '/metrics needs GITHUB_TOKEN and Google Cloud access configured; this Liftoff has neither.',
          });
          return handled('refused: not configured');
        }
        await ack();
        try {
          const result = await ctx.liveMetrics({ runbook: parsed.runbook, compare: parsed.compare });
          if (result.kind === 'snapshot') {
            await respond({ response_type: 'in_channel', ...metricsMessage(result) });
            const chart = await ctx.postMetricsChart(command.channel_id, result).then(
              () => 'with chart',
              (error: unknown) => {
                ctx.logger.warn(`the /metrics chart was not uploaded: ${String(error)}`);
                return 'without chart';
              },
            );
            return handled(`ok: snapshot ${chart}`);
          }
          await respond({ response_type: 'ephemeral', ...metricsRefusal(result) });
          return handled(`refused: ${result.kind}`);
        } catch (error) {
          ctx.logger.error(`/metrics ${command.text} failed`, error);
          await respond({ response_type: 'ephemeral', text: failureText('read the metrics') }).catch((e: unknown) =>
            ctx.logger.error('respond failed', e),
          );
          return handled('error');
        }
      },
    ),
  );
}
