/**
 * Cloud Run Admin v2 (`google.cloud.run.v2.Services` and `Revisions`) with revision readiness,
 * traffic, tags, IAM and the URLs that serve the revisions.
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
import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { createRequire } from 'node:module';

import type { ServiceDefinition } from '@grpc/grpc-js';
import protobuf from 'protobufjs';
import { z } from 'zod';

import type { CloudLogging } from './cloud-logging.js';
import type { Faults, PendingRevisionFailure } from './faults.js';
import { FrontDoor, type RouteDecision, type ServedRequest } from './front-door.js';
import type { OperationMessage, OperationStore } from './operations.js';
import type { ArtifactRegistry } from './registry.js';
import {
  failedPrecondition,
  GrpcStatus,
  invalidArgument,
  notFound,
  parseRequest,
  RpcError,
  type UnaryHandler,
} from './rpc.js';
import {
  applyMaskedFields,
  formatViolations,
  isScaledToZero,
  LATEST,
  normalizeServiceScaling,
  resolveUpdateMask,
  REVISION,
  revisionConfiguration,
  ServiceInput,
  TemplateInput,
  validateServiceId,
  validateServiceMetadata,
  validateTemplate,
  validateTraffic,
  type TrafficTargetInput,
  type Violation,
} from './run-validation.js';
import type { Scheduler } from './scheduler.js';
import type { Clock, GcpTimings, RevisionRuntime, RunningRevision, RuntimeLogEntry } from './types.js';
import { canonicalJson, duration, projectNumber, timestamp } from './wire.js';

type ConditionState = 'CONDITION_PENDING' | 'CONDITION_RECONCILING' | 'CONDITION_FAILED' | 'CONDITION_SUCCEEDED';

interface Condition {
  type: string;
  state: ConditionState;
  message: string;
  lastTransitionTime: Date;
  reason?: string;
  revisionReason?: string;
}

interface RevisionRecord {
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
interface TrafficStatusRecord {
  readonly type: string;
  readonly revision: string;
  readonly percent: number;
  readonly tag: string;
}

interface PendingOperation {
  readonly name: string;
  readonly generation: number;
  outcome?: { snapshot: object } | { error: { code: number; message: string } };
}

interface PolicyBinding {
  role: string;
  members: string[];
}

interface ServiceRecord {
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
}

export interface SeedServiceOptions {
  readonly project: string;
  readonly region: string;
  readonly name: string;
  readonly image: string;
  readonly env?: Readonly<Record<string, string>>;
  /** Env vars read from Secret Manager; each secret is created with `value` (default `<secret>-value`). */
  readonly secretEnv?: Readonly<Record<string, { secret: string; version: string; value?: string }>>;
  /**
   * 'latest' (the default, what `gcloud run deploy` leaves): 100 % to LATEST; 'pinned': 100 %
   * to the newest revision by name; or explicit targets (`revision: 'LATEST'` for LATEST).
   */
  readonly traffic?: 'latest' | 'pinned' | ReadonlyArray<{ revision: string; percent: number; tag?: string }>;
  /** Adds `roles/run.invoker` for `allUsers`, what `--allow-unauthenticated` does. */
  readonly allowUnauthenticated?: boolean;
  /** How many revisions to create, oldest first (default 1). */
  readonly revisions?: number;
  /** Names for the revisions (default `<service>-0000N-xyz`). */
  readonly revisionNames?: readonly string[];
  readonly memory?: string;
  readonly cpu?: string;
  readonly timeoutSeconds?: number;
  readonly labels?: Readonly<Record<string, string>>;
}

export interface SeededService {
  readonly name: string;
  readonly uri: string;
  readonly revisions: readonly string[];
}

const require = createRequire(import.meta.url);
// The descriptors the client ships: the same field names the real server reads an update mask against.
const SERVICE_TYPE = protobuf.Root.fromJSON(
  require('@google-cloud/run/build/protos/protos.json') as protobuf.INamespace,
).lookupType('google.cloud.run.v2.Service');

/** The fields (decoded names) of the message `keys` leads to from Service; undefined past a scalar, list or map. */
function serviceFieldsAt(keys: readonly string[]): ReadonlySet<string> | undefined {
  let type: protobuf.Type = SERVICE_TYPE;
  for (const key of keys) {
    const field = type.fields[key]?.resolve();
    if (!field || field.repeated || field.map || !(field.resolvedType instanceof protobuf.Type)) return undefined;
    type = field.resolvedType;
  }
  return new Set(Object.keys(type.fields));
}

const UpdateServiceRequest = z.object({
  service: ServiceInput.nullable(),
  validateOnly: z.boolean(),
  allowMissing: z.boolean(),
  updateMask: z.object({ paths: z.array(z.string()) }).nullable(),
});
const CreateServiceRequest = z.object({
  parent: z.string(),
  service: ServiceInput.nullable(),
  serviceId: z.string(),
  validateOnly: z.boolean(),
});
const NameRequest = z.object({ name: z.string() });
const ListRequest = z.object({
  parent: z.string(),
  pageSize: z.number().int(),
  pageToken: z.string(),
  showDeleted: z.boolean(),
});
const DeleteRevisionRequest = z.object({ name: z.string(), validateOnly: z.boolean(), etag: z.string() });
const GetIamPolicyRequest = z.object({ resource: z.string() });
const SetIamPolicyRequest = z.object({
  resource: z.string(),
  policy: z
    .object({
      version: z.number().int(),
      bindings: z.array(z.looseObject({ role: z.string(), members: z.array(z.string()) })),
      etag: z.instanceof(Buffer),
    })
    .nullable(),
});

