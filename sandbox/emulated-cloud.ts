import { existsSync } from 'node:fs';
import type { EmergenceFaults } from './emergence/index.js';
import { emergenceRuntime, type EmergenceRuntime, type EmergenceRuntimeOptions } from './emergence/runtime.js';
import { startGcpEmulator, type GcpEmulator } from './gcp/index.js';
import type { EmulatedCiOptions } from './github/ci.js';
import { startGitHubEmulator, type GitHubEmulator } from './github/index.js';

export const EMERGENCE_REPO = { owner: 'emergence', name: 'emergence-app' } as const;
export const SEEDED_REVISION = 'emergence-app-00274-old';

export interface EmulatedCloudOptions {
  readonly project: string;
  readonly region: string;
  readonly githubToken: string;
  /** build_tag.txt as it stands on main (default: the team's real `IMAGE_TAG=deploy-…` line). */
  readonly buildTag?: string;
  /** How the service's traffic was left (default what `gcloud run deploy` leaves: LATEST 100 %). */
  readonly traffic?: 'latest' | 'pinned' | ReadonlyArray<{ revision: string; percent: number; tag?: string }>;
  readonly revisions?: number;
  readonly revisionNames?: readonly string[];
  readonly gcpTimings?: Parameters<typeof startGcpEmulator>[0]['timings'];
  /**
   * `rateLimitPerMinute`: every request through the emulated front door comes from 127.0.0.1, so the sample
   * service's limit of 100 a minute per client IP caps a traffic generator at about 1.6 requests a second unless
   * raised here.
   */
  readonly runtime?: Pick<EmergenceRuntimeOptions, 'analysisMs' | 'skipPathMs' | 'startupMs' | 'rateLimitPerMinute'>;
  /** Draws each service URL request's revision by the traffic split (default Math.random; `seededRandom(seed)`). */
  readonly routingRandom?: () => number;
  /** Cloud Monitoring's reporting delay (default 180 s, as Cloud Run's request metrics) and latency buckets. */
  readonly monitoring?: Parameters<typeof startGcpEmulator>[0]['monitoring'];
  /** A git repository to serve (kept across restarts); default a temporary one. */
  readonly repoDir?: string;
  /** The time the emulators stamp (log entries, builds, commits): a test's clock must be Liftoff's too. */
  readonly clock?: { now(): Date };
  /** The app repository's CI: a green check run on every commit by default, as its workflow gives; false: none. */
  readonly ci?: EmulatedCiOptions | false;
}

export interface EmulatedCloud {
  readonly gcp: GcpEmulator;
  readonly github: GitHubEmulator;
  readonly runtime: EmergenceRuntime;
  /** Faults every revision created after the seeded ones starts with. */
  readonly faults: { next: EmergenceFaults | undefined };
  close(): Promise<void>;
}

/**
 * Google Cloud with the ÉMERGENCE service seeded as `gcloud run deploy` leaves it (LATEST 100 %, PYTHONPATH,
 * metrics on, the OpenAI key as a secret reference, public), and GitHub with the app's repository.
 */
export async function startEmulatedCloud(options: EmulatedCloudOptions): Promise<EmulatedCloud> {
  const seeded = new Set(options.revisionNames ?? [SEEDED_REVISION]);
  const faults: { next: EmergenceFaults | undefined } = { next: undefined };
  const clock = options.clock === undefined ? {} : { clock: options.clock };
  const runtime = emergenceRuntime({
    ...options.runtime,
    ...clock,
    faultsFor: (revision) => (seeded.has(revision) || faults.next === undefined ? undefined : { ...faults.next }),
  });
  const gcp = await startGcpEmulator({
    runtime,
    ...clock,
    ...(options.gcpTimings === undefined ? {} : { timings: options.gcpTimings }),
    ...(options.routingRandom === undefined ? {} : { random: options.routingRandom }),
    ...(options.monitoring === undefined ? {} : { monitoring: options.monitoring }),
  });
  gcp.seedRepository(`${options.region}-docker.pkg.dev/${options.project}/app`);
  const oldImage = `${options.region}-docker.pkg.dev/${options.project}/app/emergence-app:deploy-20251008-183707`;
  gcp.seedImage(oldImage);
  await gcp.seedService({
    project: options.project,
    region: options.region,
    name: 'emergence-app',
    image: oldImage,
    env: { PYTHONPATH: '/app', CONCEPT_RECALL_METRICS_ENABLED: 'true', EMERGENCE_ENV: 'production' },
    secretEnv: { OPENAI_API_KEY: { secret: 'openai-api-key', version: 'latest', value: 'sk-sandbox-never-shown' } },
    allowUnauthenticated: true,
    traffic: options.traffic ?? 'latest',
    revisions: options.revisions ?? 1,
    revisionNames: options.revisionNames ?? [SEEDED_REVISION],
    memory: '1Gi',
    cpu: '1',
  });
  const repoExists = options.repoDir !== undefined && existsSync(options.repoDir);
  const github = await startGitHubEmulator({
    ...clock,
    token: options.githubToken,
    ...(options.ci === false ? {} : { ci: options.ci ?? {} }),
    repos: [
      {
        ...EMERGENCE_REPO,
        ...(options.repoDir === undefined ? {} : { dir: options.repoDir }),
        // An existing repository keeps its history: only a new one gets the initial files.
        ...(repoExists
          ? {}
          : {
              files: {
                'build_tag.txt': options.buildTag ?? 'IMAGE_TAG=deploy-20251008-183707\n',
                Dockerfile:
                  'FROM python:3.11-slim\nCOPY . /app\nCMD ["uvicorn", "backend.main:app", "--host", "0.0.0.0"]\n',
                'requirements.txt': 'fastapi\nuvicorn\nprometheus-client==0.21.0\n',
              },
            }),
      },
    ],
  });
  return {
    gcp,
    github,
    runtime,
    faults,
    async close() {
      await gcp.close();
      await github.close();
      await runtime.stopAll();
    },
  };
}
