import { randomBytes } from 'node:crypto';
import {
  OUTBOX_KINDS,
  type CommitFilePayload,
  type DeploymentPayload,
  type DeploymentStatusPayload,
  type RecordFile,
} from './pipeline/outbox-worker.js';
import type { Clock, Store } from './ports/index.js';
import type { TrafficMoveRecord } from './rollback-results.js';
import type { Runbook } from './runbook/schema/index.js';

export interface TrafficMoveRecorderDeps {
  readonly store: Store;
  readonly clock: Clock;
  /** The deploy index row that records a traffic move (the ui's `trafficMoveIndexFile`). */
  readonly indexFile: (input: TrafficMoveRecord) => RecordFile;
  /** Names a rollback or re-promote in the outbox and the deploy index; random by default. */
  readonly newOperationId?: (move: 'rollback' | 'repromote') => string;
}

const newOperationId = (move: 'rollback' | 'repromote'): string => `${move}-${randomBytes(6).toString('hex')}`;

/**
 * The move goes on record like a deploy: a row in the deploy index and a GitHub Deployment with its status,
 * through the outbox, so a GitHub outage delays them and loses nothing.
 */
export async function recordTrafficMove(
  deps: TrafficMoveRecorderDeps,
  runbook: Runbook,
  move: 'rollback' | 'repromote',
  revision: string,
  userId: string,
  moved: { readonly healthy: boolean; readonly image: string | null; readonly serviceUrl: string | null },
): Promise<void> {
  const at = deps.clock.now();
  const operationId = (deps.newOperationId ?? newOperationId)(move);
  const description = `${move === 'rollback' ? 'Rollback' : 'Re-promote'} to ${revision} by ${userId}`;
  const commit: CommitFilePayload = {
    repo: runbook.source.repo,
    branch: runbook.source.branch,
    message: `docs: deploy index ${runbook.name}: ${description}\n\nLiftoff-Operation: ${operationId}`,
    marker: operationId,
    files: [
      deps.indexFile({
        runbook,
        at,
        move,
        revision,
        image: moved.image,
        by: userId,
        healthy: moved.healthy,
        operationId,
      }),
    ],
  };
  const deployment: DeploymentPayload = {
    repo: runbook.source.repo,
    ref: runbook.source.branch,
    environment: 'production',
    description: description.slice(0, 140),
    payload: {
      operation: operationId,
      runbook: runbook.name,
      service: runbook.service.name,
      revision,
      image: moved.image,
    },
  };
  const status: DeploymentStatusPayload = {
    repo: runbook.source.repo,
    deploymentItemId: `${operationId}:deployment`,
    state: moved.healthy ? 'success' : 'failure',
    description: `${revision} serves 100 %${moved.healthy ? '' : ', but its health check fails'}`.slice(0, 140),
    ...(moved.serviceUrl === null ? {} : { environmentUrl: moved.serviceUrl }),
  };
  const items = [
    { id: `${operationId}:index`, kind: OUTBOX_KINDS.commitFile, payload: commit },
    { id: `${operationId}:deployment`, kind: OUTBOX_KINDS.deployment, payload: deployment },
    { id: `${operationId}:status:final`, kind: OUTBOX_KINDS.deploymentStatus, payload: status },
  ];
  for (const [index, item] of items.entries())
    await deps.store.enqueueOutbox({ ...item, runId: operationId, at: new Date(at.getTime() + index) });
}
