/**
 * `BuildPort` over Cloud Build v1 (`@google-cloud/cloudbuild`).
 *
 * A build is started and left running: its id comes from the operation's metadata (`BuildOperationMetadata.build`)
 * and is returned at once, so the pipeline saves it before anything waits (FACTS.md). Every build Liftoff starts
 * carries the tags `liftoff` and the run id, which is how a restarted Liftoff finds it again.
 */
import type { CloudBuildClient } from '@google-cloud/cloudbuild';
import { protos } from '@google-cloud/cloudbuild';
import { status as GrpcStatus } from '@grpc/grpc-js';
import type { CallOptions } from 'google-gax';
import { z } from 'zod';

import type { Clock } from '../../deploy/ports/index.js';
import {
  BUILD_STATUSES,
  ExternalError,
  type BuildPort,
  type BuildSnapshot,
  type BuildStatus,
} from '../../deploy/ports/index.js';
import type { BuildSource } from '../../deploy/runbook/schema/index.js';
import { calling, grpcStatusOf, toExternalError } from './errors.js';
import { enumName, optionalText, parseResponse, timestampSchema } from './wire.js';

type Build = protos.google.devtools.cloudbuild.v1.IBuild;
type MachineType = keyof typeof protos.google.devtools.cloudbuild.v1.BuildOptions.MachineType;
const MachineTypes = protos.google.devtools.cloudbuild.v1.BuildOptions.MachineType;

/** The builder that runs `docker build` for the git-URL and connected-repository sources. */
export const DOCKER_BUILDER = 'gcr.io/cloud-builders/docker';
/** The tag every build Liftoff starts carries, beside the run id. */
export const LIFTOFF_BUILD_TAG = 'liftoff';
/** The substitution a trigger's build receives the image in (its config refers to `$_IMAGE`). */
export const IMAGE_SUBSTITUTION = '_IMAGE';
/** Cloud Build's rule for tags. */
const BUILD_TAG = /^[\w][\w.-]{0,127}$/;

export interface CloudBuildAdapterOptions {
  readonly clock: Clock;
  /** How often to re-read an operation whose metadata does not name its build yet (default 1 s). */
  readonly pollIntervalMs?: number;
  /** How long to wait for that id before giving up (default 60 s). */
  readonly startTimeoutMs?: number;
  /** Per-call deadline, retries included, for reads and cancels (default 30 s). */
  readonly callTimeoutMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
}

type CloudBuildCalls = Pick<
  CloudBuildClient,
  'createBuild' | 'runBuildTrigger' | 'getBuild' | 'listBuilds' | 'cancelBuild' | 'checkCreateBuildProgress'
>;

const statusSchema = enumName(protos.google.devtools.cloudbuild.v1.Build.Status).transform(
  (name): BuildStatus => BUILD_STATUSES.find((known) => known === name) ?? 'STATUS_UNKNOWN',
);

const stepSchema = z.object({
  id: optionalText,
  name: optionalText,
  args: z.array(z.string()).nullish(),
  status: statusSchema,
});

const buildSchema = z.object({
  id: z.string().min(1),
  status: statusSchema,
  statusDetail: optionalText,
  failureInfo: z.object({ detail: optionalText }).nullish(),
  logUrl: optionalText,
  createTime: timestampSchema,
  startTime: timestampSchema,
  finishTime: timestampSchema,
  steps: z.array(stepSchema).nullish(),
  images: z.array(z.string()).nullish(),
  results: z.object({ images: z.array(z.object({ name: optionalText, digest: optionalText })).nullish() }).nullish(),
});
type ParsedBuild = z.infer<typeof buildSchema>;

const operationMetadataSchema = z.object({
  build: z.object({ id: optionalText, logUrl: optionalText }).nullish(),
});

const NOT_STARTED: ReadonlySet<BuildStatus> = new Set(['STATUS_UNKNOWN', 'PENDING', 'QUEUED']);

