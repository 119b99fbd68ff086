/**
 * Cloud Build v1 (`google.devtools.cloudbuild.v1.CloudBuild`): CreateBuild, GetBuild,
 * ListBuilds, CancelBuild and RunBuildTrigger, with the build's life played out over time.
 *
 * A build goes QUEUED → WORKING → a terminal status (SUCCESS, FAILURE, INTERNAL_ERROR,
 * TIMEOUT, CANCELLED, EXPIRED). Its steps run one after the other; each takes
 * `timings.buildStepMs` of wall-clock time and counts `timings.buildStepSeconds` of build time
 * against the build's `timeout` (default 600 s, the shorter of the documented defaults), so a
 * test can make a build time out without waiting minutes. The images listed in `images` are
 * pushed to the in-memory Artifact Registry when the steps succeed; the push fails as on the
 * platform when an image was never built by a step, when its repository does not exist, and
 * for any gcr.io image (Container Registry no longer accepts writes).
 *
 * Substitutions follow https://cloud.google.com/build/docs/configuring-builds/substitute-variable-values:
 * user keys must match `^_[A-Z0-9_]+$`; referencing an unknown key or defining one that is
 * never used fails the request unless `options.substitution_option` is ALLOW_LOOSE.
 */
import { randomUUID } from 'node:crypto';

import { status as GrpcCode, type ServiceDefinition } from '@grpc/grpc-js';
import { z } from 'zod';

import type { CloudLogging } from './cloud-logging.js';
import type { Faults, PendingBuildFailure } from './faults.js';
import type { OperationMessage, OperationStore } from './operations.js';
import { parseImageReference, type ArtifactRegistry } from './registry.js';
import { failedPrecondition, invalidArgument, notFound, parseRequest, type UnaryHandler } from './rpc.js';
import type { Scheduler } from './scheduler.js';
import type { Clock, GcpTimings } from './types.js';
import { duration, DurationMessage, durationSeconds, projectNumber, timestamp } from './wire.js';

export const BUILD_STATUSES = [
  'STATUS_UNKNOWN',
  'PENDING',
  'QUEUED',
  'WORKING',
  'SUCCESS',
  'FAILURE',
  'INTERNAL_ERROR',
  'TIMEOUT',
  'CANCELLED',
  'EXPIRED',
] as const;
export type BuildStatus = (typeof BUILD_STATUSES)[number];
export const TERMINAL_BUILD_STATUSES: ReadonlySet<BuildStatus> = new Set([
  'SUCCESS',
  'FAILURE',
  'INTERNAL_ERROR',
  'TIMEOUT',
  'CANCELLED',
  'EXPIRED',
]);

/**
 * Built-ins a manual build may set itself (`gcloud builds submit --substitutions`); the
 * repository ones are empty in builds that were not triggered, as documented.
 */
const OVERRIDABLE_BUILTINS: ReadonlySet<string> = new Set([
  'COMMIT_SHA',
  'REVISION_ID',
  'SHORT_SHA',
  'REPO_NAME',
  'BRANCH_NAME',
  'TAG_NAME',
]);

export const DEFAULT_BUILD_TIMEOUT_SECONDS = 600;
export const MAX_BUILD_TIMEOUT_SECONDS = 24 * 60 * 60;
const DEFAULT_QUEUE_TTL_SECONDS = 3600;

const StepInput = z.looseObject({
  name: z.string(),
  args: z.array(z.string()),
  env: z.array(z.string()),
  dir: z.string(),
  id: z.string(),
  waitFor: z.array(z.string()),
  entrypoint: z.string(),
  timeout: DurationMessage.nullable(),
  script: z.string(),
});
type StepInput = z.infer<typeof StepInput>;

const BuildInput = z.looseObject({
  steps: z.array(StepInput),
  images: z.array(z.string()),
  timeout: DurationMessage.nullable(),
  queueTtl: DurationMessage.nullable(),
  substitutions: z.record(z.string(), z.string()),
  tags: z.array(z.string()),
  options: z.looseObject({ substitutionOption: z.string() }).nullable(),
  source: z.unknown(),
});
type BuildInput = z.infer<typeof BuildInput>;

