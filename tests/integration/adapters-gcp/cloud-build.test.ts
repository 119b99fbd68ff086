import { cloudBuildAdapter } from '../../../src/adapters/gcp/cloud-build-adapter.js';
import {
  ExternalError,
  TERMINAL_BUILD_STATUSES,
  type BuildPort,
  type BuildSnapshot,
} from '../../../src/deploy/ports/index.js';
import type { BuildSource } from '../../../src/deploy/runbook/schema/index.js';
import {
  eventually,
  IMAGE,
  PROJECT,
  REGION,
  rejectionOf,
  REPOSITORY,
  startSandbox,
  systemClock,
  type Sandbox,
} from './helpers.js';

let sandbox: Sandbox;
let builds: BuildPort;
let serial = 0;

const GIT_URL = 'https://github.com/emergence/emergence-app.git';
const SHA = '3f2c9a1b7d4e5f60718293a4b5c6d7e8f9a0b1c2';

beforeAll(async () => {
  sandbox = await startSandbox();
  sandbox.emulator.seedRepository(REPOSITORY);
  builds = cloudBuildAdapter(sandbox.clients, { clock: systemClock });
});

afterAll(() => sandbox.close());

afterEach(() => sandbox.emulator.faults.reset());

function nextRun(): { runId: string; image: string } {
  serial += 1;
  return { runId: `run-${serial.toString(16).padStart(12, '0')}`, image: `${IMAGE}:deploy-2025100${serial}-120000` };
}

function start(
  source: BuildSource,
  run: { runId: string; image: string },
  extra: { machineType?: string; timeoutMs?: number } = {},
): ReturnType<BuildPort['startBuild']> {
  return builds.startBuild({
    project: PROJECT,
    region: REGION,
    source,
    repo: 'emergence/emergence-app',
    commitSha: SHA,
    image: run.image,
    timeoutMs: extra.timeoutMs ?? 20 * 60_000,
    runId: run.runId,
    ...(extra.machineType === undefined ? {} : { machineType: extra.machineType }),
  });
}

function finished(buildId: string): Promise<BuildSnapshot> {
  return eventually(
    () => builds.getBuild({ project: PROJECT, region: REGION, buildId }),
    (build) => TERMINAL_BUILD_STATUSES.includes(build.status),
  );
}

function rawBuild(buildId: string) {
  const build = sandbox.emulator.builds().find((candidate) => candidate.id === buildId);
  if (build === undefined) throw new Error(`no build ${buildId} in the emulator`);
  return build;
}

