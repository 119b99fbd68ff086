/**
 * What Cloud Run Admin v2 refuses in a Service before it does anything, as pure functions.
 * Each rule names where it comes from:
 * - service ids: "must begin with letter, and cannot end with hyphen; must contain fewer
 *   than 50 characters" (CreateServiceRequest.service_id in google/cloud/run/v2/service.proto);
 * - revision names: the service name and a dash as prefix, a lowercase RFC 1035 label of at
 *   most 63 characters (knative's naming rule, enforced by Cloud Run; gcloud's
 *   `--revision-suffix` docs);
 * - request timeout: 1 s to 3600 s (https://cloud.google.com/run/docs/configuring/request-timeout);
 * - memory: 128 MiB (512 MiB for the second generation) to 32 GiB, and CPU minimums above 4,
 *   8, 16 and 24 GiB (https://cloud.google.com/run/docs/configuring/services/memory-limits);
 *   CPU 1, 2, 4, 6, 8 or a fraction below 1, with 4 CPUs needing 2 GiB and 6 or 8 needing
 *   4 GiB (https://cloud.google.com/run/docs/configuring/services/cpu);
 * - reserved environment names PORT, K_SERVICE, K_REVISION, K_CONFIGURATION
 *   (https://cloud.google.com/run/docs/container-contract#env-vars);
 * - concurrency at most 1000 (https://cloud.google.com/run/docs/about-concurrency);
 * - traffic: percents 0–100 adding up to 100; LATEST carries no revision name, REVISION one;
 *   tags unique lowercase RFC 1035 labels, and tag plus service name at most 46 characters
 *   ("Combined traffic tag and service name cannot exceed 46 characters", a gcloud deploy
 *   refusal quoted in PolicyEngine/policyengine-api#3729); tags of fewer than 3 characters
 *   are refused (PolicyEngine/policyengine-sim-api#656);
 * - service-level scaling (google.cloud.run.v2.ServiceScaling in vendor_settings.proto, and
 *   https://cloud.google.com/run/docs/configuring/services/manual-scaling): instance counts are
 *   never negative (assumed: the docs only ever speak of counts of instances), min at most max in
 *   automatic mode, as at revision level. The docs say nothing of `manual_instance_count`
 *   outside MANUAL mode being refused: switching to automatic "unsets" it, so it is dropped;
 *   switching to manual without a count takes the service-level minimum, and unsets min and max.
 */
import { z } from 'zod';

import { parseImageReference } from './registry.js';
import { canonicalJson, DurationMessage, durationSeconds } from './wire.js';

export const MAX_REQUEST_TIMEOUT_SECONDS = 3600;
export const RESERVED_ENV_NAMES = ['PORT', 'K_SERVICE', 'K_REVISION', 'K_CONFIGURATION'] as const;
const RFC1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;
const RESERVED_LABEL_PREFIXES = [
  'run.googleapis.com',
  'cloud.googleapis.com',
  'serving.knative.dev',
  'autoscaling.knative.dev',
];

const StringMap = z.record(z.string(), z.string());

export const EnvVarInput = z.looseObject({
  name: z.string(),
  // `value` and `value_source` are a oneof: only the member that is set is decoded.
  value: z.string().optional(),
  valueSource: z
    .looseObject({ secretKeyRef: z.looseObject({ secret: z.string(), version: z.string() }).nullable() })
    .nullable()
    .optional(),
});
export type EnvVarInput = z.infer<typeof EnvVarInput>;

export const ContainerInput = z.looseObject({
  name: z.string(),
  image: z.string(),
  env: z.array(EnvVarInput),
  resources: z.looseObject({ limits: StringMap }).nullable(),
  ports: z.array(z.looseObject({ name: z.string(), containerPort: z.number() })),
});
export type ContainerInput = z.infer<typeof ContainerInput>;

export const TemplateInput = z.looseObject({
  revision: z.string(),
  labels: StringMap,
  annotations: StringMap,
  scaling: z.looseObject({ minInstanceCount: z.number(), maxInstanceCount: z.number() }).nullable(),
  timeout: DurationMessage.nullable(),
  serviceAccount: z.string(),
  containers: z.array(ContainerInput),
  executionEnvironment: z.string(),
  maxInstanceRequestConcurrency: z.number(),
});
export type TemplateInput = z.infer<typeof TemplateInput>;

