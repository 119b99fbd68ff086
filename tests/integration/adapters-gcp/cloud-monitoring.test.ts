/**
 * `cloudMonitoringAdapter` through the real MetricServiceClient against the emulator, which counts what the emulated
 * front door really routed to the sample service: per revision, only complete minutes, missing minutes with their
 * reason, counts by class and the latency distribution exactly as the requests were.
 */
import { emergenceRuntime, USER_SESSION_IDS, type EmergenceFaults } from '../../../sandbox/emergence/index.js';
import { startGcpEmulator, type GcpEmulator, type RequestSample } from '../../../sandbox/gcp/index.js';
import { seededRandom } from '../../../sandbox/seeded-random.js';
import { createGcpClients, type GcpClients } from '../../../src/adapters/gcp/clients.js';
import {
  cloudMonitoringAdapter,
  REQUEST_COUNT_METRIC,
  REQUEST_LATENCIES_METRIC,
  type TimeSeriesLister,
} from '../../../src/adapters/gcp/cloud-monitoring-adapter.js';
import type { CanaryMeasurementsResult } from '../../../src/deploy/ports/index.js';
import { ManualClock } from '../../support/test-clock.js';
import { FAST, IMAGE, PROJECT, REGION } from './helpers.js';

const MINUTE = 60_000;
const DELAY_MS = 30_000;
const M = Math.floor(Date.parse('2025-10-09T08:00:00Z') / MINUTE) * MINUTE;

const clock = new ManualClock(M);
const faultsByRevision = new Map<string, EmergenceFaults>();
const runtime = emergenceRuntime({
  rateLimitPerMinute: 1_000_000,
  analysisMs: 5,
  faultsFor: (revision) => faultsByRevision.get(revision),
});
let emulator: GcpEmulator;
let clients: GcpClients;
let serial = 0;

beforeAll(async () => {
  emulator = await startGcpEmulator({
    runtime,
    timings: FAST,
    clock,
    random: seededRandom('adapter-test'),
    monitoring: { reportingDelayMs: DELAY_MS },
  });
  clients = createGcpClients({ apiEndpoint: emulator.endpoint, projectId: PROJECT });
});

afterAll(async () => {
  await clients.close();
  await emulator.close();
  await runtime.stopAll();
});

afterEach(() => emulator.faults.reset());

/** A service whose two revisions each have a tag URL, so a test sends exactly what it wants to each. */
async function seed(canaryFaults: EmergenceFaults = {}) {
  serial += 1;
  const id = `measured-app-${serial}`;
  const [stable, canary] = [`${id}-00001-old`, `${id}-00002-new`];
  faultsByRevision.set(canary, { ...canaryFaults });
  await emulator.seedService({
    project: PROJECT,
    region: REGION,
    name: id,
    image: `${IMAGE}:deploy-20251008-183707`,
    env: { PYTHONPATH: '/app' },
    allowUnauthenticated: true,
    revisions: 2,
    revisionNames: [stable, canary],
    traffic: [
      { revision: stable, percent: 100, tag: 'stable' },
      { revision: canary, percent: 0, tag: 'canary' },
    ],
  });
  const view = emulator.services().find((service) => service.name.endsWith(`/services/${id}`));
  const url = (tag: string): string => view?.trafficStatuses.find((status) => status.tag === tag)?.uri ?? '';
  return { id, stable, canary, stableUrl: url('stable'), canaryUrl: url('canary') };
}

async function analyses(url: string, count: number): Promise<void> {
  await Promise.all(
    Array.from({ length: count }, async (_, index) => {
      const response = await fetch(`${url}/api/memory/analyze`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ session_id: USER_SESSION_IDS[index % USER_SESSION_IDS.length] }),
      });
      await response.arrayBuffer();
    }),
  );
}

/** The histogram of latencies in the judge's layout: index = how many bounds are ≤ the value. */
function histogram(bounds: readonly number[], latencies: readonly number[]): number[] {
  const counts: number[] = Array.from({ length: bounds.length + 1 }, () => 0);
  for (const value of latencies) {
    const index = bounds.filter((bound) => bound <= value).length;
    counts[index] = (counts[index] ?? 0) + 1;
  }
  return counts;
}

function truth(id: string, revision: string, minute: number): readonly RequestSample[] {
  return emulator
    .requestSamples()
    .filter(
      (sample) =>
        sample.service === id &&
        sample.revision === revision &&
        Math.floor(sample.at.getTime() / MINUTE) * MINUTE === minute,
    );
}

function measured(result: CanaryMeasurementsResult) {
  if (!result.ok) throw new Error(`measurement failed: ${result.code} ${result.message}`);
  return result;
}