/** The fields of google.cloud.run.v2.Service a caller sets (the others are OUTPUT_ONLY). */
const SERVICE_INPUT_FIELDS = [
  'description',
  'labels',
  'annotations',
  'client',
  'clientVersion',
  'ingress',
  'launchStage',
  'binaryAuthorization',
  'scaling',
  'invokerIamDisabled',
  'defaultUriDisabled',
  'customAudiences',
  'iapEnabled',
  'multiRegionSettings',
  'buildConfig',
] as const;

const INVOKER_ROLE = 'roles/run.invoker';
const PUBLIC_MEMBERS = ['allUsers', 'allAuthenticatedUsers'];
const MEMBER =
  /^(allUsers|allAuthenticatedUsers|(user|serviceAccount|group|domain|principal|principalSet|deleted:user|deleted:serviceAccount|deleted:group):.+)$/;
const SUPPORTED_ROLE = /^roles\/(run\.[A-Za-z]+|owner|editor|viewer)$/;
/** The etag IAM gives a policy that was never set ("ACAB"). */
const EMPTY_POLICY_ETAG = Buffer.from('ACAB', 'base64');
const SERVICE_NAME = /^projects\/([^/]+)\/locations\/([^/]+)\/services\/([^/]+)$/;
const REVISION_NAME = /^projects\/([^/]+)\/locations\/([^/]+)\/services\/([^/]+)\/revisions\/([^/]+)$/;

export type ServiceView = ReturnType<CloudRun['renderService']>;
export type RevisionView = ReturnType<CloudRun['renderRevision']>;

export class CloudRun {
  private readonly services = new Map<string, ServiceRecord>();
  private readonly secrets = new Map<string, Map<string, string>>();
  private closed = false;

  constructor(private readonly deps: CloudRunDeps) {}

  servicesHandlers(): Record<string, UnaryHandler> {
    return {
      GetService: (request) =>
        this.renderService(this.findService(parseRequest(NameRequest, request, 'GetServiceRequest').name)),
      ListServices: (request) => this.listServices(request),
      CreateService: (request) => this.createService(request),
      UpdateService: (request) => this.updateService(request),
      GetIamPolicy: (request) => this.getIamPolicy(request),
      SetIamPolicy: (request) => this.setIamPolicy(request),
    };
  }

  revisionsHandlers(): Record<string, UnaryHandler> {
    return {
      GetRevision: (request) =>
        this.renderRevision(this.findRevision(parseRequest(NameRequest, request, 'GetRevisionRequest').name)),
      ListRevisions: (request) => this.listRevisions(request),
      DeleteRevision: (request) => this.deleteRevision(request),
    };
  }

  // --- state for tests and the console ---------------------------------------------------

  listServiceViews(): ServiceView[] {
    return [...this.services.values()].map((service) => this.renderService(service));
  }

  listRevisionViews(): RevisionView[] {
    return [...this.services.values()].flatMap((service) =>
      newestFirst([...service.revisions.values()]).map((revision) => this.renderRevision(revision)),
    );
  }

  seedSecret(project: string, secret: string, value: string, version = '1'): void {
    const versions = this.secrets.get(`${project}/${secret}`) ?? new Map<string, string>();
    versions.set(version, value);
    versions.set('latest', value);
    this.secrets.set(`${project}/${secret}`, versions);
  }

  /** Creates a service as `gcloud run deploy` leaves it, its revisions Ready and running. */
  async seedService(options: SeedServiceOptions): Promise<SeededService> {
    const fullName = `projects/${options.project}/locations/${options.region}/services/${options.name}`;
    if (this.services.has(fullName)) throw new Error(`service ${fullName} already exists`);
    const idProblems = validateServiceId(options.name);
    if (idProblems.length > 0) throw new Error(formatViolations(idProblems));
    this.deps.registry.seed(options.image);
    for (const { secret, version, value } of Object.values(options.secretEnv ?? {})) {
      this.seedSecret(options.project, secret, value ?? `${secret}-value`, version === 'latest' ? '1' : version);
    }
    const env = [
      ...Object.entries(options.env ?? {}).map(([name, value]) => ({ name, value })),
      ...Object.entries(options.secretEnv ?? {}).map(([name, ref]) => ({
        name,
        valueSource: { secretKeyRef: { secret: ref.secret, version: ref.version } },
      })),
    ];
    const limits: Record<string, string> = {};
    if (options.memory) limits['memory'] = options.memory;
    if (options.cpu) limits['cpu'] = options.cpu;
    const template = {
      containers: [{ image: options.image, env, ...(Object.keys(limits).length > 0 ? { resources: { limits } } : {}) }],
      ...(options.timeoutSeconds !== undefined ? { timeout: duration(options.timeoutSeconds) } : {}),
    };
    const spec = this.normalizeService({ name: fullName, labels: options.labels ?? {}, template });
    const problems = [...validateTemplate(options.name, spec.template), ...validateServiceMetadata(spec)];
    if (problems.length > 0) throw new Error(formatViolations(problems));

    const service = await this.newServiceRecord(options.project, options.region, options.name, spec);
    const count = Math.max(1, options.revisions ?? 1);
    const names: string[] = [];
    for (let index = 0; index < count; index += 1) {
      service.generation = index + 1;
      const name = options.revisionNames?.[index] ?? this.autoRevisionName(service);
      const seeded = spec.template ?? this.impossible('template validated above');
      const revision = this.addRevision(service, { ...seeded, revision: name }, undefined);
      await this.bringUp(revision, false);
      if (revision.state !== 'ready') {
        throw new Error(`seeded revision ${name} did not start: ${revision.conditions[0]?.message ?? 'unknown'}`);
      }
      service.latestReadyRevision = name;
      names.push(name);
    }
    const last = names[names.length - 1] ?? '';
    const traffic: TrafficTargetInput[] =
      options.traffic === undefined || options.traffic === 'latest'
        ? [{ type: LATEST, revision: '', percent: 100, tag: '' }]
        : options.traffic === 'pinned'
          ? [{ type: REVISION, revision: last, percent: 100, tag: '' }]
          : options.traffic.map((target) =>
              target.revision === 'LATEST'
                ? { type: LATEST, revision: '', percent: target.percent, tag: target.tag ?? '' }
                : { type: REVISION, revision: target.revision, percent: target.percent, tag: target.tag ?? '' },
            );
    const trafficProblems = validateTraffic(options.name, traffic);
    if (trafficProblems.length > 0) throw new Error(formatViolations(trafficProblems));
    service.spec = { ...spec, traffic };
    if (options.allowUnauthenticated) {
      service.iam = { version: 1, bindings: [{ role: INVOKER_ROLE, members: ['allUsers'] }], etag: randomBytes(8) };
    }
    const outcome = this.resolveTraffic(service);
    if ('failure' in outcome) throw new Error(outcome.failure.message);
    await this.applyTraffic(service, outcome.statuses);
    this.markSucceeded(service);
    return { name: fullName, uri: service.door.url, revisions: names };
  }

