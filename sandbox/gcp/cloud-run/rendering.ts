/**
 * Turns the emulator's records into the resources Cloud Run Admin v2 answers with: Service, Revision, Operation,
 * IAM Policy, List pages, and the `cloud_run_revision` labels its log entries carry.
 */
import type { OperationMessage, OperationStore } from '../operations.js';
import { invalidArgument } from '../rpc.js';
import { REVISION } from '../run-validation.js';
import { projectNumber, timestamp } from '../wire.js';
import type { Condition, PendingOperation, RevisionRecord, ServiceRecord } from './state.js';

export type ServiceView = ReturnType<typeof renderService>;
export type RevisionView = ReturnType<typeof renderRevision>;

/** The Service message, as GetService answers it. */
export function renderService(service: ServiceRecord) {
  const fullRevision = (name: string): string => (name ? `${service.fullName}/revisions/${name}` : '');
  return {
    ...service.spec,
    name: service.fullName,
    uid: service.uid,
    generation: String(service.generation),
    createTime: timestamp(service.createTime),
    updateTime: timestamp(service.updateTime),
    creator: 'deployer@example.com',
    lastModifier: 'deployer@example.com',
    launchStage: 'GA',
    urls: [service.door.url],
    uri: service.door.url,
    observedGeneration: String(service.observedGeneration),
    terminalCondition: renderCondition(service.terminal),
    conditions: [renderCondition(service.routesReady), renderCondition(service.configurationsReady)],
    latestReadyRevision: fullRevision(service.latestReadyRevision),
    latestCreatedRevision: fullRevision(service.latestCreatedRevision),
    trafficStatuses: service.trafficStatuses.map((status) => {
      const door = status.tag ? service.tagDoors.get(status.tag) : undefined;
      return {
        type: status.type,
        // For LATEST the platform reports the allocation, not the revision it resolved to.
        ...(status.type === REVISION ? { revision: status.revision } : {}),
        percent: status.percent,
        tag: status.tag,
        ...(door ? { uri: door.url } : {}),
      };
    }),
    reconciling: service.reconciling,
    etag: service.etag,
  };
}

/** The Revision message, as GetRevision answers it. */
export function renderRevision(revision: RevisionRecord) {
  const service = revision.service;
  const { template } = revision;
  return {
    name: `${service.fullName}/revisions/${revision.name}`,
    uid: revision.uid,
    generation: String(revision.generation),
    labels: template.labels,
    annotations: template.annotations,
    createTime: timestamp(revision.createTime),
    updateTime: timestamp(revision.updateTime),
    ...(revision.deleteTime ? { deleteTime: timestamp(revision.deleteTime) } : {}),
    launchStage: 'GA',
    service: service.fullName,
    ...(template.scaling ? { scaling: template.scaling } : {}),
    maxInstanceRequestConcurrency: template.maxInstanceRequestConcurrency,
    ...(template.timeout ? { timeout: template.timeout } : {}),
    serviceAccount:
      template.serviceAccount || `${projectNumber(service.project)}-compute@developer.gserviceaccount.com`,
    containers: template.containers,
    executionEnvironment: template.executionEnvironment,
    reconciling: revision.state === 'pending',
    conditions: revision.conditions.map(renderCondition),
    observedGeneration: String(revision.generation),
    logUri: `https://console.cloud.google.com/logs/viewer?project=${service.project}&resource=cloud_run_revision/service_name/${service.id}/revision_name/${revision.name}`,
    etag: revision.etag,
  };
}

function renderCondition(condition: Condition): object {
  return {
    type: condition.type,
    state: condition.state,
    message: condition.message,
    lastTransitionTime: timestamp(condition.lastTransitionTime),
    severity: condition.state === 'CONDITION_FAILED' ? 'ERROR' : 'SEVERITY_UNSPECIFIED',
    ...(condition.reason ? { reason: condition.reason } : {}),
    ...(condition.revisionReason ? { revisionReason: condition.revisionReason } : {}),
  };
}

/** The long-running operation of a rollout: the service as it is now, and how the rollout ended once it has. */
export function renderOperation(
  packAny: OperationStore['packAny'],
  service: ServiceRecord,
  operation: PendingOperation,
): OperationMessage {
  const message: OperationMessage = {
    name: operation.name,
    done: operation.outcome !== undefined,
    metadata: packAny('google.cloud.run.v2.Service', renderService(service)),
  };
  if (!operation.outcome) return message;
  if ('error' in operation.outcome) return { ...message, error: { ...operation.outcome.error, details: [] } };
  return { ...message, response: packAny('google.cloud.run.v2.Service', operation.outcome.snapshot) };
}

export function renderPolicy(policy: ServiceRecord['iam']): object {
  return {
    version: policy.version,
    bindings: policy.bindings.map((binding) => ({ role: binding.role, members: binding.members })),
    etag: policy.etag,
  };
}

/** One page of a List response: `key` holds the rendered items, `nextPageToken` the offset of the next page. */
export function paginate<T>(
  items: T[],
  pageSize: number,
  pageToken: string,
  key: string,
  render: (item: T) => object,
): object {
  if (pageSize < 0) throw invalidArgument('page_size must not be negative');
  const offset = pageToken ? Number.parseInt(Buffer.from(pageToken, 'base64url').toString('utf8'), 10) : 0;
  if (!Number.isInteger(offset) || offset < 0) throw invalidArgument('page_token: invalid page token');
  const size = pageSize === 0 ? 100 : Math.min(pageSize, 1000);
  const page = items.slice(offset, offset + size);
  const next = offset + size < items.length ? Buffer.from(String(offset + size)).toString('base64url') : '';
  return { [key]: page.map(render), nextPageToken: next };
}

/** The labels of the `cloud_run_revision` monitored resource a log entry of `revision` is written against. */
export function resourceLabels(service: ServiceRecord, revision: string): Record<string, string> {
  return {
    project_id: service.project,
    service_name: service.id,
    revision_name: revision,
    location: service.region,
    configuration_name: service.id,
  };
}