const CreateBuildRequest = z.object({ parent: z.string(), projectId: z.string(), build: BuildInput.nullable() });
const GetBuildRequest = z.object({ name: z.string(), projectId: z.string(), id: z.string() });
const ListBuildsRequest = z.object({
  parent: z.string(),
  projectId: z.string(),
  pageSize: z.number().int(),
  pageToken: z.string(),
  filter: z.string(),
});
const RepoSource = z.looseObject({
  projectId: z.string(),
  repoName: z.string(),
  // A oneof: only the member that is set is decoded.
  branchName: z.string().optional(),
  tagName: z.string().optional(),
  commitSha: z.string().optional(),
  substitutions: z.record(z.string(), z.string()),
});
const RunBuildTriggerRequest = z.object({
  name: z.string(),
  projectId: z.string(),
  triggerId: z.string(),
  source: RepoSource.nullable(),
});

export interface TriggerSeed {
  readonly project: string;
  /** Defaults to a new UUID. */
  readonly id?: string;
  readonly name: string;
  readonly location?: string;
  /** The build the trigger runs (steps, images, substitutions, timeout…), as in a Build message. */
  readonly build: object;
  /** The repository the trigger watches, e.g. `owner/name` (REPO_NAME, REPO_FULL_NAME). */
  readonly repository?: string;
}

interface Trigger {
  readonly id: string;
  readonly name: string;
  readonly project: string;
  readonly location: string;
  readonly build: BuildInput;
  readonly repository: string | undefined;
}

interface StepState {
  readonly input: StepInput;
  status: BuildStatus;
  start?: Date;
  end?: Date;
  exitCode?: number;
}

interface BuiltImage {
  readonly name: string;
  readonly digest: string;
  readonly start: Date;
  readonly end: Date;
}

interface BuildRecord {
  readonly id: string;
  readonly project: string;
  readonly location: string;
  readonly operationName: string;
  readonly input: BuildInput;
  readonly steps: StepState[];
  readonly images: string[];
  readonly substitutions: Record<string, string>;
  readonly timeoutSeconds: number;
  readonly queueTtlSeconds: number;
  readonly createTime: Date;
  readonly buildTriggerId: string;
  readonly source: unknown;
  readonly forced: PendingBuildFailure | undefined;
  status: BuildStatus;
  statusDetail: string;
  startTime?: Date;
  finishTime?: Date;
  timing: Record<string, { start: Date; end?: Date }>;
  results: BuiltImage[];
  failureInfo?: { type: string; detail: string };
}

export interface CloudBuildDeps {
  readonly clock: Clock;
  readonly faults: Faults;
  readonly scheduler: Scheduler;
  readonly timings: GcpTimings;
  readonly registry: ArtifactRegistry;
  readonly logging: CloudLogging;
  readonly operations: OperationStore;
  readonly definition: ServiceDefinition;
}

/** A snapshot of a build for assertions: the Build message as GetBuild answers it. */
export type BuildView = ReturnType<CloudBuild['render']>;

export class CloudBuild {
  private readonly builds = new Map<string, BuildRecord>();
  private readonly triggers = new Map<string, Trigger>();

  constructor(private readonly deps: CloudBuildDeps) {}

  handlers(): Record<string, UnaryHandler> {
    return {
      CreateBuild: (request) => this.createBuild(request),
      GetBuild: (request) => this.render(this.find(parseRequest(GetBuildRequest, request, 'GetBuildRequest'))),
      ListBuilds: (request) => this.listBuilds(request),
      CancelBuild: (request) => this.cancelBuild(request),
      RunBuildTrigger: (request) => this.runBuildTrigger(request),
    };
  }

  seedTrigger(seed: TriggerSeed): string {
    const id = seed.id ?? randomUUID();
    // Normalise the seed through the wire format so it has exactly the shape a request has.
    const createBuild = this.deps.definition['CreateBuild'];
    if (!createBuild) throw new Error('CreateBuild is missing from the descriptors');
    const decoded: unknown = createBuild.requestDeserialize(
      createBuild.requestSerialize({ projectId: seed.project, build: seed.build }),
    );
    const { build } = CreateBuildRequest.parse(decoded);
    if (!build) throw new Error('a trigger needs a build');
    this.triggers.set(id, {
      id,
      name: seed.name,
      project: seed.project,
      location: seed.location ?? 'global',
      build,
      repository: seed.repository,
    });
    return id;
  }

  list(): BuildView[] {
    return [...this.builds.values()].map((build) => this.render(build));
  }

