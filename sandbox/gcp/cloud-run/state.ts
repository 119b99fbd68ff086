/**
 * What the Cloud Run emulator holds: the records every family reads and changes, the dependencies it was built
 * with, and the lookups that answer NOT_FOUND the way Cloud Run does.
 */
import { randomBytes } from 'node:crypto';

import type { ServiceDefinition } from '@grpc/grpc-js';
import { z } from 'zod';

import type { CloudLogging } from '../cloud-logging.js';
import type { Faults, PendingRevisionFailure } from '../faults.js';
import type { FrontDoor } from '../front-door.js';
import type { RequestSample } from '../monitoring/metrics.js';
import type { OperationStore } from '../operations.js';
import type { ArtifactRegistry } from '../registry.js';
import { invalidArgument, notFound } from '../rpc.js';
import type { ServiceInput, TemplateInput } from '../run-validation.js';
import type { Scheduler } from '../scheduler.js';
import type { Clock, GcpTimings, RevisionRuntime, RunningRevision } from '../types.js';

export type ConditionState = 'CONDITION_PENDING' | 'CONDITION_RECONCILING' | 'CONDITION_FAILED' | 'CONDITION_SUCCEEDED';

export interface Condition {
  type: string;
  state: ConditionState;
  message: string;
  lastTransitionTime: Date;
  reason?: string;
  revisionReason?: string;
}

export interface RevisionRecord {
  readonly name: string;
  readonly uid: string;
  readonly service: ServiceRecord;
  readonly generation: number;
  readonly createTime: Date;
  /** The template it was created from, with its name filled in and defaults applied. */
  readonly template: TemplateInput;
  /** The service it was created with (`revisionConfiguration`), which a template naming it must match. */
  readonly configuration: string;
  readonly forcedFailure: PendingRevisionFailure | undefined;
  state: 'pending' | 'ready' | 'failed';
  conditions: Condition[];
  updateTime: Date;
  deleteTime?: Date;
  running?: RunningRevision | undefined;
  readonly etag: string;
}

/** A traffic status as served; `revision` is resolved even for LATEST (for routing). */
export interface TrafficStatusRecord {
  readonly type: string;
  readonly revision: string;
  readonly percent: number;
  readonly tag: string;
}

export interface PendingOperation {
  readonly name: string;
  readonly generation: number;
  outcome?: { snapshot: object } | { error: { code: number; message: string } };
}

export interface PolicyBinding {
  role: string;
  members: string[];
}

export interface ServiceRecord {
  readonly project: string;
  readonly region: string;
  readonly id: string;
  readonly fullName: string;
  readonly uid: string;
  readonly createTime: Date;
  spec: ServiceInput;
  updateTime: Date;
  generation: number;
  etag: string;
  observedGeneration: number;
  latestCreatedRevision: string;
  latestReadyRevision: string;
  trafficStatuses: TrafficStatusRecord[];
  terminal: Condition;
  routesReady: Condition;
  configurationsReady: Condition;
  reconciling: boolean;
  revisionCounter: number;
  readonly revisions: Map<string, RevisionRecord>;
  readonly door: FrontDoor;
  readonly tagDoors: Map<string, FrontDoor>;
  iam: { version: number; bindings: PolicyBinding[]; etag: Buffer };
  pendingOperations: PendingOperation[];
}

export interface CloudRunDeps {
  readonly clock: Clock;
  readonly faults: Faults;
  readonly scheduler: Scheduler;
  readonly timings: GcpTimings;
  readonly registry: ArtifactRegistry;
  readonly logging: CloudLogging;
  readonly operations: OperationStore;
  readonly runtime: RevisionRuntime;
  readonly servicesDefinition: ServiceDefinition;
  /** Draws the revision of each request to a service URL by the traffic split: uniform in [0, 1). */
  readonly random: () => number;
  /** Where every request that reached a revision is counted (Cloud Monitoring's request metrics). */
  readonly requestMetrics: { record(sample: RequestSample): void };
}

/** The one state the modules of the emulator share; `closed` stops work still in flight after `close()`. */
export interface CloudRunState {
  readonly deps: CloudRunDeps;
  /** Services by full name (`projects/P/locations/L/services/S`). */
  readonly services: Map<string, ServiceRecord>;
  /** Secret Manager values by `project/secret`, then by version (and `latest`). */
  readonly secrets: Map<string, Map<string, string>>;
  closed: boolean;
}

export function newCloudRunState(deps: CloudRunDeps): CloudRunState {
  return { deps, services: new Map(), secrets: new Map(), closed: false };
}

export const SERVICE_NAME = /^projects\/([^/]+)\/locations\/([^/]+)\/services\/([^/]+)$/;
const REVISION_NAME = /^projects\/([^/]+)\/locations\/([^/]+)\/services\/([^/]+)\/revisions\/([^/]+)$/;

/** The request shapes the Services and Revisions families share. */
export const NameRequest = z.object({ name: z.string() });
export const ListRequest = z.object({
  parent: z.string(),
  pageSize: z.number().int(),
  pageToken: z.string(),
  showDeleted: z.boolean(),
});

/** The service named `name`, or INVALID_ARGUMENT / NOT_FOUND as Cloud Run answers them. */
export function findService(state: CloudRunState, name: string): ServiceRecord {
  const match = SERVICE_NAME.exec(name);
  if (!match)
    throw invalidArgument(`name: "${name}" is not of the form projects/PROJECT/locations/LOCATION/services/SERVICE`);
  const service = state.services.get(name);
  if (!service) {
    throw notFound(
      `Resource '${match[3]}' of kind 'SERVICE' in region '${match[2]}' in project '${match[1]}' does not exist.`,
    );
  }
  return service;
}

/** The revision named `name`, or INVALID_ARGUMENT / NOT_FOUND as Cloud Run answers them. */
export function findRevision(state: CloudRunState, name: string): RevisionRecord {
  const match = REVISION_NAME.exec(name);
  if (!match) {
    throw invalidArgument(
      `name: "${name}" is not of the form projects/PROJECT/locations/LOCATION/services/SERVICE/revisions/REVISION`,
    );
  }
  const service = state.services.get(`projects/${match[1]}/locations/${match[2]}/services/${match[3]}`);
  const revision = service?.revisions.get(match[4] ?? '');
  if (!revision) {
    throw notFound(
      `Resource '${match[4]}' of kind 'REVISION' in region '${match[2]}' in project '${match[1]}' does not exist.`,
    );
  }
  return revision;
}

/** Records a change of the service: a new etag and update time. */
export function touch(state: CloudRunState, service: ServiceRecord): void {
  service.etag = newEtag();
  service.updateTime = state.deps.clock.now();
}

export function newEtag(): string {
  return `"${randomBytes(16).toString('base64url')}"`;
}

export function impossible(why: string): never {
  throw new Error(`emulator invariant broken: ${why}`);
}
