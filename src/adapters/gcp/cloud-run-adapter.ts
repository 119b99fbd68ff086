/**
 * `CloudRunPort` over Cloud Run Admin v2 (`@google-cloud/run`).
 *
 * A deploy is a read-modify-write of the whole Service: the current service is read, the template of the new
 * revision (under a new name) and the traffic are changed, and it is sent back. Moving traffic and scaling send only
 * that field under an update mask, never the service read back: its template names an existing revision, and
 * Cloud Run refuses such an update with ALREADY_EXISTS (see `trafficUpdate` in run-template.ts for the sources).
 * Every update carries the etag the CALLER read, so a change someone else made in between is a conflict and never
 * overwritten. The full traffic list is always sent (Cloud Run keeps a pinned split until traffic is moved
 * explicitly).
 *
 * The long-running operation is polled here with GetOperation until the caller's deadline: `op.promise()` has
 * no total deadline of its own (FACTS.md).
 */
import { protos } from '@google-cloud/run';
import { status as GrpcStatus } from '@grpc/grpc-js';
import type { CallOptions } from 'google-gax';
import { z } from 'zod';

import type { Clock } from '../../deploy/ports/index.js';
import type { CloudRunPort, RevisionSnapshot, ServiceLocation, ServiceUpdateResult } from '../../deploy/ports/index.js';
import { calling, grpcMessageOf, grpcStatusOf, toExternalError } from './errors.js';
import {
  ingressContainerIndex,
  nextTemplate,
  scalingUpdate,
  serviceSnapshot,
  trafficTargets,
  trafficUpdate,
  type MaskedUpdate,
} from './run-template.js';
import { enumName, optionalText, parseResponse, shortName, timestampSchema } from './wire.js';

export { mergeEnv } from './run-template.js';

type IService = protos.google.cloud.run.v2.IService;
type ITrafficTarget = protos.google.cloud.run.v2.ITrafficTarget;

export const INVOKER_ROLE = 'roles/run.invoker';
export const ALL_USERS = 'allUsers';

export interface CloudRunAdapterOptions {
  readonly clock: Clock;
  readonly sleep?: (ms: number) => Promise<void>;
  /** The first wait between two reads of an operation (default 250 ms; ×1.5 each time, at most 5 s). */
  readonly pollIntervalMs?: number;
  /** Per-call deadline, retries included (default 30 s). */
  readonly callTimeoutMs?: number;
}

type IPolicy = protos.google.iam.v1.IPolicy;
type IListRevisionsRequest = protos.google.cloud.run.v2.IListRevisionsRequest;

/** What is read of an operation: the update's result is read again with GetService, in plain form. */
export interface OperationState {
  readonly name?: string | undefined;
  readonly done?: boolean | undefined;
  readonly error?: Error | undefined;
}

/**
 * The calls of `ServicesClient` this adapter makes, as narrow signatures: the SDK client satisfies them, and so
 * can a small fake in a test.
 */
export interface RunServicesCalls {
  getService(request: { name: string }, options?: CallOptions): Promise<readonly [IService, ...unknown[]]>;
  updateService(
    request: { service: IService; updateMask?: protos.google.protobuf.IFieldMask },
    options?: CallOptions,
  ): Promise<readonly [OperationState, ...unknown[]]>;
  checkUpdateServiceProgress(name: string): Promise<OperationState>;
  getIamPolicy(request: { resource: string }, options?: CallOptions): Promise<readonly [IPolicy, ...unknown[]]>;
  setIamPolicy(request: { resource: string; policy: IPolicy }, options?: CallOptions): Promise<unknown>;
}

/** The calls of `RevisionsClient` this adapter makes. */
export interface RunRevisionsCalls {
  getRevision(request: { name: string }, options?: CallOptions): Promise<readonly [unknown, ...unknown[]]>;
  listRevisions(
    request: IListRevisionsRequest,
    options?: CallOptions,
  ): Promise<readonly [readonly unknown[], IListRevisionsRequest | null, ...unknown[]]>;
}

const conditionSchema = z.object({
  type: optionalText,
  state: enumName(protos.google.cloud.run.v2.Condition.State),
  message: optionalText,
});

const revisionSchema = z.object({
  name: z.string().min(1),
  createTime: timestampSchema,
  conditions: z.array(conditionSchema).nullish(),
  containers: z.array(z.object({ image: optionalText, ports: z.array(z.unknown()).nullish() })).nullish(),
});

