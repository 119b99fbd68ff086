import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { EmergenceFaults } from '../../sandbox/emergence/index.js';
import type { EmergenceRuntime } from '../../sandbox/emergence/runtime.js';
import {
  EMERGENCE_REPO,
  SEEDED_REVISION,
  startEmulatedCloud,
  type EmulatedCloud,
} from '../../sandbox/emulated-cloud.js';
import type { GcpEmulator, startGcpEmulator } from '../../sandbox/gcp/index.js';
import type { GitHubEmulator } from '../../sandbox/github/index.js';
import {
  CHANNEL,
  PHASE3_ENV,
  USERS,
  startHarness,
  waitFor,
  type Harness,
  type HarnessOptions,
} from './liftoff-harness.js';
import { TestClock } from './test-clock.js';

export const REPO = EMERGENCE_REPO;
export const GITHUB_TOKEN = 'ghp_world_test_token';
export const SERVICE = {
  project: PHASE3_ENV.GCP_PROJECT,
  region: PHASE3_ENV.GCP_REGION,
  name: 'emergence-app',
} as const;
export const OLD_REVISION = SEEDED_REVISION;

export interface WorldOptions {
  /** build_tag.txt as it stands on main (default: the team's real `IMAGE_TAG=deploy-…` line). */
  readonly buildTag?: string;
  /** How the service's traffic was left (default what `gcloud run deploy` leaves: LATEST 100 %). */
  readonly traffic?: 'latest' | 'pinned' | ReadonlyArray<{ revision: string; percent: number; tag?: string }>;
  readonly revisions?: number;
  readonly revisionNames?: readonly string[];
  readonly harness?: HarnessOptions;
  readonly gcpTimings?: Parameters<typeof startGcpEmulator>[0]['timings'];
  /** The repository's emulated CI (default: a green check run on every commit); false: no CI at all. */
  readonly ci?: Parameters<typeof startEmulatedCloud>[0]['ci'];
  /**
   * Settings of `runbooks/phase3.yml` to change for this world, e.g. `{ 'queue: false': 'queue: true' }`: each line
   * must be there as written. The edited copy lives in a temporary directory removed with the world.
   */
  readonly phase3Edits?: Readonly<Record<string, string>>;
  /** Cloud Monitoring's reporting delay and buckets (canary tests use a small delay). */
  readonly monitoring?: Parameters<typeof startEmulatedCloud>[0]['monitoring'];
  /** Draws each service URL request's revision by the split (e.g. `seededRandom('x')`, for repeatable canaries). */
  readonly routingRandom?: () => number;
  /** The sample service's per-IP limit: a traffic generator above ~1.6 requests a second needs it raised. */
  readonly rateLimitPerMinute?: number;
}

/** What serves now, as `revision=percent`, read from the emulator's trafficStatuses. */
export function servingNow(w: Pick<World, 'gcp'>): string[] {
  const svc = w.gcp.services().find((s) => String(s.name).endsWith(`/services/${SERVICE.name}`));
  return (svc?.trafficStatuses ?? [])
    .filter((t) => (t.percent ?? 0) > 0)
    .map((t) => `${String(t.revision ?? 'LATEST')}=${String(t.percent)}`);
}

function editedRunbooks(edits: Readonly<Record<string, string>>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'liftoff-runbooks-'));
  cpSync('runbooks', dir, { recursive: true });
  const file = path.join(dir, 'phase3.yml');
  let yaml = readFileSync(file, 'utf8');
  for (const [from, to] of Object.entries(edits)) {
    const line = new RegExp(`^(\\s*)${from.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm');
    if (!line.test(yaml)) throw new Error(`phase3.yml has no line \`${from}\` to edit`);
    yaml = yaml.replace(line, `$1${to}`);
  }
  writeFileSync(file, yaml);
  return dir;
}

export interface World extends Harness {
  /** Faults every revision created after the seeded ones starts with (set before deploying). */
  newRevisionFaults: EmergenceFaults | undefined;
  readonly gcp: GcpEmulator;
  readonly github: GitHubEmulator;
  readonly runtime: EmergenceRuntime;
  /** `git log --format=%s` of main in the emulated repository, newest first. */
  gitLog(): string[];
  gitShow(path: string): string;
  /** Requests phase3, approves it and waits for the run to end; returns the run. */
  deployAndWait(timeoutMs?: number): Promise<NonNullable<Awaited<ReturnType<Harness['liftoff']['store']['getRun']>>>>;
  waitForState(
    states: readonly string[],
    timeoutMs?: number,
  ): Promise<NonNullable<Awaited<ReturnType<Harness['liftoff']['store']['getRun']>>>>;
  /** Everything posted in the latest run's thread, as text. */
  threadText(): Promise<string>;
  closeWorld(): Promise<void>;
}

