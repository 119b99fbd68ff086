/**
 * Revisions: creating one from a template, taking it from pending to Ready (its container started by the runtime,
 * its logs written against it) or failed, and the Revisions RPCs (`ListRevisions`, `DeleteRevision`).
 */
import { randomBytes, randomUUID } from 'node:crypto';

import { z } from 'zod';

import type { PendingRevisionFailure } from '../faults.js';
import type { OperationMessage } from '../operations.js';
import { failedPrecondition, GrpcStatus, invalidArgument, parseRequest, RpcError } from '../rpc.js';
import { revisionConfiguration, type TemplateInput } from '../run-validation.js';
import type { RuntimeLogEntry } from '../types.js';
import { type RevisionFailure, scriptedImportFailure, scriptedStartFailure } from './faults.js';
import { normalizeTemplate } from './normalize.js';
import { paginate, renderRevision, resourceLabels } from './rendering.js';
import { secretValue } from './secrets.js';
import {
  type CloudRunState,
  findRevision,
  findService,
  ListRequest,
  type RevisionRecord,
  SERVICE_NAME,
  type ServiceRecord,
} from './state.js';
import { isReferencedByTraffic } from './traffic.js';

const DeleteRevisionRequest = z.object({ name: z.string(), validateOnly: z.boolean(), etag: z.string() });

/** Adds a pending revision made from `template` to `service`, and makes it the latest created. */
export function addRevision(
  state: CloudRunState,
  service: ServiceRecord,
  template: TemplateInput,
  forcedFailure: PendingRevisionFailure | undefined,
): RevisionRecord {
  const now = state.deps.clock.now();
  const normalized = normalizeTemplate(state, template);
  const revision: RevisionRecord = {
    name: template.revision,
    uid: randomUUID(),
    service,
    generation: service.generation,
    createTime: now,
    updateTime: now,
    template: normalized,
    configuration: revisionConfiguration({ ...service.spec, template: normalized }),
    forcedFailure,
    state: 'pending',
    conditions: [
      { type: 'Ready', state: 'CONDITION_RECONCILING', message: 'Deploying revision.', lastTransitionTime: now },
      { type: 'ContainerHealthy', state: 'CONDITION_PENDING', message: '', lastTransitionTime: now },
      { type: 'ResourcesAvailable', state: 'CONDITION_RECONCILING', message: '', lastTransitionTime: now },
    ],
    etag: `"${randomBytes(12).toString('base64url')}"`,
  };
  service.revisions.set(revision.name, revision);
  service.revisionCounter += 1;
  service.latestCreatedRevision = revision.name;
  return revision;
}

/** Takes a revision from pending to ready (its container running) or failed. */
export async function bringUp(state: CloudRunState, revision: RevisionRecord, wait: boolean): Promise<void> {
  if (wait) await state.deps.scheduler.sleep(state.deps.timings.revisionReadyMs);
  if (state.closed) return;
  const service = revision.service;
  const container = revision.template.containers[0];
  const image = container?.image ?? '';
  const notReady = `Revision '${revision.name}' is not ready and cannot serve traffic.`;
  const importFailure = scriptedImportFailure(revision, image, notReady);
  if (importFailure) {
    failRevision(state, revision, importFailure);
    return;
  }
  if (state.deps.registry.resolve(image) === undefined) {
    failRevision(state, revision, {
      message: `${notReady} Image '${image}' not found.`,
      reason: { reason: 'CONTAINER_MISSING' },
    });
    return;
  }
  const startFailure = scriptedStartFailure(revision, notReady);
  if (startFailure) {
    failRevision(state, revision, startFailure);
    return;
  }
  const env: Record<string, string> = {};
  for (const variable of container?.env ?? []) {
    const ref = variable.valueSource?.secretKeyRef;
    env[variable.name] = ref
      ? (secretValue(state, service.project, ref.secret, ref.version) ?? '')
      : (variable.value ?? '');
  }
  const port = container?.ports[0]?.containerPort ?? 8080;
  Object.assign(env, {
    PORT: String(port),
    K_SERVICE: service.id,
    K_REVISION: revision.name,
    K_CONFIGURATION: service.id,
  });
  const instanceId = randomBytes(32).toString('hex');
  const started = await state.deps.runtime
    .start({
      project: service.project,
      region: service.region,
      service: service.id,
      revision: revision.name,
      image,
      env,
      writeLog: (entry) => writeRevisionLog(state, revision, instanceId, entry),
    })
    .catch((error: unknown) => ({ failed: error instanceof Error ? error.message : String(error) }));
  if ('failed' in started) {
    failRevision(state, revision, {
      message: started.failed.startsWith('Revision ') ? started.failed : `${notReady} ${started.failed}`,
      reason: { revisionReason: 'HEALTH_CHECK_CONTAINER_ERROR' },
    });
    return;
  }
  if (state.closed || revision.deleteTime) {
    await started.stop();
    return;
  }
  revision.running = started;
  revision.state = 'ready';
  const now = state.deps.clock.now();
  revision.updateTime = now;
  revision.conditions = [
    { type: 'Ready', state: 'CONDITION_SUCCEEDED', message: '', lastTransitionTime: now },
    { type: 'ContainerHealthy', state: 'CONDITION_SUCCEEDED', message: '', lastTransitionTime: now },
    { type: 'ResourcesAvailable', state: 'CONDITION_SUCCEEDED', message: '', lastTransitionTime: now },
  ];
}

