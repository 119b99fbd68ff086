import { cloudRunAdapter } from '../../../src/adapters/gcp/cloud-run-adapter.js';
import type { TrafficTarget } from '../../../src/deploy/plan.js';
import type {
  CloudRunPort,
  DeploySettings,
  ServiceLocation,
  ServiceSnapshot,
} from '../../../src/deploy/ports/index.js';
import {
  CURRENT_TAG,
  httpGet,
  IMAGE,
  NEXT_TAG,
  PROJECT,
  REGION,
  rejectionOf,
  SleepDrivenClock,
  startSandbox,
  systemClock,
  type Sandbox,
} from './helpers.js';

let sandbox: Sandbox;
let run: CloudRunPort;
let serial = 0;

const SETTINGS: DeploySettings = {
  memory: '2Gi',
  cpu: '2',
  timeoutSeconds: 300,
  minInstances: 0,
  maxInstances: 10,
  concurrency: 40,
};

beforeAll(async () => {
  sandbox = await startSandbox();
  sandbox.emulator.seedImage(`${IMAGE}:${NEXT_TAG}`);
  run = cloudRunAdapter(sandbox.clients, { clock: systemClock, pollIntervalMs: 10 });
});

afterAll(() => sandbox.close());

afterEach(() => sandbox.emulator.faults.reset());

/** A fresh service as `gcloud run deploy` leaves it: LATEST 100 %, PYTHONPATH and a secret OPENAI_API_KEY. */
async function seedService(
  options: { allowUnauthenticated?: boolean; revisions?: number } = {},
): Promise<{ where: ServiceLocation; current: string; uri: string; revisions: readonly string[] }> {
  serial += 1;
  const name = `emergence-app-${serial}`;
  const seeded = await sandbox.emulator.seedService({
    project: PROJECT,
    region: REGION,
    name,
    image: `${IMAGE}:${CURRENT_TAG}`,
    env: { PYTHONPATH: '/srv/emergence-backend', LOG_LEVEL: 'info' },
    secretEnv: { OPENAI_API_KEY: { secret: 'openai-api-key', version: 'latest', value: 'sk-never-shown' } },
    allowUnauthenticated: options.allowUnauthenticated ?? true,
    ...(options.revisions === undefined ? {} : { revisions: options.revisions }),
  });
  const current = seeded.revisions.at(-1) ?? '';
  return { where: { project: PROJECT, region: REGION, name }, current, uri: seeded.uri, revisions: seeded.revisions };
}

const pinned = (revision: string): TrafficTarget => ({ revision, latest: false, percent: 100, tag: null });
const taggedAtZero = (revision: string, tag: string): TrafficTarget => ({ revision, latest: false, percent: 0, tag });

function deployInput(
  where: ServiceLocation,
  etag: string,
  current: string,
  overrides: { revision?: string; settings?: DeploySettings; deadline?: Date } = {},
) {
  const revision = overrides.revision ?? `${where.name}-${NEXT_TAG}`;
  return {
    service: where,
    etag,
    revision,
    image: `${IMAGE}:${NEXT_TAG}`,
    settings: overrides.settings ?? SETTINGS,
    env: { EMERGENCE_ENV: 'production' },
    secrets: {},
    traffic: [pinned(current), taggedAtZero(revision, NEXT_TAG)],
    deadline: overrides.deadline ?? new Date(Date.now() + 10_000),
  };
}

function rawService(where: ServiceLocation) {
  const service = sandbox.emulator
    .services()
    .find(
      (candidate) => candidate.name === `projects/${where.project}/locations/${where.region}/services/${where.name}`,
    );
  if (service === undefined) throw new Error(`no service ${where.name}`);
  return service;
}

function rawRevision(name: string) {
  const revision = sandbox.emulator.revisions().find((candidate) => candidate.name.endsWith(`/revisions/${name}`));
  if (revision === undefined) throw new Error(`no revision ${name}`);
  return revision;
}

/** The revisions whose containers answered a request since `since`, read from their request logs. */
function revisionsThatServed(since: Date, path: string): string[] {
  return sandbox.emulator
    .logEntries()
    .filter((entry) => entry.timestamp >= since && entry.httpRequest?.requestUrl?.endsWith(path) === true)
    .map((entry) => entry.resource.labels['revision_name'] ?? '');
}

