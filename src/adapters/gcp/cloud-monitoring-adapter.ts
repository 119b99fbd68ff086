/**
 * `CanaryMeasurementsPort` over Cloud Monitoring v3 (`@google-cloud/monitoring`'s MetricServiceClient).
 *
 * Two ListTimeSeries reads a window, each aligned to 60-second periods anchored at the window's end (a whole minute),
 * so every point is one minute: `run.googleapis.com/request_count` summed by revision and `response_code_class`,
 * and `run.googleapis.com/request_latencies` merged by revision (REDUCE_SUM adds distributions). A minute is
 * complete for a revision when both have reported it; any other minute is missing, with why, and counts nothing.
 * Pages are followed to the end, within a budget: a read is never silently cut short.
 */
import type { protos } from '@google-cloud/monitoring';
import type { CallOptions } from 'google-gax';
import { z } from 'zod';

import type {
  CanaryMeasurementsPort,
  CanaryMeasurementsRequest,
  CanaryMeasurementsResult,
  MeasuredLatency,
  MinuteMeasurement,
  MissingMinute,
  RequestCounts,
  RevisionMeasurementWindow,
} from '../../deploy/ports/index.js';
import type { Clock } from '../../deploy/ports/index.js';
import { quoteFilterValue } from './cloud-logging-adapter.js';
import { externalCodeOf, grpcMessageOf, grpcStatusOf } from './errors.js';
import { int64, parseResponse, timestampSchema } from './wire.js';

export interface CloudMonitoringAdapterOptions {
  readonly clock?: Clock;
  /**
   * How long after its end a minute may still be reported (default 180 s: Cloud Run's request metrics "are not
   * visible for up to 180 seconds" after sampling). Within it a minute without data is `pending`, after it `no_data`.
   */
  readonly reportingDelayMs?: number;
  /** Per-call deadline, retries included (default 30 s). */
  readonly callTimeoutMs?: number;
  /** Requests one ListTimeSeries read may make, following page tokens (default 20). */
  readonly maxPages?: number;
}

/**
 * The one call the adapter makes, as MetricServiceClient declares it with `autoPaginate: false` (the series, the
 * next request, the raw response), so tests can hand a small fake.
 */
export interface TimeSeriesLister {
  listTimeSeries(
    request: protos.google.monitoring.v3.IListTimeSeriesRequest,
    options: CallOptions,
  ): Promise<readonly [readonly unknown[], unknown, unknown]>;
}

export const REQUEST_COUNT_METRIC = 'run.googleapis.com/request_count';
export const REQUEST_LATENCIES_METRIC = 'run.googleapis.com/request_latencies';
const MINUTE_MS = 60_000;

const labelsSchema = z.record(z.string(), z.string()).nullish();

const distributionSchema = z.object({
  count: int64.nullish(),
  bucketOptions: z
    .object({
      exponentialBuckets: z
        .object({ numFiniteBuckets: z.number().int(), growthFactor: z.number(), scale: z.number() })
        .nullish(),
      linearBuckets: z.object({ numFiniteBuckets: z.number().int(), width: z.number(), offset: z.number() }).nullish(),
      explicitBuckets: z.object({ bounds: z.array(z.number()) }).nullish(),
    })
    .nullish(),
  bucketCounts: z.array(int64).nullish(),
});

const pointSchema = z.object({
  interval: z.object({ startTime: timestampSchema, endTime: timestampSchema }),
  value: z.object({ int64Value: int64.nullish(), distributionValue: distributionSchema.nullish() }),
});

const seriesSchema = z.object({
  metric: z.object({ type: z.string().nullish(), labels: labelsSchema }).nullish(),
  resource: z.object({ type: z.string().nullish(), labels: labelsSchema }).nullish(),
  points: z.array(pointSchema).nullish(),
});

/** What `listTimeSeries` answers with `autoPaginate: false`: the series, the next request (or null), the response. */
const pageSchema = z.tuple([z.array(z.unknown()), z.unknown(), z.unknown()], z.unknown());
const responseSchema = z.object({ nextPageToken: z.string().nullish() }).nullish();

type ParsedPoint = z.infer<typeof pointSchema>;

/** The filter for one metric of some revisions of a service. */
export function revisionsFilter(
  metricType: string,
  request: Pick<CanaryMeasurementsRequest, 'service' | 'revisions'>,
): string {
  return [
    `metric.type = ${quoteFilterValue(metricType)}`,
    'resource.type = "cloud_run_revision"',
    `resource.labels.location = ${quoteFilterValue(request.service.region)}`,
    `resource.labels.service_name = ${quoteFilterValue(request.service.name)}`,
    `resource.labels.revision_name = one_of(${request.revisions.map(quoteFilterValue).join(', ')})`,
  ].join(' AND ');
}