  private createBuild(request: unknown): OperationMessage {
    const req = parseRequest(CreateBuildRequest, request, 'CreateBuildRequest');
    const { project, location } = resolveParent(req.projectId, req.parent);
    if (!req.build) throw invalidArgument('build: a build is required');
    return this.start(project, location, req.build, {});
  }

  private runBuildTrigger(request: unknown): OperationMessage {
    const req = parseRequest(RunBuildTriggerRequest, request, 'RunBuildTriggerRequest');
    const nameMatch = /^projects\/([^/]+)\/locations\/([^/]+)\/triggers\/([^/]+)$/.exec(req.name);
    const project = nameMatch?.[1] ?? req.projectId;
    const triggerKey = nameMatch?.[3] ?? req.triggerId;
    if (!project) throw invalidArgument('project_id: a project is required');
    if (!triggerKey) throw invalidArgument('trigger_id: a trigger is required');
    const trigger = [...this.triggers.values()].find(
      (candidate) => candidate.project === project && (candidate.id === triggerKey || candidate.name === triggerKey),
    );
    if (!trigger) throw notFound(`Trigger "${triggerKey}" not found in project "${project}".`);
    const source = req.source;
    const revisions = [source?.branchName, source?.tagName, source?.commitSha].filter((value) => value);
    if (revisions.length > 1) {
      throw invalidArgument('source: only one of branch_name, tag_name and commit_sha may be set');
    }
    const commitSha =
      source?.commitSha || fakeCommitSha(`${trigger.id}:${source?.branchName ?? ''}:${source?.tagName ?? ''}`);
    const repoFullName = trigger.repository ?? source?.repoName ?? '';
    const builtins: Record<string, string> = {
      TRIGGER_NAME: trigger.name,
      COMMIT_SHA: commitSha,
      SHORT_SHA: commitSha.slice(0, 7),
      REVISION_ID: commitSha,
      BRANCH_NAME: source?.branchName ?? '',
      TAG_NAME: source?.tagName ?? '',
      REF_NAME: source?.branchName ?? source?.tagName ?? '',
      REPO_NAME: repoFullName.split('/').pop() ?? '',
      REPO_FULL_NAME: repoFullName,
    };
    const input: BuildInput = {
      ...trigger.build,
      substitutions: { ...trigger.build.substitutions, ...(source?.substitutions ?? {}) },
      source: {
        repoSource: {
          projectId: project,
          repoName: builtins['REPO_NAME'] ?? '',
          ...(source?.tagName
            ? { tagName: source.tagName }
            : source?.branchName
              ? { branchName: source.branchName }
              : { commitSha }),
        },
      },
    };
    return this.start(project, trigger.location, input, builtins, trigger.id);
  }