export const TrafficTargetInput = z.looseObject({
  type: z.string(),
  revision: z.string(),
  percent: z.number(),
  tag: z.string(),
});
export type TrafficTargetInput = z.infer<typeof TrafficTargetInput>;

/** google.cloud.run.v2.ServiceScaling as decoded; `manualInstanceCount` is a proto3 `optional`, absent when unset. */
export const ServiceScalingInput = z.looseObject({
  minInstanceCount: z.number(),
  maxInstanceCount: z.number(),
  scalingMode: z.union([z.string(), z.number()]),
  manualInstanceCount: z.number().optional(),
});
export type ServiceScalingInput = z.infer<typeof ServiceScalingInput>;

export const ServiceInput = z.looseObject({
  name: z.string(),
  description: z.string(),
  labels: StringMap,
  annotations: StringMap,
  template: TemplateInput.nullable(),
  traffic: z.array(TrafficTargetInput),
  etag: z.string(),
  invokerIamDisabled: z.boolean(),
  scaling: ServiceScalingInput.nullable().optional(),
});
export type ServiceInput = z.infer<typeof ServiceInput>;

export const LATEST = 'TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST';
export const REVISION = 'TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION';

/** A rule broken, with the field path as the API reports it. */
export interface Violation {
  readonly field: string;
  readonly description: string;
}

export function formatViolations(violations: readonly Violation[]): string {
  return violations.map((violation) => `${violation.field}: ${violation.description}`).join('; ');
}

export function validateServiceId(id: string): Violation[] {
  if (id.length >= 50 || !/^[a-z]([-a-z0-9]*[a-z0-9])?$/.test(id)) {
    return [
      {
        field: 'service_id',
        description: `"${id}" is not a valid service id: it must begin with a letter, contain only lowercase letters, digits and hyphens, not end with a hyphen and be fewer than 50 characters`,
      },
    ];
  }
  return [];
}

export function validateServiceMetadata(service: ServiceInput): Violation[] {
  return [
    ...validateLabels('service.labels', service.labels),
    ...validateLabels('service.annotations', service.annotations),
    ...validateServiceScaling(service.scaling ?? null),
  ];
}

const SCALING_MODES = ['SCALING_MODE_UNSPECIFIED', 'AUTOMATIC', 'MANUAL'];

/** The service-level scaling rules (see the top of this file). */
export function validateServiceScaling(scaling: ServiceScalingInput | null): Violation[] {
  if (!scaling) return [];
  const violations: Violation[] = [];
  const counts = [
    ['min_instance_count', scaling.minInstanceCount],
    ['max_instance_count', scaling.maxInstanceCount],
    ['manual_instance_count', scaling.manualInstanceCount ?? 0],
  ] as const;
  for (const [field, count] of counts) {
    if (!Number.isInteger(count) || count < 0) {
      violations.push({ field: `service.scaling.${field}`, description: `must not be negative, got ${count}` });
    }
  }
  if (typeof scaling.scalingMode !== 'string' || !SCALING_MODES.includes(scaling.scalingMode)) {
    violations.push({
      field: 'service.scaling.scaling_mode',
      description: `unknown scaling mode ${String(scaling.scalingMode)}: AUTOMATIC or MANUAL`,
    });
  } else if (
    scaling.scalingMode !== 'MANUAL' &&
    scaling.maxInstanceCount > 0 &&
    scaling.minInstanceCount > scaling.maxInstanceCount
  ) {
    violations.push({
      field: 'service.scaling',
      description: `min_instance_count (${scaling.minInstanceCount}) must not exceed max_instance_count (${scaling.maxInstanceCount})`,
    });
  }
  return violations;
}

/** What Cloud Run keeps of a service-level scaling it accepts (see the top of this file). */
export function normalizeServiceScaling(scaling: ServiceScalingInput): ServiceScalingInput {
  if (scaling.scalingMode === 'MANUAL') {
    return {
      scalingMode: 'MANUAL',
      minInstanceCount: 0,
      maxInstanceCount: 0,
      manualInstanceCount: scaling.manualInstanceCount ?? scaling.minInstanceCount,
    };
  }
  return {
    scalingMode: scaling.scalingMode,
    minInstanceCount: scaling.minInstanceCount,
    maxInstanceCount: scaling.maxInstanceCount,
  };
}