describe('a build from a git URL', () => {
  it('returns its id before it finishes, builds and pushes the image, and is found again by the run tag', async () => {
    const run = nextRun();
    // Held builds cannot finish: startBuild must return without waiting for the operation.
    sandbox.emulator.faults.holdBuilds(true);
    const started = await start({ kind: 'gitUrl', url: GIT_URL }, run, { machineType: 'E2_HIGHCPU_8' });

    expect(started.buildId).toMatch(/^[0-9a-f-]{36}$/);
    expect(started.logUrl).toContain(started.buildId);
    expect(TERMINAL_BUILD_STATUSES).not.toContain(rawBuild(started.buildId).status);
    expect(sandbox.emulator.calls.filter((call) => call.rpc === 'GetOperation')).toEqual([]);

    const raw = rawBuild(started.buildId);
    expect(raw.source).toMatchObject({ gitSource: { url: GIT_URL, revision: SHA } });
    expect(raw.steps.map((step) => ({ name: step.name, args: step.args }))).toEqual([
      { name: 'gcr.io/cloud-builders/docker', args: ['build', '-t', run.image, '.'] },
    ]);
    expect(raw.images).toEqual([run.image]);
    expect(raw.timeout).toEqual({ seconds: '1200', nanos: 0 });
    expect(raw.tags).toEqual(['liftoff', run.runId]);
    expect(raw.options).toMatchObject({ machineType: 'E2_HIGHCPU_8' });
    sandbox.emulator.faults.holdBuilds(false);

    const done = await finished(started.buildId);
    expect(done).toMatchObject({
      id: started.buildId,
      status: 'SUCCESS',
      statusDetail: null,
      currentStep: 'docker build',
    });
    expect(done.logUrl).toBe(started.logUrl);
    expect(done.startedAt).toBeInstanceOf(Date);
    expect(done.finishedAt?.getTime()).toBeGreaterThanOrEqual(done.startedAt?.getTime() ?? Infinity);
    const tag = run.image.slice(IMAGE.length + 1);
    const pushed = sandbox.emulator.images().find((image) => image.tags.includes(tag));
    expect(done.images).toEqual([{ name: run.image, digest: pushed?.digest }]);
    expect(pushed?.digest).toMatch(/^sha256:[0-9a-f]{64}$/);

    const found = await builds.findBuildOfRun({ project: PROJECT, region: REGION, runId: run.runId });
    expect(found).toEqual(done);
    const listing = sandbox.emulator.calls.filter((call) => call.rpc === 'ListBuilds').at(-1);
    expect(listing?.request).toMatchObject({
      parent: `projects/${PROJECT}/locations/${REGION}`,
      filter: `tags="${run.runId}"`,
    });
  });

  it('finds nothing for a run that never started a build', async () => {
    await start({ kind: 'gitUrl', url: GIT_URL }, nextRun());
    expect(
      await builds.findBuildOfRun({ project: PROJECT, region: REGION, runId: 'run-000000000fff' }),
    ).toBeUndefined();
  });

  it('reports the step running now while the build works', async () => {
    sandbox.emulator.faults.holdBuilds(true);
    const { buildId } = await start({ kind: 'gitUrl', url: GIT_URL }, nextRun());
    const working = await eventually(
      () => builds.getBuild({ project: PROJECT, region: REGION, buildId }),
      (build) => build.status === 'WORKING',
    );
    expect(working).toMatchObject({ status: 'WORKING', currentStep: 'docker build', finishedAt: null });
    expect(working.startedAt).toBeInstanceOf(Date);
    expect(working.images).toEqual([{ name: rawBuild(buildId).images[0], digest: null }]);
    sandbox.emulator.faults.holdBuilds(false);
    expect((await finished(buildId)).status).toBe('SUCCESS');
  });
});

describe('the other sources', () => {
  it('builds a connected repository at the commit', async () => {
    const run = nextRun();
    const { buildId } = await start({ kind: 'repository', connection: 'github-emergence', name: 'emergence-app' }, run);
    expect(rawBuild(buildId).source).toMatchObject({
      connectedRepository: {
        repository: `projects/${PROJECT}/locations/${REGION}/connections/github-emergence/repositories/emergence-app`,
        revision: SHA,
      },
    });
    expect(rawBuild(buildId).tags).toEqual(['liftoff', run.runId]);
    expect((await finished(buildId)).status).toBe('SUCCESS');
  });

  it('runs a trigger at the commit with its substitutions and the image as _IMAGE', async () => {
    sandbox.emulator.seedTrigger({
      project: PROJECT,
      id: 'deploy-trigger-id',
      name: 'emergence-deploy',
      location: REGION,
      repository: 'emergence/emergence-app',
      build: {
        steps: [
          { name: 'gcr.io/cloud-builders/docker', args: ['build', '--build-arg', 'ENV=$_ENV', '-t', '$_IMAGE', '.'] },
        ],
        images: ['$_IMAGE'],
        timeout: { seconds: 1200 },
      },
    });
    const run = nextRun();
    const { buildId } = await start(
      { kind: 'trigger', name: 'emergence-deploy', substitutions: { _ENV: 'production' } },
      run,
    );
    const raw = rawBuild(buildId);
    expect(raw.buildTriggerId).toBe('deploy-trigger-id');
    expect(raw.substitutions).toEqual({ _ENV: 'production', _IMAGE: run.image });
    expect(raw.source).toEqual({ repoSource: expect.objectContaining({ commitSha: SHA }) as unknown });
    const done = await finished(buildId);
    expect(done.status).toBe('SUCCESS');
    expect(done.images).toEqual([{ name: run.image, digest: expect.stringMatching(/^sha256:/) as unknown }]);
  });

  it('says not_found for a trigger that does not exist', async () => {
    const error = await rejectionOf(start({ kind: 'trigger', id: 'no-such-trigger', substitutions: {} }, nextRun()));
    expect(error).toBeInstanceOf(ExternalError);
    expect(error).toMatchObject({ service: 'cloud-build', code: 'not_found' });
  });
});