  async close(): Promise<void> {
    this.closed = true;
    const stops: Array<Promise<void>> = [];
    for (const service of this.services.values()) {
      stops.push(service.door.close());
      for (const door of service.tagDoors.values()) stops.push(door.close());
      for (const revision of service.revisions.values()) {
        if (revision.running) stops.push(revision.running.stop());
      }
    }
    await Promise.allSettled(stops);
  }

  // --- Services ----------------------------------------------------------------------------

  private listServices(request: unknown): object {
    const req = parseRequest(ListRequest, request, 'ListServicesRequest');
    const match = /^projects\/([^/]+)\/locations\/([^/]+)$/.exec(req.parent);
    if (!match) throw invalidArgument(`parent: "${req.parent}" is not of the form projects/PROJECT/locations/LOCATION`);
    const [, project, region] = match;
    const services = [...this.services.values()].filter(
      (service) => service.project === project && (region === '-' || service.region === region),
    );
    return {
      ...paginate(services, req.pageSize, req.pageToken, 'services', (service) => this.renderService(service)),
      unreachable: [],
    };
  }

  private async createService(request: unknown): Promise<OperationMessage> {
    const req = parseRequest(CreateServiceRequest, request, 'CreateServiceRequest');
    const match = /^projects\/([^/]+)\/locations\/([^/]+)$/.exec(req.parent);
    if (!match?.[1] || !match[2])
      throw invalidArgument(`parent: "${req.parent}" is not of the form projects/PROJECT/locations/LOCATION`);
    if (!req.service) throw invalidArgument('service: a service is required');
    const problems = validateServiceId(req.serviceId);
    if (problems.length > 0) throw invalidArgument(formatViolations(problems));
    const fullName = `${req.parent}/services/${req.serviceId}`;
    if (this.services.has(fullName))
      throw new RpcError(GrpcStatus.ALREADY_EXISTS, `Resource '${req.serviceId}' already exists.`);
    return this.create(match[1], match[2], req.serviceId, { ...req.service, name: fullName }, req.validateOnly);
  }

  private async create(
    project: string,
    region: string,
    id: string,
    input: ServiceInput,
    validateOnly: boolean,
  ): Promise<OperationMessage> {
    const spec = this.normalizeService(input);
    const problems = [
      ...validateServiceMetadata(spec),
      ...validateTemplate(id, spec.template),
      ...validateTraffic(id, spec.traffic),
    ];
    if (problems.length > 0) throw invalidArgument(formatViolations(problems));
    this.assertRevisionNameFree(project, region, spec.template?.revision ?? '', undefined);
    this.assertSecretsExist(project, spec.template);
    if (validateOnly) return this.doneOperation(project, region, { ...spec, name: input.name });

    const service = await this.newServiceRecord(project, region, id, spec);
    service.generation = 1;
    const template = spec.template ?? this.impossible('template checked above');
    const revision = this.addRevision(
      service,
      { ...template, revision: template.revision || this.autoRevisionName(service) },
      this.deps.faults.takeRevisionFailure(),
    );
    return this.startRollout(service, revision);
  }

