/**
 * The emulated front door routes by the traffic split with an injected random source, and Cloud Monitoring's
 * ListTimeSeries (through the real MetricServiceClient) reports what it routed: per minute, only once the minute
 * is complete and its reporting delay has passed, never a zero point, and as strictly as the API refuses requests.
 */
import { MetricServiceClient } from '@google-cloud/monitoring';
import { status as GrpcStatus } from '@grpc/grpc-js';

import { gcpClientOptions } from '../../../sandbox/gcp/client-options.js';
import { startGcpEmulatorWith, type GcpEmulator } from '../../../sandbox/gcp/emulator.js';
import { seededRandom } from '../../../sandbox/seeded-random.js';
import { ManualClock } from '../../support/test-clock.js';
import { FAST_TIMINGS, FakeRuntime, fakeCompileLogFilter, IMAGE, PROJECT, REGION, rejectionOf } from './helpers.js';

const MINUTE = 60_000;
const DELAY_MS = 30_000;
/** A minute boundary well in the past, so nothing else the emulator stamps falls near it. */
const M = Math.floor(Date.parse('2025-10-09T07:00:00Z') / MINUTE) * MINUTE;

const clock = new ManualClock(M + 5_000);
let draw: () => number = seededRandom(20251009);
let emulator: GcpEmulator;
let client: MetricServiceClient;
let serial = 0;

beforeAll(async () => {
  emulator = await startGcpEmulatorWith({
    runtime: new FakeRuntime(),
    compileLogFilter: fakeCompileLogFilter,
    timings: FAST_TIMINGS,
    clock,
    random: () => draw(),
    monitoring: { reportingDelayMs: DELAY_MS },
  });
  client = new MetricServiceClient(gcpClientOptions(emulator.endpoint));
});

afterAll(async () => {
  await client.close();
  await emulator.close();
});

afterEach(() => {
  emulator.faults.reset();
  draw = seededRandom(20251009);
});

async function seedSplit(
  shares: readonly number[],
  tags: readonly string[] = [],
): Promise<{ id: string; uri: string; names: readonly string[] }> {
  serial += 1;
  const id = `split-${serial}`;
  const names = shares.map((_, index) => `${id}-r${index + 1}`);
  const { uri } = await emulator.seedService({
    project: PROJECT,
    region: REGION,
    name: id,
    image: `${IMAGE}:v1`,
    revisions: shares.length,
    revisionNames: names,
    allowUnauthenticated: true,
    traffic: names.map((revision, index) => ({
      revision,
      percent: shares[index] ?? 0,
      ...(tags[index] ? { tag: tags[index] } : {}),
    })),
  });
  return { id, uri, names };
}

/** GETs `url` `count` times, `concurrency` at a time; returns how many answers each revision gave. */
async function hit(url: string, count: number, concurrency = 16): Promise<Map<string, number>> {
  const seen = new Map<string, number>();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      next += 1;
      const response = await fetch(url);
      const body = await response.text();
      seen.set(body, (seen.get(body) ?? 0) + 1);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return seen;
}

function seconds(ms: number): { seconds: number } {
  return { seconds: Math.floor(ms / 1000) };
}

function countFilter(service: string): string {
  return [
    'metric.type = "run.googleapis.com/request_count"',
    'resource.type = "cloud_run_revision"',
    `resource.labels.service_name = "${service}"`,
  ].join(' AND ');
}

