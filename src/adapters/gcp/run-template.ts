/**
 * Pure pieces of a Cloud Run update: the env merge, the revision template built from the current one, the traffic
 * list, and the snapshot of a Service message. No I/O here, so each rule is tested on its own.
 *
 * The rule that matters most: a deploy never drops what the service already has. The ÉMERGENCE team lost
 * production when a deploy replaced every env var and PYTHONPATH went with them; a template sent without a probe,
 * a volume or a sidecar would drop those the same way. So the new template is the current one with only what the
 * runbook sets changed.
 */
import { protos } from '@google-cloud/run';
import { z } from 'zod';

import type { TrafficTarget } from '../../deploy/plan.js';
import type { DeploySettings, ServiceScaling, ServiceSnapshot, TrafficStatus } from '../../deploy/ports/index.js';
import { durationSecondsSchema, enumName, optionalText, parseResponse, shortName, shortNameSchema } from './wire.js';

type IEnvVar = protos.google.cloud.run.v2.IEnvVar;
type IContainer = protos.google.cloud.run.v2.IContainer;
type IRevisionTemplate = protos.google.cloud.run.v2.IRevisionTemplate;
type ITrafficTarget = protos.google.cloud.run.v2.ITrafficTarget;
type IServiceScaling = protos.google.cloud.run.v2.IServiceScaling;
type IService = protos.google.cloud.run.v2.IService;

export const TRAFFIC_LATEST = 'TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST';
export const TRAFFIC_REVISION = 'TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION';

export interface SecretRef {
  readonly secret: string;
  readonly version: string;
}

/**
 * The service's env with the runbook's applied: every current variable is kept, plain values and secret
 * references alike, unless the runbook names it; a named one is replaced in place (a plain value can become a
 * secret reference and back); new names are appended, plain values first, each group in name order. A name in
 * both `set` and `secrets` ends up a secret reference.
 */
export function mergeEnv(
  current: readonly IEnvVar[],
  set: Readonly<Record<string, string>>,
  secrets: Readonly<Record<string, SecretRef>>,
): IEnvVar[] {
  const replacement = new Map<string, IEnvVar>();
  for (const [name, value] of Object.entries(set)) replacement.set(name, { name, value });
  for (const [name, ref] of Object.entries(secrets)) {
    replacement.set(name, { name, valueSource: { secretKeyRef: { secret: ref.secret, version: ref.version } } });
  }
  const merged: IEnvVar[] = [];
  const placed = new Set<string>();
  for (const variable of current) {
    const name = variable.name ?? '';
    const replaced = replacement.get(name);
    if (replaced !== undefined && !placed.has(name)) {
      merged.push(replaced);
      placed.add(name);
    } else if (replaced === undefined) {
      merged.push(variable);
    }
  }
  const appended = [...replacement.values()].filter((variable) => !placed.has(variable.name ?? ''));
  const byName = (a: IEnvVar, b: IEnvVar): number => (a.name ?? '').localeCompare(b.name ?? '');
  merged.push(
    ...appended.filter((variable) => variable.valueSource === undefined).sort(byName),
    ...appended.filter((variable) => variable.valueSource !== undefined).sort(byName),
  );
  return merged;
}

/** The container that serves requests: the one with a port (sidecars have none), else the first. */
export function ingressContainerIndex(
  containers: readonly { readonly ports?: readonly unknown[] | null | undefined }[],
): number {
  const index = containers.findIndex((container) => (container.ports?.length ?? 0) > 0);
  return index === -1 ? 0 : index;
}

/**
 * The template of the new revision: the current template (probes, volumes, service account, sidecars, labels…)
 * with the revision name, the image, the limits, the request timeout, the scaling, the concurrency and the
 * merged env of the ingress container changed, and nothing else.
 *
 * The name is always a new one: Cloud Run treats a template that names an existing revision as a request to create
 * that revision again and refuses it with ALREADY_EXISTS ("Revision named '…' with different configuration already
 * exists.") unless it is that revision's configuration (hashicorp/terraform-provider-google#9438, a Cloud Run
 * engineer's answer: "when a client specifies a revision name, it has to be unique").
 */