describe('cloudMonitoringAdapter', () => {
  it('measures each revision over its complete minutes, says why the others are missing, and never counts them', async () => {
    const { id, stable, canary, stableUrl, canaryUrl } = await seed({ errorRate: 0.25 });
    clock.nowMs = M + 5_000;
    await analyses(stableUrl, 30);
    await analyses(canaryUrl, 20);
    clock.nowMs = M + MINUTE + 5_000;
    await analyses(canaryUrl, 10);
    // Minute M + 2: nobody. Its requests would be pending anyway: read 10 s after the minute ended.
    clock.nowMs = M + 3 * MINUTE + 10_000;

    const adapter = cloudMonitoringAdapter(clients, { clock, reportingDelayMs: DELAY_MS });
    const result = measured(
      await adapter.measure({
        service: { project: PROJECT, region: REGION, name: id },
        revisions: [canary, stable],
        start: new Date(M - 20_000),
        end: new Date(clock.nowMs),
      }),
    );
    expect(result.window).toEqual({ start: new Date(M), end: new Date(M + 3 * MINUTE) });
    const [canaryWindow, stableWindow] = result.revisions;
    expect(canaryWindow?.revision).toBe(canary);
    expect(stableWindow?.revision).toBe(stable);

    expect(stableWindow?.minutes.map((minute) => minute.start.getTime() - M)).toEqual([0]);
    expect(stableWindow?.missing).toEqual([
      { start: new Date(M + MINUTE), reason: 'no_data' },
      { start: new Date(M + 2 * MINUTE), reason: 'pending' },
    ]);
    expect(canaryWindow?.minutes.map((minute) => minute.start.getTime() - M)).toEqual([0, MINUTE]);
    expect(canaryWindow?.missing).toEqual([{ start: new Date(M + 2 * MINUTE), reason: 'pending' }]);

    for (const window of [canaryWindow, stableWindow]) {
      for (const minute of window?.minutes ?? []) {
        const samples = truth(id, window?.revision ?? '', minute.start.getTime());
        const errors = samples.filter((sample) => sample.status >= 500).length;
        expect(minute.requests).toBe(samples.length);
        expect(minute).toMatchObject({ errors, nonErrors: samples.length - errors });
        expect(minute.byClass).toEqual({
          ...(samples.length > errors ? { '2xx': samples.length - errors } : {}),
          ...(errors > 0 ? { '5xx': errors } : {}),
        });
        // Cloud Run's 1.1-fold buckets from 1 ms, padded to one count per bucket, each request in its own bucket.
        expect(minute.latency.boundsMs).toHaveLength(234);
        expect(minute.latency.boundsMs[0]).toBe(1);
        expect(minute.latency.boundsMs[1]).toBeCloseTo(1.1, 12);
        expect(minute.latency.counts).toEqual(
          histogram(
            minute.latency.boundsMs,
            samples.map((sample) => sample.latencyMs),
          ),
        );
      }
    }
    expect(stableWindow).toMatchObject({ requests: 30, errors: 0, nonErrors: 30, completeMinutes: 1 });
    expect(canaryWindow).toMatchObject({ requests: 30, completeMinutes: 2 });
    expect(canaryWindow?.errors).toBeGreaterThan(0);
    expect((canaryWindow?.errors ?? 0) + (canaryWindow?.nonErrors ?? 0)).toBe(30);
    expect(canaryWindow?.latency.counts.reduce((sum, count) => sum + count, 0)).toBe(30);

    // Once the delay has passed, the empty minute is no_data for both: still not a zero minute.
    clock.nowMs = M + 3 * MINUTE + DELAY_MS + 1_000;
    const later = measured(
      await adapter.measure({
        service: { project: PROJECT, region: REGION, name: id },
        revisions: [canary],
        start: new Date(M),
        end: new Date(M + 3 * MINUTE),
      }),
    );
    expect(later.revisions[0]?.missing).toEqual([{ start: new Date(M + 2 * MINUTE), reason: 'no_data' }]);
    expect(later.revisions[0]?.completeMinutes).toBe(2);
  });

  it('reads no minute that has not ended, and does not call Monitoring for an empty window', async () => {
    const { id, canary } = await seed();
    clock.nowMs = M + 10 * MINUTE + 30_000;
    const calls = emulator.calls.length;
    const adapter = cloudMonitoringAdapter(clients, { clock, reportingDelayMs: DELAY_MS });
    const result = measured(
      await adapter.measure({
        service: { project: PROJECT, region: REGION, name: id },
        revisions: [canary],
        start: new Date(M + 10 * MINUTE),
        end: new Date(M + 12 * MINUTE),
      }),
    );
    expect(result.window).toEqual({ start: new Date(M + 10 * MINUTE), end: new Date(M + 10 * MINUTE) });
    expect(result.revisions).toEqual([
      expect.objectContaining({ revision: canary, requests: 0, completeMinutes: 0, minutes: [], missing: [] }),
    ]);
    expect(emulator.calls.length).toBe(calls);
  });

  it('answers a refusal as a result with the pipeline’s code, and rides out a transient outage', async () => {
    const { id, canary } = await seed();
    clock.nowMs = M + 20 * MINUTE;
    const adapter = cloudMonitoringAdapter(clients, { clock, reportingDelayMs: DELAY_MS });
    const request = {
      service: { project: PROJECT, region: REGION, name: id },
      revisions: [canary],
      start: new Date(M + 15 * MINUTE),
      end: new Date(M + 20 * MINUTE),
    };
    const refused = await adapter.measure({ ...request, service: { ...request.service, project: 'bad/project' } });
    expect(refused).toMatchObject({ ok: false, code: 'rejected' });
    expect(refused.ok ? '' : refused.message).toContain('projects/PROJECT_ID_OR_NUMBER');

    const reads = (): number => emulator.calls.filter((call) => call.rpc === 'ListTimeSeries').length;
    const before = reads();
    emulator.faults.unavailable('ListTimeSeries', 1);
    const retried = await adapter.measure(request);
    expect(retried.ok).toBe(true);
    // Two reads, one of them answered UNAVAILABLE once and retried by the client.
    expect(reads() - before).toBe(3);
  });
});