/** True while manual scaling holds the service at 0 instances: nothing in its traffic split can answer. */
export function isScaledToZero(scaling: ServiceScalingInput | null | undefined): boolean {
  return scaling?.scalingMode === 'MANUAL' && (scaling.manualInstanceCount ?? 0) === 0;
}

function validateLabels(field: string, labels: Record<string, string>): Violation[] {
  return Object.keys(labels)
    .filter((key) => RESERVED_LABEL_PREFIXES.some((prefix) => key.startsWith(`${prefix}/`) || key === prefix))
    .map((key) => ({
      field: `${field}[${key}]`,
      description: `the ${key.split('/')[0] ?? key} namespace is reserved and cannot be set`,
    }));
}

/** Validates a revision template for service `serviceId`. */
export function validateTemplate(serviceId: string, template: TemplateInput | null): Violation[] {
  if (!template) return [{ field: 'service.template', description: 'a revision template is required' }];
  const violations: Violation[] = [];
  const add = (field: string, description: string): void => {
    violations.push({ field: `service.template${field}`, description });
  };

  if (template.revision !== '') {
    if (!template.revision.startsWith(`${serviceId}-`)) {
      add(
        '.revision',
        `revision name "${template.revision}" must use the service name and a dash ("${serviceId}-") as a prefix`,
      );
    } else if (template.revision.length > 63 || !RFC1035_LABEL.test(template.revision)) {
      add(
        '.revision',
        `revision name "${template.revision}" must be at most 63 characters of lowercase letters, digits and hyphens, begin with a letter and not end with a hyphen`,
      );
    }
  }

  if (template.timeout) {
    const seconds = durationSeconds(template.timeout);
    if (seconds < 1 || seconds > MAX_REQUEST_TIMEOUT_SECONDS) {
      add(
        '.timeout',
        `the request timeout must be between 1s and ${MAX_REQUEST_TIMEOUT_SECONDS}s (60 minutes), got ${seconds}s`,
      );
    }
  }

  if (template.maxInstanceRequestConcurrency < 0 || template.maxInstanceRequestConcurrency > 1000) {
    add(
      '.max_instance_request_concurrency',
      `must be between 1 and 1000, got ${template.maxInstanceRequestConcurrency}`,
    );
  }
  if (
    template.scaling &&
    template.scaling.maxInstanceCount > 0 &&
    template.scaling.minInstanceCount > template.scaling.maxInstanceCount
  ) {
    add(
      '.scaling',
      `min_instance_count (${template.scaling.minInstanceCount}) must not exceed max_instance_count (${template.scaling.maxInstanceCount})`,
    );
  }
  violations.push(...validateLabels('service.template.labels', template.labels));

  if (template.containers.length === 0) add('.containers', 'at least one container is required');
  if (template.containers.length > 10) add('.containers', 'at most 10 containers are allowed');
  const gen2 = template.executionEnvironment === 'EXECUTION_ENVIRONMENT_GEN2';
  for (const [index, container] of template.containers.entries()) {
    const at = `.containers[${index}]`;
    if (container.image === '') add(`${at}.image`, 'an image is required');
    else if (!parseImageReference(container.image))
      add(`${at}.image`, `"${container.image}" is not a valid image reference`);
    violations.push(
      ...validateResources(`service.template${at}.resources.limits`, container.resources?.limits ?? {}, gen2),
    );
    const seen = new Set<string>();
    for (const [envIndex, variable] of container.env.entries()) {
      const field = `${at}.env[${envIndex}].name`;
      if (!ENV_NAME.test(variable.name)) add(field, `"${variable.name}" is not a valid environment variable name`);
      if (seen.has(variable.name)) add(field, `duplicate environment variable "${variable.name}"`);
      seen.add(variable.name);
    }
    const reserved = container.env
      .map((variable) => variable.name)
      .filter((name) => (RESERVED_ENV_NAMES as readonly string[]).includes(name));
    if (reserved.length > 0) {
      add(
        `${at}.env`,
        `The following reserved env names were provided: ${reserved.join(', ')}. These values are automatically set by the system.`,
      );
    }
  }
  return violations;
}

