import { openSqliteStore } from '../../../src/adapters/store/sqlite-store.js';
import { DeployPipeline } from '../../../src/deploy/pipeline/deploy-pipeline.js';
import type { BuildPort, BuildSnapshot, BuildStatus } from '../../../src/deploy/ports/index.js';
import type { PipelineDeps } from '../../../src/deploy/pipeline/step-context.js';
import type { FinalReport, StepReport, ThreadReporter } from '../../../src/deploy/ports/index.js';
import type { Store } from '../../../src/deploy/ports/index.js';
import type { Run, RunState } from '../../../src/deploy/run.js';
import { loadRunbooks, type RunbookCatalog } from '../../../src/deploy/runbook/loader.js';
import { pipelineText } from '../../../src/ui/pipeline-text.js';
import { PHASE3_ENV, USERS } from '../../support/liftoff-harness.js';

/** A port no step of these runs may reach: any call fails the test. */
function untouchable<T extends object>(name: string): T {
  return new Proxy({} as T, {
    get: (_target, key) => () => Promise.reject(new Error(`${name}.${String(key)} was called`)),
  });
}

function buildSnapshot(id: string, status: BuildStatus): BuildSnapshot {
  return {
    id,
    status,
    statusDetail: null,
    logUrl: null,
    startedAt: null,
    finishedAt: null,
    currentStep: null,
    images: [],
  };
}

/** Cloud Build with one build `b-1`, WORKING until it is cancelled. */
function fakeBuild(calls: string[]): BuildPort {
  let status: BuildStatus = 'WORKING';
  return {
    startBuild: () => {
      calls.push('startBuild');
      return Promise.resolve({ buildId: 'b-1', logUrl: null });
    },
    findBuildOfRun: () => {
      calls.push('findBuildOfRun');
      return Promise.resolve(undefined);
    },
    getBuild: ({ buildId }) => Promise.resolve(buildSnapshot(buildId, status)),
    cancelBuild: () => {
      calls.push('cancelBuild');
      status = 'CANCELLED';
      return Promise.resolve();
    },
  };
}

function recordingReporter(steps: StepReport[], finals: FinalReport[]): ThreadReporter {
  return {
    postStatus: () => Promise.resolve('1.0'),
    updateStatus: () => Promise.resolve(),
    postCanary: () => Promise.resolve('3.0'),
    updateCanary: () => Promise.resolve(),
    postStep: (_run, report) => {
      steps.push(report);
      return Promise.resolve(`1.${steps.length}`);
    },
    postFinal: (_run, report) => {
      finals.push(report);
      return Promise.resolve('2.0');
    },
    permalink: () => Promise.resolve(null),
  };
}

const TAG = {
  file: 'build_tag.txt',
  current: 'deploy-20250101-000000',
  next: 'deploy-20250102-000000',
  commitSha: '0123456789abcdef0123456789abcdef01234567',
  image: 'europe-west1-docker.pkg.dev/emergence-prod/app/emergence-app:deploy-20250102-000000',
};

describe('a cancel flagged before the build step runs', () => {
  let store: Store;
  let catalog: RunbookCatalog;
  const calls: string[] = [];
  const steps: StepReport[] = [];
  const finals: FinalReport[] = [];

  beforeAll(async () => {
    catalog = await loadRunbooks({ dir: 'runbooks', env: PHASE3_ENV });
  });
  beforeEach(async () => {
    store = await openSqliteStore({ file: ':memory:' });
    calls.length = 0;
    steps.length = 0;
    finals.length = 0;
  });
  afterEach(async () => {
    await store.close();
  });

  /** A run moved by hand to `building`, with the tag step's data, then flagged for cancel by the requester. */
  async function runInBuilding(data: Record<string, unknown>): Promise<Run> {
    const now = new Date();
    const run = await store.createRun({
      id: 'run-cancel1',
      runbook: 'phase3',
      serviceKey: 'emergence-prod/europe-west1/emergence-app',
      requesterId: USERS.requester,
      channelId: 'C0DEPLOY',
      createdAt: now,
      expiresAt: new Date(now.getTime() + 60_000),
      plan: {},
    });
    const lease = {
      serviceKey: run.serviceKey,
      ownerId: run.id,
      holderId: run.requesterId,
      reason: `deploy ${run.id} (phase3)`,
      acquiredAt: now,
      expiresAt: new Date(now.getTime() + 60_000),
    };
    const moves: readonly (readonly [RunState, RunState])[] = [
      ['requested', 'approved'],
      ['approved', 'tagging'],
      ['tagging', 'building'],
    ];
    for (const [from, to] of moves) {
      const moved = await store.transition({
        runId: run.id,
        from: [from],
        to,
        at: now,
        actorId: null,
        ...(from === 'requested' ? { acquireLock: lease } : {}),
      });
      expect(moved.ok).toBe(true);
    }
    expect(await store.getLock(run.serviceKey, now)).toBeDefined();
    await store.updateRunData(run.id, {
      tag: TAG,
      ...data,
      cancelRequested: { by: USERS.requester, at: now.toISOString() },
    });
    return (await store.getRun(run.id)) as Run;
  }

  function pipeline(): DeployPipeline {
    const deps: PipelineDeps = {
      store,
      clock: { now: () => new Date() },
      sleep: () => Promise.resolve(),
      catalog: () => catalog,
      repo: untouchable('repo'),
      build: fakeBuild(calls),
      cloudRun: untouchable('cloudRun'),
      logs: untouchable('logs'),
      prober: untouchable('prober'),
      reporter: recordingReporter(steps, finals),
      text: pipelineText,
      renderRecord: () => undefined,
      instanceId: 'test-instance',
      logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
    };
    return new DeployPipeline(deps);
  }

  it('ends the run cancelled without starting a build when none was started', async () => {
    const run = await runInBuilding({});
    const driver = pipeline();
    driver.start(run);
    await driver.idle();

    const ended = await store.getRun(run.id);
    expect(ended?.state).toBe('cancelled');
    expect(calls).toEqual([]);
    expect((await store.journal(run.id)).at(-1)?.detail).toBe(`building: cancelled by ${USERS.requester}`);
    expect(finals.map((f) => [f.outcome, f.reason])).toEqual([
      ['cancelled', `building: cancelled by ${USERS.requester}`],
    ]);
    expect(await store.getLock(run.serviceKey, new Date())).toBeUndefined();
  });

  it('leaves a started build to the build step, which cancels it in Cloud Build', async () => {
    const run = await runInBuilding({ build: { id: 'b-1', logUrl: null, startedAt: new Date().toISOString() } });
    const driver = pipeline();
    driver.start(run);
    await driver.idle();

    expect((await store.getRun(run.id))?.state).toBe('cancelled');
    expect(await store.getLock(run.serviceKey, new Date())).toBeUndefined();
    expect(calls).toEqual(['cancelBuild']);
    expect(steps.map((s) => s.title)).toEqual(['Build b-1 CANCELLED']);
    expect(finals.map((f) => f.reason)).toEqual(['build: the build was cancelled (CANCELLED); no traffic was moved']);
  });
});