  private async updateService(request: unknown): Promise<OperationMessage> {
    const req = parseRequest(UpdateServiceRequest, request, 'UpdateServiceRequest');
    if (!req.service) throw invalidArgument('service: the service to update is required');
    const match = SERVICE_NAME.exec(req.service.name);
    if (!match?.[1] || !match[2] || !match[3]) {
      throw invalidArgument(
        `service.name: "${req.service.name}" is not of the form projects/PROJECT/locations/LOCATION/services/SERVICE`,
      );
    }
    const [, project, region, id] = match;
    const existing = this.services.get(req.service.name);
    if (!existing) {
      if (!req.allowMissing) {
        throw notFound(
          `Resource '${id}' of kind 'SERVICE' in region '${region}' in project '${project}' does not exist.`,
        );
      }
      const problems = validateServiceId(id);
      if (problems.length > 0) throw invalidArgument(formatViolations(problems));
      return this.create(project, region, id, req.service, req.validateOnly);
    }

    const masked = resolveUpdateMask(req.updateMask?.paths ?? [], serviceFieldsAt);
    const merged = masked === null ? req.service : applyMaskedFields(existing.spec, req.service, masked);
    // Only a template the update applies can name a revision: one left out by the mask is the current one.
    const templateSent = masked === null || masked.some((path) => path[0] === 'template');
    const spec = this.normalizeService(merged);
    const problems: Violation[] = [
      ...validateServiceMetadata(spec),
      ...validateTemplate(id, spec.template),
      ...validateTraffic(id, spec.traffic),
    ];
    if (problems.length > 0) throw invalidArgument(formatViolations(problems));

    if (this.deps.faults.takeAbortUpdate()) {
      this.touch(existing);
      throw new RpcError(GrpcStatus.ABORTED, etagMismatchMessage(id));
    }
    if (req.service.etag !== '' && req.service.etag !== existing.etag) {
      throw new RpcError(GrpcStatus.ABORTED, etagMismatchMessage(id));
    }

    const template = spec.template ?? this.impossible('template checked above');
    const reused = templateSent && template.revision !== '' ? existing.revisions.get(template.revision) : undefined;
    let revisionTemplate: TemplateInput | undefined;
    if (reused) {
      if (revisionConfiguration(spec) !== reused.configuration) {
        throw new RpcError(
          GrpcStatus.ALREADY_EXISTS,
          `Revision named '${reused.name}' with different configuration already exists.`,
        );
      }
    } else if (canonicalJson(template) !== canonicalJson(existing.spec.template)) {
      const name = template.revision || this.autoRevisionName(existing);
      this.assertRevisionNameFree(project, region, name, existing);
      revisionTemplate = this.normalizeTemplate({ ...template, revision: name });
    }
    this.assertSecretsExist(project, template);
    if (req.validateOnly) return this.doneOperation(project, region, spec);

    const specChanged = canonicalJson(spec) !== canonicalJson({ ...existing.spec, etag: spec.etag });
    existing.spec = { ...spec, etag: '' };
    if (specChanged) existing.generation += 1;
    this.touch(existing);
    const revision = revisionTemplate
      ? this.addRevision(existing, revisionTemplate, this.deps.faults.takeRevisionFailure())
      : undefined;
    return this.startRollout(existing, revision);
  }

  private startRollout(service: ServiceRecord, revision: RevisionRecord | undefined): OperationMessage {
    service.reconciling = true;
    const now = this.deps.clock.now();
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
    void this.rollout(service, revision);
    return this.deps.operations.register(operation.name, () => this.renderOperation(service, operation));
  }

  private async rollout(service: ServiceRecord, revision: RevisionRecord | undefined): Promise<void> {
    if (revision) {
      await this.bringUp(revision, true);
      if (this.closed || revision.name !== service.latestCreatedRevision) return;
      if (revision.state === 'failed') {
        const message =
          revision.conditions[0]?.message ?? `Revision '${revision.name}' is not ready and cannot serve traffic.`;
        this.markFailed(service, message, revision.conditions[0]?.reason);
        return;
      }
      service.latestReadyRevision = revision.name;
      service.configurationsReady = {
        type: 'ConfigurationsReady',
        state: 'CONDITION_SUCCEEDED',
        message: '',
        lastTransitionTime: this.deps.clock.now(),
      };
    } else {
      await this.deps.scheduler.sleep(this.deps.timings.trafficUpdateMs);
      if (this.closed) return;
      const latest = service.revisions.get(service.latestCreatedRevision);
      // A revision still coming up settles the rollout when it is done.
      if (latest?.state === 'pending') return;
    }
    const outcome = this.resolveTraffic(service);
    if ('failure' in outcome) {
      this.markFailed(service, outcome.failure.message, undefined);
      return;
    }
    await this.applyTraffic(service, outcome.statuses);
    if (this.closed) return;
    this.markSucceeded(service);
  }

  /** The traffic the desired `traffic` resolves to now, or why it cannot be served. */
  private resolveTraffic(
    service: ServiceRecord,
  ): { statuses: TrafficStatusRecord[] } | { failure: { message: string } } {
    const statuses: TrafficStatusRecord[] = [];
    for (const target of service.spec.traffic) {
      if (target.type === LATEST) {
        if (!service.latestReadyRevision) {
          return { failure: { message: `Service '${service.id}' has no Ready revision to send LATEST traffic to.` } };
        }
        statuses.push({
          type: LATEST,
          revision: service.latestReadyRevision,
          percent: target.percent,
          tag: target.tag,
        });
        continue;
      }
      const revision = service.revisions.get(target.revision);
      if (!revision) {
        return {
          failure: {
            message: `Revision '${target.revision}' does not exist or is deleted. Update all traffic to route to currently available revisions.`,
          },
        };
      }
      if (revision.state !== 'ready') {
        const detail = revision.conditions[0]?.message ?? '';
        return {
          failure: {
            message: detail.startsWith(`Revision '${revision.name}'`)
              ? detail
              : `Revision '${revision.name}' is not ready and cannot serve traffic.${detail ? ` ${detail}` : ''}`,
          },
        };
      }
      statuses.push({ type: REVISION, revision: revision.name, percent: target.percent, tag: target.tag });
    }
    return { statuses };
  }

  /** Serves `statuses`: opens a URL for each new tag, closes those of removed tags. */
  private async applyTraffic(service: ServiceRecord, statuses: TrafficStatusRecord[]): Promise<void> {
    const tags = new Set(statuses.map((status) => status.tag).filter((tag) => tag !== ''));
    for (const tag of tags) {
      if (!service.tagDoors.has(tag)) {
        const door = await FrontDoor.open({
          route: (request) => this.routeTag(service, tag, request),
          served: (served) => this.logRequest(service, served, door.url),
        });
        service.tagDoors.set(tag, door);
      }
    }
    for (const [tag, door] of service.tagDoors) {
      if (!tags.has(tag)) {
        service.tagDoors.delete(tag);
        await door.close();
      }
    }
    service.trafficStatuses = statuses;
  }