/** Memory in bytes for a Kubernetes quantity (`512Mi`, `2Gi`, `1G`), undefined when unreadable. */
export function parseMemory(quantity: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|K|M|G|T)?$/.exec(quantity);
  if (!match?.[1]) return undefined;
  const factors: Record<string, number> = {
    '': 1,
    Ki: 1024,
    Mi: 1024 ** 2,
    Gi: 1024 ** 3,
    Ti: 1024 ** 4,
    k: 1e3,
    K: 1e3,
    M: 1e6,
    G: 1e9,
    T: 1e12,
  };
  return Number(match[1]) * (factors[match[2] ?? ''] ?? 1);
}

/** CPUs for `1`, `2`, `0.5`, `1000m`; undefined when unreadable. */
export function parseCpu(quantity: string): number | undefined {
  const milli = /^(\d+)m$/.exec(quantity);
  if (milli?.[1]) return Number(milli[1]) / 1000;
  if (/^\d+(\.\d+)?$/.test(quantity)) return Number(quantity);
  return undefined;
}

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

function validateResources(field: string, limits: Record<string, string>, gen2: boolean): Violation[] {
  const violations: Violation[] = [];
  for (const key of Object.keys(limits)) {
    if (key !== 'cpu' && key !== 'memory' && key !== 'nvidia.com/gpu') {
      violations.push({ field: `${field}[${key}]`, description: `unsupported resource "${key}"` });
    }
  }
  const cpuText = limits['cpu'] ?? '1';
  const memoryText = limits['memory'] ?? '512Mi';
  const cpu = parseCpu(cpuText);
  const memory = parseMemory(memoryText);
  if (cpu === undefined) {
    violations.push({ field: `${field}.cpu`, description: `"${cpuText}" is not a valid CPU quantity` });
  } else if (!(cpu >= 0.08 && cpu < 1) && ![1, 2, 4, 6, 8].includes(cpu)) {
    violations.push({
      field: `${field}.cpu`,
      description: `CPU must be 1, 2, 4, 6, 8 or a fraction between 0.08 and 1, got "${cpuText}"`,
    });
  }
  if (memory === undefined) {
    violations.push({ field: `${field}.memory`, description: `"${memoryText}" is not a valid memory quantity` });
  } else {
    const minimum = gen2 ? 512 * MiB : 128 * MiB;
    if (memory < minimum) {
      violations.push({
        field: `${field}.memory`,
        description: `memory must be at least ${gen2 ? '512Mi' : '128Mi'}, got "${memoryText}"`,
      });
    }
    if (memory > 32 * GiB) {
      violations.push({ field: `${field}.memory`, description: `memory must be at most 32Gi, got "${memoryText}"` });
    }
  }
  if (cpu !== undefined && memory !== undefined) {
    const cpuNeeded = memory > 24 * GiB ? 8 : memory > 16 * GiB ? 6 : memory > 8 * GiB ? 4 : memory > 4 * GiB ? 2 : 0;
    if (cpu < cpuNeeded) {
      violations.push({
        field,
        description: `memory "${memoryText}" requires at least ${cpuNeeded} CPUs, got "${cpuText}"`,
      });
    }
    const memoryNeeded = cpu >= 6 ? 4 * GiB : cpu >= 4 ? 2 * GiB : 0;
    if (memory < memoryNeeded) {
      violations.push({
        field,
        description: `${cpu} CPUs require at least ${memoryNeeded / GiB}Gi of memory, got "${memoryText}"`,
      });
    }
  }
  return violations;
}

/** Validates the traffic targets of service `serviceId` (an empty list means 100 % to LATEST). */
export function validateTraffic(serviceId: string, traffic: readonly TrafficTargetInput[]): Violation[] {
  const violations: Violation[] = [];
  let total = 0;
  const tags = new Set<string>();
  for (const [index, target] of traffic.entries()) {
    const at = `service.traffic[${index}]`;
    if (target.type === LATEST) {
      if (target.revision !== '')
        violations.push({ field: `${at}.revision`, description: 'a LATEST traffic target must not name a revision' });
    } else if (target.type === REVISION) {
      if (target.revision === '')
        violations.push({ field: `${at}.revision`, description: 'a REVISION traffic target must name a revision' });
    } else {
      violations.push({
        field: `${at}.type`,
        description: 'the traffic target allocation type must be LATEST or REVISION',
      });
    }
    if (!Number.isInteger(target.percent) || target.percent < 0 || target.percent > 100) {
      violations.push({ field: `${at}.percent`, description: `must be between 0 and 100, got ${target.percent}` });
    }
    total += target.percent;
    if (target.tag !== '') {
      if (!RFC1035_LABEL.test(target.tag)) {
        violations.push({
          field: `${at}.tag`,
          description: `tag "${target.tag}" must consist of lowercase letters, digits and hyphens, begin with a letter and not end with a hyphen`,
        });
      } else if (target.tag.length < 3) {
        violations.push({ field: `${at}.tag`, description: `tag "${target.tag}" must be at least 3 characters long` });
      } else if (target.tag.length + serviceId.length > 46) {
        violations.push({
          field: `${at}.tag`,
          description: `traffic tag '${target.tag}' and service name '${serviceId}' together are too long. Combined traffic tag and service name cannot exceed 46 characters.`,
        });
      }
      if (tags.has(target.tag)) violations.push({ field: `${at}.tag`, description: `duplicate tag "${target.tag}"` });
      tags.add(target.tag);
    }
  }
  if (traffic.length > 0 && total !== 100) {
    violations.push({
      field: 'service.traffic',
      description: `the traffic percentages must add up to 100, got ${total}`,
    });
  }
  return violations;
}