  private start(
    project: string,
    location: string,
    input: BuildInput,
    triggerBuiltins: Record<string, string>,
    buildTriggerId = '',
  ): OperationMessage {
    if (input.steps.length === 0) throw invalidArgument('invalid build: build must contain at least one step');
    for (const [index, step] of input.steps.entries()) {
      if (!step.name) throw invalidArgument(`invalid build: step ${index} must specify "name"`);
    }
    const timeoutSeconds = input.timeout ? durationSeconds(input.timeout) : DEFAULT_BUILD_TIMEOUT_SECONDS;
    if (timeoutSeconds <= 0 || timeoutSeconds > MAX_BUILD_TIMEOUT_SECONDS) {
      throw invalidArgument(
        `invalid value for 'build.timeout': must be greater than 0s and at most 24h, got ${timeoutSeconds}s`,
      );
    }
    for (const key of Object.keys(input.substitutions)) {
      if (!/^_[A-Z0-9_]+$/.test(key) && !OVERRIDABLE_BUILTINS.has(key)) {
        throw invalidArgument(
          `invalid value for 'build.substitutions': substitution key "${key}" does not respect format "^_[A-Z0-9_]+$"`,
        );
      }
    }

    const id = randomUUID();
    const builtins: Record<string, string> = {
      PROJECT_ID: project,
      PROJECT_NUMBER: projectNumber(project),
      BUILD_ID: id,
      LOCATION: location,
      TRIGGER_NAME: '',
      COMMIT_SHA: '',
      SHORT_SHA: '',
      REVISION_ID: '',
      BRANCH_NAME: '',
      TAG_NAME: '',
      REPO_NAME: '',
      REPO_FULL_NAME: '',
      REF_NAME: '',
      TRIGGER_BUILD_CONFIG_PATH: '',
      SERVICE_ACCOUNT_EMAIL: `${projectNumber(project)}-compute@developer.gserviceaccount.com`,
      SERVICE_ACCOUNT: `projects/${project}/serviceAccounts/${projectNumber(project)}-compute@developer.gserviceaccount.com`,
      ...triggerBuiltins,
    };
    const loose = input.options?.substitutionOption === 'ALLOW_LOOSE';
    const substituter = new Substituter({ ...builtins, ...input.substitutions }, new Set(Object.keys(builtins)), loose);
    const steps = input.steps.map((step): StepState => ({
      input: {
        ...step,
        args: step.args.map((arg) => substituter.apply(arg)),
        env: step.env.map((entry) => substituter.apply(entry)),
        dir: substituter.apply(step.dir),
        entrypoint: substituter.apply(step.entrypoint),
        name: substituter.apply(step.name),
      },
      status: 'QUEUED',
    }));
    const images = input.images.map((image) => substituter.apply(image));
    const tags = input.tags.map((tag) => substituter.apply(tag));
    substituter.assertAllUsed(Object.keys(input.substitutions));
    for (const image of images) {
      if (!parseImageReference(image))
        throw invalidArgument(`invalid image name "${image}": not a valid image reference`);
    }

    const operationName =
      location === 'global'
        ? `operations/build/${project}/${Buffer.from(id).toString('base64')}`
        : `projects/${project}/locations/${location}/operations/${randomUUID()}`;
    const record: BuildRecord = {
      id,
      project,
      location,
      operationName,
      input: { ...input, tags },
      steps,
      images: this.deps.faults.takeBuildListingNoImages() ? [] : images,
      substitutions: input.substitutions,
      timeoutSeconds,
      queueTtlSeconds: input.queueTtl ? durationSeconds(input.queueTtl) : DEFAULT_QUEUE_TTL_SECONDS,
      createTime: this.deps.clock.now(),
      buildTriggerId,
      source: input.source,
      forced: this.deps.faults.takeBuildFailure(),
      status: 'QUEUED',
      statusDetail: '',
      timing: {},
      results: [],
    };
    this.builds.set(id, record);
    void this.drive(record);
    return this.deps.operations.register(operationName, () => this.renderOperation(record));
  }

