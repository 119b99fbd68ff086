/**
 * Services put in place by tests and the sandbox console, as `gcloud run deploy` would have left them, without
 * the waits of a rollout.
 */
import {
  formatViolations,
  LATEST,
  REVISION,
  type TrafficTargetInput,
  validateServiceId,
  validateServiceMetadata,
  validateTemplate,
  validateTraffic,
} from '../run-validation.js';
import { duration } from '../wire.js';
import { publicInvokerPolicy } from './iam.js';
import { normalizeService } from './normalize.js';
import { addRevision, bringUp } from './revisions.js';
import { markSucceeded } from './rollout.js';
import { seedSecret } from './secrets.js';
import { autoRevisionName, newServiceRecord } from './services.js';
import { type CloudRunState, impossible } from './state.js';
import { applyTraffic, resolveTraffic } from './traffic.js';

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

/** Creates a service as `gcloud run deploy` leaves it, its revisions Ready and running. */
export async function seedService(state: CloudRunState, options: SeedServiceOptions): Promise<SeededService> {
  const fullName = `projects/${options.project}/locations/${options.region}/services/${options.name}`;
  if (state.services.has(fullName)) throw new Error(`service ${fullName} already exists`);
  const idProblems = validateServiceId(options.name);
  if (idProblems.length > 0) throw new Error(formatViolations(idProblems));
  state.deps.registry.seed(options.image);
  for (const { secret, version, value } of Object.values(options.secretEnv ?? {})) {
    seedSecret(state, options.project, secret, value ?? `${secret}-value`, version === 'latest' ? '1' : version);
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
  const spec = normalizeService(state, { name: fullName, labels: options.labels ?? {}, template });
  const problems = [...validateTemplate(options.name, spec.template), ...validateServiceMetadata(spec)];
  if (problems.length > 0) throw new Error(formatViolations(problems));

  const service = await newServiceRecord(state, options.project, options.region, options.name, spec);
  const count = Math.max(1, options.revisions ?? 1);
  const names: string[] = [];
  for (let index = 0; index < count; index += 1) {
    service.generation = index + 1;
    const name = options.revisionNames?.[index] ?? autoRevisionName(service);
    const seeded = spec.template ?? impossible('template validated above');
    const revision = addRevision(state, service, { ...seeded, revision: name }, undefined);
    await bringUp(state, revision, false);
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
  if (options.allowUnauthenticated) service.iam = publicInvokerPolicy();
  const outcome = resolveTraffic(service);
  if ('failure' in outcome) throw new Error(outcome.failure.message);
  await applyTraffic(state, service, outcome.statuses);
  markSucceeded(state, service);
  return { name: fullName, uri: service.door.url, revisions: names };
}
