import type { App } from '@slack/bolt';
import type { Clock, Store } from '../deploy/ports/index.js';
import { registerDecisionActions } from './decision-actions.js';
import { registerDeployCommand } from './deploy-command.js';
import { registerMetricsCommand } from './metrics-command.js';
import type { HandlerContext } from './handler-context.js';
import { registerRecoveryButtons } from './recovery-buttons.js';
import { registerRollback } from './rollback.js';
import { registerAppHome } from './app-home.js';
import { registerCanaryActions } from './canary-actions.js';
import type { RunbookOverview } from '../deploy/home-overview.js';
import type { RollbackDesk } from '../deploy/rollback.js';
import { retryGuard } from './retry-guard.js';

/** Every Slack surface Liftoff answers. */
export function registerHandlers(
  app: App,
  ctx: HandlerContext,
  idempotency: { store: Store; clock: Clock },
  rollback: RollbackDesk | undefined,
  overview: () => Promise<RunbookOverview[]>,
): void {
  app.use(retryGuard(idempotency.store, idempotency.clock));
  registerDeployCommand(app, ctx);
  registerDecisionActions(app, ctx);
  registerMetricsCommand(app, ctx);
  registerRollback(app, ctx, rollback);
  registerRecoveryButtons(app, ctx, rollback);
  registerAppHome(app, ctx, overview);
  registerCanaryActions(app, ctx);
}