  private async drive(build: BuildRecord): Promise<void> {
    const { scheduler, timings, faults, clock } = this.deps;
    await scheduler.sleep(timings.buildQueueMs);
    if (TERMINAL_BUILD_STATUSES.has(build.status)) return;
    if (build.forced?.status === 'EXPIRED') {
      this.finish(
        build,
        'EXPIRED',
        build.forced.message ??
          `Build expired: it was queued for longer than its queue_ttl (${build.queueTtlSeconds}s).`,
      );
      return;
    }
    build.status = 'WORKING';
    build.startTime = clock.now();
    build.timing['BUILD'] = { start: build.startTime };
    this.log(build, `starting build "${build.id}"`);
    if (build.source) build.timing['FETCHSOURCE'] = { start: build.startTime, end: build.startTime };

    let elapsedSeconds = 0;
    for (const [index, step] of build.steps.entries()) {
      const last = index === build.steps.length - 1;
      step.status = 'WORKING';
      step.start = clock.now();
      this.log(build, `Step #${index}: ${step.input.name} ${step.input.args.join(' ')}`.trimEnd());
      await scheduler.sleep(timings.buildStepMs);
      await faults.whenBuildsReleased();
      if (TERMINAL_BUILD_STATUSES.has(build.status)) return;
      elapsedSeconds += timings.buildStepSeconds;
      step.end = clock.now();
      if (elapsedSeconds > build.timeoutSeconds || (last && build.forced?.status === 'TIMEOUT')) {
        step.status = 'TIMEOUT';
        this.finish(build, 'TIMEOUT', build.forced?.message ?? `Build timeout: exceeded ${build.timeoutSeconds}s`);
        return;
      }
      if (last && build.forced?.status === 'FAILURE') {
        step.status = 'FAILURE';
        step.exitCode = 1;
        const detail =
          build.forced.message ??
          `Build step ${index} "${step.input.name}" failed: step exited with non-zero status: 1`;
        this.log(build, `Step #${index}: ${detail}`, 'ERROR');
        this.finish(build, 'FAILURE', detail, { type: 'USER_BUILD_STEP', detail });
        return;
      }
      if (last && build.forced?.status === 'INTERNAL_ERROR') {
        step.status = 'INTERNAL_ERROR';
        this.finish(build, 'INTERNAL_ERROR', build.forced.message ?? 'Internal error: the build worker was lost.');
        return;
      }
      step.status = 'SUCCESS';
      step.exitCode = 0;
    }

    if (build.images.length > 0) {
      const pushStart = clock.now();
      build.timing['PUSH'] = { start: pushStart };
      await scheduler.sleep(timings.buildStepMs);
      await faults.whenBuildsReleased();
      if (TERMINAL_BUILD_STATUSES.has(build.status)) return;
      const missing = build.images.filter((image) => !build.steps.some((step) => mentions(step.input, image)));
      if (missing.length > 0) {
        const detail = `failed to find one or more images after execution of build steps: ${JSON.stringify(missing)}`;
        this.finish(build, 'FAILURE', detail, { type: 'PUSH_IMAGE_NOT_FOUND', detail });
        return;
      }
      for (const image of build.images) {
        const pushed = this.deps.registry.push(image);
        if (!pushed.ok) {
          const detail = `failed to push ${image}: ${pushed.detail}`;
          this.log(build, detail, 'ERROR');
          this.finish(build, 'FAILURE', detail, { type: pushed.reason, detail });
          return;
        }
        build.results.push({ name: image, digest: pushed.digest, start: pushStart, end: clock.now() });
      }
      build.timing['PUSH'] = { start: pushStart, end: clock.now() };
    }
    this.finish(build, 'SUCCESS', '');
  }

  private finish(
    build: BuildRecord,
    status: BuildStatus,
    detail: string,
    failure?: { type: string; detail: string },
  ): void {
    const now = this.deps.clock.now();
    build.status = status;
    build.statusDetail = detail;
    build.finishTime = now;
    const whole = build.timing['BUILD'];
    if (whole) whole.end = now;
    if (failure) build.failureInfo = failure;
    this.log(
      build,
      status === 'SUCCESS' ? 'DONE' : `ERROR: build ${status}${detail ? `: ${detail}` : ''}`,
      status === 'SUCCESS' ? 'INFO' : 'ERROR',
    );
  }

  private cancelBuild(request: unknown): object {
    const build = this.find(parseRequest(GetBuildRequest, request, 'CancelBuildRequest'));
    if (TERMINAL_BUILD_STATUSES.has(build.status)) {
      throw failedPrecondition(
        `Build "${build.id}" is already in a terminal state (${build.status}) and cannot be cancelled.`,
      );
    }
    for (const step of build.steps) {
      if (step.status === 'WORKING') {
        step.status = 'CANCELLED';
        step.end = this.deps.clock.now();
      }
    }
    this.finish(build, 'CANCELLED', '');
    return this.render(build);
  }

  private listBuilds(request: unknown): object {
    const req = parseRequest(ListBuildsRequest, request, 'ListBuildsRequest');
    const { project } = resolveParent(req.projectId, req.parent);
    const matches = compileBuildFilter(req.filter);
    const all = [...this.builds.values()]
      .filter((build) => build.project === project && matches(build))
      .sort((a, b) => b.createTime.getTime() - a.createTime.getTime());
    if (req.pageSize < 0) throw invalidArgument('page_size must not be negative');
    const size = req.pageSize === 0 ? 50 : Math.min(req.pageSize, 1000);
    const offset = req.pageToken ? Number.parseInt(Buffer.from(req.pageToken, 'base64url').toString('utf8'), 10) : 0;
    if (!Number.isInteger(offset) || offset < 0) throw invalidArgument('page_token: invalid page token');
    const page = all.slice(offset, offset + size);
    const next = offset + size < all.length ? Buffer.from(String(offset + size)).toString('base64url') : '';
    return { builds: page.map((build) => this.render(build)), nextPageToken: next };
  }