  private markSucceeded(service: ServiceRecord): void {
    const now = this.deps.clock.now();
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
    this.touch(service);
    const snapshot = this.renderService(service);
    this.settle(service, { snapshot });
  }

  private markFailed(service: ServiceRecord, message: string, reason: string | undefined): void {
    const now = this.deps.clock.now();
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
    this.touch(service);
    this.settle(service, { error: { code: GrpcStatus.INTERNAL, message } });
  }

  private settle(service: ServiceRecord, outcome: NonNullable<PendingOperation['outcome']>): void {
    for (const operation of service.pendingOperations) {
      if (operation.generation <= service.generation && !operation.outcome) operation.outcome = outcome;
    }
    service.pendingOperations = service.pendingOperations.filter((operation) => !operation.outcome);
  }

  private renderOperation(service: ServiceRecord, operation: PendingOperation): OperationMessage {
    const packAny = this.deps.operations.packAny;
    const message: OperationMessage = {
      name: operation.name,
      done: operation.outcome !== undefined,
      metadata: packAny('google.cloud.run.v2.Service', this.renderService(service)),
    };
    if (!operation.outcome) return message;
    if ('error' in operation.outcome) return { ...message, error: { ...operation.outcome.error, details: [] } };
    return { ...message, response: packAny('google.cloud.run.v2.Service', operation.outcome.snapshot) };
  }

  /** An operation that is already done (validate_only): the service as it would be. */
  private doneOperation(project: string, region: string, spec: ServiceInput): OperationMessage {
    const name = `projects/${project}/locations/${region}/operations/${randomUUID()}`;
    const packed = this.deps.operations.packAny('google.cloud.run.v2.Service', spec);
    return this.deps.operations.register(name, () => ({ name, done: true, metadata: packed, response: packed }));
  }

  // --- Revisions ---------------------------------------------------------------------------

