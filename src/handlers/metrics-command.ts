import type { App } from '@slack/bolt';
import type { LiveMetricsResult } from '../deploy/live-metrics.js';
import { parseMetricsCommand } from '../deploy/metrics-command.js';
import { inlineCode, escapeMrkdwn } from '../ui/escape.js';
import { metricsMessage } from '../ui/metrics-message.js';
import { invalidCommandMessage } from '../ui/replies.js';
import type { SlackMessage } from '../ui/plan-message.js';
import { failureText, type HandlerContext } from './handler-context.js';
import { slashCommandSchema } from './payloads.js';

const say = (text: string): SlackMessage => ({ text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] });

function refusal(result: Exclude<LiveMetricsResult, { kind: 'snapshot' }>): SlackMessage {
  switch (result.kind) {
    case 'choose_runbook':
      return say(`Which runbook? ${result.known.map((k) => inlineCode(k)).join(', ')}`);
    case 'unknown_runbook':
      return say(
        `:warning: There is no runbook ${inlineCode(result.name, 60)}. Known: ${result.known.map((k) => inlineCode(k)).join(', ') || 'none'}.`,
      );
    case 'invalid_runbook':
      return say(
        `:x: The runbook ${inlineCode(result.name)} is invalid:\n${result.errors.map((e) => `• ${escapeMrkdwn(e, 300)}`).join('\n')}`,
      );
    case 'unavailable':
      return say(`:x: Could not read ${inlineCode(result.runbook)}'s service: ${escapeMrkdwn(result.reason, 500)}`);
  }
}

/** `/metrics [runbook] [--compare]`: the live snapshot, posted in the channel for everyone. */
export function registerMetricsCommand(app: App, ctx: HandlerContext): void {
  app.command('/metrics', async ({ body, ack, respond }) => {
    const parsedBody = slashCommandSchema.safeParse(body);
    if (!parsedBody.success) {
      await ack({
        response_type: 'ephemeral',
        ...invalidCommandMessage('/metrics', 'Slack sent a command Liftoff cannot read', ''),
      });
      return;
    }
    const command = parsedBody.data;
    const record = (outcome: string): Promise<void> => {
      ctx.metrics.countRequest('/metrics', outcome.split(':')[0] ?? outcome);
      return ctx.audit({
        actorId: command.user_id,
        action: `/metrics ${command.text}`.slice(0, 500),
        runId: null,
        outcome,
      });
    };
    const parsed = parseMetricsCommand(command.text);
    if (parsed.kind === 'invalid') {
      await ack({ response_type: 'ephemeral', ...invalidCommandMessage('/metrics', parsed.problem, parsed.input) });
      return record(`refused: ${parsed.problem}`);
    }
    if (ctx.liveMetrics === undefined) {
      await ack({
        response_type: 'ephemeral',
        text: '/metrics needs GITHUB_TOKEN and Google Cloud access configured; this Liftoff has neither.',
      });
      return record('refused: not configured');
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
        return await record(`ok: snapshot ${chart}`);
      }
      await respond({ response_type: 'ephemeral', ...refusal(result) });
      return await record(`refused: ${result.kind}`);
    } catch (error) {
      ctx.logger.error(`/metrics ${command.text} failed`, error);
      await respond({ response_type: 'ephemeral', text: failureText('read the metrics') }).catch((e: unknown) =>
        ctx.logger.error('respond failed', e),
      );
      await record('error');
    }
  });
}