  private find(req: z.infer<typeof GetBuildRequest>): BuildRecord {
    const match = /^projects\/([^/]+)\/locations\/([^/]+)\/builds\/([^/]+)$/.exec(req.name);
    const project = match?.[1] ?? req.projectId;
    const id = match?.[3] ?? req.id;
    if (!project) throw invalidArgument('project_id: a project is required');
    if (!id) throw invalidArgument('id: a build id is required');
    const build = this.builds.get(id);
    if (!build || (build.project !== project && projectNumber(build.project) !== project)) {
      throw notFound(`Build "${id}" not found.`);
    }
    return build;
  }

  private log(build: BuildRecord, text: string, severity = 'INFO'): void {
    this.deps.logging.write({
      logName: `projects/${build.project}/logs/cloudbuild`,
      timestamp: this.deps.clock.now(),
      severity,
      textPayload: text,
      resource: {
        type: 'build',
        labels: { build_id: build.id, build_trigger_id: build.buildTriggerId, project_id: build.project },
      },
    });
  }

  private renderOperation(build: BuildRecord): OperationMessage {
    const packAny = this.deps.operations.packAny;
    const rendered = this.render(build);
    const done = TERMINAL_BUILD_STATUSES.has(build.status);
    const operation: OperationMessage = {
      name: build.operationName,
      done,
      metadata: packAny('google.devtools.cloudbuild.v1.BuildOperationMetadata', { build: rendered }),
    };
    if (!done) return operation;
    if (build.status === 'SUCCESS')
      return { ...operation, response: packAny('google.devtools.cloudbuild.v1.Build', rendered) };
    return {
      ...operation,
      error: { code: OPERATION_ERROR_CODES[build.status], message: operationMessage(build), details: [] },
    };
  }

  /** The Build message for a build, as GetBuild answers it. */
  render(build: BuildRecord) {
    const number = projectNumber(build.project);
    return {
      name: `projects/${number}/locations/${build.location}/builds/${build.id}`,
      id: build.id,
      projectId: build.project,
      status: build.status,
      statusDetail: build.statusDetail,
      ...(build.source ? { source: build.source } : {}),
      steps: build.steps.map((step) => ({
        ...step.input,
        status: step.status,
        ...(step.start
          ? { timing: { startTime: timestamp(step.start), ...(step.end ? { endTime: timestamp(step.end) } : {}) } }
          : {}),
        ...(step.exitCode !== undefined ? { exitCode: step.exitCode } : {}),
      })),
      results: {
        images: build.results.map((image) => ({
          name: image.name,
          digest: image.digest,
          pushTiming: { startTime: timestamp(image.start), endTime: timestamp(image.end) },
        })),
        buildStepImages: build.steps.map(() => ''),
      },
      createTime: timestamp(build.createTime),
      ...(build.startTime ? { startTime: timestamp(build.startTime) } : {}),
      ...(build.finishTime ? { finishTime: timestamp(build.finishTime) } : {}),
      timeout: duration(build.timeoutSeconds),
      images: build.images,
      queueTtl: duration(build.queueTtlSeconds),
      logsBucket: `gs://${number}.cloudbuild-logs.googleusercontent.com`,
      buildTriggerId: build.buildTriggerId,
      ...(build.input.options ? { options: build.input.options } : {}),
      logUrl: `https://console.cloud.google.com/cloud-build/builds;region=${build.location}/${build.id}?project=${number}`,
      substitutions: build.substitutions,
      tags: build.input.tags,
      timing: Object.fromEntries(
        Object.entries(build.timing).map(([key, span]) => [
          key,
          { startTime: timestamp(span.start), ...(span.end ? { endTime: timestamp(span.end) } : {}) },
        ]),
      ),
      ...(build.failureInfo ? { failureInfo: build.failureInfo } : {}),
    };
  }
}

const OPERATION_ERROR_CODES: Record<BuildStatus, GrpcCode> = {
  STATUS_UNKNOWN: GrpcCode.UNKNOWN,
  PENDING: GrpcCode.UNKNOWN,
  QUEUED: GrpcCode.UNKNOWN,
  WORKING: GrpcCode.UNKNOWN,
  SUCCESS: GrpcCode.OK,
  FAILURE: GrpcCode.UNKNOWN,
  INTERNAL_ERROR: GrpcCode.INTERNAL,
  TIMEOUT: GrpcCode.DEADLINE_EXCEEDED,
  CANCELLED: GrpcCode.CANCELLED,
  EXPIRED: GrpcCode.DEADLINE_EXCEEDED,
};