function updateCalls(): number {
  return sandbox.emulator.calls.filter((call) => call.rpc === 'UpdateService').length;
}

function ok(result: Awaited<ReturnType<CloudRunPort['deployRevision']>>): ServiceSnapshot {
  if (!result.ok) throw new Error(`expected success, got ${result.reason}: ${result.message}`);
  return result.service;
}

describe('getService', () => {
  it('normalises a service as gcloud leaves it: short names, LATEST as a flag, env names only', async () => {
    const { where, current, uri } = await seedService();
    const service = await run.getService(where);
    expect(service).toEqual({
      etag: rawService(where).etag,
      uri,
      traffic: [{ revision: null, latest: true, percent: 100, tag: null }],
      trafficStatuses: [{ revision: null, latest: true, percent: 100, tag: null, uri: null }],
      latestReadyRevision: current,
      latestCreatedRevision: current,
      image: `${IMAGE}:${CURRENT_TAG}`,
      env: [
        { name: 'PYTHONPATH', source: 'value' },
        { name: 'LOG_LEVEL', source: 'value' },
        { name: 'OPENAI_API_KEY', source: 'secret' },
      ],
      settings: { memory: '512Mi', cpu: '1', timeoutSeconds: '300', minInstances: '0', concurrency: '80' },
      scaling: { mode: 'automatic', minInstances: 0, maxInstances: null },
    });
    expect(JSON.stringify(service)).not.toContain('sk-never-shown');
    expect(JSON.stringify(service)).not.toContain('/srv/emergence-backend');
  });

  it('says not_found for a service that does not exist', async () => {
    const error = await rejectionOf(run.getService({ project: PROJECT, region: REGION, name: 'no-such-service' }));
    expect(error).toMatchObject({ name: 'ExternalError', service: 'cloud-run', code: 'not_found' });
  });
});