/** A Revision message as the port's snapshot; readiness is its `Ready` condition. */
export function revisionSnapshot(revision: unknown): RevisionSnapshot {
  const parsed = parseResponse(revisionSchema, revision, 'Revision');
  const conditions = parsed.conditions ?? [];
  const ready = conditions.find((condition) => condition.type === 'Ready');
  const state =
    ready?.state === 'CONDITION_SUCCEEDED' ? 'ready' : ready?.state === 'CONDITION_FAILED' ? 'failed' : 'pending';
  const failedOther = conditions.find((condition) => condition.state === 'CONDITION_FAILED' && condition.message);
  const containers = parsed.containers ?? [];
  return {
    name: shortName(parsed.name),
    state,
    message: state === 'ready' ? null : (ready?.message ?? failedOther?.message ?? null),
    image: containers[ingressContainerIndex(containers)]?.image ?? null,
    createdAt: parsed.createTime,
  };
}

/** An etag refusal: ABORTED now, FAILED_PRECONDITION naming the etag in older behaviour (FACTS.md). */
function isEtagConflict(error: unknown): boolean {
  const status = grpcStatusOf(error);
  return (
    status === GrpcStatus.ABORTED ||
    (status === GrpcStatus.FAILED_PRECONDITION && /etag|modified since|concurrent/i.test(grpcMessageOf(error)))
  );
}

