/**
 * The Cloud Run metrics the Cloud Monitoring emulator serves, as Cloud Monitoring describes them
 * (https://cloud.google.com/monitoring/api/metrics_gcp#gcp-run), and what the emulator records to compute them:
 * one sample per request the emulated front door routed to a revision.
 */

/** One request a revision served (or the platform answered for it), as the front door saw it. */
export interface RequestSample {
  readonly project: string;
  readonly region: string;
  readonly service: string;
  readonly revision: string;
  readonly status: number;
  readonly latencyMs: number;
  /** When the answer ended, on the emulator's clock. */
  readonly at: Date;
}

/** `google.api.Distribution.BucketOptions.Exponential`. */
export interface ExponentialBuckets {
  readonly numFiniteBuckets: number;
  readonly growthFactor: number;
  readonly scale: number;
}

export interface MonitoringOptions {
  /**
   * How long after a minute ends its points become visible. Cloud Run's request metrics are "sampled every 60
   * seconds. After sampling, data is not visible for up to 180 seconds" (the metric list): the default is that worst
   * case, so a reader that does not wait for it sees missing minutes, as it would in production.
   */
  readonly reportingDelayMs: number;
  /** The buckets of `request_latencies`, in milliseconds. */
  readonly latencyBuckets: ExponentialBuckets;
}

/**
 * Google's latency distributions of Cloud Run and the load balancers read back from the API with 1.1-fold buckets
 * from 1 ms: 235 buckets, the largest finite bound 1.1^233 ≈ 4.41e9 (prometheus-community/stackdriver_exporter#438
 * and #241 list them). The request_latencies descriptor does not publish its buckets, so these are an assumption
 * kept configurable; readers must take the bucket options from each point, never from here.
 */
export const CLOUD_RUN_LATENCY_BUCKETS: ExponentialBuckets = Object.freeze({
  numFiniteBuckets: 233,
  growthFactor: 1.1,
  scale: 1,
});

export const DEFAULT_MONITORING_OPTIONS: MonitoringOptions = Object.freeze({
  reportingDelayMs: 180_000,
  latencyBuckets: CLOUD_RUN_LATENCY_BUCKETS,
});

/** Cloud Run's request metrics are sampled every 60 seconds: one point a minute. */
export const SAMPLE_PERIOD_MS = 60_000;

export const CLOUD_RUN_REVISION = 'cloud_run_revision';
export const REVISION_RESOURCE_LABELS = [
  'project_id',
  'service_name',
  'revision_name',
  'location',
  'configuration_name',
] as const;

export type MetricKind = 'DELTA' | 'GAUGE';
export type ValueType = 'INT64' | 'DOUBLE' | 'DISTRIBUTION';

export interface MetricDescriptor {
  readonly type: string;
  readonly kind: MetricKind;
  readonly valueType: ValueType;
  readonly unit: string;
  readonly labels: readonly string[];
}

export const REQUEST_COUNT = 'run.googleapis.com/request_count';
export const REQUEST_LATENCIES = 'run.googleapis.com/request_latencies';

/** The metric types served, with the labels the emulator writes (the platform adds `route_type`, not emulated). */
export const METRICS: Readonly<Record<string, MetricDescriptor>> = Object.freeze({
  [REQUEST_COUNT]: {
    type: REQUEST_COUNT,
    kind: 'DELTA',
    valueType: 'INT64',
    unit: '1',
    labels: ['response_code', 'response_code_class'],
  },
  [REQUEST_LATENCIES]: {
    type: REQUEST_LATENCIES,
    kind: 'DELTA',
    valueType: 'DISTRIBUTION',
    unit: 'ms',
    labels: ['response_code', 'response_code_class'],
  },
});

/** `response_code_class` as Cloud Run writes it: "2xx", "5xx"… */
export function responseCodeClass(status: number): string {
  return `${Math.floor(status / 100)}xx`;
}