describe('deployRevision', () => {
  it('adds the new revision tagged at 0 %, keeps every env var and secret, and serves it on its tag URL only', async () => {
    const { where, current, uri } = await seedService();
    const before = await run.getService(where);
    const input = deployInput(where, before.etag, current);

    const service = ok(await run.deployRevision(input));

    expect(service.latestReadyRevision).toBe(input.revision);
    expect(service.latestCreatedRevision).toBe(input.revision);
    expect(service.image).toBe(`${IMAGE}:${NEXT_TAG}`);
    expect(service.traffic).toEqual([
      { revision: current, latest: false, percent: 100, tag: null },
      { revision: input.revision, latest: false, percent: 0, tag: NEXT_TAG },
    ]);
    expect(service.env).toEqual([
      { name: 'PYTHONPATH', source: 'value' },
      { name: 'LOG_LEVEL', source: 'value' },
      { name: 'OPENAI_API_KEY', source: 'secret' },
      { name: 'EMERGENCE_ENV', source: 'value' },
    ]);
    expect(service.settings).toEqual({
      memory: '2Gi',
      cpu: '2',
      timeoutSeconds: '300',
      minInstances: '0',
      maxInstances: '10',
      concurrency: '40',
    });

    // What the new revision really runs with: values and the secret reference kept as they were.
    const container = rawRevision(input.revision).containers[0];
    expect(container?.env).toEqual([
      expect.objectContaining({ name: 'PYTHONPATH', value: '/srv/emergence-backend' }),
      expect.objectContaining({ name: 'LOG_LEVEL', value: 'info' }),
      expect.objectContaining({
        name: 'OPENAI_API_KEY',
        valueSource: expect.objectContaining({
          secretKeyRef: { secret: 'openai-api-key', version: 'latest' },
        }) as unknown,
      }),
      expect.objectContaining({ name: 'EMERGENCE_ENV', value: 'production' }),
    ]);
    expect(container?.resources?.limits).toMatchObject({ memory: '2Gi', cpu: '2' });

    const tagged = service.trafficStatuses.find((status) => status.tag === NEXT_TAG);
    expect(tagged).toMatchObject({ revision: input.revision, latest: false, percent: 0 });
    expect(tagged?.uri).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(tagged?.uri).not.toBe(uri);
    expect(service.trafficStatuses.find((status) => status.revision === current)).toMatchObject({ percent: 100 });

    const since = new Date();
    const health = await httpGet(`${tagged?.uri ?? ''}/api/health`);
    expect(health.status).toBe(200);
    expect(JSON.parse(health.body)).toEqual({ status: 'ok', message: 'Emergence Backend is running.' });
    expect(revisionsThatServed(since, '/api/health')).toEqual([input.revision]);
    const servedBefore = new Date();
    for (let index = 0; index < 5; index += 1) expect((await httpGet(`${uri}/api/health`)).status).toBe(200);
    expect(new Set(revisionsThatServed(servedBefore, '/api/health'))).toEqual(new Set([current]));

    // The update sent the caller's etag and the full traffic list, once.
    const sent = sandbox.emulator.calls.filter((call) => call.rpc === 'UpdateService').at(-1)?.request;
    expect(sent).toMatchObject({
      service: {
        etag: before.etag,
        traffic: [
          { type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION', revision: current, percent: 100, tag: '' },
          { type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION', revision: input.revision, percent: 0, tag: NEXT_TAG },
        ],
      },
    });
  });

  it('keeps what the runbook does not set: service account, probes, labels of the template', async () => {
    const { where } = await seedService();
    // Someone configured the service by hand after gcloud: a service account, a startup probe, a label.
    const [raw] = await sandbox.clients.services.getService({ name: rawService(where).name });
    const container = raw.template?.containers?.[0] ?? {};
    const [operation] = await sandbox.clients.services.updateService({
      service: {
        ...raw,
        template: {
          ...raw.template,
          serviceAccount: 'emergence-app@emergence-prod.iam.gserviceaccount.com',
          labels: { team: 'emergence' },
          containers: [
            { ...container, startupProbe: { tcpSocket: { port: 8080 }, timeoutSeconds: 240, periodSeconds: 240 } },
          ],
        },
      },
    });
    await operation.promise();
    const before = await run.getService(where);
    const current = before.latestReadyRevision ?? '';

    const input = deployInput(where, before.etag, current);
    ok(await run.deployRevision(input));

    const revision = rawRevision(input.revision);
    expect(revision.serviceAccount).toBe('emergence-app@emergence-prod.iam.gserviceaccount.com');
    expect(revision.labels).toEqual({ team: 'emergence' });
    expect(revision.containers[0]).toMatchObject({
      image: `${IMAGE}:${NEXT_TAG}`,
      startupProbe: { tcpSocket: { port: 8080 }, timeoutSeconds: 240, periodSeconds: 240 },
      ports: [{ name: 'http1', containerPort: 8080 }],
    });
  });

  it('answers conflict on a stale etag, sends it once, and changes nothing', async () => {
    const { where, current, uri } = await seedService();
    const stale = (await run.getService(where)).etag;
    // Someone else changes the service in between (the etag moves).
    const [raw] = await sandbox.clients.services.getService({ name: rawService(where).name });
    const [operation] = await sandbox.clients.services.updateService({
      service: { ...raw, labels: { by: 'someone' } },
    });
    await operation.promise();
    const before = await run.getService(where);
    const calls = updateCalls();

    const result = await run.deployRevision(deployInput(where, stale, current));

    expect(result).toEqual({ ok: false, reason: 'conflict', message: expect.stringContaining('etag') as unknown });
    expect(updateCalls()).toBe(calls + 1);
    expect(await run.getService(where)).toEqual(before);
    expect((await run.listRevisions(where, 10)).map((revision) => revision.name)).toEqual([current]);
    expect((await httpGet(`${uri}/api/health`)).status).toBe(200);
  });

  it('answers conflict when someone else changes the service at the same moment (ABORTED)', async () => {
    const { where, current } = await seedService();
    const { etag } = await run.getService(where);
    sandbox.emulator.faults.abortNextUpdate();
    const result = await run.deployRevision(deployInput(where, etag, current));
    expect(result).toMatchObject({ ok: false, reason: 'conflict' });
    expect((await run.listRevisions(where, 10)).map((revision) => revision.name)).toEqual([current]);
  });

  it('answers revision_failed with Cloud Run’s message when the revision never gets ready, traffic unchanged', async () => {
    const { where, current, uri } = await seedService();
    const before = await run.getService(where);
    const probe = 'Startup probe failed: the container did not answer within 240s (deadline exceeded).';
    sandbox.emulator.faults.revisionNeverReady(probe);
    const input = deployInput(where, before.etag, current);

    const result = await run.deployRevision(input);

    expect(result).toEqual({
      ok: false,
      reason: 'revision_failed',
      message: expect.stringContaining(probe) as unknown,
    });
    const after = await run.getService(where);
    expect(after.trafficStatuses).toEqual(before.trafficStatuses);
    expect(after.latestReadyRevision).toBe(current);
    expect(after.latestCreatedRevision).toBe(input.revision);
    const since = new Date();
    expect((await httpGet(`${uri}/api/health`)).status).toBe(200);
    expect(revisionsThatServed(since, '/api/health')).toEqual([current]);

    expect(await run.getRevision(where, input.revision)).toMatchObject({
      name: input.revision,
      state: 'failed',
      message: expect.stringContaining(probe) as unknown,
      image: `${IMAGE}:${NEXT_TAG}`,
    });
  });

  it('answers revision_failed with the crash when PYTHONPATH was the runbook’s to break', async () => {
    // The incident the merge protects against, seen from the other side: the container needs PYTHONPATH.
    const { where, current } = await seedService();
    const before = await run.getService(where);
    const result = await run.deployRevision({
      ...deployInput(where, before.etag, current),
      env: { PYTHONPATH: '' },
    });
    expect(result).toEqual({
      ok: false,
      reason: 'revision_failed',
      message: expect.stringContaining("No module named 'backend'") as unknown,
    });
  });

  it('answers rejected for a request timeout Cloud Run refuses (120000 s), creating nothing', async () => {
    const { where, current } = await seedService();
    const before = await run.getService(where);
    const result = await run.deployRevision(
      deployInput(where, before.etag, current, { settings: { ...SETTINGS, timeoutSeconds: 120_000 } }),
    );
    expect(result).toEqual({ ok: false, reason: 'rejected', message: expect.stringContaining('timeout') as unknown });
    expect(await run.getService(where)).toEqual(before);
  });

  it('answers timeout when the revision is not ready by the deadline, without waiting for it', async () => {
    const { where, current } = await seedService();
    const before = await run.getService(where);
    const clock = new SleepDrivenClock();
    const patient = cloudRunAdapter(sandbox.clients, { clock, sleep: clock.sleep, pollIntervalMs: 100 });
    const release = sandbox.runtime.holdStarts();
    try {
      const result = await patient.deployRevision(
        deployInput(where, before.etag, current, { deadline: new Date(clock.now().getTime() + 2000) }),
      );
      expect(result).toEqual({ ok: false, reason: 'timeout', message: expect.stringContaining('deadline') as unknown });
      // Polled with backoff and stopped exactly at the deadline.
      expect(clock.sleeps.reduce((sum, ms) => sum + ms, 0)).toBe(2000);
      expect(clock.sleeps[1]).toBeGreaterThan(clock.sleeps[0] ?? Infinity);
    } finally {
      release();
    }
  });
});

describe('setTraffic', () => {
  it('moves all traffic to the new revision and back, by name', async () => {
    const { where, current, uri } = await seedService();
    const deployed = ok(await run.deployRevision(deployInput(where, (await run.getService(where)).etag, current)));
    const next = deployed.latestReadyRevision ?? '';
    const tagUri = deployed.trafficStatuses.find((status) => status.tag === NEXT_TAG)?.uri;

    const promoted = ok(
      await run.setTraffic({
        service: where,
        etag: deployed.etag,
        traffic: [{ revision: next, latest: false, percent: 100, tag: NEXT_TAG }],
        deadline: new Date(Date.now() + 10_000),
      }),
    );
    expect(promoted.trafficStatuses).toEqual([
      { revision: next, latest: false, percent: 100, tag: NEXT_TAG, uri: tagUri },
    ]);
    // No new revision: only the traffic changed.
    expect(promoted.latestCreatedRevision).toBe(next);
    let since = new Date();
    for (let index = 0; index < 3; index += 1) expect((await httpGet(`${uri}/api/health`)).status).toBe(200);
    expect(new Set(revisionsThatServed(since, '/api/health'))).toEqual(new Set([next]));

    const back = ok(
      await run.setTraffic({
        service: where,
        etag: promoted.etag,
        traffic: [pinned(current)],
        deadline: new Date(Date.now() + 10_000),
      }),
    );
    expect(back.traffic).toEqual([pinned(current)]);
    expect(back.trafficStatuses).toEqual([{ ...pinned(current), uri: null }]);
    since = new Date();
    for (let index = 0; index < 3; index += 1) expect((await httpGet(`${uri}/api/health`)).status).toBe(200);
    expect(new Set(revisionsThatServed(since, '/api/health'))).toEqual(new Set([current]));

    const stale = await run.setTraffic({
      service: where,
      etag: promoted.etag,
      traffic: [{ revision: next, latest: false, percent: 100, tag: null }],
      deadline: new Date(Date.now() + 10_000),
    });
    expect(stale).toMatchObject({ ok: false, reason: 'conflict' });
    expect((await run.getService(where)).traffic).toEqual([pinned(current)]);
  });

  it('moves traffic after a deploy left its revision name in the template, which Cloud Run refuses to get back', async () => {
    const { where, current } = await seedService();
    const deployed = ok(await run.deployRevision(deployInput(where, (await run.getService(where)).etag, current)));
    const next = deployed.latestReadyRevision ?? '';
    expect(rawService(where).template?.revision).toBe(next);

    // Promote, then roll back: each a traffic-only update while the template names an existing revision.
    const promoted = ok(
      await run.setTraffic({
        service: where,
        etag: deployed.etag,
        traffic: [{ revision: next, latest: false, percent: 100, tag: NEXT_TAG }],
        deadline: new Date(Date.now() + 10_000),
      }),
    );
    const back = ok(
      await run.setTraffic({
        service: where,
        etag: promoted.etag,
        traffic: [pinned(current)],
        deadline: new Date(Date.now() + 10_000),
      }),
    );
    expect(back.traffic).toEqual([pinned(current)]);
    expect(back.latestCreatedRevision).toBe(next);
    expect(rawService(where).template?.revision).toBe(next);
    expect(rawService(where).template?.containers?.[0]?.image).toBe(`${IMAGE}:${NEXT_TAG}`);
  });

  it('answers revision_failed when traffic is sent to a revision that never got ready', async () => {
    const { where, current } = await seedService();
    sandbox.emulator.faults.revisionNeverReady('Container import failed.');
    const failed = await run.deployRevision(deployInput(where, (await run.getService(where)).etag, current));
    expect(failed).toMatchObject({ ok: false, reason: 'revision_failed' });
    const broken = `${where.name}-${NEXT_TAG}`;
    const { etag } = await run.getService(where);
    const result = await run.setTraffic({
      service: where,
      etag,
      traffic: [pinned(broken)],
      deadline: new Date(Date.now() + 10_000),
    });
    expect(result).toEqual({
      ok: false,
      reason: 'revision_failed',
      message: expect.stringContaining('Container import failed.') as unknown,
    });
  });

  it('refuses a traffic target that names no revision without calling Cloud Run', async () => {
    const { where } = await seedService();
    const calls = updateCalls();
    const result = await run.setTraffic({
      service: where,
      etag: (await run.getService(where)).etag,
      traffic: [{ revision: null, latest: false, percent: 100, tag: null }],
      deadline: new Date(Date.now() + 10_000),
    });
    expect(result).toMatchObject({ ok: false, reason: 'rejected' });
    expect(updateCalls()).toBe(calls);
  });
});

describe('setServiceScaling', () => {
  it('stops and resumes a service whose template names an existing revision, changing nothing else', async () => {
    const { where, current } = await seedService();
    const deployed = ok(await run.deployRevision(deployInput(where, (await run.getService(where)).etag, current)));
    const next = deployed.latestReadyRevision ?? '';
    expect(rawService(where).template?.revision).toBe(next);

    const stopped = ok(
      await run.setServiceScaling({
        service: where,
        etag: deployed.etag,
        scaling: { mode: 'manual', instances: 0 },
        deadline: new Date(Date.now() + 10_000),
      }),
    );
    expect(stopped.scaling).toEqual({ mode: 'manual', instances: 0 });
    const resumed = ok(
      await run.setServiceScaling({
        service: where,
        etag: stopped.etag,
        scaling: { mode: 'automatic', minInstances: 1, maxInstances: 5 },
        deadline: new Date(Date.now() + 10_000),
      }),
    );
    expect(resumed.scaling).toEqual({ mode: 'automatic', minInstances: 1, maxInstances: 5 });
    expect(resumed.traffic).toEqual(deployed.traffic);
    expect(resumed.latestCreatedRevision).toBe(next);
    expect(resumed.image).toBe(deployed.image);
    expect(resumed.settings).toEqual(deployed.settings);

    const stale = await run.setServiceScaling({
      service: where,
      etag: stopped.etag,
      scaling: { mode: 'manual', instances: 0 },
      deadline: new Date(Date.now() + 10_000),
    });
    expect(stale).toMatchObject({ ok: false, reason: 'conflict' });
  });
});

describe('revisions', () => {
  it('lists revisions newest first with their readiness, up to the limit', async () => {
    const { where, revisions } = await seedService({ revisions: 3 });
    const listed = await run.listRevisions(where, 10);
    expect(listed.map((revision) => revision.name)).toEqual([...revisions].reverse());
    expect(listed.every((revision) => revision.state === 'ready' && revision.message === null)).toBe(true);
    expect(listed[0]).toMatchObject({ image: `${IMAGE}:${CURRENT_TAG}`, createdAt: expect.any(Date) as unknown });
    expect((await run.listRevisions(where, 2)).map((revision) => revision.name)).toEqual(
      [...revisions].reverse().slice(0, 2),
    );

    sandbox.emulator.faults.revisionNeverReady('never ready');
    const current = revisions.at(-1) ?? '';
    await run.deployRevision(deployInput(where, (await run.getService(where)).etag, current));
    const [newest] = await run.listRevisions(where, 1);
    expect(newest).toMatchObject({ name: `${where.name}-${NEXT_TAG}`, state: 'failed' });
    expect(newest?.message).toContain('never ready');
  });

  it('reads one revision, and nothing for a revision that does not exist', async () => {
    const { where, current } = await seedService();
    expect(await run.getRevision(where, current)).toEqual({
      name: current,
      state: 'ready',
      message: null,
      image: `${IMAGE}:${CURRENT_TAG}`,
      createdAt: expect.any(Date) as unknown,
    });
    expect(await run.getRevision(where, `${where.name}-nope`)).toBeUndefined();
  });

  it('reports a revision still coming up as pending', async () => {
    const { where, current } = await seedService();
    const release = sandbox.runtime.holdStarts();
    try {
      const clock = new SleepDrivenClock();
      const impatient = cloudRunAdapter(sandbox.clients, { clock, sleep: clock.sleep });
      const input = deployInput(where, (await run.getService(where)).etag, current, { deadline: clock.now() });
      expect(await impatient.deployRevision(input)).toMatchObject({ ok: false, reason: 'timeout' });
      expect(await run.getRevision(where, input.revision)).toMatchObject({ state: 'pending' });
    } finally {
      release();
    }
  });
});

describe('ensurePublicInvoker', () => {
  it('says present when allUsers already invokes the service', async () => {
    const { where } = await seedService({ allowUnauthenticated: true });
    const calls = sandbox.emulator.calls.filter((call) => call.rpc === 'SetIamPolicy').length;
    expect(await run.ensurePublicInvoker(where)).toBe('present');
    expect(sandbox.emulator.calls.filter((call) => call.rpc === 'SetIamPolicy').length).toBe(calls);
  });

  it('adds allUsers when it is missing, and the service stops answering 403', async () => {
    const { where, uri } = await seedService({ allowUnauthenticated: false });
    expect((await httpGet(`${uri}/api/health`)).status).toBe(403);
    expect(await run.ensurePublicInvoker(where)).toBe('added');
    expect((await httpGet(`${uri}/api/health`)).status).toBe(200);
    expect(await run.ensurePublicInvoker(where)).toBe('present');
    const set = sandbox.emulator.calls.filter((call) => call.rpc === 'SetIamPolicy').at(-1)?.request;
    expect(set).toMatchObject({ policy: { bindings: [{ role: 'roles/run.invoker', members: ['allUsers'] }] } });
  });

  it('reports an organization policy that forbids public services as rejected', async () => {
    const { where } = await seedService({ allowUnauthenticated: false });
    sandbox.emulator.faults.restrictPublicAccess(true);
    const error = await rejectionOf(run.ensurePublicInvoker(where));
    expect(error).toMatchObject({ name: 'ExternalError', service: 'cloud-run', code: 'rejected' });
  });
});