export type Emulators = EmulatedCloud;

/** The emulated cloud with fast timings for tests. */
export function startEmulators(options: WorldOptions = {}, clock?: TestClock): Promise<Emulators> {
  return startEmulatedCloud({
    ...(clock === undefined ? {} : { clock }),
    project: SERVICE.project,
    region: SERVICE.region,
    githubToken: GITHUB_TOKEN,
    runtime: {
      analysisMs: 30,
      skipPathMs: 1,
      ...(options.rateLimitPerMinute === undefined ? {} : { rateLimitPerMinute: options.rateLimitPerMinute }),
    },
    ...(options.monitoring === undefined ? {} : { monitoring: options.monitoring }),
    ...(options.routingRandom === undefined ? {} : { routingRandom: options.routingRandom }),
    gcpTimings: { buildQueueMs: 10, buildStepMs: 20, revisionReadyMs: 30, trafficUpdateMs: 5, ...options.gcpTimings },
    ...(options.buildTag === undefined ? {} : { buildTag: options.buildTag }),
    ...(options.ci === undefined ? {} : { ci: options.ci }),
    ...(options.traffic === undefined ? {} : { traffic: options.traffic }),
    ...(options.revisions === undefined ? {} : { revisions: options.revisions }),
    ...(options.revisionNames === undefined ? {} : { revisionNames: options.revisionNames }),
  });
}

/** Slack, Google Cloud, GitHub and the ÉMERGENCE service, emulated, with the real Liftoff in front. */
export async function startWorld(options: WorldOptions = {}): Promise<World> {
  const clock = options.harness?.clock ?? new TestClock();
  // One clock for Liftoff and the emulators: the log entries it reads carry the time it reasons in.
  const emulators = await startEmulators(options, clock);
  const { gcp, github, runtime, faults } = emulators;
  // Waits (log polling, Retry-After) move the shared clock instead of the wall clock: tests stay fast and
  // every party (Liftoff, the Slack emulator, the signer) still agrees on the time.
  const sleep = async (ms: number): Promise<void> => {
    clock.advance(ms);
    await new Promise((resolve) => setTimeout(resolve, Math.min(ms, 5)));
  };
  const runbooksDir = options.phase3Edits === undefined ? undefined : editedRunbooks(options.phase3Edits);
  const harness = await startHarness({
    clock,
    ...(runbooksDir === undefined ? {} : { runbooksDir }),
    ...options.harness,
    env: { GCP_API_ENDPOINT: gcp.endpoint, GITHUB_TOKEN, GITHUB_API_URL: github.apiUrl, ...options.harness?.env },
    liftoff: {
      githubMode: 'test',
      sleep,
      outboxIntervalMs: 100,
      pipelineTimings: { buildPollMs: 20, revisionReadyMs: 10_000, trafficMs: 10_000, driverLeaseMs: 30_000 },
      ...options.harness?.liftoff,
    },
  });
  const repoDir = github.repoDir(REPO.owner, REPO.name);
  const git = (...args: string[]): string => execFileSync('git', ['-C', repoDir, ...args], { encoding: 'utf8' });
  const world: World = {
    ...harness,
    get newRevisionFaults() {
      return faults.next;
    },
    set newRevisionFaults(value) {
      faults.next = value;
    },
    gcp,
    github,
    runtime,
    gitLog: () => git('log', '--format=%s', 'main').trim().split('\n'),
    gitShow: (path) => git('show', `main:${path}`),
    async waitForState(states, timeoutMs = 20_000) {
      return waitFor(
        async () => {
          const [run] = await harness.liftoff.store.listRuns({ limit: 1 });
          return run !== undefined && states.includes(run.state) ? run : undefined;
        },
        `a run in ${states.join('/')}`,
        timeoutMs,
      );
    },
    async deployAndWait(timeoutMs = 30_000) {
      await harness.deploy('phase3');
      const request = await harness.waitForRequest();
      await harness.click('approve', request, USERS.approver);
      return world.waitForState(['succeeded', 'rolled_back', 'failed', 'cancelled'], timeoutMs);
    },
    async threadText() {
      const [run] = await harness.liftoff.store.listRuns({ limit: 1 });
      return harness.emulator.messages
        .filter((m) => m.channel === CHANNEL && run?.messageTs != null && m.thread_ts === run.messageTs)
        .map((m) => `${m.text}\n${JSON.stringify(m.blocks ?? [])}`)
        .join('\n');
    },
    async closeWorld() {
      await harness.close();
      await emulators.close();
      if (runbooksDir !== undefined) rmSync(runbooksDir, { recursive: true, force: true });
    },
  };
  return world;
}