describe('routing by the traffic split', () => {
  it('sends 2,000 service URL requests to revisions within 3 points of their percent, counted per revision', async () => {
    const { id, uri, names } = await seedSplit([70, 20, 10]);
    const seen = await hit(uri, 2000);
    const shares = names.map((name) => (seen.get(name) ?? 0) / 2000);
    [0.7, 0.2, 0.1].forEach((expected, index) => expect(Math.abs((shares[index] ?? 0) - expected)).toBeLessThan(0.03));
    // What Monitoring will count is exactly what the revisions answered.
    for (const name of names) {
      const counted = emulator.requestSamples().filter((sample) => sample.service === id && sample.revision === name);
      expect(counted.length).toBe(seen.get(name) ?? 0);
    }
  });

  it('draws each request from the injected random source', async () => {
    const { uri, names } = await seedSplit([50, 50]);
    draw = () => 0;
    expect(await hit(uri, 20, 4)).toEqual(new Map([[names[0], 20]]));
    draw = () => 0.999_999;
    expect(await hit(uri, 20, 4)).toEqual(new Map([[names[1], 20]]));
    // The same seed routes the same sequence of requests the same way.
    const sequence = async (): Promise<string[]> => {
      draw = seededRandom(42);
      const bodies: string[] = [];
      for (let index = 0; index < 30; index += 1) bodies.push(await (await fetch(uri)).text());
      return bodies;
    };
    const first = await sequence();
    expect(new Set(first).size).toBe(2);
    expect(await sequence()).toEqual(first);
  });

  it('keeps each tag URL on its own revision whatever its share, the service URL on the split', async () => {
    const { id, uri, names } = await seedSplit([100, 0], ['', 'canary']);
    const [service] = emulator.services().filter((view) => view.name.endsWith(`/services/${id}`));
    const tagUrl = service?.trafficStatuses.find((status) => status.tag === 'canary')?.uri ?? '';
    expect(tagUrl).not.toBe('');
    expect(await hit(tagUrl, 50, 8)).toEqual(new Map([[names[1], 50]]));
    expect(await hit(uri, 50, 8)).toEqual(new Map([[names[0], 50]]));
    // Requests through a tag URL reach the revision, so Cloud Run counts them too.
    const canary = emulator.requestSamples().filter((sample) => sample.service === id && sample.revision === names[1]);
    expect(canary).toHaveLength(50);
  });
});

