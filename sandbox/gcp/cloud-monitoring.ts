/**
 * Cloud Monitoring v3 `MetricService.ListTimeSeries` over the request metrics of the emulated Cloud Run
 * (`run.googleapis.com/request_count` and `request_latencies` on `cloud_run_revision`), fed by what the emulated
 * front door really routed. The filter language is in `monitoring/filter.ts`, alignment and reduction in
 * `monitoring/aggregation.ts`, the per-minute data and its reporting delay in `monitoring/series.ts`.
 */
import { createHash } from 'node:crypto';

import { z } from 'zod';

import { aggregate, inInterval, type AggregationSpec, type Interval } from './monitoring/aggregation.js';
import { renderDistribution } from './monitoring/distribution.js';
import { compileMonitoringFilter } from './monitoring/filter.js';
import { METRICS, type MonitoringOptions, type RequestSample } from './monitoring/metrics.js';
import { RequestMetrics, type SeriesPoint, type TimeSeriesData } from './monitoring/series.js';
import { GrpcStatus, invalidArgument, parseRequest, RpcError, type UnaryHandler } from './rpc.js';
import type { Clock } from './types.js';
import { DurationMessage, durationSeconds, projectNumber, timestamp } from './wire.js';

const TimestampMessage = z.object({ seconds: z.union([z.string(), z.number()]), nanos: z.number() });

const ListTimeSeriesRequest = z.object({
  name: z.string(),
  filter: z.string(),
  interval: z.object({ startTime: TimestampMessage.nullable(), endTime: TimestampMessage.nullable() }).nullable(),
  aggregation: z
    .object({
      alignmentPeriod: DurationMessage.nullable(),
      perSeriesAligner: z.string(),
      crossSeriesReducer: z.string(),
      groupByFields: z.array(z.string()),
    })
    .nullable(),
  secondaryAggregation: z.unknown(),
  orderBy: z.string(),
  view: z.string(),
  pageSize: z.number().int(),
  pageToken: z.string(),
});
type ListTimeSeriesRequest = z.infer<typeof ListTimeSeriesRequest>;

const PageToken = z.object({ offset: z.number().int().nonnegative(), nowMs: z.number(), request: z.string() });

/** "If page_size is empty or more than 100,000 results, the effective page_size is 100,000 results." */
const MAX_PAGE_SIZE = 100_000;

export class CloudMonitoring {
  private readonly metrics: RequestMetrics;

  constructor(
    private readonly clock: Clock,
    options: MonitoringOptions,
  ) {
    this.metrics = new RequestMetrics(options);
  }

  /** Counts one request a revision answered (or the platform answered for it). */
  record(sample: RequestSample): void {
    this.metrics.record(sample);
  }

  samples(): readonly RequestSample[] {
    return this.metrics.samples();
  }

  handlers(): Record<string, UnaryHandler> {
    return {
      ListTimeSeries: (request) => this.listTimeSeries(parseRequest(ListTimeSeriesRequest, request, 'request')),
    };
  }

  private listTimeSeries(request: ListTimeSeriesRequest): object {
    const project = this.projectOf(request.name);
    const compiled = compileMonitoringFilter(request.filter);
    if (!compiled.ok)
      throw invalidArgument(`Field filter had an invalid value of "${request.filter}": ${compiled.error}`);
    const interval = intervalOf(request);
    if (request.secondaryAggregation !== null && request.secondaryAggregation !== undefined) {
      throw new RpcError(GrpcStatus.UNIMPLEMENTED, 'secondaryAggregation is not implemented by the emulator');
    }
    if (request.orderBy !== '') {
      throw new RpcError(GrpcStatus.UNIMPLEMENTED, 'orderBy is not implemented by the Cloud Monitoring emulator');
    }
    if (request.view !== 'FULL' && request.view !== 'HEADERS') {
      throw invalidArgument(`Field view had an invalid value of "${request.view}"`);
    }
    if (request.pageSize < 0) throw invalidArgument('Field pageSize must not be negative');
    const fingerprint = fingerprintOf(request);
    const token = request.pageToken === '' ? undefined : readToken(request.pageToken, fingerprint);
    // Later pages read the data as the first one saw it, so a minute becoming visible cannot shift them.
    const nowMs = token?.nowMs ?? this.clock.now().getTime();

    const descriptor = METRICS[compiled.metricType];
    if (descriptor === undefined) throw new Error(`emulator invariant broken: no descriptor ${compiled.metricType}`);
    const matching = this.metrics.series(compiled.metricType, project, nowMs).filter((series) =>
      compiled.matches({
        project,
        metricType: series.descriptor.type,
        metricLabels: series.metricLabels,
        resourceType: series.resourceType,
        resourceLabels: series.resourceLabels,
      }),
    );
    const cut = inInterval(matching, interval);
    const result =
      request.aggregation === null ? cut : aggregate(cut, interval, aggregationOf(request.aggregation), descriptor);
    const ordered = result.sort((a, b) => identity(a).localeCompare(identity(b)));

    const offset = token?.offset ?? 0;
    const size = request.pageSize === 0 ? MAX_PAGE_SIZE : Math.min(request.pageSize, MAX_PAGE_SIZE);
    const page = ordered.slice(offset, offset + size);
    const next =
      offset + size < ordered.length ? writeToken({ offset: offset + size, nowMs, request: fingerprint }) : '';
    return {
      timeSeries: page.map((series) => renderSeries(series, request.view === 'HEADERS')),
      nextPageToken: next,
      executionErrors: [],
      unit: '',
    };
  }