  private addRevision(
    service: ServiceRecord,
    template: TemplateInput,
    forcedFailure: PendingRevisionFailure | undefined,
  ): RevisionRecord {
    const now = this.deps.clock.now();
    const normalized = this.normalizeTemplate(template);
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
  private async bringUp(revision: RevisionRecord, wait: boolean): Promise<void> {
    if (wait) await this.deps.scheduler.sleep(this.deps.timings.revisionReadyMs);
    if (this.closed) return;
    const service = revision.service;
    const container = revision.template.containers[0];
    const image = container?.image ?? '';
    const notReady = `Revision '${revision.name}' is not ready and cannot serve traffic.`;
    const forced = revision.forcedFailure;
    if (forced?.kind === 'image-import') {
      this.failRevision(
        revision,
        `${notReady} ${forced.message ?? `Image '${image}' could not be imported: the image import did not complete within the allotted time.`}`,
        { reason: 'CONTAINER_MISSING' },
      );
      return;
    }
    if (this.deps.registry.resolve(image) === undefined) {
      this.failRevision(revision, `${notReady} Image '${image}' not found.`, { reason: 'CONTAINER_MISSING' });
      return;
    }
    if (forced?.kind === 'never-ready') {
      const message =
        forced.message ??
        'The user-provided container failed to start and listen on the port defined provided by the PORT=8080 environment variable within the allocated timeout. This can happen when the container port is misconfigured or if the timeout is too short. The health check timeout can be extended. Logs for this revision might contain more information.';
      this.failRevision(revision, message.startsWith('Revision ') ? message : `${notReady} ${message}`, {
        revisionReason: 'HEALTH_CHECK_CONTAINER_ERROR',
      });
      return;
    }
    const env: Record<string, string> = {};
    for (const variable of container?.env ?? []) {
      const ref = variable.valueSource?.secretKeyRef;
      env[variable.name] = ref
        ? (this.secretValue(service.project, ref.secret, ref.version) ?? '')
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
    const started = await this.deps.runtime
      .start({
        project: service.project,
        region: service.region,
        service: service.id,
        revision: revision.name,
        image,
        env,
        writeLog: (entry) => this.writeRevisionLog(revision, instanceId, entry),
      })
      .catch((error: unknown) => ({ failed: error instanceof Error ? error.message : String(error) }));
    if ('failed' in started) {
      this.failRevision(
        revision,
        started.failed.startsWith('Revision ') ? started.failed : `${notReady} ${started.failed}`,
        {
          revisionReason: 'HEALTH_CHECK_CONTAINER_ERROR',
        },
      );
      return;
    }
    if (this.closed || revision.deleteTime) {
      await started.stop();
      return;
    }
    revision.running = started;
    revision.state = 'ready';
    const now = this.deps.clock.now();
    revision.updateTime = now;
    revision.conditions = [
      { type: 'Ready', state: 'CONDITION_SUCCEEDED', message: '', lastTransitionTime: now },
      { type: 'ContainerHealthy', state: 'CONDITION_SUCCEEDED', message: '', lastTransitionTime: now },
      { type: 'ResourcesAvailable', state: 'CONDITION_SUCCEEDED', message: '', lastTransitionTime: now },
    ];
  }

  private failRevision(
    revision: RevisionRecord,
    message: string,
    reason: { reason?: string; revisionReason?: string },
  ): void {
    const now = this.deps.clock.now();
    revision.state = 'failed';
    revision.updateTime = now;
    revision.conditions = [
      { type: 'Ready', state: 'CONDITION_FAILED', message, lastTransitionTime: now, ...reason },
      { type: 'ContainerHealthy', state: 'CONDITION_FAILED', message, lastTransitionTime: now },
      { type: 'ResourcesAvailable', state: 'CONDITION_SUCCEEDED', message: '', lastTransitionTime: now },
    ];
  }

  private listRevisions(request: unknown): object {
    const req = parseRequest(ListRequest, request, 'ListRevisionsRequest');
    const match = SERVICE_NAME.exec(req.parent);
    if (!match)
      throw invalidArgument(
        `parent: "${req.parent}" is not of the form projects/PROJECT/locations/LOCATION/services/SERVICE`,
      );
    const [, project, region, id] = match;
    let services: ServiceRecord[];
    if (id === '-') {
      services = [...this.services.values()].filter(
        (service) => service.project === project && service.region === region,
      );
    } else {
      services = [this.findService(req.parent)];
    }
    const revisions = newestFirst(services.flatMap((service) => [...service.revisions.values()]));
    return paginate(revisions, req.pageSize, req.pageToken, 'revisions', (revision) => this.renderRevision(revision));
  }

  private deleteRevision(request: unknown): OperationMessage {
    const req = parseRequest(DeleteRevisionRequest, request, 'DeleteRevisionRequest');
    const revision = this.findRevision(req.name);
    if (req.etag !== '' && req.etag !== revision.etag) {
      throw new RpcError(GrpcStatus.ABORTED, `The etag of revision '${revision.name}' does not match.`);
    }
    const service = revision.service;
    const serving =
      service.trafficStatuses.some((status) => status.revision === revision.name) ||
      service.spec.traffic.some((target) => target.type === REVISION && target.revision === revision.name);
    if (serving) {
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
      revision.deleteTime = this.deps.clock.now();
      service.revisions.delete(revision.name);
      const running = revision.running;
      revision.running = undefined;
      if (running) void running.stop();
    }
    const packed = this.deps.operations.packAny('google.cloud.run.v2.Revision', this.renderRevision(revision));
    return this.deps.operations.register(name, () => ({ name, done: true, metadata: packed, response: packed }));
  }

  // --- IAM ---------------------------------------------------------------------------------

  private getIamPolicy(request: unknown): object {
    const req = parseRequest(GetIamPolicyRequest, request, 'GetIamPolicyRequest');
    return renderPolicy(this.findService(req.resource).iam);
  }

  private setIamPolicy(request: unknown): object {
    const req = parseRequest(SetIamPolicyRequest, request, 'SetIamPolicyRequest');
    const service = this.findService(req.resource);
    if (!req.policy) throw invalidArgument('policy: a policy is required');
    if (req.policy.etag.length > 0 && !req.policy.etag.equals(service.iam.etag)) {
      throw new RpcError(
        GrpcStatus.ABORTED,
        'There were concurrent policy changes. Please retry the whole read-modify-write with exponential backoff.',
      );
    }
    const bindings: PolicyBinding[] = [];
    for (const binding of req.policy.bindings) {
      if (!SUPPORTED_ROLE.test(binding.role)) {
        throw invalidArgument(`Role ${binding.role} is not supported for this resource.`);
      }
      for (const member of binding.members) {
        if (!MEMBER.test(member))
          throw invalidArgument(`Invalid member "${member}" in binding for role ${binding.role}.`);
        if (PUBLIC_MEMBERS.includes(member) && this.deps.faults.isPublicAccessRestricted) {
          throw failedPrecondition(
            'One or more users named in the policy do not belong to a permitted customer, perhaps due to an organization policy.',
          );
        }
      }
      if (binding.members.length > 0) bindings.push({ role: binding.role, members: [...new Set(binding.members)] });
    }
    service.iam = { version: req.policy.version || 1, bindings, etag: randomBytes(8) };
    return renderPolicy(service.iam);
  }

  // --- serving -----------------------------------------------------------------------------

  private allowsUnauthenticated(service: ServiceRecord): boolean {
    if (service.spec.invokerIamDisabled) return true;
    return service.iam.bindings.some(
      (binding) => binding.role === INVOKER_ROLE && binding.members.includes('allUsers'),
    );
  }

  private routeService(service: ServiceRecord, request: IncomingMessage): RouteDecision {
    if (!this.allowsUnauthenticated(service) && !hasBearer(request)) return { kind: 'forbidden' };
    const weighted = service.trafficStatuses.filter((status) => status.percent > 0);
    const total = weighted.reduce((sum, status) => sum + status.percent, 0);
    if (total === 0)
      return { kind: 'unavailable', revision: '', message: 'no revision of this service receives traffic' };
    let pick = Math.random() * total;
    const chosen = weighted.find((status) => (pick -= status.percent) < 0) ?? weighted[weighted.length - 1];
    if (this.hasNoInstances(service, chosen?.revision ?? '')) return noInstances(chosen?.revision ?? '');
    return this.routeTo(service, chosen?.revision ?? '');
  }

  private routeTag(service: ServiceRecord, tag: string, request: IncomingMessage): RouteDecision {
    if (!this.allowsUnauthenticated(service) && !hasBearer(request)) return { kind: 'forbidden' };
    const status = service.trafficStatuses.find((candidate) => candidate.tag === tag);
    if (this.hasNoInstances(service, status?.revision ?? '')) return noInstances(status?.revision ?? '');
    return this.routeTo(service, status?.revision ?? '');
  }

  /**
   * Manual scaling at 0 leaves every revision of the traffic split without an instance. A revision reached only
   * through its tag (0 %) is outside the split and still scales to one instance for its tag URL
   * (https://cloud.google.com/run/docs/configuring/services/manual-scaling, "Traffic splits for manual scaling").
   * Counts above 0 are served as usual: how Cloud Run shares a small count among many revisions is not emulated.
   */
  private hasNoInstances(service: ServiceRecord, revision: string): boolean {
    return (
      isScaledToZero(service.spec.scaling) &&
      service.trafficStatuses.some((status) => status.revision === revision && status.percent > 0)
    );
  }

  private routeTo(service: ServiceRecord, name: string): RouteDecision {
    const revision = service.revisions.get(name);
    if (!revision?.running)
      return { kind: 'unavailable', revision: name, message: `revision '${name}' is not running` };
    return { kind: 'proxy', target: revision.running.url, revision: name };
  }

  /**
   * Writes the request log of a request the platform answered itself. Requests a container
   * answered are logged by the runtime (the sample service writes Cloud Run's request log
   * through `writeLog`), so they are not logged twice.
   */
  private logRequest(service: ServiceRecord, served: ServedRequest, base: string): void {
    if (!served.byPlatform) return;
    const severity = served.status >= 500 ? 'ERROR' : served.status >= 400 ? 'WARNING' : 'INFO';
    this.deps.logging.write({
      logName: `projects/${service.project}/logs/run.googleapis.com%2Frequests`,
      timestamp: this.deps.clock.now(),
      severity,
      ...(served.note !== undefined ? { textPayload: served.note } : {}),
      resource: { type: 'cloud_run_revision', labels: this.resourceLabels(service, served.revision) },
      httpRequest: {
        requestMethod: served.method,
        requestUrl: new URL(served.url, base).toString(),
        status: served.status,
        latency: `${(served.latencyMs / 1000).toFixed(9)}s`,
        userAgent: served.userAgent,
        remoteIp: served.remoteIp,
        responseSize: served.responseSize,
      },
    });
  }

  private writeRevisionLog(revision: RevisionRecord, instanceId: string, entry: RuntimeLogEntry): void {
    const service = revision.service;
    const { logName, timestamp: at, ...rest } = entry;
    this.deps.logging.write({
      ...rest,
      logName: logName ?? `projects/${service.project}/logs/run.googleapis.com%2Fstdout`,
      timestamp: at instanceof Date && !Number.isNaN(at.getTime()) ? at : this.deps.clock.now(),
      resource: { type: 'cloud_run_revision', labels: this.resourceLabels(service, revision.name) },
      labels: { instanceId, ...(entry.labels ?? {}) },
    });
  }

  private resourceLabels(service: ServiceRecord, revision: string): Record<string, string> {
    return {
      project_id: service.project,
      service_name: service.id,
      revision_name: revision,
      location: service.region,
      configuration_name: service.id,
    };
  }

  // --- helpers -----------------------------------------------------------------------------

  private async newServiceRecord(
    project: string,
    region: string,
    id: string,
    spec: ServiceInput,
  ): Promise<ServiceRecord> {
    const fullName = `projects/${project}/locations/${region}/services/${id}`;
    const now = this.deps.clock.now();
    const pending: Condition = { type: 'Ready', state: 'CONDITION_PENDING', message: '', lastTransitionTime: now };
    // The record and its URL are created together: the route reads the record it belongs to.
    const holder: { service?: ServiceRecord } = {};
    const door = await FrontDoor.open({
      route: (request) =>
        holder.service
          ? this.routeService(holder.service, request)
          : { kind: 'unavailable', revision: '', message: 'starting' },
      served: (served) => {
        if (holder.service) this.logRequest(holder.service, served, door.url);
      },
    });
    const service: ServiceRecord = {
      project,
      region,
      id,
      fullName,
      uid: randomUUID(),
      createTime: now,
      spec: { ...spec, etag: '' },
      updateTime: now,
      generation: 1,
      etag: newEtag(),
      observedGeneration: 0,
      latestCreatedRevision: '',
      latestReadyRevision: '',
      trafficStatuses: [],
      terminal: pending,
      routesReady: { ...pending, type: 'RoutesReady' },
      configurationsReady: { ...pending, type: 'ConfigurationsReady' },
      reconciling: true,
      revisionCounter: 0,
      revisions: new Map(),
      door,
      tagDoors: new Map(),
      iam: { version: 1, bindings: [], etag: EMPTY_POLICY_ETAG },
      pendingOperations: [],
    };
    holder.service = service;
    if (this.closed) await door.close();
    this.services.set(fullName, service);
    return service;
  }

  private autoRevisionName(service: ServiceRecord): string {
    const letters = 'abcdefghijklmnopqrstuvwxyz';
    const suffix = [...randomBytes(3)].map((byte) => letters[byte % letters.length] ?? 'a').join('');
    return `${service.id}-${String(service.revisionCounter + 1).padStart(5, '0')}-${suffix}`;
  }

  private assertRevisionNameFree(
    project: string,
    region: string,
    name: string,
    except: ServiceRecord | undefined,
  ): void {
    if (!name) return;
    for (const service of this.services.values()) {
      if (service === except || service.project !== project || service.region !== region) continue;
      if (service.revisions.has(name)) {
        throw new RpcError(
          GrpcStatus.ALREADY_EXISTS,
          `Revision named '${name}' with different configuration already exists.`,
        );
      }
    }
  }

  private assertSecretsExist(project: string, template: TemplateInput | null): void {
    for (const [index, container] of (template?.containers ?? []).entries()) {
      for (const [envIndex, variable] of container.env.entries()) {
        const ref = variable.valueSource?.secretKeyRef;
        if (!ref) continue;
        if (this.secretValue(project, ref.secret, ref.version) === undefined) {
          throw invalidArgument(
            `service.template.containers[${index}].env[${envIndex}].value_source.secret_key_ref: Secret ${secretPath(project, ref.secret)}/versions/${ref.version || 'latest'} was not found`,
          );
        }
      }
    }
  }

  private secretValue(project: string, secret: string, version: string): string | undefined {
    const match = /^projects\/([^/]+)\/secrets\/([^/]+)$/.exec(secret);
    const key = match ? `${match[1]}/${match[2]}` : `${project}/${secret}`;
    return this.secrets.get(key)?.get(version || 'latest');
  }

  private findService(name: string): ServiceRecord {
    const match = SERVICE_NAME.exec(name);
    if (!match)
      throw invalidArgument(`name: "${name}" is not of the form projects/PROJECT/locations/LOCATION/services/SERVICE`);
    const service = this.services.get(name);
    if (!service) {
      throw notFound(
        `Resource '${match[3]}' of kind 'SERVICE' in region '${match[2]}' in project '${match[1]}' does not exist.`,
      );
    }
    return service;
  }

  private findRevision(name: string): RevisionRecord {
    const match = REVISION_NAME.exec(name);
    if (!match) {
      throw invalidArgument(
        `name: "${name}" is not of the form projects/PROJECT/locations/LOCATION/services/SERVICE/revisions/REVISION`,
      );
    }
    const service = this.services.get(`projects/${match[1]}/locations/${match[2]}/services/${match[3]}`);
    const revision = service?.revisions.get(match[4] ?? '');
    if (!revision) {
      throw notFound(
        `Resource '${match[4]}' of kind 'REVISION' in region '${match[2]}' in project '${match[1]}' does not exist.`,
      );
    }
    return revision;
  }

  private touch(service: ServiceRecord): void {
    service.etag = newEtag();
    service.updateTime = this.deps.clock.now();
  }

  /** Decodes `input` the way a request is decoded, applying the defaults Cloud Run fills in. */
  private normalizeService(input: object): ServiceInput {
    const decoded = this.roundTrip({ service: input });
    const service = ServiceInput.parse(decoded.service);
    const template = service.template ? this.normalizeTemplate(service.template) : null;
    const traffic =
      service.traffic.length > 0 ? service.traffic : [{ type: LATEST, revision: '', percent: 100, tag: '' }];
    // Only what a caller may set is kept: output fields sent back from a read are ignored.
    const inputs: Record<string, unknown> = {};
    for (const field of SERVICE_INPUT_FIELDS) {
      if (field in service) inputs[field] = service[field];
    }
    if (service.scaling) inputs['scaling'] = normalizeServiceScaling(service.scaling);
    return ServiceInput.parse({
      ...inputs,
      name: service.name,
      etag: service.etag,
      template,
      traffic: traffic.map((target) => ({
        type: target.type,
        revision: target.revision,
        percent: target.percent,
        tag: target.tag,
      })),
      ingress: service['ingress'] === 'INGRESS_TRAFFIC_UNSPECIFIED' ? 'INGRESS_TRAFFIC_ALL' : service['ingress'],
      launchStage: service['launchStage'] === 'LAUNCH_STAGE_UNSPECIFIED' ? 'GA' : service['launchStage'],
    });
  }

  private normalizeTemplate(template: TemplateInput): TemplateInput {
    const defaulted = {
      ...template,
      timeout: template.timeout ?? duration(300),
      maxInstanceRequestConcurrency: template.maxInstanceRequestConcurrency || 80,
      containers: template.containers.map((container) => ({
        ...container,
        ports: container.ports.length > 0 ? container.ports : [{ name: 'http1', containerPort: 8080 }],
        resources: {
          ...(container.resources ?? {}),
          limits: { cpu: '1000m', memory: '512Mi', ...(container.resources?.limits ?? {}) },
        },
      })),
    };
    const decoded = this.roundTrip({ service: { template: defaulted } });
    return TemplateInput.parse(z.object({ template: z.unknown() }).parse(decoded.service).template);
  }

  private roundTrip(request: object): { service: unknown } {
    const method = this.deps.servicesDefinition['UpdateService'];
    if (!method) throw new Error('UpdateService is missing from the descriptors');
    return z.object({ service: z.unknown() }).parse(method.requestDeserialize(method.requestSerialize(request)));
  }

  private impossible(why: string): never {
    throw new Error(`emulator invariant broken: ${why}`);
  }

  /** The Service message, as GetService answers it. */
  renderService(service: ServiceRecord) {
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
  renderRevision(revision: RevisionRecord) {
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

function renderPolicy(policy: ServiceRecord['iam']): object {
  return {
    version: policy.version,
    bindings: policy.bindings.map((binding) => ({ role: binding.role, members: binding.members })),
    etag: policy.etag,
  };
}

function newestFirst(revisions: RevisionRecord[]): RevisionRecord[] {
  return [...revisions].sort((a, b) => b.createTime.getTime() - a.createTime.getTime() || b.generation - a.generation);
}

function paginate<T>(
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

function hasBearer(request: IncomingMessage): boolean {
  return /^Bearer\s+\S+/i.test(request.headers.authorization ?? '');
}

function newEtag(): string {
  return `"${randomBytes(16).toString('base64url')}"`;
}

/**
 * The docs say traffic to a revision left without instances gets "the same error as if the revision were disabled"
 * without naming the status; 503 (what the front door answers when nothing can serve) is an assumption.
 */
function noInstances(revision: string): RouteDecision {
  return {
    kind: 'unavailable',
    revision,
    message: 'the service is scaled to 0 instances (manual scaling): no instance can serve this request',
  };
}

function etagMismatchMessage(id: string): string {
  return `The service '${id}' has been modified since it was read: its etag no longer matches. Read it again and retry.`;
}

function secretPath(project: string, secret: string): string {
  return secret.startsWith('projects/') ? secret : `projects/${projectNumber(project)}/secrets/${secret}`;
}