describe('ListTimeSeries', () => {
  it('reports a minute only once it is complete and its reporting delay has passed, and never a zero point', async () => {
    const { id, uri, names } = await seedSplit([50, 50]);
    const [blue, green] = names;
    clock.nowMs = M + 5_000;
    const minute0 = await hit(uri, 40, 8);
    clock.nowMs = M + MINUTE + 5_000;
    const minute1 = await hit(uri, 30, 8);
    // Minute M + 2: nothing. Minute M + 3: green only, through its own revision's share.
    clock.nowMs = M + 3 * MINUTE + 5_000;
    draw = () => 0.999;
    const minute3 = await hit(uri, 10, 4);
    expect(minute3).toEqual(new Map([[green, 10]]));

    const read = async (nowMs: number, aggregation?: object) => {
      clock.nowMs = nowMs;
      const [series] = await client.listTimeSeries(
        {
          name: `projects/${PROJECT}`,
          filter: countFilter(id),
          interval: { startTime: seconds(M - 10 * MINUTE), endTime: seconds(M + 10 * MINUTE) },
          ...(aggregation ? { aggregation } : {}),
        },
        { autoPaginate: false },
      );
      return series;
    };
    // Minute M ended 20 s ago: within the 30 s delay, nothing is visible yet.
    expect(await read(M + MINUTE + 20_000)).toEqual([]);
    // 35 s after it ended, minute M is there (raw: one series per revision and response code), and only it.
    const early = await read(M + MINUTE + 35_000);
    expect(early.map((series) => series.resource?.labels?.['revision_name']).sort()).toEqual([blue, green]);
    for (const series of early) {
      expect(series.metric?.labels).toEqual({ response_code: '200', response_code_class: '2xx' });
      expect(series.metricKind).toBe('DELTA');
      expect(series.valueType).toBe('INT64');
      expect(series.resource?.type).toBe('cloud_run_revision');
      expect(series.resource?.labels).toEqual({
        project_id: PROJECT,
        service_name: id,
        revision_name: series.resource?.labels?.['revision_name'],
        location: REGION,
        configuration_name: id,
      });
      expect(series.points?.map((point) => Number(point.interval?.startTime?.seconds) * 1000)).toEqual([M]);
      const revision = series.resource?.labels?.['revision_name'] ?? '';
      expect(Number(series.points?.[0]?.value?.int64Value)).toBe(minute0.get(revision) ?? 0);
    }

    // Later: minutes M, M + 1 and M + 3 are reported per revision, newest first; M + 2 has no point at all.
    const aligned = await read(M + 4 * MINUTE + DELAY_MS + 1_000, {
      alignmentPeriod: { seconds: 60 },
      perSeriesAligner: 'ALIGN_DELTA',
      crossSeriesReducer: 'REDUCE_SUM',
      groupByFields: ['resource.labels.revision_name', 'metric.labels.response_code_class'],
    });
    const byRevision = new Map(
      aligned.map((series) => [
        series.resource?.labels?.['revision_name'] ?? '',
        series.points?.map((point) => ({
          start: Number(point.interval?.startTime?.seconds) * 1000 - M,
          end: Number(point.interval?.endTime?.seconds) * 1000 - M,
          count: Number(point.value?.int64Value),
        })),
      ]),
    );
    expect(aligned.every((series) => Object.keys(series.metric?.labels ?? {}).join() === 'response_code_class'));
    const expected = (revision: string) =>
      [
        { start: 3 * MINUTE, count: minute3.get(revision) ?? 0 },
        { start: MINUTE, count: minute1.get(revision) ?? 0 },
        { start: 0, count: minute0.get(revision) ?? 0 },
      ]
        .filter((point) => point.count > 0)
        .map((point) => ({ ...point, end: point.start + MINUTE }));
    expect(byRevision.get(blue ?? '')).toEqual(expected(blue ?? ''));
    expect(byRevision.get(green ?? '')).toEqual(expected(green ?? ''));
  });

  it('merges latency distributions across revisions and minutes, in Cloud Run exponential buckets', async () => {
    const { id, uri } = await seedSplit([50, 50]);
    clock.nowMs = M + 20 * MINUTE + 1_000;
    await hit(uri, 25, 5);
    clock.nowMs = M + 21 * MINUTE + 1_000;
    await hit(uri, 15, 5);
    clock.nowMs = M + 22 * MINUTE + DELAY_MS;
    const [series] = await client.listTimeSeries(
      {
        name: `projects/${PROJECT}`,
        filter: `metric.type = "run.googleapis.com/request_latencies" AND resource.labels.service_name = "${id}"`,
        interval: { startTime: seconds(M + 20 * MINUTE), endTime: seconds(M + 22 * MINUTE) },
        aggregation: {
          alignmentPeriod: { seconds: 120 },
          perSeriesAligner: 'ALIGN_DELTA',
          crossSeriesReducer: 'REDUCE_SUM',
          groupByFields: ['resource.labels.service_name'],
        },
      },
      { autoPaginate: false },
    );
    expect(series).toHaveLength(1);
    const point = series[0]?.points?.[0];
    expect(series[0]?.points).toHaveLength(1);
    expect(series[0]?.valueType).toBe('DISTRIBUTION');
    expect(series[0]?.unit).toBe('ms');
    const distribution = point?.value?.distributionValue;
    expect(Number(distribution?.count)).toBe(40);
    expect(distribution?.bucketOptions?.exponentialBuckets).toEqual({
      numFiniteBuckets: 233,
      growthFactor: 1.1,
      scale: 1,
    });
    const counts = (distribution?.bucketCounts ?? []).map(Number);
    expect(counts.reduce((sum, count) => sum + count, 0)).toBe(40);
    const latencies = emulator
      .requestSamples()
      .filter((sample) => sample.service === id)
      .map((sample) => sample.latencyMs);
    const mean = latencies.reduce((sum, value) => sum + value, 0) / latencies.length;
    expect(distribution?.mean).toBeCloseTo(mean, 6);
  });

  it('pages series with tokens that belong to their request only', async () => {
    const { id, uri } = await seedSplit([50, 50]);
    clock.nowMs = M + 30 * MINUTE + 1_000;
    await hit(uri, 20, 4);
    clock.nowMs = M + 31 * MINUTE + DELAY_MS;
    const request = {
      name: `projects/${PROJECT}`,
      filter: countFilter(id),
      interval: { startTime: seconds(M + 30 * MINUTE), endTime: seconds(M + 31 * MINUTE) },
      pageSize: 1,
    };
    const [first, , response] = await client.listTimeSeries(request, { autoPaginate: false });
    expect(first).toHaveLength(1);
    expect(response.nextPageToken).toBeTruthy();
    const [second, , last] = await client.listTimeSeries(
      { ...request, pageToken: response.nextPageToken ?? '' },
      { autoPaginate: false },
    );
    expect(second).toHaveLength(1);
    expect(last.nextPageToken).toBe('');
    expect(second[0]?.resource?.labels?.['revision_name']).not.toBe(first[0]?.resource?.labels?.['revision_name']);
    const [all] = await client.listTimeSeries(request);
    expect(all).toHaveLength(2);

    const stolen = await rejectionOf(
      client.listTimeSeries(
        {
          ...request,
          filter: `${countFilter(id)} AND resource.labels.location = "us-central1"`,
          pageToken: response.nextPageToken ?? '',
        },
        { autoPaginate: false },
      ),
    );
    expect(stolen.code).toBe(GrpcStatus.INVALID_ARGUMENT);
  });

  it.each([
    ['a syntax error', 'metric.type = "run.googleapis.com/request_count" AND'],
    ['no metric type', 'resource.type = "cloud_run_revision"'],
    ['an unknown metric type', 'metric.type = "run.googleapis.com/request_counts"'],
    ['two metric types', 'metric.type = "run.googleapis.com/request_count" OR metric.type = "x"'],
    ['an unknown label', 'metric.type = "run.googleapis.com/request_count" AND resource.labels.revision = "a"'],
    ['an unknown field', 'metric.type = "run.googleapis.com/request_count" AND severity = "ERROR"'],
    ['juxtaposed restrictions', 'metric.type = "run.googleapis.com/request_count" resource.type = "x"'],
  ])('refuses a filter with %s as INVALID_ARGUMENT', async (_what, filter) => {
    const refused = await rejectionOf(
      client.listTimeSeries({
        name: `projects/${PROJECT}`,
        filter,
        interval: { startTime: seconds(M), endTime: seconds(M + MINUTE) },
      }),
    );
    expect(refused.code).toBe(GrpcStatus.INVALID_ARGUMENT);
    expect(refused.message).toContain('Field filter had an invalid value');
  });

  it('accepts one_of, NOT and parentheses, OR binding tighter than AND', async () => {
    const { id, uri, names } = await seedSplit([50, 50]);
    clock.nowMs = M + 40 * MINUTE + 1_000;
    await hit(uri, 20, 4);
    clock.nowMs = M + 41 * MINUTE + DELAY_MS;
    const revisionsOf = async (clause: string): Promise<string[]> => {
      const [series] = await client.listTimeSeries({
        name: `projects/${PROJECT}`,
        filter: `${countFilter(id)} AND ${clause}`,
        interval: { startTime: seconds(M + 40 * MINUTE), endTime: seconds(M + 41 * MINUTE) },
      });
      return series.map((one) => one.resource?.labels?.['revision_name'] ?? '').sort();
    };
    const [one, two] = names;
    expect(await revisionsOf(`resource.labels.revision_name = one_of("${one}", "nope")`)).toEqual([one]);
    expect(await revisionsOf(`NOT resource.labels.revision_name = "${one}"`)).toEqual([two]);
    expect(
      await revisionsOf(`resource.labels.revision_name = "${one}" OR resource.labels.revision_name = "${two}"`),
    ).toEqual([one, two]);
    expect(await revisionsOf(`(metric.labels.response_code_class = "5xx")`)).toEqual([]);
    // (one OR two) AND 5xx: nothing. Were AND tighter, `one OR (two AND 5xx)` would keep the first revision.
    expect(
      await revisionsOf(
        `resource.labels.revision_name = "${one}" OR resource.labels.revision_name = "${two}" AND metric.labels.response_code_class = "5xx"`,
      ),
    ).toEqual([]);
  });

  it('refuses an interval that ends before it starts, and a short alignment period, as INVALID_ARGUMENT', async () => {
    const backwards = await rejectionOf(
      client.listTimeSeries({
        name: `projects/${PROJECT}`,
        filter: countFilter('any'),
        interval: { startTime: seconds(M + MINUTE), endTime: seconds(M) },
      }),
    );
    expect(backwards.code).toBe(GrpcStatus.INVALID_ARGUMENT);
    expect(backwards.message).toContain('interval.endTime');
    const short = await rejectionOf(
      client.listTimeSeries({
        name: `projects/${PROJECT}`,
        filter: countFilter('any'),
        interval: { startTime: seconds(M), endTime: seconds(M + MINUTE) },
        aggregation: { alignmentPeriod: { seconds: 30 }, perSeriesAligner: 'ALIGN_DELTA' },
      }),
    );
    expect(short.code).toBe(GrpcStatus.INVALID_ARGUMENT);
    const unaligned = await rejectionOf(
      client.listTimeSeries({
        name: `projects/${PROJECT}`,
        filter: countFilter('any'),
        interval: { startTime: seconds(M), endTime: seconds(M + MINUTE) },
        aggregation: { crossSeriesReducer: 'REDUCE_SUM' },
      }),
    );
    expect(unaligned.code).toBe(GrpcStatus.INVALID_ARGUMENT);
  });
});
