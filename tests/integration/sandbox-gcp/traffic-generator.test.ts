/**
 * The sandbox's users: the traffic generator's steady rate of real HTTP requests through the emulated front door to
 * the sample service, and the per-revision faults a canary exists for, above all the one only real traffic meets.
 */
import { ServicesClient } from '@google-cloud/run';

import { emergenceRuntime, SEED_RUNBOOK_SESSION_ID, type EmergenceFaults } from '../../../sandbox/emergence/index.js';
import { gcpClientOptions, startGcpEmulator, type GcpEmulator } from '../../../sandbox/gcp/index.js';
import { seededRandom } from '../../../sandbox/seeded-random.js';
import { startTrafficGenerator } from '../../../sandbox/traffic/generator.js';
import { IMAGE, PROJECT, REGION } from './helpers.js';

const REVISION = 'TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION';
const TEST_SESSION = SEED_RUNBOOK_SESSION_ID;

const faultsByRevision = new Map<string, EmergenceFaults>();
const runtime = emergenceRuntime({
  // Every request through the front door comes from 127.0.0.1: the per-IP limit would cap the users at 100 a minute.
  rateLimitPerMinute: 1_000_000,
  analysisMs: 20,
  faultsFor: (revision) => faultsByRevision.get(revision),
});
let emulator: GcpEmulator;
let services: ServicesClient;
let serial = 0;

beforeAll(async () => {
  emulator = await startGcpEmulator({
    runtime,
    timings: { revisionReadyMs: 20, trafficUpdateMs: 5 },
    random: seededRandom('traffic-generator-test'),
  });
  services = new ServicesClient(gcpClientOptions(emulator.endpoint));
});

afterAll(async () => {
  await services.close();
  await emulator.close();
  await runtime.stopAll();
});

async function seed(
  faults: Readonly<Record<string, EmergenceFaults>> = {},
): Promise<{ id: string; name: string; uri: string; old: string; next: string; tagUrl: string }> {
  serial += 1;
  const id = `users-app-${serial}`;
  const [old, next] = [`${id}-00001-old`, `${id}-00002-new`];
  for (const [revision, fault] of Object.entries(faults)) faultsByRevision.set(`${id}-${revision}`, { ...fault });
  const { name, uri } = await emulator.seedService({
    project: PROJECT,
    region: REGION,
    name: id,
    image: `${IMAGE}:deploy-20251008-183707`,
    env: { PYTHONPATH: '/app', CONCEPT_RECALL_METRICS_ENABLED: 'true', EMERGENCE_TEST_SESSION: TEST_SESSION },
    allowUnauthenticated: true,
    revisions: 2,
    revisionNames: [old, next],
    traffic: [
      { revision: old, percent: 100 },
      { revision: next, percent: 0, tag: 'canary' },
    ],
  });
  const view = emulator.services().find((service) => service.name === name);
  const tagUrl = view?.trafficStatuses.find((status) => status.tag === 'canary')?.uri ?? '';
  return { id, name, uri, old, next, tagUrl };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function post(url: string, body: unknown): Promise<{ status: number; body: string }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: await response.text() };
}

/** What a verify-then-promote run checks on the tag URL: health, a forced analysis, the skip path, metrics. */
async function syntheticChecks(tagUrl: string, rounds: number): Promise<number[]> {
  const statuses: number[] = [];
  statuses.push((await fetch(`${tagUrl}/api/health`)).status);
  statuses.push((await post(`${tagUrl}/api/memory/analyze`, { session_id: TEST_SESSION, force: true })).status);
  for (let round = 0; round < rounds; round += 1) {
    statuses.push((await post(`${tagUrl}/api/memory/analyze`, { session_id: TEST_SESSION })).status);
  }
  statuses.push((await fetch(`${tagUrl}/api/metrics`)).status);
  return statuses;
}

function samplesOf(id: string, revision: string): readonly { status: number }[] {
  return emulator.requestSamples().filter((sample) => sample.service === id && sample.revision === revision);
}