/**
 * An UpdateServiceRequest's `update_mask`, as Cloud Run reads it: each path is a dot-separated list of proto field
 * names (`traffic`, `scaling.manual_instance_count`) of google.cloud.run.v2.Service, given here as the field names
 * of the decoded message (camelCase). A path that names no field is ignored, and a mask left with no path is no mask:
 * the whole service is applied, as `*` asks. That is what Cloud Run did with the JSON spelling
 * `scaling.minInstanceCount` (googleapis/google-cloud-python#14259: the whole read-back service was applied and
 * refused for its revision name) and with `scaling.manualInstanceCount` on a worker pool
 * (temporalio/temporal-auto-scaled-workers#77: "Cloud Run silently ignores an unknown mask path and applies the
 * sparse WorkerPool wholesale"). `fieldsOf` gives the fields of the message a path of keys leads to (undefined when
 * it leads to no singular message). Null: the whole service.
 */
export function resolveUpdateMask(
  paths: readonly string[],
  fieldsOf: (messagePath: readonly string[]) => ReadonlySet<string> | undefined,
): string[][] | null {
  if (paths.length === 0 || paths.includes('*')) return null;
  const known: string[][] = [];
  for (const path of paths) {
    const keys: string[] = [];
    let ok = true;
    for (const segment of path.split('.')) {
      const fields = fieldsOf(keys);
      const key = segment.replace(/_([a-z0-9])/g, (_whole, letter: string) => letter.toUpperCase());
      // Proto field names are lower snake case: a camelCase segment is not one of them.
      if (!/^[a-z][a-z0-9_]*$/.test(segment) || fields?.has(key) !== true) {
        ok = false;
        break;
      }
      keys.push(key);
    }
    if (ok) known.push(keys);
  }
  return known.length === 0 ? null : known;
}

/** `current` with the value at each of `paths` taken from `requested` (absent there: absent in the result). */
export function applyMaskedFields(
  current: Readonly<Record<string, unknown>>,
  requested: Readonly<Record<string, unknown>>,
  paths: readonly (readonly string[])[],
): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...current };
  for (const path of paths) {
    let target = merged;
    let source: unknown = requested;
    for (const [depth, key] of path.entries()) {
      const from = isRecord(source) ? source[key] : undefined;
      if (depth === path.length - 1) {
        if (from === undefined) delete target[key];
        else target[key] = from;
        break;
      }
      const next = target[key];
      const copy: Record<string, unknown> = isRecord(next) ? { ...next } : {};
      target[key] = copy;
      target = copy;
      source = from;
    }
  }
  return merged;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * What Cloud Run compares when a template names a revision that exists: the service as the update would leave it
 * (etag aside) against the one the revision was created from. Cloud Run refuses the update with ALREADY_EXISTS
 * ("Revision named '…' with different configuration already exists.") unless they are the same, and it did even
 * when the template was the one read back and only the traffic (googleapis/google-cloud-python#11870) or only the
 * service-level scaling (googleapis/google-cloud-python#14259) changed: the name stands for the whole configuration
 * it was created with, and a revision is never created twice (hashicorp/terraform-provider-google#9438). A replay
 * of the very request that created it is accepted and creates nothing.
 */
export function revisionConfiguration(service: ServiceInput): string {
  return canonicalJson({ ...service, etag: '' });
}
