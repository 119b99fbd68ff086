/**
 * ListTimeSeries' `interval` and `aggregation`: which points fall in the interval, how each series is aligned to
 * periods (`perSeriesAligner`), and how aligned series are combined (`crossSeriesReducer` with `groupByFields`).
 *
 * Alignment periods are anchored at the interval's end time: the k-th period is (end − (k+1)·P, end − k·P], and a
 * point belongs to the period that holds its end time. An aligned period without any input point has no output
 * point: Cloud Monitoring never invents a zero.
 *
 * What is served: ALIGN_NONE (raw points), ALIGN_DELTA and ALIGN_SUM (sums, distributions merged), ALIGN_RATE
 * (per second, numbers only); REDUCE_NONE, REDUCE_SUM (distributions merged) and REDUCE_COUNT. Anything else the API
 * knows is UNIMPLEMENTED here, so a caller never mistakes the emulator's gap for the platform's answer.
 */
import { GrpcStatus, invalidArgument, RpcError } from '../rpc.js';
import { copyDistribution, mergeInto } from './distribution.js';
import { REVISION_RESOURCE_LABELS, type MetricDescriptor } from './metrics.js';
import type { PointValue, SeriesPoint, TimeSeriesData } from './series.js';

export interface Interval {
  /** Exclusive: a point ending at the start time is outside. */
  readonly startMs: number;
  readonly endMs: number;
}

export interface AggregationSpec {
  readonly alignmentPeriodMs: number;
  readonly perSeriesAligner: string;
  readonly crossSeriesReducer: string;
  readonly groupByFields: readonly string[];
}

const ALIGNERS = new Set(['ALIGN_NONE', 'ALIGN_DELTA', 'ALIGN_SUM', 'ALIGN_RATE']);
const REDUCERS = new Set(['REDUCE_NONE', 'REDUCE_SUM', 'REDUCE_COUNT']);

const unimplemented = (what: string): RpcError =>
  new RpcError(GrpcStatus.UNIMPLEMENTED, `${what} is not implemented by the Cloud Monitoring emulator`);

/** The points of each series whose end time is in (start, end]; series left without a point are dropped. */
export function inInterval(series: readonly TimeSeriesData[], interval: Interval): TimeSeriesData[] {
  return series
    .map((one) => ({
      ...one,
      points: one.points.filter((point) => point.endMs > interval.startMs && point.endMs <= interval.endMs),
    }))
    .filter((one) => one.points.length > 0);
}

/** Applies `spec` to series of `descriptor` already cut to `interval`. */
export function aggregate(
  series: readonly TimeSeriesData[],
  interval: Interval,
  spec: AggregationSpec,
  descriptor: MetricDescriptor,
): TimeSeriesData[] {
  if (!ALIGNERS.has(spec.perSeriesAligner)) throw unimplemented(`perSeriesAligner ${spec.perSeriesAligner}`);
  if (!REDUCERS.has(spec.crossSeriesReducer)) throw unimplemented(`crossSeriesReducer ${spec.crossSeriesReducer}`);
  if (spec.perSeriesAligner === 'ALIGN_NONE') {
    if (spec.crossSeriesReducer !== 'REDUCE_NONE') {
      throw invalidArgument(
        `Field aggregation.perSeriesAligner had an invalid value of "ALIGN_NONE": ` +
          `a crossSeriesReducer (${spec.crossSeriesReducer}) needs aligned series.`,
      );
    }
    return [...series];
  }
  if (spec.alignmentPeriodMs < 60_000) {
    throw invalidArgument(
      `Field aggregation.alignmentPeriod had an invalid value of "${spec.alignmentPeriodMs / 1000}s": ` +
        'the alignment period must be at least 60 seconds when perSeriesAligner is not ALIGN_NONE.',
    );
  }
  const aligned = series.map((one) => align(one, interval, spec));
  if (spec.crossSeriesReducer === 'REDUCE_NONE') return aligned;
  return reduce(aligned, spec, descriptor);
}