/** The finite bucket boundaries of a distribution's bucket options (Cloud Monitoring's three layouts). */
export function bucketBounds(options: z.infer<typeof distributionSchema>['bucketOptions']): number[] {
  const exponential = options?.exponentialBuckets;
  if (exponential) {
    return Array.from(
      { length: exponential.numFiniteBuckets + 1 },
      (_, i) => exponential.scale * exponential.growthFactor ** i,
    );
  }
  const linear = options?.linearBuckets;
  if (linear) return Array.from({ length: linear.numFiniteBuckets + 1 }, (_, i) => linear.offset + linear.width * i);
  const explicit = options?.explicitBuckets;
  if (explicit) return [...explicit.bounds];
  throw new Error('unexpected Distribution from Google Cloud: no bucket options');
}

/** A point's distribution as bounds and counts, the counts padded to one per bucket (the API may omit trailing zeros). */
export function measuredLatency(value: z.infer<typeof distributionSchema>): MeasuredLatency {
  const boundsMs = bucketBounds(value.bucketOptions);
  const given = value.bucketCounts ?? [];
  if (given.length > boundsMs.length + 1) {
    throw new Error(
      `unexpected Distribution from Google Cloud: ${given.length} counts for ${boundsMs.length + 1} buckets`,
    );
  }
  const counts = Array.from({ length: boundsMs.length + 1 }, (_, i) => given[i] ?? 0);
  const total = counts.reduce((sum, count) => sum + count, 0);
  if (total !== (value.count ?? 0)) {
    throw new Error(
      `unexpected Distribution from Google Cloud: bucket counts sum to ${total}, count is ${value.count}`,
    );
  }
  return { kind: 'buckets', boundsMs, counts };
}

const NO_LATENCY: MeasuredLatency = { kind: 'buckets', boundsMs: [], counts: [0] };

/** The sum of several minutes' latencies, which must share one layout (one metric of one service does). */
export function addLatencies(latencies: readonly MeasuredLatency[]): MeasuredLatency {
  const first = latencies[0];
  if (first === undefined) return NO_LATENCY;
  const counts = [...first.counts];
  for (const other of latencies.slice(1)) {
    if (other.boundsMs.length !== first.boundsMs.length || other.boundsMs.some((b, i) => b !== first.boundsMs[i])) {
      throw new Error('request_latencies changed its bucket layout within one window');
    }
    other.counts.forEach((count, i) => (counts[i] = (counts[i] ?? 0) + count));
  }
  return { kind: 'buckets', boundsMs: first.boundsMs, counts };
}

function countsOf(byClass: Readonly<Record<string, number>>): RequestCounts {
  const requests = Object.values(byClass).reduce((sum, count) => sum + count, 0);
  const errors = byClass['5xx'] ?? 0;
  return { requests, errors, nonErrors: requests - errors, byClass };
}

