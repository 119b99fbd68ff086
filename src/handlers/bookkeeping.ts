import type { AllMiddlewareArgs, Middleware } from '@slack/bolt';
import type { HandlerContext } from './handler-context.js';

/** What a handled Slack request came to: `outcome` is `kind` or `kind: detail` (`ok: listed`, `refused: …`). */
export interface Handled {
  readonly outcome: string;
  /** The audit row's subject; absent for requests that name no one to hold to account (App Home, unreadable clicks). */
  readonly audit?: { readonly actorId: string; readonly action: string; readonly runId?: string | null };
}

/** The metric label of an outcome: its kind, so `refused: …` details don't each make a new time series. */
export function outcomeKind(outcome: string): string {
  return outcome.split(':')[0] ?? outcome;
}

/**
 * Wraps a listener with the bookkeeping every Slack surface shares: the listener answers the user and returns what
 * happened; the wrapper counts it under `surface` and writes its audit row. A listener that returns nothing (a
 * payload it ignores) is neither counted nor audited. `Args` names the surface's Bolt arguments
 * (`SlackCommandMiddlewareArgs`, `SlackActionMiddlewareArgs`, …).
 */
export function withBookkeeping<Args>(
  ctx: Pick<HandlerContext, 'metrics' | 'audit'>,
  surface: string,
  listener: (args: Args & AllMiddlewareArgs) => Promise<Handled | undefined>,
): Middleware<Args> {
  return async (args) => {
    const handled = await listener(args);
    if (handled === undefined) return;
    ctx.metrics.countRequest(surface, outcomeKind(handled.outcome));
    if (handled.audit === undefined) return;
    const { actorId, action, runId = null } = handled.audit;
    await ctx.audit({ actorId, action, runId, outcome: handled.outcome });
  };
}
