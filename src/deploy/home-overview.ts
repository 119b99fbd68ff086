import type { CloudRunPort } from './ports/index.js';
import { readPipelineData } from './pipeline/run-data.js';
import type { Clock, LockLease, Store } from './ports/index.js';
import { serviceKey, type RunState } from './run.js';
import type { RunbookCatalog } from './runbook/loader.js';
import { isStopped } from './emergency-stop.js';
import { describeTraffic, pinTraffic } from './traffic.js';

export interface RunSummary {
  readonly id: string;
  readonly state: RunState;
  readonly requesterId: string;
  readonly decidedBy: string | null;
  readonly createdAt: Date;
  readonly channelId: string;
  readonly messageTs: string | null;
  readonly tag: string | null;
  readonly deployLogUrl: string | null;
}

export interface RunbookOverview {
  readonly runbook: string;
  readonly service: string;
  /** The traffic as Cloud Run serves it, or why it could not be read. */
  readonly serving:
    { readonly ok: true; readonly text: string } | { readonly ok: false; readonly reason: string } | null;
  readonly lock: LockLease | undefined;
  readonly runs: readonly RunSummary[];
}

/** What the App Home tab shows: per runbook, the serving revisions, the lock and the last ten runs. */
export async function homeOverview(deps: {
  readonly store: Store;
  readonly clock: Clock;
  readonly catalog: () => RunbookCatalog;
  readonly cloudRun: CloudRunPort | undefined;
}): Promise<RunbookOverview[]> {
  const now = deps.clock.now();
  return Promise.all(
    deps.catalog().runbooks.map(async ({ runbook }) => {
      const where = { project: runbook.service.project, region: runbook.service.region, name: runbook.service.name };
      const serving =
        deps.cloudRun === undefined
          ? null
          : await deps.cloudRun.getService(where).then(
              (s) => ({
                ok: true as const,
                text:
                  describeTraffic(pinTraffic(s.traffic, s.latestReadyRevision)) +
                  (isStopped(s.scaling) ? ' · STOPPED: 0 instances (emergency stop)' : ''),
              }),
              (error: unknown) => ({
                ok: false as const,
                reason: error instanceof Error ? error.message : String(error),
              }),
            );
      const runs = await deps.store.listRuns({ runbook: runbook.name, limit: 10 });
      return {
        runbook: runbook.name,
        service: runbook.service.name,
        serving,
        lock: await deps.store.getLock(serviceKey(runbook.service), now),
        runs: runs.map((run) => {
          const data = readPipelineData(run.data);
          return {
            id: run.id,
            state: run.state,
            requesterId: run.requesterId,
            decidedBy: run.decidedBy,
            createdAt: run.createdAt,
            channelId: run.channelId,
            messageTs: run.messageTs,
            tag: data.tag?.next ?? null,
            deployLogUrl:
              data.deployLogPath === undefined
                ? null
                : `https://github.com/${runbook.source.repo}/blob/${runbook.source.branch}/${data.deployLogPath}`,
          };
        }),
      };
    }),
  );
}