function align(series: TimeSeriesData, interval: Interval, spec: AggregationSpec): TimeSeriesData {
  const { descriptor } = series;
  const period = spec.alignmentPeriodMs;
  if (spec.perSeriesAligner === 'ALIGN_RATE' && descriptor.valueType === 'DISTRIBUTION') {
    throw invalidArgument(
      `Field aggregation.perSeriesAligner had an invalid value of "ALIGN_RATE": ` +
        `it is not valid for ${descriptor.type}, a ${descriptor.kind} ${descriptor.valueType} metric.`,
    );
  }
  const windows = new Map<number, PointValue>();
  for (const point of series.points) {
    const window = Math.floor((interval.endMs - point.endMs) / period);
    const previous = windows.get(window);
    windows.set(window, previous === undefined ? cloneValue(point.value) : addValues(previous, point.value));
  }
  const rate = spec.perSeriesAligner === 'ALIGN_RATE';
  const outDescriptor: MetricDescriptor = rate
    ? { ...descriptor, kind: 'GAUGE', valueType: 'DOUBLE', unit: `${descriptor.unit}/s` }
    : descriptor;
  const points: SeriesPoint[] = [...windows.entries()]
    .sort(([a], [b]) => b - a)
    .map(([window, value]) => {
      const endMs = interval.endMs - window * period;
      if (!rate) return { startMs: endMs - period, endMs, value };
      const count = value.kind === 'distribution' ? value.value.count : value.value;
      return { startMs: endMs, endMs, value: { kind: 'double', value: count / (period / 1000) } };
    });
  return { ...series, descriptor: outDescriptor, points };
}

type GroupField = { readonly scope: 'metric' | 'resource'; readonly name: string } | { readonly scope: 'type' };

function parseGroupField(field: string, index: number, descriptor: MetricDescriptor): GroupField {
  if (field === 'resource.type') return { scope: 'type' };
  const match = /^(metric|resource)\.labels?\.([A-Za-z_][A-Za-z0-9_]*)$/.exec(field);
  const scope = match?.[1];
  const name = match?.[2];
  const labels: readonly string[] = scope === 'metric' ? descriptor.labels : REVISION_RESOURCE_LABELS;
  const known = name !== undefined && labels.includes(name);
  if ((scope !== 'metric' && scope !== 'resource') || name === undefined || !known) {
    throw invalidArgument(
      `Field aggregation.groupByFields[${index}] had an invalid value of "${field}": ` +
        'it must name a label of the metric (metric.labels.NAME) or of the monitored resource (resource.labels.NAME).',
    );
  }
  return { scope, name };
}

function reduce(
  series: readonly TimeSeriesData[],
  spec: AggregationSpec,
  descriptor: MetricDescriptor,
): TimeSeriesData[] {
  const fields = spec.groupByFields.map((field, index) => parseGroupField(field, index, descriptor));
  const groups = new Map<string, { template: TimeSeriesData; members: TimeSeriesData[] }>();
  for (const one of series) {
    const key = JSON.stringify(
      fields.map((field) =>
        field.scope === 'type'
          ? one.resourceType
          : (field.scope === 'metric' ? one.metricLabels : one.resourceLabels)[field.name],
      ),
    );
    const group = groups.get(key) ?? { template: one, members: [] };
    group.members.push(one);
    groups.set(key, group);
  }
  const counting = spec.crossSeriesReducer === 'REDUCE_COUNT';
  return [...groups.values()].map(({ template, members }) => {
    const byEnd = new Map<number, { startMs: number; value: PointValue }>();
    for (const member of members) {
      for (const point of member.points) {
        const contribution: PointValue = counting ? { kind: 'int64', value: 1 } : point.value;
        const previous = byEnd.get(point.endMs);
        byEnd.set(point.endMs, {
          startMs: point.startMs,
          value: previous === undefined ? cloneValue(contribution) : addValues(previous.value, contribution),
        });
      }
    }
    const keep = (scope: 'metric' | 'resource', labels: Readonly<Record<string, string>>): Record<string, string> =>
      Object.fromEntries(
        fields.flatMap((field) => {
          if (field.scope !== scope) return [];
          const value = labels[field.name];
          return value === undefined ? [] : [[field.name, value] as const];
        }),
      );
    return {
      descriptor: counting ? { ...template.descriptor, valueType: 'INT64', unit: '1' } : template.descriptor,
      metricLabels: keep('metric', template.metricLabels),
      resourceType: template.resourceType,
      resourceLabels: keep('resource', template.resourceLabels),
      points: [...byEnd.entries()]
        .sort(([a], [b]) => b - a)
        .map(([endMs, { startMs, value }]) => ({ startMs, endMs, value })),
    };
  });
}

function cloneValue(value: PointValue): PointValue {
  return value.kind === 'distribution' ? { kind: 'distribution', value: copyDistribution(value.value) } : value;
}

/** `into` + `other`; `into` is a value this module owns (a clone), so a distribution is merged in place. */
function addValues(into: PointValue, other: PointValue): PointValue {
  if (into.kind === 'distribution' && other.kind === 'distribution') {
    mergeInto(into.value, other.value);
    return into;
  }
  if (into.kind !== 'distribution' && other.kind !== 'distribution') {
    return { kind: into.kind, value: into.value + other.value };
  }
  throw new Error('emulator invariant broken: a distribution added to a number');
}
