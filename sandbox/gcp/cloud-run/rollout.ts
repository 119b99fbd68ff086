/**
 * The rollout a create or update starts, and the long-running operation that reports it.
 *
 * How the state moves follows the `reconciling` contract of google/cloud/run/v2/service.proto:
 * an update bumps `generation`, creates a revision only when the template changed, and sets
 * `reconciling`; when the new revision is Ready, `latest_ready_revision` moves to it, traffic
 * pointed at LATEST follows it, `traffic_statuses`, `observed_generation` and the terminal
 * condition catch up, and the operation completes with the Service. When reconciliation fails
 * (the revision cannot get ready, traffic names a revision that does not exist or is not
 * ready), `traffic_statuses`, `observed_generation` and `latest_ready_revision` keep the state
 * of the last serving revision, the desired `traffic` keeps what was asked, and the operation
 * fails with the condition's message.
 */
import { randomUUID } from 'node:crypto';

import type { OperationMessage } from '../operations.js';
import { GrpcStatus } from '../rpc.js';
import type { ServiceInput } from '../run-validation.js';
import { renderOperation, renderService } from './rendering.js';
import { bringUp } from './revisions.js';
import {
  type CloudRunState,
  type Condition,
  type PendingOperation,
  type RevisionRecord,
  type ServiceRecord,
  touch,
} from './state.js';
import { applyTraffic, resolveTraffic } from './traffic.js';

/** Marks `service` reconciling, brings `revision` (if any) up and its traffic over, and answers the operation. */
export function startRollout(
  state: CloudRunState,
  service: ServiceRecord,
  revision: RevisionRecord | undefined,
): OperationMessage {
  service.reconciling = true;
  const now = state.deps.clock.now();
  service.terminal = { type: 'Ready', state: 'CONDITION_RECONCILING', message: '', lastTransitionTime: now };
  service.routesReady = { type: 'RoutesReady', state: 'CONDITION_RECONCILING', message: '', lastTransitionTime: now };
  if (revision) {
    service.configurationsReady = {
      type: 'ConfigurationsReady',
      state: 'CONDITION_RECONCILING',
      message: '',
      lastTransitionTime: now,
    };
  }
  const operation: PendingOperation = {
    name: `projects/${service.project}/locations/${service.region}/operations/${randomUUID()}`,
    generation: service.generation,
  };
  service.pendingOperations.push(operation);
  void rollout(state, service, revision);
  return state.deps.operations.register(operation.name, () =>
    renderOperation(state.deps.operations.packAny, service, operation),
  );
}

async function rollout(
  state: CloudRunState,
  service: ServiceRecord,
  revision: RevisionRecord | undefined,
): Promise<void> {
  if (revision) {
    await bringUp(state, revision, true);
    if (state.closed || revision.name !== service.latestCreatedRevision) return;
    if (revision.state === 'failed') {
      const message =
        revision.conditions[0]?.message ?? `Revision '${revision.name}' is not ready and cannot serve traffic.`;
      markFailed(state, service, message, revision.conditions[0]?.reason);
      return;
    }
    service.latestReadyRevision = revision.name;
    service.configurationsReady = {
      type: 'ConfigurationsReady',
      state: 'CONDITION_SUCCEEDED',
      message: '',
      lastTransitionTime: state.deps.clock.now(),
    };
  } else {
    await state.deps.scheduler.sleep(state.deps.timings.trafficUpdateMs);
    if (state.closed) return;
    const latest = service.revisions.get(service.latestCreatedRevision);
    // A revision still coming up settles the rollout when it is done.
    if (latest?.state === 'pending') return;
  }
  const outcome = resolveTraffic(service);
  if ('failure' in outcome) {
    markFailed(state, service, outcome.failure.message, undefined);
    return;
  }
  await applyTraffic(state, service, outcome.statuses);
  if (state.closed) return;
  markSucceeded(state, service);
}

/** The service serves what it was asked to: conditions succeed and pending operations complete with it. */
export function markSucceeded(state: CloudRunState, service: ServiceRecord): void {
  const now = state.deps.clock.now();
  service.observedGeneration = service.generation;
  service.reconciling = false;
  service.terminal = { type: 'Ready', state: 'CONDITION_SUCCEEDED', message: '', lastTransitionTime: now };
  service.routesReady = { type: 'RoutesReady', state: 'CONDITION_SUCCEEDED', message: '', lastTransitionTime: now };
  service.configurationsReady = {
    type: 'ConfigurationsReady',
    state: 'CONDITION_SUCCEEDED',
    message: '',
    lastTransitionTime: now,
  };
  touch(state, service);
  const snapshot = renderService(service);
  settle(service, { snapshot });
}

function markFailed(state: CloudRunState, service: ServiceRecord, message: string, reason: string | undefined): void {
  const now = state.deps.clock.now();
  service.reconciling = false;
  const failed = (type: string): Condition => ({
    type,
    state: 'CONDITION_FAILED',
    message,
    lastTransitionTime: now,
    ...(reason ? { reason } : {}),
  });
  service.terminal = failed('Ready');
  service.routesReady = failed('RoutesReady');
  const latest = service.revisions.get(service.latestCreatedRevision);
  if (latest?.state === 'failed')
    service.configurationsReady = { ...failed('ConfigurationsReady'), reason: 'REVISION_FAILED' };
  touch(state, service);
  settle(service, { error: { code: GrpcStatus.INTERNAL, message } });
}

function settle(service: ServiceRecord, outcome: NonNullable<PendingOperation['outcome']>): void {
  for (const operation of service.pendingOperations) {
    if (operation.generation <= service.generation && !operation.outcome) operation.outcome = outcome;
  }
  service.pendingOperations = service.pendingOperations.filter((operation) => !operation.outcome);
}

/** An operation that is already done (validate_only): the service as it would be. */
export function doneOperation(
  state: CloudRunState,
  project: string,
  region: string,
  spec: ServiceInput,
): OperationMessage {
  const name = `projects/${project}/locations/${region}/operations/${randomUUID()}`;
  const packed = state.deps.operations.packAny('google.cloud.run.v2.Service', spec);
  return state.deps.operations.register(name, () => ({ name, done: true, metadata: packed, response: packed }));
}