describe('failures', () => {
  it.each([
    ['FAILURE', 'Build step 0 "gcr.io/cloud-builders/docker" failed: step exited with non-zero status: 1'],
    ['INTERNAL_ERROR', 'Internal error: the build worker was lost.'],
    ['TIMEOUT', 'Build timeout: exceeded 1200s'],
    ['EXPIRED', 'Build expired: it was queued for longer than its queue_ttl (3600s).'],
  ] as const)('reports %s with Cloud Build’s detail', async (status, detail) => {
    sandbox.emulator.faults.failNextBuild(status, detail);
    const { buildId } = await start({ kind: 'gitUrl', url: GIT_URL }, nextRun());
    const done = await finished(buildId);
    expect(done).toMatchObject({ id: buildId, status, statusDetail: detail });
    expect(done.finishedAt).toBeInstanceOf(Date);
    expect(done.images.every((image) => image.digest === null)).toBe(true);
    if (status === 'EXPIRED') expect(done.currentStep).toBeNull();
    else expect(done.currentStep).toBe('docker build');
  });

  it('maps a refused build to rejected and an unreachable Cloud Build to unavailable', async () => {
    const refused = await rejectionOf(
      start({ kind: 'gitUrl', url: GIT_URL }, nextRun(), { timeoutMs: 25 * 3_600_000 }),
    );
    expect(refused).toMatchObject({ name: 'ExternalError', service: 'cloud-build', code: 'rejected' });
    expect((refused as Error).message).toContain('timeout');

    sandbox.emulator.faults.unavailable('CreateBuild');
    const unreachable = await rejectionOf(start({ kind: 'gitUrl', url: GIT_URL }, nextRun()));
    expect(unreachable).toMatchObject({ name: 'ExternalError', service: 'cloud-build', code: 'unavailable' });

    const missing = await rejectionOf(builds.getBuild({ project: PROJECT, region: REGION, buildId: 'nope' }));
    expect(missing).toMatchObject({ service: 'cloud-build', code: 'not_found' });
  });

  it('refuses an unknown machine type before calling Cloud Build', async () => {
    const before = sandbox.emulator.calls.length;
    const error = await rejectionOf(start({ kind: 'gitUrl', url: GIT_URL }, nextRun(), { machineType: 'HUGE' }));
    expect(error).toMatchObject({ service: 'cloud-build', code: 'rejected' });
    expect(sandbox.emulator.calls.length).toBe(before);
  });
});

describe('cancelling', () => {
  it('cancels a running build, twice without error, and refuses to cancel a finished one', async () => {
    sandbox.emulator.faults.holdBuilds(true);
    const { buildId } = await start({ kind: 'gitUrl', url: GIT_URL }, nextRun());
    await eventually(
      () => builds.getBuild({ project: PROJECT, region: REGION, buildId }),
      (build) => build.status === 'WORKING',
    );
    await builds.cancelBuild({ project: PROJECT, region: REGION, buildId });
    expect(rawBuild(buildId).status).toBe('CANCELLED');
    await builds.cancelBuild({ project: PROJECT, region: REGION, buildId });
    sandbox.emulator.faults.holdBuilds(false);
    expect((await builds.getBuild({ project: PROJECT, region: REGION, buildId })).status).toBe('CANCELLED');

    const other = await start({ kind: 'gitUrl', url: GIT_URL }, nextRun());
    expect((await finished(other.buildId)).status).toBe('SUCCESS');
    const error = await rejectionOf(builds.cancelBuild({ project: PROJECT, region: REGION, buildId: other.buildId }));
    expect(error).toMatchObject({ service: 'cloud-build', code: 'rejected' });
    expect((error as Error).message).toContain('terminal');
  });
});