/** `gcr.io/cloud-builders/docker:latest` + `build …` → `docker build`; a step's id wins when it has one. */
export function stepLabel(step: {
  readonly id: string | null;
  readonly name: string | null;
  readonly args?: readonly string[] | null | undefined;
}): string {
  if (step.id !== null) return step.id;
  const image = step.name ?? 'step';
  const base = (image.split('/').pop() ?? image).replace(/[:@].*$/, '');
  // Only the first argument: later ones can be long, and a --build-arg may hold a value that must not be shown.
  const verb = step.args?.[0];
  return verb === undefined ? base : `${base} ${verb}`;
}

/** Cloud Build's Build message (plain or from an operation's metadata) as the port's snapshot. */
export function buildSnapshot(message: unknown): BuildSnapshot {
  return snapshotOf(parseResponse(buildSchema, message, 'Build'));
}

function snapshotOf(build: ParsedBuild): BuildSnapshot {
  const steps = build.steps ?? [];
  const working = steps.find((step) => step.status === 'WORKING');
  const lastRun = [...steps].reverse().find((step) => !NOT_STARTED.has(step.status));
  const current = working ?? lastRun;
  const digests = new Map<string, string | null>();
  for (const name of build.images ?? []) digests.set(name, null);
  for (const image of build.results?.images ?? []) {
    if (image.name !== null) digests.set(image.name, image.digest);
  }
  return {
    id: build.id,
    status: build.status,
    statusDetail: build.statusDetail ?? build.failureInfo?.detail ?? null,
    logUrl: build.logUrl,
    startedAt: build.startTime,
    finishedAt: build.finishTime,
    currentStep: current === undefined ? null : stepLabel(current),
    images: [...digests].map(([name, digest]) => ({ name, digest })),
  };
}

function isMachineType(value: string): value is MachineType {
  return Object.hasOwn(MachineTypes, value) && typeof Reflect.get(MachineTypes, value) === 'number';
}

/** The Build message for the sources Liftoff configures itself (not triggers). */
export function explicitBuild(input: {
  readonly source: Build['source'];
  readonly image: string;
  readonly timeoutMs: number;
  readonly machineType?: MachineType;
  readonly runId: string;
}): Build {
  return {
    source: input.source ?? null,
    steps: [{ name: DOCKER_BUILDER, args: ['build', '-t', input.image, '.'] }],
    images: [input.image],
    // Always sent: the default differs between versions of the docs (FACTS.md).
    timeout: { seconds: Math.max(1, Math.ceil(input.timeoutMs / 1000)) },
    tags: [LIFTOFF_BUILD_TAG, input.runId],
    ...(input.machineType === undefined ? {} : { options: { machineType: input.machineType } }),
  };
}

/** The Build.source for a runbook source that is not a trigger. */
export function buildSource(
  source: Exclude<BuildSource, { kind: 'trigger' }>,
  where: { readonly project: string; readonly region: string; readonly commitSha: string },
): NonNullable<Build['source']> {
  if (source.kind === 'gitUrl') return { gitSource: { url: source.url, revision: where.commitSha } };
  return {
    connectedRepository: {
      repository: `projects/${where.project}/locations/${where.region}/connections/${source.connection}/repositories/${source.name}`,
      revision: where.commitSha,
    },
  };
}