describe('cloudMonitoringAdapter on crafted answers', () => {
  const minute = (offset: number) => ({
    startTime: { seconds: String((M + offset) / 1000), nanos: 0 },
    endTime: { seconds: String((M + offset + MINUTE) / 1000), nanos: 0 },
  });
  const series = (metric: string, labels: Record<string, string>, points: object[]) => ({
    metric: { type: metric, labels },
    resource: { type: 'cloud_run_revision', labels: { revision_name: 'app-00002-new' } },
    points,
  });

  it('pads trimmed bucket counts, follows page tokens, and calls a minute with one metric only partial', async () => {
    const requests: { filter: string; pageToken: string }[] = [];
    const fake = {
      listTimeSeries: (request: { filter?: string | null; pageToken?: string | null }) => {
        const filter = request.filter ?? '';
        requests.push({ filter, pageToken: request.pageToken ?? '' });
        if (filter.includes(REQUEST_LATENCIES_METRIC)) {
          const distribution = {
            count: '3',
            bucketOptions: { explicitBuckets: { bounds: [10, 100, 1000] } },
            bucketCounts: ['0', '2', '1'],
          };
          return Promise.resolve([
            [
              series(REQUEST_LATENCIES_METRIC, {}, [
                { interval: minute(0), value: { distributionValue: distribution } },
              ]),
            ],
            null,
            { nextPageToken: '' },
          ] as const);
        }
        const page = request.pageToken
          ? [
              series(REQUEST_COUNT_METRIC, { response_code_class: '5xx' }, [
                { interval: minute(0), value: { int64Value: '1' } },
              ]),
            ]
          : [
              series(REQUEST_COUNT_METRIC, { response_code_class: '2xx' }, [
                { interval: minute(MINUTE), value: { int64Value: '4' } },
                { interval: minute(0), value: { int64Value: '2' } },
              ]),
            ];
        return Promise.resolve([page, null, { nextPageToken: request.pageToken ? '' : 'page-2' }] as const);
      },
    } satisfies TimeSeriesLister;
    const adapter = cloudMonitoringAdapter(
      { monitoring: fake },
      { clock: { now: () => new Date(M + 2 * MINUTE) }, reportingDelayMs: DELAY_MS },
    );
    const result = measured(
      await adapter.measure({
        service: { project: PROJECT, region: REGION, name: 'app' },
        revisions: ['app-00002-new'],
        start: new Date(M),
        end: new Date(M + 2 * MINUTE),
      }),
    );
    expect(requests.filter((request) => request.filter.includes(REQUEST_COUNT_METRIC)).map((r) => r.pageToken)).toEqual(
      ['', 'page-2'],
    );
    expect(requests[0]?.filter).toContain('resource.labels.revision_name = one_of("app-00002-new")');
    const [window] = result.revisions;
    expect(window?.minutes).toEqual([
      {
        start: new Date(M),
        requests: 3,
        errors: 1,
        nonErrors: 2,
        byClass: { '2xx': 2, '5xx': 1 },
        latency: { kind: 'buckets', boundsMs: [10, 100, 1000], counts: [0, 2, 1, 0] },
      },
    ]);
    expect(window?.missing).toEqual([{ start: new Date(M + MINUTE), reason: 'partial' }]);
    expect(window).toMatchObject({ requests: 3, errors: 1, completeMinutes: 1 });
  });
});