function operationMessage(build: BuildRecord): string {
  const detail = build.statusDetail ? `: ${build.statusDetail}` : '';
  switch (build.status) {
    case 'CANCELLED':
      return 'Build was cancelled';
    case 'FAILURE':
      return `Build failed; check build logs for details${detail}`;
    default:
      return `Build ended with status ${build.status}${detail}`;
  }
}

function resolveParent(projectId: string, parent: string): { project: string; location: string } {
  if (parent) {
    const match = /^projects\/([^/]+)\/locations\/([^/]+)$/.exec(parent);
    if (!match?.[1] || !match[2])
      throw invalidArgument(`parent: "${parent}" is not of the form projects/PROJECT/locations/LOCATION`);
    if (projectId && projectId !== match[1]) throw invalidArgument('project_id and parent name different projects');
    return { project: match[1], location: match[2] };
  }
  if (!projectId) throw invalidArgument('project_id: a project is required');
  return { project: projectId, location: 'global' };
}

/** Whether a step's arguments name the image (`docker build -t IMAGE`, `--destination=IMAGE`…). */
function mentions(step: StepInput, image: string): boolean {
  return step.args.some((arg) => arg === image || arg.endsWith(`=${image}`)) || step.script.includes(image);
}

function fakeCommitSha(seed: string): string {
  let hash = '';
  for (let round = 0; hash.length < 40; round += 1) {
    hash += Buffer.from(`${seed}:${round}`).toString('hex');
  }
  return [...hash]
    .map((char, index) => ((char.charCodeAt(0) + index) % 16).toString(16))
    .join('')
    .slice(0, 40);
}

/** `$NAME` and `${NAME}` substitution with Cloud Build's rules; `$$` is a literal `$`. */
class Substituter {
  private readonly used = new Set<string>();

  constructor(
    private readonly values: Record<string, string>,
    private readonly builtins: ReadonlySet<string>,
    private readonly loose: boolean,
  ) {}

  apply(text: string): string {
    return text.replace(
      /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
      (whole, braced?: string, bare?: string) => {
        const key = braced ?? bare;
        if (key === undefined) return '$';
        const value = this.values[key];
        if (value !== undefined) {
          this.used.add(key);
          return value;
        }
        if (this.loose) return '';
        if (key.startsWith('_')) {
          throw invalidArgument(`invalid build: key in the template "${key}" is not matched in the substitution list`);
        }
        if (!this.builtins.has(key)) {
          throw invalidArgument(`invalid build: key in the template "${key}" is not a valid built-in substitution`);
        }
        return whole;
      },
    );
  }

  assertAllUsed(keys: string[]): void {
    if (this.loose) return;
    for (const key of keys) {
      if (!this.used.has(key)) {
        throw invalidArgument(`invalid build: key "${key}" in the substitution data is not matched in the template`);
      }
    }
  }
}

/** ListBuilds filters: `status="WORKING"`, `build_id=…`, `trigger_id=…`, `tags=…`, `images=…`, joined by AND. */
function compileBuildFilter(filter: string): (build: BuildRecord) => boolean {
  if (filter.trim() === '') return () => true;
  const clauses = filter.split(/\s+AND\s+/i).map((clause) => {
    const match = /^\s*(\w+)\s*(=|!=)\s*"?([^"]*)"?\s*$/.exec(clause);
    if (!match?.[1] || !match[2] || match[3] === undefined)
      throw invalidArgument(`invalid filter: cannot parse "${clause}"`);
    const [, field, operator, value] = match;
    const read = BUILD_FILTER_FIELDS[field];
    if (!read) throw invalidArgument(`invalid filter: unknown field "${field}"`);
    return (build: BuildRecord) => read(build).includes(value) === (operator === '=');
  });
  return (build) => clauses.every((clause) => clause(build));
}

const BUILD_FILTER_FIELDS: Record<string, ((build: BuildRecord) => string[]) | undefined> = {
  status: (build) => [build.status],
  build_id: (build) => [build.id],
  id: (build) => [build.id],
  trigger_id: (build) => [build.buildTriggerId],
  tags: (build) => build.input.tags,
  images: (build) => build.images,
  project_id: (build) => [build.project],
};