  /** `projects/PROJECT_ID_OR_NUMBER`: the id the data is kept under. */
  private projectOf(name: string): string {
    const match = /^projects\/([^/]+)$/.exec(name);
    if (!match?.[1]) {
      throw invalidArgument(`Field name had an invalid value of "${name}": it must be projects/PROJECT_ID_OR_NUMBER.`);
    }
    const given = match[1];
    if (!/^\d+$/.test(given)) return given;
    const known = new Set(this.metrics.samples().map((sample) => sample.project));
    return [...known].find((project) => projectNumber(project) === given) ?? given;
  }
}

function intervalOf(request: ListTimeSeriesRequest): Interval {
  const end = request.interval?.endTime;
  if (request.interval === null || end === null || end === undefined) {
    throw invalidArgument('Field interval.endTime is required: the end of the time interval must be given.');
  }
  const endMs = Number(end.seconds) * 1000 + Math.floor(end.nanos / 1e6);
  const start = request.interval.startTime;
  const startMs = start === null ? endMs : Number(start.seconds) * 1000 + Math.floor(start.nanos / 1e6);
  if (endMs < startMs) {
    throw invalidArgument(
      `Field interval.endTime had an invalid value of "${new Date(endMs).toISOString()}": ` +
        `the end time must not be earlier than the start time (${new Date(startMs).toISOString()}).`,
    );
  }
  return { startMs, endMs };
}

function aggregationOf(aggregation: NonNullable<ListTimeSeriesRequest['aggregation']>): AggregationSpec {
  return {
    alignmentPeriodMs: aggregation.alignmentPeriod === null ? 0 : durationSeconds(aggregation.alignmentPeriod) * 1000,
    perSeriesAligner: aggregation.perSeriesAligner,
    crossSeriesReducer: aggregation.crossSeriesReducer,
    groupByFields: aggregation.groupByFields,
  };
}

function fingerprintOf(request: ListTimeSeriesRequest): string {
  const unpaged = { ...request, pageToken: '', pageSize: 0 };
  return createHash('sha256').update(JSON.stringify(unpaged)).digest('base64url').slice(0, 16);
}

function writeToken(token: z.infer<typeof PageToken>): string {
  return Buffer.from(JSON.stringify(token)).toString('base64url');
}

function readToken(text: string, fingerprint: string): z.infer<typeof PageToken> {
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    decoded = undefined;
  }
  const parsed = PageToken.safeParse(decoded);
  if (!parsed.success || parsed.data.request !== fingerprint) {
    throw invalidArgument(`Field pageToken had an invalid value of "${text}": it does not belong to this request.`);
  }
  return parsed.data;
}

function identity(series: TimeSeriesData): string {
  return JSON.stringify([series.metricLabels, series.resourceLabels]);
}

function renderSeries(series: TimeSeriesData, headersOnly: boolean): object {
  return {
    metric: { type: series.descriptor.type, labels: { ...series.metricLabels } },
    resource: { type: series.resourceType, labels: { ...series.resourceLabels } },
    metricKind: series.descriptor.kind,
    valueType: series.descriptor.valueType,
    unit: series.descriptor.unit,
    // Cloud Monitoring answers points newest first.
    points: headersOnly ? [] : [...series.points].sort((a, b) => b.endMs - a.endMs).map(renderPoint),
  };
}

function renderPoint(point: SeriesPoint): object {
  const interval = { startTime: timestamp(new Date(point.startMs)), endTime: timestamp(new Date(point.endMs)) };
  switch (point.value.kind) {
    case 'int64':
      return { interval, value: { int64Value: String(point.value.value) } };
    case 'double':
      return { interval, value: { doubleValue: point.value.value } };
    case 'distribution':
      return { interval, value: { distributionValue: renderDistribution(point.value.value) } };
  }
}