/** A `CloudRunPort` over Cloud Run Admin v2. */
export function cloudRunAdapter(
  clients: { readonly services: RunServicesCalls; readonly revisions: RunRevisionsCalls },
  options: CloudRunAdapterOptions,
): CloudRunPort {
  const { services, revisions } = clients;
  const { clock } = options;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const firstPollMs = options.pollIntervalMs ?? 250;
  const call: CallOptions = { timeout: options.callTimeoutMs ?? 30_000 };

  const serviceName = (service: ServiceLocation): string =>
    `projects/${service.project}/locations/${service.region}/services/${service.name}`;

  async function readService(service: ServiceLocation): Promise<IService> {
    const [current] = await calling('cloud-run', `reading service ${service.name}`, () =>
      services.getService({ name: serviceName(service) }, call),
    );
    return current;
  }

  async function getRevision(service: ServiceLocation, revision: string): Promise<RevisionSnapshot | undefined> {
    try {
      const [found] = await revisions.getRevision({ name: `${serviceName(service)}/revisions/${revision}` }, call);
      return revisionSnapshot(found);
    } catch (error: unknown) {
      if (grpcStatusOf(error) === GrpcStatus.NOT_FOUND) return undefined;
      throw toExternalError('cloud-run', error, `reading revision ${revision}`);
    }
  }

  /** Why the operation failed, in the port's terms: a named revision that could not get ready wins. */
  async function explainFailure(
    where: ServiceLocation,
    suspects: readonly string[],
    status: number | undefined,
    message: string,
  ): Promise<ServiceUpdateResult> {
    if (status === GrpcStatus.DEADLINE_EXCEEDED) return { ok: false, reason: 'timeout', message };
    for (const name of new Set(suspects)) {
      const revision = await getRevision(where, name).catch(() => undefined);
      if (revision !== undefined && revision.state !== 'ready') {
        return { ok: false, reason: 'revision_failed', message: revision.message ?? message };
      }
    }
    return { ok: false, reason: 'rejected', message };
  }

  /**
   * Sends the service and waits for its operation until `deadline`. `suspects` are the revisions whose readiness
   * explains a failed operation (the new one first).
   */
  async function update(
    where: ServiceLocation,
    request: { readonly service: IService; readonly updateMask?: MaskedUpdate['updateMask'] },
    deadline: Date,
    suspects: readonly string[],
  ): Promise<ServiceUpdateResult> {
    let operation: OperationState;
    try {
      const { service, updateMask } = request;
      [operation] = await services.updateService(
        updateMask === undefined ? { service } : { service, updateMask: { paths: [...updateMask.paths] } },
        call,
      );
    } catch (error: unknown) {
      const message = grpcMessageOf(error);
      if (isEtagConflict(error)) return { ok: false, reason: 'conflict', message };
      switch (grpcStatusOf(error)) {
        case GrpcStatus.INVALID_ARGUMENT:
        case GrpcStatus.FAILED_PRECONDITION:
        case GrpcStatus.ALREADY_EXISTS:
        case GrpcStatus.OUT_OF_RANGE:
        case GrpcStatus.PERMISSION_DENIED:
          return { ok: false, reason: 'rejected', message };
        case GrpcStatus.DEADLINE_EXCEEDED:
          return { ok: false, reason: 'timeout', message };
        default:
          throw toExternalError('cloud-run', error, `updating service ${where.name}`);
      }
    }

    const name = operation.name ?? '';
    let wait = firstPollMs;
    while (!operation.done) {
      const left = deadline.getTime() - clock.now().getTime();
      if (left <= 0 || name === '') {
        return {
          ok: false,
          reason: 'timeout',
          message: `Cloud Run had not finished updating ${where.name} by the deadline (operation ${name || 'unnamed'})`,
        };
      }
      await sleep(Math.min(wait, left));
      wait = Math.min(Math.round(wait * 1.5), 5000);
      try {
        operation = await services.checkUpdateServiceProgress(name);
      } catch (error: unknown) {
        // A lost poll is not a lost update: keep reading until the deadline.
        if (grpcStatusOf(error) === GrpcStatus.UNAVAILABLE) continue;
        throw toExternalError('cloud-run', error, `reading operation ${name}`);
      }
    }
    if (operation.error) {
      const status = grpcStatusOf(operation.error);
      return explainFailure(where, suspects, status, grpcMessageOf(operation.error));
    }
    return { ok: true, service: serviceSnapshot(await readService(where)) };
  }

  return {
    async getService(service) {
      return serviceSnapshot(await readService(service));
    },

    async deployRevision(input) {
      const traffic = trafficTargets(input.traffic);
      if ('error' in traffic) return { ok: false, reason: 'rejected', message: traffic.error };
      const current = await readService(input.service);
      const template = nextTemplate(current.template ?? {}, {
        revision: input.revision,
        image: input.image,
        settings: input.settings,
        env: input.env,
        secrets: input.secrets,
      });
      return update(input.service, { service: { ...current, template, traffic, etag: input.etag } }, input.deadline, [
        input.revision,
        ...revisionsOf(traffic),
      ]);
    },

    async setTraffic(input) {
      const traffic = trafficTargets(input.traffic);
      if ('error' in traffic) return { ok: false, reason: 'rejected', message: traffic.error };
      const request = trafficUpdate(serviceName(input.service), input.etag, traffic);
      return update(input.service, request, input.deadline, revisionsOf(traffic));
    },

    async setServiceScaling(input) {
      const request = scalingUpdate(serviceName(input.service), input.etag, input.scaling);
      return update(input.service, request, input.deadline, []);
    },

    getRevision,

    async listRevisions(service, limit) {
      const found: RevisionSnapshot[] = [];
      let pageToken = '';
      do {
        const [page, next] = await calling('cloud-run', `listing the revisions of ${service.name}`, () =>
          revisions.listRevisions(
            { parent: serviceName(service), pageSize: Math.min(Math.max(limit, 1), 100), pageToken },
            { ...call, autoPaginate: false },
          ),
        );
        found.push(...page.map(revisionSnapshot));
        pageToken = next?.pageToken ?? '';
      } while (pageToken !== '' && found.length < limit);
      return found
        .sort((a, b) => (b.createdAt?.getTime() ?? 0) - (a.createdAt?.getTime() ?? 0))
        .slice(0, Math.max(limit, 0));
    },

    async ensurePublicInvoker(service) {
      const resource = serviceName(service);
      const [policy] = await calling('cloud-run', `reading the IAM policy of ${service.name}`, () =>
        services.getIamPolicy({ resource }, call),
      );
      const bindings = policy.bindings ?? [];
      // A conditional binding does not grant unconditionally: only a plain one counts, and only a plain one is edited.
      const invoker = bindings.findIndex((binding) => binding.role === INVOKER_ROLE && !binding.condition);
      if ((bindings[invoker]?.members ?? []).includes(ALL_USERS)) return 'present';
      const granted =
        invoker === -1
          ? [...bindings, { role: INVOKER_ROLE, members: [ALL_USERS] }]
          : bindings.map((binding, at) =>
              at === invoker ? { ...binding, members: [...(binding.members ?? []), ALL_USERS] } : binding,
            );
      // The policy's etag goes back with it: a concurrent change is refused (ABORTED → conflict), not overwritten.
      await calling('cloud-run', `granting ${ALL_USERS} ${INVOKER_ROLE} on ${service.name}`, () =>
        services.setIamPolicy({ resource, policy: { ...policy, bindings: granted } }, call),
      );
      return 'added';
    },
  };
}

function revisionsOf(traffic: readonly ITrafficTarget[]): string[] {
  return traffic.flatMap((target) => (target.revision ? [target.revision] : []));
}