function failRevision(state: CloudRunState, revision: RevisionRecord, { message, reason }: RevisionFailure): void {
  const now = state.deps.clock.now();
  revision.state = 'failed';
  revision.updateTime = now;
  revision.conditions = [
    { type: 'Ready', state: 'CONDITION_FAILED', message, lastTransitionTime: now, ...reason },
    { type: 'ContainerHealthy', state: 'CONDITION_FAILED', message, lastTransitionTime: now },
    { type: 'ResourcesAvailable', state: 'CONDITION_SUCCEEDED', message: '', lastTransitionTime: now },
  ];
}

function writeRevisionLog(
  state: CloudRunState,
  revision: RevisionRecord,
  instanceId: string,
  entry: RuntimeLogEntry,
): void {
  const service = revision.service;
  const { logName, timestamp: at, ...rest } = entry;
  state.deps.logging.write({
    ...rest,
    logName: logName ?? `projects/${service.project}/logs/run.googleapis.com%2Fstdout`,
    timestamp: at instanceof Date && !Number.isNaN(at.getTime()) ? at : state.deps.clock.now(),
    resource: { type: 'cloud_run_revision', labels: resourceLabels(service, revision.name) },
    labels: { instanceId, ...(entry.labels ?? {}) },
  });
}

/** The order ListRevisions answers in: newest first. */
export function newestFirst(revisions: RevisionRecord[]): RevisionRecord[] {
  return [...revisions].sort((a, b) => b.createTime.getTime() - a.createTime.getTime() || b.generation - a.generation);
}

export function listRevisions(state: CloudRunState, request: unknown): object {
  const req = parseRequest(ListRequest, request, 'ListRevisionsRequest');
  const match = SERVICE_NAME.exec(req.parent);
  if (!match)
    throw invalidArgument(
      `parent: "${req.parent}" is not of the form projects/PROJECT/locations/LOCATION/services/SERVICE`,
    );
  const [, project, region, id] = match;
  let services: ServiceRecord[];
  if (id === '-') {
    services = [...state.services.values()].filter(
      (service) => service.project === project && service.region === region,
    );
  } else {
    services = [findService(state, req.parent)];
  }
  const revisions = newestFirst(services.flatMap((service) => [...service.revisions.values()]));
  return paginate(revisions, req.pageSize, req.pageToken, 'revisions', (revision) => renderRevision(revision));
}

export function deleteRevision(state: CloudRunState, request: unknown): OperationMessage {
  const req = parseRequest(DeleteRevisionRequest, request, 'DeleteRevisionRequest');
  const revision = findRevision(state, req.name);
  if (req.etag !== '' && req.etag !== revision.etag) {
    throw new RpcError(GrpcStatus.ABORTED, `The etag of revision '${revision.name}' does not match.`);
  }
  const service = revision.service;
  if (isReferencedByTraffic(service, revision.name)) {
    throw failedPrecondition(
      `Revision '${revision.name}' is referenced by the traffic configuration of service '${service.id}' and cannot be deleted. Move its traffic and tags first.`,
    );
  }
  if (revision.name === service.latestCreatedRevision || revision.name === service.latestReadyRevision) {
    throw failedPrecondition(
      `Revision '${revision.name}' is the latest revision of service '${service.id}' and cannot be deleted.`,
    );
  }
  const name = `projects/${service.project}/locations/${service.region}/operations/${randomUUID()}`;
  if (!req.validateOnly) {
    revision.deleteTime = state.deps.clock.now();
    service.revisions.delete(revision.name);
    const running = revision.running;
    revision.running = undefined;
    if (running) void running.stop();
  }
  const packed = state.deps.operations.packAny('google.cloud.run.v2.Revision', renderRevision(revision));
  return state.deps.operations.register(name, () => ({ name, done: true, metadata: packed, response: packed }));
}