describe('the traffic generator', () => {
  it('sends a steady rate of users’ analyses to the service URL, and pauses at rate 0', async () => {
    const { id, uri, old } = await seed();
    const users = startTrafficGenerator({ url: uri, requestsPerSecond: 40 });
    await sleep(2_000);
    users.setRate(0);
    const atPause = users.stats().sent;
    await sleep(300);
    await users.stop();
    const stats = users.stats();
    expect(stats.sent).toBe(atPause);
    // 40 a second for 2 s, give or take a tick or a busy machine's timer.
    expect(stats.sent).toBeGreaterThanOrEqual(72);
    expect(stats.sent).toBeLessThanOrEqual(84);
    expect(stats).toMatchObject({ answered: stats.sent, failed: 0, skipped: 0, byStatus: { '200': stats.sent } });
    // Each went through the front door to the revision serving 100 %, and was counted for Monitoring.
    expect(samplesOf(id, old)).toHaveLength(stats.sent);
  });

  it('skips what would exceed maxInFlight rather than sending it late', async () => {
    const { uri, old } = await seed();
    const faults = runtime.faults(old);
    if (faults === undefined) throw new Error('the old revision is not running');
    faults.extraLatencyMs = 400;
    const users = startTrafficGenerator({ url: uri, requestsPerSecond: 50, maxInFlight: 5 });
    // 15 due in 300 ms; the first 5 are still waiting on their 400 ms.
    await sleep(300);
    await users.stop();
    const stats = users.stats();
    expect(stats.sent).toBe(5);
    expect(stats.skipped).toBeGreaterThanOrEqual(8);
    expect(stats.answered).toBe(5);
  });
});

describe('faults of a revision', () => {
  it('fails 4 % of real users’ requests while every synthetic check on the tag URL passes', async () => {
    const { id, name, uri, old, next, tagUrl } = await seed({ '00002-new': { userErrorRate: 0.04 } });

    // Verification at 0 %: the checks with the test session see nothing wrong, however often they run.
    const checks = await syntheticChecks(tagUrl, 60);
    expect(checks.every((status) => status === 200)).toBe(true);
    // Real users meanwhile reach only the old revision.
    const before = startTrafficGenerator({ url: uri, requestsPerSecond: 50 });
    await sleep(1_000);
    await before.stop();
    expect(Object.keys(before.stats().byStatus)).toEqual(['200']);
    expect(samplesOf(id, next).every((sample) => sample.status === 200)).toBe(true);

    // The canary step: half of the users' requests go to the new revision.
    const [service] = await services.getService({ name });
    const [operation] = await services.updateService({
      service: {
        name,
        etag: service.etag ?? '',
        traffic: [
          { type: REVISION, revision: old, percent: 50 },
          { type: REVISION, revision: next, percent: 50, tag: 'canary' },
        ],
      },
      updateMask: { paths: ['traffic'] },
    });
    await operation.promise();
    const sampledBefore = samplesOf(id, next).length;
    const users = startTrafficGenerator({ url: uri, requestsPerSecond: 120 });
    await sleep(5_000);
    await users.stop();

    const canary = samplesOf(id, next).slice(sampledBefore);
    const canaryErrors = canary.filter((sample) => sample.status >= 500);
    expect(canary.length).toBeGreaterThan(200);
    expect(canaryErrors.every((sample) => sample.status === 500)).toBe(true);
    expect(canaryErrors.length / canary.length).toBeGreaterThan(0.01);
    expect(canaryErrors.length / canary.length).toBeLessThan(0.09);
    expect(samplesOf(id, old).filter((sample) => sample.status >= 500)).toEqual([]);
    expect(users.stats().byStatus['500']).toBe(canaryErrors.length);
    // And still no synthetic check fails.
    expect((await syntheticChecks(tagUrl, 20)).every((status) => status === 200)).toBe(true);
    // The failure is an unhandled exception, as uvicorn logs it.
    expect(
      emulator
        .logEntries()
        .some(
          (entry) =>
            entry.resource.labels['revision_name'] === next &&
            entry.textPayload?.includes('Exception in ASGI application') &&
            entry.textPayload.includes('TypeError'),
        ),
    ).toBe(true);
  });

  it('adds latency and an error rate to every request, and slows the cache hits users get', async () => {
    const { tagUrl, next } = await seed();
    const faults = runtime.faults(next);
    if (faults === undefined) throw new Error('the new revision is not running');
    const timed = async (): Promise<{ ms: number; status: number }> => {
      const started = performance.now();
      const { status } = await post(`${tagUrl}/api/memory/analyze`, { session_id: TEST_SESSION });
      return { ms: performance.now() - started, status };
    };
    await post(`${tagUrl}/api/memory/analyze`, { session_id: TEST_SESSION, force: true });
    expect((await timed()).ms).toBeLessThan(150);
    faults.extraLatencyMs = 200;
    expect((await timed()).ms).toBeGreaterThanOrEqual(200);
    faults.extraLatencyMs = undefined;
    faults.slowCacheHitMs = 250;
    expect((await timed()).ms).toBeGreaterThanOrEqual(250);
    faults.slowCacheHitMs = undefined;

    faults.errorRate = 0.5;
    const statuses: number[] = [];
    for (let index = 0; index < 40; index += 1) statuses.push((await fetch(`${tagUrl}/api/health`)).status);
    const failed = statuses.filter((status) => status === 500).length;
    expect(failed).toBeGreaterThan(8);
    expect(failed).toBeLessThan(32);
    expect(statuses.every((status) => status === 200 || status === 500)).toBe(true);
  });
});