/** A `BuildPort` over Cloud Build. */
export function cloudBuildAdapter(
  clients: { readonly cloudBuild: CloudBuildCalls },
  options: CloudBuildAdapterOptions,
): BuildPort {
  const client = clients.cloudBuild;
  const pollIntervalMs = options.pollIntervalMs ?? 1000;
  const startTimeoutMs = options.startTimeoutMs ?? 60_000;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const call: CallOptions = { timeout: options.callTimeoutMs ?? 30_000 };
  const buildName = (project: string, region: string, id: string): string =>
    `projects/${project}/locations/${region}/builds/${id}`;

  /** The build id the operation's metadata names, re-reading the operation until it does. */
  async function buildIdOf(operation: {
    readonly name?: string | null;
    readonly metadata: unknown;
  }): Promise<{ buildId: string; logUrl: string | null }> {
    const giveUpAt = options.clock.now().getTime() + startTimeoutMs;
    let metadata = operation.metadata;
    for (;;) {
      const build = parseResponse(operationMetadataSchema, metadata ?? {}, 'build operation metadata').build;
      if (build?.id) return { buildId: build.id, logUrl: build.logUrl };
      const name = operation.name;
      if (!name || options.clock.now().getTime() >= giveUpAt) {
        throw new ExternalError(
          'cloud-build',
          'unavailable',
          `Cloud Build accepted the build but its operation ${name ?? '(unnamed)'} did not name the build`,
        );
      }
      await sleep(pollIntervalMs);
      const next = await calling('cloud-build', 'reading the build operation', () =>
        client.checkCreateBuildProgress(name),
      );
      metadata = next.metadata;
    }
  }

  async function getBuild(project: string, region: string, buildId: string): Promise<BuildSnapshot> {
    const [build] = await calling('cloud-build', `reading build ${buildId}`, () =>
      client.getBuild({ name: buildName(project, region, buildId), projectId: project, id: buildId }, call),
    );
    return buildSnapshot(build);
  }

  return {
    async startBuild(input) {
      const parent = `projects/${input.project}/locations/${input.region}`;
      if (!BUILD_TAG.test(input.runId)) {
        throw new ExternalError('cloud-build', 'rejected', `run id "${input.runId}" cannot be a Cloud Build tag`);
      }
      const source = input.source;
      if (source.kind === 'trigger') {
        const trigger = source.id ?? source.name;
        if (trigger === undefined) throw new ExternalError('cloud-build', 'rejected', 'the trigger has no id or name');
        const [operation] = await calling('cloud-build', `running trigger ${trigger}`, () =>
          client.runBuildTrigger({
            name: `${parent}/triggers/${trigger}`,
            projectId: input.project,
            triggerId: trigger,
            source: {
              projectId: input.project,
              commitSha: input.commitSha,
              substitutions: { ...source.substitutions, [IMAGE_SUBSTITUTION]: input.image },
            },
          }),
        );
        return buildIdOf(operation);
      }
      let machineType: MachineType | undefined;
      if (input.machineType !== undefined) {
        if (!isMachineType(input.machineType)) {
          throw new ExternalError('cloud-build', 'rejected', `unknown Cloud Build machine type ${input.machineType}`);
        }
        machineType = input.machineType;
      }
      const build = explicitBuild({
        source: buildSource(source, { project: input.project, region: input.region, commitSha: input.commitSha }),
        image: input.image,
        timeoutMs: input.timeoutMs,
        runId: input.runId,
        ...(machineType === undefined ? {} : { machineType }),
      });
      const [operation] = await calling('cloud-build', 'starting the build', () =>
        client.createBuild({ parent, projectId: input.project, build }),
      );
      return buildIdOf(operation);
    },

    async findBuildOfRun({ project, region, runId }) {
      if (!BUILD_TAG.test(runId)) return undefined;
      const [builds] = await calling('cloud-build', `listing the builds of run ${runId}`, () =>
        client.listBuilds(
          {
            parent: `projects/${project}/locations/${region}`,
            projectId: project,
            filter: `tags="${runId}"`,
            pageSize: 20,
          },
          { ...call, autoPaginate: false },
        ),
      );
      const parsed = builds.map((build) => parseResponse(buildSchema, build, 'Build'));
      // Newest first: if a start was retried, the latest attempt is the one that counts.
      parsed.sort((a, b) => (b.createTime?.getTime() ?? 0) - (a.createTime?.getTime() ?? 0));
      const newest = parsed[0];
      return newest === undefined ? undefined : snapshotOf(newest);
    },

    getBuild: ({ project, region, buildId }) => getBuild(project, region, buildId),

    async cancelBuild({ project, region, buildId }) {
      try {
        await client.cancelBuild({ name: buildName(project, region, buildId), projectId: project, id: buildId }, call);
      } catch (error: unknown) {
        // Cancelling twice (a double click, a retried step) is not an error; cancelling a finished build is.
        if (grpcStatusOf(error) === GrpcStatus.FAILED_PRECONDITION) {
          const build = await getBuild(project, region, buildId);
          if (build.status === 'CANCELLED') return;
        }
        throw toExternalError('cloud-build', error, `cancelling build ${buildId}`);
      }
    },
  };
}
