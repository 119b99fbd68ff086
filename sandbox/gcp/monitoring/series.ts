/**
 * What Cloud Monitoring holds for the emulated Cloud Run: the requests the front door routed, summed per revision,
 * response code and minute, and the raw time series ListTimeSeries reads from them.
 *
 * A minute's point exists only if a request ended in it (DELTA metrics have no zero points: a minute without
 * requests has no point at all), and it becomes visible only `reportingDelayMs` after the minute ends.
 */
import { addSample, emptyDistribution, type DistributionValue } from './distribution.js';
import {
  CLOUD_RUN_REVISION,
  METRICS,
  responseCodeClass,
  SAMPLE_PERIOD_MS,
  type MetricDescriptor,
  type MonitoringOptions,
  type RequestSample,
} from './metrics.js';

export type PointValue =
  | { readonly kind: 'int64'; readonly value: number }
  | { readonly kind: 'double'; readonly value: number }
  | { readonly kind: 'distribution'; readonly value: DistributionValue };

/** A point over [startMs, endMs). */
export interface SeriesPoint {
  readonly startMs: number;
  readonly endMs: number;
  readonly value: PointValue;
}

export interface TimeSeriesData {
  readonly descriptor: MetricDescriptor;
  readonly metricLabels: Readonly<Record<string, string>>;
  readonly resourceType: string;
  readonly resourceLabels: Readonly<Record<string, string>>;
  /** Oldest first. */
  readonly points: readonly SeriesPoint[];
}

interface MinuteCell {
  count: number;
  readonly latency: DistributionValue;
}

interface SeriesCell {
  readonly resourceLabels: Readonly<Record<string, string>>;
  readonly metricLabels: Readonly<Record<string, string>>;
  readonly minutes: Map<number, MinuteCell>;
}

export class RequestMetrics {
  private readonly cells = new Map<string, SeriesCell>();
  private readonly recorded: RequestSample[] = [];

  constructor(private readonly options: MonitoringOptions) {}

  record(sample: RequestSample): void {
    this.recorded.push(sample);
    const resourceLabels = {
      project_id: sample.project,
      service_name: sample.service,
      revision_name: sample.revision,
      location: sample.region,
      configuration_name: sample.service,
    };
    const metricLabels = {
      response_code: String(sample.status),
      response_code_class: responseCodeClass(sample.status),
    };
    const key = JSON.stringify([resourceLabels, metricLabels]);
    let cell = this.cells.get(key);
    if (cell === undefined) {
      cell = { resourceLabels, metricLabels, minutes: new Map() };
      this.cells.set(key, cell);
    }
    const minute = Math.floor(sample.at.getTime() / SAMPLE_PERIOD_MS) * SAMPLE_PERIOD_MS;
    let bucket = cell.minutes.get(minute);
    if (bucket === undefined) {
      bucket = { count: 0, latency: emptyDistribution(this.options.latencyBuckets) };
      cell.minutes.set(minute, bucket);
    }
    bucket.count += 1;
    addSample(bucket.latency, sample.latencyMs);
  }

  /** Every request recorded, oldest first (for tests and the console). */
  samples(): readonly RequestSample[] {
    return this.recorded;
  }

  /** The series of `metricType` with the points visible at `nowMs`, of the project `project` (its id). */
  series(metricType: string, project: string, nowMs: number): TimeSeriesData[] {
    const descriptor = METRICS[metricType];
    if (descriptor === undefined) return [];
    const visibleBefore = nowMs - this.options.reportingDelayMs;
    const result: TimeSeriesData[] = [];
    for (const cell of this.cells.values()) {
      if (cell.resourceLabels['project_id'] !== project) continue;
      const points: SeriesPoint[] = [];
      for (const [startMs, minute] of [...cell.minutes.entries()].sort(([a], [b]) => a - b)) {
        const endMs = startMs + SAMPLE_PERIOD_MS;
        if (endMs > visibleBefore) continue;
        points.push({
          startMs,
          endMs,
          value:
            descriptor.valueType === 'DISTRIBUTION'
              ? { kind: 'distribution', value: minute.latency }
              : { kind: 'int64', value: minute.count },
        });
      }
      if (points.length === 0) continue;
      result.push({
        descriptor,
        metricLabels: cell.metricLabels,
        resourceType: CLOUD_RUN_REVISION,
        resourceLabels: cell.resourceLabels,
        points,
      });
    }
    return result;
  }
}
