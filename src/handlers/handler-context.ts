import type { Logger } from '@slack/bolt';
import type { DeployDesk } from '../deploy/deploy-desk.js';
import type { EmergencyStop } from '../deploy/emergency-stop.js';
import type { LiveMetricsResult } from '../deploy/live-metrics.js';
import type { AuditEntry } from '../deploy/ports/index.js';
import type { RunbookCatalog } from '../deploy/runbook/loader.js';

/** The request counter the handlers feed, owned here; the bot's Prometheus metrics implement it. */
export interface RequestMetrics {
  /** A Slack request handled: `surface` is the command or the interaction type. */
  countRequest(surface: string, outcome: string): void;
}

/** What every handler may use: the use cases, the audit log and the bot's metrics. No SDK, no store. */
export interface HandlerContext {
  readonly desk: DeployDesk;
  /** `/rollback --stop` and `--resume`; absent when Liftoff has no cloud access configured. */
  readonly emergencyStop: EmergencyStop | undefined;
  readonly catalog: () => RunbookCatalog;
  readonly audit: (entry: Omit<AuditEntry, 'at'>) => Promise<void>;
  readonly metrics: RequestMetrics;
  readonly logger: Logger;
  /** The live metrics snapshot; absent when Liftoff has no cloud access configured. */
  readonly liveMetrics:
    ((input: { runbook: string | undefined; compare: boolean }) => Promise<LiveMetricsResult>) | undefined;
  /** Uploads the snapshot's chart to the channel; the text message stands alone when it fails. */
  readonly postMetricsChart: (
    channelId: string,
    result: Extract<LiveMetricsResult, { kind: 'snapshot' }>,
  ) => Promise<void>;
}

/** One line naming an unexpected failure for the user, with no internals. */
export function failureText(what: string): string {
  return `:x: Liftoff could not ${what}: an internal error occurred and was logged. Nothing was changed; try again.`;
}