/** A `CanaryMeasurementsPort` over Cloud Monitoring. */
export function cloudMonitoringAdapter(
  clients: { readonly monitoring: TimeSeriesLister },
  options: CloudMonitoringAdapterOptions = {},
): CanaryMeasurementsPort {
  const clock = options.clock ?? { now: () => new Date() };
  const reportingDelayMs = options.reportingDelayMs ?? 180_000;
  const callTimeoutMs = options.callTimeoutMs ?? 30_000;
  const maxPages = Math.max(1, Math.floor(options.maxPages ?? 20));

  /** Every series of one aggregated read, all pages. */
  const readAll = async (
    request: CanaryMeasurementsRequest,
    metricType: string,
    window: { start: Date; end: Date },
    groupByFields: readonly string[],
  ): Promise<z.infer<typeof seriesSchema>[]> => {
    const series: z.infer<typeof seriesSchema>[] = [];
    let pageToken: string | undefined;
    for (let page = 0; page < maxPages; page += 1) {
      const gaxOptions: CallOptions = {
        autoPaginate: false,
        timeout: callTimeoutMs,
        ...(request.signal === undefined ? {} : { signal: request.signal }),
      };
      const answer = parseResponse(
        pageSchema,
        await clients.monitoring.listTimeSeries(
          {
            name: `projects/${request.service.project}`,
            filter: revisionsFilter(metricType, request),
            interval: { startTime: toTimestamp(window.start), endTime: toTimestamp(window.end) },
            aggregation: {
              alignmentPeriod: { seconds: 60 },
              perSeriesAligner: 'ALIGN_DELTA',
              crossSeriesReducer: 'REDUCE_SUM',
              groupByFields: [...groupByFields],
            },
            view: 'FULL',
            ...(pageToken === undefined ? {} : { pageToken }),
          },
          gaxOptions,
        ),
        'ListTimeSeriesResponse',
      );
      series.push(...answer[0].map((item) => parseResponse(seriesSchema, item, 'TimeSeries')));
      pageToken = parseResponse(responseSchema, answer[2], 'ListTimeSeriesResponse')?.nextPageToken || undefined;
      if (pageToken === undefined) return series;
    }
    throw new Error(`${metricType}: more than ${maxPages} pages of time series for one window`);
  };

  return {
    async measure(request): Promise<CanaryMeasurementsResult> {
      const nowMs = clock.now().getTime();
      const startMs = Math.ceil(request.start.getTime() / MINUTE_MS) * MINUTE_MS;
      const endMs = Math.max(startMs, Math.floor(Math.min(request.end.getTime(), nowMs) / MINUTE_MS) * MINUTE_MS);
      const window = { start: new Date(startMs), end: new Date(endMs) };
      const minutes: number[] = [];
      for (let at = startMs; at < endMs; at += MINUTE_MS) minutes.push(at);
      if (minutes.length === 0 || request.revisions.length === 0) {
        return { ok: true, window, revisions: request.revisions.map((revision) => emptyWindow(revision)) };
      }

      let countSeries: z.infer<typeof seriesSchema>[];
      let latencySeries: z.infer<typeof seriesSchema>[];
      try {
        [countSeries, latencySeries] = await Promise.all([
          readAll(request, REQUEST_COUNT_METRIC, window, [
            'resource.labels.revision_name',
            'metric.labels.response_code_class',
          ]),
          readAll(request, REQUEST_LATENCIES_METRIC, window, ['resource.labels.revision_name']),
        ]);
      } catch (error: unknown) {
        const status = grpcStatusOf(error);
        if (status === undefined) throw error;
        return {
          ok: false,
          code: externalCodeOf(status),
          message: `reading Cloud Run request metrics of ${request.service.name}: ${grpcMessageOf(error)}`,
        };
      }

      // revision → minute start → counts by class / latency.
      const counts = new Map<string, Map<number, Record<string, number>>>();
      const latencies = new Map<string, Map<number, MeasuredLatency>>();
      const minuteOf = (point: ParsedPoint, metric: string): number => {
        const end = point.interval.endTime?.getTime();
        const start = end === undefined ? undefined : end - MINUTE_MS;
        if (start === undefined || start < startMs || start >= endMs || (start - startMs) % MINUTE_MS !== 0) {
          throw new Error(`${metric}: a point outside the window's minutes (${point.interval.endTime?.toISOString()})`);
        }
        return start;
      };
      for (const series of countSeries) {
        const revision = series.resource?.labels?.['revision_name'] ?? '';
        const responseClass = series.metric?.labels?.['response_code_class'] ?? 'unknown';
        const byMinute = counts.get(revision) ?? new Map<number, Record<string, number>>();
        counts.set(revision, byMinute);
        for (const point of series.points ?? []) {
          const minute = minuteOf(point, REQUEST_COUNT_METRIC);
          const byClass = byMinute.get(minute) ?? {};
          byClass[responseClass] = (byClass[responseClass] ?? 0) + (point.value.int64Value ?? 0);
          byMinute.set(minute, byClass);
        }
      }
      for (const series of latencySeries) {
        const revision = series.resource?.labels?.['revision_name'] ?? '';
        const byMinute = latencies.get(revision) ?? new Map<number, MeasuredLatency>();
        latencies.set(revision, byMinute);
        for (const point of series.points ?? []) {
          const distribution = point.value.distributionValue;
          if (!distribution) throw new Error(`${REQUEST_LATENCIES_METRIC}: a point without a distribution`);
          const minute = minuteOf(point, REQUEST_LATENCIES_METRIC);
          const latency = measuredLatency(distribution);
          const previous = byMinute.get(minute);
          byMinute.set(minute, previous === undefined ? latency : addLatencies([previous, latency]));
        }
      }

      const revisions = request.revisions.map((revision): RevisionMeasurementWindow => {
        const complete: MinuteMeasurement[] = [];
        const missing: MissingMinute[] = [];
        for (const minute of minutes) {
          const byClass = counts.get(revision)?.get(minute);
          const latency = latencies.get(revision)?.get(minute);
          const start = new Date(minute);
          if (byClass !== undefined && latency !== undefined) {
            complete.push({ start, ...countsOf(byClass), latency });
          } else if (byClass !== undefined || latency !== undefined) {
            missing.push({ start, reason: 'partial' });
          } else {
            missing.push({ start, reason: minute + MINUTE_MS + reportingDelayMs > nowMs ? 'pending' : 'no_data' });
          }
        }
        const byClass: Record<string, number> = {};
        for (const minute of complete) {
          for (const [name, count] of Object.entries(minute.byClass)) byClass[name] = (byClass[name] ?? 0) + count;
        }
        return {
          revision,
          ...countsOf(byClass),
          completeMinutes: complete.length,
          latency: addLatencies(complete.map((minute) => minute.latency)),
          minutes: complete,
          missing,
        };
      });
      return { ok: true, window, revisions };
    },
  };
}

function emptyWindow(revision: string): RevisionMeasurementWindow {
  return { revision, ...countsOf({}), completeMinutes: 0, latency: NO_LATENCY, minutes: [], missing: [] };
}

function toTimestamp(date: Date): { seconds: number; nanos: number } {
  const ms = date.getTime();
  const seconds = Math.floor(ms / 1000);
  return { seconds, nanos: (ms - seconds * 1000) * 1_000_000 };
}