export function nextTemplate(
  current: IRevisionTemplate,
  change: {
    readonly revision: string;
    readonly image: string;
    readonly settings: DeploySettings;
    readonly env: Readonly<Record<string, string>>;
    readonly secrets: Readonly<Record<string, SecretRef>>;
  },
): IRevisionTemplate {
  const containers = current.containers ?? [];
  const index = ingressContainerIndex(containers);
  const container: IContainer = containers[index] ?? {};
  const { settings } = change;
  const next: IContainer = {
    ...container,
    image: change.image,
    env: mergeEnv(container.env ?? [], change.env, change.secrets),
    resources: {
      ...container.resources,
      limits: { ...container.resources?.limits, memory: settings.memory, cpu: settings.cpu },
    },
  };
  return {
    ...current,
    revision: change.revision,
    containers: containers.length === 0 ? [next] : containers.map((other, at) => (at === index ? next : other)),
    timeout: { seconds: settings.timeoutSeconds, nanos: 0 },
    scaling: {
      ...current.scaling,
      minInstanceCount: settings.minInstances,
      maxInstanceCount: settings.maxInstances,
    },
    ...(settings.concurrency === undefined ? {} : { maxInstanceRequestConcurrency: settings.concurrency }),
  };
}

/** The port's traffic list as Cloud Run's, or why it cannot be sent. */
export function trafficTargets(traffic: readonly TrafficTarget[]): ITrafficTarget[] | { readonly error: string } {
  const targets: ITrafficTarget[] = [];
  for (const target of traffic) {
    if (target.latest) {
      targets.push({ type: TRAFFIC_LATEST, percent: target.percent, tag: target.tag ?? '' });
    } else if (target.revision === null || target.revision === '') {
      return { error: 'a traffic target is neither LATEST nor a named revision' };
    } else {
      targets.push({
        type: TRAFFIC_REVISION,
        revision: shortName(target.revision),
        percent: target.percent,
        tag: target.tag ?? '',
      });
    }
  }
  return targets;
}

/**
 * The port's service-level scaling as Cloud Run's. Manual mode says its count in `manual_instance_count`, a proto3
 * `optional` field, so an explicit 0 is sent and means 0 (unlike the revision's `max_instance_count`, where 0 is unset).
 */
export function serviceScalingMessage(scaling: ServiceScaling): IServiceScaling {
  return scaling.mode === 'manual'
    ? { scalingMode: 'MANUAL', manualInstanceCount: scaling.instances }
    : { scalingMode: 'AUTOMATIC', minInstanceCount: scaling.minInstances, maxInstanceCount: scaling.maxInstances ?? 0 };
}

/**
 * An UpdateService request that changes only the fields in `updateMask`: the body carries the service's name, the
 * etag the caller read and those fields, nothing else.
 */
export interface MaskedUpdate {
  readonly service: IService;
  readonly updateMask: { readonly paths: readonly string[] };
}

/*
 * Why traffic and scaling go as masked updates and never as the whole service read back: the Service read holds
 * `template.revision`, the name of the revision it last created, and Cloud Run answered such a read-modify-write
 * with 409 ALREADY_EXISTS "Revision named '…' with different configuration already exists." when only the traffic
 * changed (googleapis/google-cloud-python#11870) and when only service-level scaling did
 * (googleapis/google-cloud-python#14259). Clearing the name instead would still send a template, free to make a
 * revision of its own.
 * `UpdateServiceRequest.update_mask` is "the list of fields to be updated" (google/cloud/run/v2/service.proto, and
 * the REST reference of projects.locations.services.patch), and its paths are proto field names: Cloud Run ignores
 * a path it does not know (`scaling.minInstanceCount` in #14259, `scaling.manualInstanceCount` in
 * temporalio/temporal-auto-scaled-workers#77) and applies the whole body. So the body carries only what changes,
 * under top-level proto names (`traffic`, `scaling`, the same in both spellings): a server that ignored the mask
 * would be refused for the missing template, never overwrite it.
 */

/** Only the traffic list (sent whole: Cloud Run keeps a pinned split until traffic is moved explicitly). */
export function trafficUpdate(name: string, etag: string, traffic: readonly ITrafficTarget[]): MaskedUpdate {
  return { service: { name, etag, traffic: [...traffic] }, updateMask: { paths: ['traffic'] } };
}

/** Only the service-level scaling, which creates no revision. */
export function scalingUpdate(name: string, etag: string, scaling: ServiceScaling): MaskedUpdate {
  return { service: { name, etag, scaling: serviceScalingMessage(scaling) }, updateMask: { paths: ['scaling'] } };
}

// ---------------------------------------------------------------- reading a Service

const trafficTypeSchema = enumName(protos.google.cloud.run.v2.TrafficTargetAllocationType);

const trafficSchema = z.object({
  type: trafficTypeSchema,
  revision: shortNameSchema,
  percent: z.number().nullish(),
  tag: optionalText,
  uri: optionalText,
});

const containerSchema = z.object({
  image: optionalText,
  ports: z.array(z.unknown()).nullish(),
  env: z
    .array(
      z.object({
        name: z.string(),
        valueSource: z.object({ secretKeyRef: z.object({ secret: z.string() }).nullish() }).nullish(),
      }),
    )
    .nullish(),
  resources: z.object({ limits: z.record(z.string(), z.string()).nullish() }).nullish(),
});

