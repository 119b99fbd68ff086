import { openSqliteStore } from '../../../src/adapters/store/sqlite-store.js';
import {
  EmergencyStop,
  scalingBeforeStop,
  stopReason,
  type EmergencyStopDeps,
} from '../../../src/deploy/emergency-stop.js';
import { freezeLease } from '../../../src/deploy/freeze.js';
import type {
  CloudRunPort,
  ServiceScaling,
  ServiceSnapshot,
  ServiceUpdateResult,
} from '../../../src/deploy/ports/index.js';
import type { Store } from '../../../src/deploy/ports/index.js';
import { loadRunbooks, type RunbookCatalog } from '../../../src/deploy/runbook/loader.js';

const DEPLOYER = 'U0DEV';
const APPROVER = 'U0LEAD';
const OUTSIDER = 'U0GUEST';
const KEY = 'emergence-prod/europe-west1/emergence-app';
const ENV = {
  GCP_PROJECT: 'emergence-prod',
  GCP_REGION: 'europe-west1',
  GITHUB_REPO: 'emergence/emergence-app',
  EMERGENCE_TEST_SESSION: 'aa327d90-3547-4396-a409-f565182db61a',
  LIFTOFF_DEPLOYERS: DEPLOYER,
  LIFTOFF_APPROVERS: APPROVER,
};

/** Cloud Run as far as the stop reads and writes it: the etag moves with every accepted write. */
class FakeCloudRun implements Pick<CloudRunPort, 'getService' | 'setServiceScaling'> {
  scaling: ServiceScaling = { mode: 'automatic', minInstances: 1, maxInstances: 7 };
  etag = 'e1';
  writes: ServiceScaling[] = [];
  /** Someone else's change lands before our next write. */
  changedBehindOurBack = false;

  getService(): Promise<ServiceSnapshot> {
    return Promise.resolve({
      etag: this.etag,
      uri: 'https://emergence-app.example',
      traffic: [{ revision: 'emergence-app-00274-old', latest: false, percent: 100, tag: null }],
      trafficStatuses: [],
      latestReadyRevision: 'emergence-app-00274-old',
      latestCreatedRevision: 'emergence-app-00274-old',
      image: null,
      env: [],
      settings: {},
      scaling: this.scaling,
    });
  }

  async setServiceScaling(input: { etag: string; scaling: ServiceScaling }): Promise<ServiceUpdateResult> {
    if (this.changedBehindOurBack) this.etag = 'moved';
    if (input.etag !== this.etag) return { ok: false, reason: 'conflict', message: 'etag mismatch' };
    this.writes.push(input.scaling);
    this.scaling = input.scaling;
    this.etag = `e${this.writes.length + 1}`;
    await new Promise((resolve) => setTimeout(resolve, 5));
    return { ok: true, service: await this.getService() };
  }
}

function unused(): never {
  throw new Error('not used by the emergency stop');
}

let catalog: RunbookCatalog;
let store: Store;
let cloud: FakeCloudRun;
let desk: EmergencyStop;

beforeAll(async () => {
  catalog = await loadRunbooks({ dir: 'runbooks', env: ENV });
});

beforeEach(async () => {
  store = await openSqliteStore({ file: ':memory:' });
  cloud = new FakeCloudRun();
  const cloudRun: CloudRunPort = {
    getService: () => cloud.getService(),
    setServiceScaling: (input) => cloud.setServiceScaling(input),
    deployRevision: unused,
    setTraffic: unused,
    getRevision: unused,
    listRevisions: unused,
    ensurePublicInvoker: unused,
  };
  const deps: EmergencyStopDeps = {
    store,
    clock: { now: () => new Date('2026-03-02T14:05:00Z') },
    directory: { membersOf: () => Promise.resolve([]) },
    catalog: () => catalog,
    cloudRun,
    sleep: () => Promise.resolve(),
  };
  desk = new EmergencyStop(deps);
});

afterEach(async () => {
  await store.close();
});

describe('the scaling the stop records in its freeze', () => {
  it.each<ServiceScaling>([
    { mode: 'automatic', minInstances: 0, maxInstances: null },
    { mode: 'automatic', minInstances: 2, maxInstances: 10 },
    { mode: 'manual', instances: 3 },
  ])('reads back %j', (scaling) => {
    const lock = freezeLease({
      serviceKey: KEY,
      holderId: APPROVER,
      reason: stopReason('phase3', scaling),
      at: new Date(),
    });
    expect(lock.reason.length).toBeLessThanOrEqual(200);
    expect(scalingBeforeStop(lock)).toEqual(scaling);
  });

  it('reads nothing from another freeze', () => {
    const lock = freezeLease({
      serviceKey: KEY,
      holderId: APPROVER,
      reason: 'release freeze (scaling before: manual instances=1)',
      at: new Date(),
    });
    expect(scalingBeforeStop(lock)).toBeNull();
  });
});

