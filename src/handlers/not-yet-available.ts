import type { App } from '@slack/bolt';
import type { HandlerContext } from './handler-context.js';

/**
 * `/rollback` needs the Cloud Run and Prometheus adapters, which are not part of this build yet.
 * It answers honestly instead of timing out, and the attempt is audited.
 */
export function registerPendingCommands(app: App, ctx: HandlerContext): void {
  for (const command of ['/rollback'] as const) {
    app.command(command, async ({ body, ack }) => {
      await ack({
        response_type: 'ephemeral',
        text: `${command} is not available yet: it needs the Cloud Run adapter, which this Liftoff build does not include. Use \`/deploy status\` for runs and locks.`,
      });
      ctx.metrics.countRequest(command, 'unavailable');
      const userId = typeof body.user_id === 'string' ? body.user_id : 'unknown';
      await ctx.audit({
        actorId: userId,
        action: `${command} ${String(body.text ?? '')}`.slice(0, 500),
        runId: null,
        outcome: 'refused: unavailable',
      });
    });
  }
}