const scalingSchema = z
  .object({
    scalingMode: enumName(protos.google.cloud.run.v2.ServiceScaling.ScalingMode),
    minInstanceCount: z.number().nullish(),
    maxInstanceCount: z.number().nullish(),
    manualInstanceCount: z.number().nullish(),
  })
  .nullish();

/** No scaling message, or mode UNSPECIFIED, is AUTOMATIC (the API's default); 0 and absent are unset. */
function serviceScaling(scaling: z.infer<typeof scalingSchema>): ServiceScaling {
  if (scaling?.scalingMode === 'MANUAL') {
    // Switching to manual without a count takes the service-level minimum (Cloud Run's manual scaling docs).
    return { mode: 'manual', instances: scaling.manualInstanceCount ?? scaling.minInstanceCount ?? 0 };
  }
  const max = scaling?.maxInstanceCount ?? 0;
  return { mode: 'automatic', minInstances: scaling?.minInstanceCount ?? 0, maxInstances: max > 0 ? max : null };
}

const serviceSchema = z.object({
  etag: z.string(),
  scaling: scalingSchema,
  uri: optionalText,
  traffic: z.array(trafficSchema).nullish(),
  trafficStatuses: z.array(trafficSchema).nullish(),
  latestReadyRevision: shortNameSchema,
  latestCreatedRevision: shortNameSchema,
  template: z
    .object({
      containers: z.array(containerSchema).nullish(),
      timeout: durationSecondsSchema,
      scaling: z.object({ minInstanceCount: z.number().nullish(), maxInstanceCount: z.number().nullish() }).nullish(),
      maxInstanceRequestConcurrency: z.number().nullish(),
    })
    .nullish(),
});

function trafficStatus(target: z.infer<typeof trafficSchema>): TrafficStatus {
  // UNSPECIFIED with no revision is what LATEST looks like when the type is left out.
  const latest = target.type === TRAFFIC_LATEST || (target.type !== TRAFFIC_REVISION && target.revision === null);
  return {
    revision: latest ? null : target.revision,
    latest,
    percent: target.percent ?? 0,
    tag: target.tag,
    uri: target.uri,
  };
}

/** `1000m` → `1`, `2000m` → `2` (what a runbook writes); any other value is kept as Cloud Run holds it. */
export function normalizeCpu(cpu: string): string {
  const millicores = /^(\d+)m$/.exec(cpu.trim())?.[1];
  if (millicores === undefined) return cpu;
  const value = Number(millicores);
  return value > 0 && value % 1000 === 0 ? String(value / 1000) : cpu;
}

/** The port's view of a Service message: short names, LATEST as a flag, env names only (never values). */
export function serviceSnapshot(service: unknown): ServiceSnapshot {
  const parsed = parseResponse(serviceSchema, service, 'Service');
  const containers = parsed.template?.containers ?? [];
  const container = containers[ingressContainerIndex(containers)];
  const limits = container?.resources?.limits ?? {};
  const template = parsed.template;
  const settings: Record<string, string> = {};
  if (limits['memory'] !== undefined) settings['memory'] = limits['memory'];
  if (limits['cpu'] !== undefined) settings['cpu'] = normalizeCpu(limits['cpu']);
  if (template?.timeout !== null && template?.timeout !== undefined) {
    settings['timeoutSeconds'] = String(template.timeout);
  }
  if (template !== null && template !== undefined) {
    // proto3 leaves 0 unset: no minimum means 0 instances; no maximum means Cloud Run's default, not shown.
    settings['minInstances'] = String(template.scaling?.minInstanceCount ?? 0);
    const max = template.scaling?.maxInstanceCount ?? 0;
    if (max > 0) settings['maxInstances'] = String(max);
    const concurrency = template.maxInstanceRequestConcurrency ?? 0;
    if (concurrency > 0) settings['concurrency'] = String(concurrency);
  }
  return {
    etag: parsed.etag,
    uri: parsed.uri,
    traffic: (parsed.traffic ?? []).map((target) => {
      const status = trafficStatus(target);
      return { revision: status.revision, latest: status.latest, percent: status.percent, tag: status.tag };
    }),
    trafficStatuses: (parsed.trafficStatuses ?? []).map(trafficStatus),
    latestReadyRevision: parsed.latestReadyRevision,
    latestCreatedRevision: parsed.latestCreatedRevision,
    image: container?.image ?? null,
    env: (container?.env ?? []).map((variable) => ({
      name: variable.name,
      source: variable.valueSource?.secretKeyRef ? ('secret' as const) : ('value' as const),
    })),
    settings,
    scaling: serviceScaling(parsed.scaling),
  };
}