describe('EmergencyStop', () => {
  it('lets a deployer ask and shows what a stop changes; refuses anyone else', async () => {
    expect(await desk.request({ runbook: 'phase3', userId: OUTSIDER })).toMatchObject({
      kind: 'forbidden',
      role: 'deploy',
      decision: { whoCan: [DEPLOYER] },
    });
    expect(await desk.request({ runbook: 'phase3', userId: DEPLOYER })).toMatchObject({
      kind: 'confirm',
      service: { name: 'emergence-app' },
      scaling: { mode: 'automatic', minInstances: 1, maxInstances: 7 },
      serving: 'emergence-app-00274-old 100 %',
      requestedBy: DEPLOYER,
      approvers: [APPROVER],
    });
    expect(await desk.request({ runbook: 'nope', userId: DEPLOYER })).toMatchObject({ kind: 'unknown_runbook' });
  });

  it('stops only for an approver, writes once on a double call, and records the scaling before', async () => {
    expect(await desk.stop({ runbook: 'phase3', userId: DEPLOYER })).toMatchObject({
      kind: 'forbidden',
      role: 'approve',
    });
    expect(cloud.writes).toEqual([]);

    const [first, second] = await Promise.all([
      desk.stop({ runbook: 'phase3', userId: APPROVER }),
      desk.stop({ runbook: 'phase3', userId: APPROVER }),
    ]);
    expect([first?.kind, second?.kind].sort()).toEqual(['already_stopped', 'stopped']);
    expect(cloud.writes).toEqual([{ mode: 'manual', instances: 0 }]);
    const lock = await store.getLock(KEY, new Date('2026-03-02T14:06:00Z'));
    expect(lock && scalingBeforeStop(lock)).toEqual({ mode: 'automatic', minInstances: 1, maxInstances: 7 });
    expect(await desk.request({ runbook: 'phase3', userId: DEPLOYER })).toMatchObject({ kind: 'already_stopped' });

    expect(await desk.resume({ runbook: 'phase3', userId: APPROVER })).toMatchObject({
      kind: 'resumed',
      scaling: { mode: 'automatic', minInstances: 1, maxInstances: 7 },
      source: 'before_stop',
      lifted: { holderId: APPROVER },
      keptFreeze: null,
    });
    expect(await store.getLock(KEY, new Date('2026-03-02T14:06:00Z'))).toBeUndefined();
    expect(await desk.resume({ runbook: 'phase3', userId: APPROVER })).toMatchObject({ kind: 'not_stopped' });
    expect(cloud.writes).toHaveLength(2);
  });

  it('keeps an earlier freeze, and resumes with the runbook’s bounds when nothing was recorded', async () => {
    const earlier = freezeLease({
      serviceKey: KEY,
      holderId: DEPLOYER,
      reason: 'rolled back',
      at: new Date('2026-03-02T13:00:00Z'),
    });
    await store.acquireLock(earlier);
    expect(await desk.stop({ runbook: 'phase3', userId: APPROVER })).toMatchObject({
      kind: 'stopped',
      freeze: { ownerId: earlier.ownerId },
      recorded: false,
    });
    expect(await desk.resume({ runbook: 'phase3', userId: APPROVER })).toMatchObject({
      kind: 'resumed',
      scaling: { mode: 'automatic', minInstances: 0, maxInstances: 10 },
      source: 'runbook',
      lifted: null,
      keptFreeze: { ownerId: earlier.ownerId },
    });
    expect((await store.getLock(KEY, new Date('2026-03-02T14:06:00Z')))?.ownerId).toBe(earlier.ownerId);
  });

  it('never races a deploy, and reports a concurrent change instead of overwriting it', async () => {
    await store.acquireLock({
      serviceKey: KEY,
      ownerId: 'run-0a1b2c3d4e5f',
      holderId: DEPLOYER,
      reason: 'deploying',
      acquiredAt: new Date('2026-03-02T14:00:00Z'),
      expiresAt: new Date('2026-03-02T15:00:00Z'),
    });
    expect(await desk.stop({ runbook: 'phase3', userId: APPROVER })).toMatchObject({ kind: 'deploy_running' });
    await store.releaseLock(KEY, 'run-0a1b2c3d4e5f');

    cloud.changedBehindOurBack = true;
    expect(await desk.stop({ runbook: 'phase3', userId: APPROVER })).toEqual({
      kind: 'not_changed',
      message: 'etag mismatch',
    });
    expect(cloud.writes).toEqual([]);
    expect(await store.getLock(KEY, new Date('2026-03-02T14:06:00Z'))).toBeUndefined();
  });
});
