/**
 * The monitoring files of the seed runbook's step 4, rendered from the runbook: 4.1's `prometheus.yml`, which
 * scrapes the service's metrics endpoint, and a Grafana dashboard with 4.3's five panels. Pure: text in, text out.
 *
 * The PromQL follows the ÉMERGENCE service as it really is (shared/FACTS.md): `memory_analysis_success_total`,
 * `memory_analysis_failure_total{error_type}`, `memory_analysis_cache_hits_total`,
 * `memory_analysis_cache_misses_total`, `memory_analysis_cache_size` and the histogram
 * `memory_analysis_duration_seconds`.
 */
import { createHash } from 'node:crypto';

import { Document, isMap, isScalar, isSeq } from 'yaml';

export type MonitoringFileErrorCode =
  'invalid_service_url' | 'invalid_metrics_path' | 'invalid_job_name' | 'invalid_scrape_interval' | 'invalid_target';

/** An input the files cannot be written from; `code` is stable, the message names the value and the fix. */
export class MonitoringFileError extends Error {
  override readonly name = 'MonitoringFileError';

  constructor(
    readonly code: MonitoringFileErrorCode,
    message: string,
  ) {
    super(message);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// prometheus.yml

export interface PrometheusScrapeInput {
  /** The service's URL, e.g. `https://emergence-app-xxxxx.run.app`; its host (and port, if any) is the target. */
  readonly serviceUrl: string;
  /** e.g. `/api/metrics`. */
  readonly metricsPath: string;
  /** e.g. `emergence_production`. */
  readonly jobName: string;
  /** A Prometheus duration, e.g. `15s` (see `prometheusDuration` for milliseconds). */
  readonly scrapeInterval: string;
}

/** Prometheus's own duration syntax: units from largest to smallest, whole numbers, no spaces. */
const PROMETHEUS_DURATION = /^(?:0|(?=\d)(?:\d+y)?(?:\d+w)?(?:\d+d)?(?:\d+h)?(?:\d+m)?(?:\d+s)?(?:\d+ms)?)$/;

/**
 * Milliseconds as a Prometheus duration (`15000` → `15s`, `90000` → `1m30s`, `1500` → `1s500ms`). Liftoff's own
 * format (`1m 30s`, `1.5s`) is not one Prometheus reads.
 */
export function prometheusDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) {
    throw new MonitoringFileError('invalid_scrape_interval', `a duration must be a positive number of ms (got ${ms})`);
  }
  let rest = Math.round(ms);
  if (rest === 0) return '0s';
  const parts: string[] = [];
  for (const [unit, size] of [
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1_000],
    ['ms', 1],
  ] as const) {
    const count = Math.floor(rest / size);
    if (count > 0) parts.push(`${count}${unit}`);
    rest -= count * size;
  }
  return parts.join('');
}

interface ScrapeTarget {
  readonly scheme: 'http' | 'https';
  readonly hostPort: string;
  readonly metricsPath: string;
}

function scrapeTarget(serviceUrl: string, metricsPath: string): ScrapeTarget {
  let url: URL;
  try {
    url = new URL(serviceUrl.trim());
  } catch {
    throw new MonitoringFileError(
      'invalid_service_url',
      `not a URL: ${JSON.stringify(serviceUrl)} (expected e.g. https://service-xxxxx.run.app)`,
    );
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new MonitoringFileError(
      'invalid_service_url',
      `the service URL must be https:// or http:// (got ${url.protocol})`,
    );
  }
  // The file is committed to the repository: credentials must never end up in it.
  if (url.username !== '' || url.password !== '') {
    throw new MonitoringFileError('invalid_service_url', 'the service URL must not carry credentials');
  }
  if (url.search !== '' || url.hash !== '') {
    throw new MonitoringFileError(
      'invalid_service_url',
      `the service URL must not have a query or fragment (got ${url.href})`,
    );
  }
  const path = metricsPath.trim();
  if (!/^\/[^\s?#]*$/.test(path)) {
    throw new MonitoringFileError(
      'invalid_metrics_path',
      `the metrics path must start with / and have no spaces, query or fragment (got ${JSON.stringify(metricsPath)})`,
    );
  }
  // A service mounted under a path prefix serves its metrics under it too.
  const prefix = url.pathname.replace(/\/+$/, '');
  return { scheme: url.protocol === 'https:' ? 'https' : 'http', hostPort: url.host, metricsPath: `${prefix}${path}` };
}

const HEADER = (serviceUrl: string): string =>
  [
    ` Written by Liftoff (the seed runbook's step 4.1) to scrape ${serviceUrl}.`,
    " Liftoff rewrites it with its deploy records: change the runbook's monitoring section rather than this file.",
    ' Cloud Run sends each scrape to one of its instances, and each instance counts on its own: with several',
    ' instances, rate() mixes their counters. /api/metrics answers "# Metrics disabled." (still 200) unless',
    ' CONCEPT_RECALL_METRICS_ENABLED=true on the service.',
  ].join('\n');

/**
 * A `prometheus.yml` with one scrape job for the service: its target is the URL's host (and port, if any), its
 * scheme the URL's. Throws a `MonitoringFileError` for an input Prometheus could not use.
 */
export function prometheusScrapeConfig(input: PrometheusScrapeInput): string {
  const target = scrapeTarget(input.serviceUrl, input.metricsPath);
  const jobName = input.jobName.trim();
  if (jobName === '' || /[\r\n]/.test(jobName)) {
    throw new MonitoringFileError(
      'invalid_job_name',
      `the job name must be one line of text (got ${JSON.stringify(input.jobName)})`,
    );
  }
  const interval = input.scrapeInterval.trim();
  if (!PROMETHEUS_DURATION.test(interval) || /^0+(?:ms|[ywdhms])?$/.test(interval)) {
    throw new MonitoringFileError(
      'invalid_scrape_interval',
      `the scrape interval must be a Prometheus duration like 15s or 1m30s (got ${JSON.stringify(input.scrapeInterval)})`,
    );
  }

  const doc = new Document({
    global: { scrape_interval: interval, evaluation_interval: interval },
    scrape_configs: [
      {
        job_name: jobName,
        scrape_interval: interval,
        static_configs: [{ targets: [target.hostPort] }],
        metrics_path: target.metricsPath,
        scheme: target.scheme,
      },
    ],
  });
  doc.commentBefore = HEADER(`${target.scheme}://${target.hostPort}`);
  // The layout of the seed's file: a blank line before scrape_configs, the targets on one line.
  if (isMap(doc.contents)) {
    const configs = doc.contents.items[1];
    if (configs !== undefined && isScalar(configs.key)) configs.key.spaceBefore = true;
  }
  const targets = doc.getIn(['scrape_configs', 0, 'static_configs', 0, 'targets'], true);
  if (isSeq(targets)) targets.flow = true;
  return doc.toString({ lineWidth: 0, flowCollectionPadding: false });
}

// ---------------------------------------------------------------------------------------------------------------
// Grafana dashboard

/** The runbook's `targets` fit as they are. */
export interface DashboardTargets {
  /** Success ratio, 0 to 1 (0.95 for the seed's > 95 %). */
  readonly successRate?: number | undefined;
  /** p95 of the analysis duration, in seconds. */
  readonly p95Seconds?: number | undefined;
  /** [low, high] expected cache hit ratio, each 0 to 1. */
  readonly cacheHitRate?: readonly [number, number] | undefined;
  /** Entries the cache should stay under. */
  readonly cacheSizeMax?: number | undefined;
}

export interface GrafanaDashboardInput {
  /** The Cloud Run service, e.g. `emergence-app`: it names the dashboard and its uid. */
  readonly service: string;
  /** The runbook's targets; each absent one takes the seed's value. */
  readonly targets: DashboardTargets;
  /** A Prometheus data source uid; absent: a `datasource` variable chosen in Grafana. */
  readonly datasource?: string | undefined;
}

/** The seed's step 4.3 targets. */
export const SEED_DASHBOARD_TARGETS = {
  successRate: 0.95,
  p95Seconds: 2,
  cacheHitRate: [0.4, 0.5],
  cacheSizeMax: 100,
} as const satisfies Required<DashboardTargets>;

/** The five panels' PromQL, on the service's real metric names. */
export const DASHBOARD_QUERIES = {
  // failure_total has no series before the first failure, and `x + nothing` is nothing: `or vector(0)` keeps the
  // success rate visible while nothing has failed yet.
  successRate:
    'sum(rate(memory_analysis_success_total[5m])) / (sum(rate(memory_analysis_success_total[5m])) + (sum(rate(memory_analysis_failure_total[5m])) or vector(0)))',
  p95Latency: 'histogram_quantile(0.95, sum by (le) (rate(memory_analysis_duration_seconds_bucket[5m])))',
  cacheHitRate:
    'sum(rate(memory_analysis_cache_hits_total[5m])) / (sum(rate(memory_analysis_cache_hits_total[5m])) + sum(rate(memory_analysis_cache_misses_total[5m])))',
  errorsByType: 'sum by (error_type) (increase(memory_analysis_failure_total[1h]))',
  cacheSize: 'memory_analysis_cache_size',
} as const;

interface ThresholdStep {
  readonly color: string;
  readonly value: number | null;
}

interface DatasourceRef {
  readonly type: 'prometheus';
  readonly uid: string;
}

function thresholds(...steps: ThresholdStep[]): { mode: 'absolute'; steps: ThresholdStep[] } {
  return { mode: 'absolute', steps };
}

function ratio(name: string, value: number): number {
  if (!Number.isFinite(value) || value < 0 || value > 1) {
    throw new MonitoringFileError(
      'invalid_target',
      `${name} must be a ratio from 0 to 1, e.g. 0.95 for 95 % (got ${value})`,
    );
  }
  return value;
}

function resolvedTargets(targets: DashboardTargets): {
  successRate: number;
  p95Seconds: number;
  cacheHitRate: readonly [number, number];
  cacheSizeMax: number;
} {
  const successRate = ratio('successRate', targets.successRate ?? SEED_DASHBOARD_TARGETS.successRate);
  const p95Seconds = targets.p95Seconds ?? SEED_DASHBOARD_TARGETS.p95Seconds;
  if (!Number.isFinite(p95Seconds) || p95Seconds <= 0) {
    throw new MonitoringFileError(
      'invalid_target',
      `p95Seconds must be a positive number of seconds (got ${p95Seconds})`,
    );
  }
  const [low, high] = targets.cacheHitRate ?? SEED_DASHBOARD_TARGETS.cacheHitRate;
  ratio('cacheHitRate[0]', low);
  ratio('cacheHitRate[1]', high);
  if (low > high) {
    throw new MonitoringFileError(
      'invalid_target',
      `cacheHitRate must be [low, high] with low ≤ high (got [${low}, ${high}])`,
    );
  }
  const cacheSizeMax = targets.cacheSizeMax ?? SEED_DASHBOARD_TARGETS.cacheSizeMax;
  if (!Number.isFinite(cacheSizeMax) || cacheSizeMax < 0) {
    throw new MonitoringFileError(
      'invalid_target',
      `cacheSizeMax must be a number of entries, 0 or more (got ${cacheSizeMax})`,
    );
  }
  return { successRate, p95Seconds, cacheHitRate: [low, high], cacheSizeMax };
}

/** Grafana uids are at most 40 characters of letters, digits, - and _; a long name keeps a hash of itself. */
function dashboardUid(service: string): string {
  const slug = `liftoff-${service.toLowerCase().replace(/[^a-z0-9_-]+/g, '-')}`;
  if (slug.length <= 40) return slug;
  const hash = createHash('sha256').update(service).digest('hex').slice(0, 8);
  return `${slug.slice(0, 31)}-${hash}`;
}

const reduceLast = { calcs: ['lastNotNull'], fields: '', values: false } as const;

/**
 * A Grafana dashboard (schemaVersion 39) with the seed's five panels: success rate, p95 latency, cache hit rate,
 * errors by type and cache size, their thresholds from `targets` (the seed's values where absent). Pretty-printed
 * JSON ending with a newline, ready to commit or to provision. Throws a `MonitoringFileError` for a target out of
 * range.
 */
export function grafanaDashboard(input: GrafanaDashboardInput): string {
  const service = input.service.trim();
  const t = resolvedTargets(input.targets);
  const datasource: DatasourceRef = { type: 'prometheus', uid: input.datasource ?? '${datasource}' };
  const query = (expr: string, extra: Readonly<Record<string, string | boolean>> = {}) => [
    { refId: 'A', datasource, expr, ...extra },
  ];
  const percent = (value: number) => `${Number((value * 100).toFixed(2))} %`;

  const panels = [
    {
      id: 1,
      type: 'gauge',
      title: 'Success Rate',
      description: `Analyses réussies / (réussies + échouées) sur 5 min. Cible : > ${percent(t.successRate)}.`,
      gridPos: { h: 8, w: 6, x: 0, y: 0 },
      datasource,
      targets: query(DASHBOARD_QUERIES.successRate, { legendFormat: 'success rate' }),
      fieldConfig: {
        defaults: {
          unit: 'percentunit',
          decimals: 1,
          min: 0,
          max: 1,
          thresholds: thresholds({ color: 'red', value: null }, { color: 'green', value: t.successRate }),
        },
        overrides: [],
      },
      options: { reduceOptions: reduceLast, showThresholdMarkers: true, showThresholdLabels: false },
    },
    {
      id: 2,
      type: 'timeseries',
      title: 'Latence P95',
      description: `p95 de memory_analysis_duration_seconds sur 5 min. Cible : < ${t.p95Seconds} s.`,
      gridPos: { h: 8, w: 24, x: 0, y: 8 },
      datasource,
      targets: query(DASHBOARD_QUERIES.p95Latency, { legendFormat: 'p95' }),
      fieldConfig: {
        defaults: {
          unit: 's',
          min: 0,
          custom: { drawStyle: 'line', lineWidth: 2, fillOpacity: 10, thresholdsStyle: { mode: 'line' } },
          thresholds: thresholds({ color: 'green', value: null }, { color: 'red', value: t.p95Seconds }),
        },
        overrides: [],
      },
      options: {
        legend: { displayMode: 'list', placement: 'bottom', showLegend: true },
        tooltip: { mode: 'single', sort: 'none' },
      },
    },
    {
      id: 3,
      type: 'stat',
      title: 'Cache Hit Rate',
      description: `Hits / (hits + misses) du cache d'analyse sur 5 min. Attendu : ${percent(t.cacheHitRate[0])} à ${percent(t.cacheHitRate[1])}.`,
      gridPos: { h: 8, w: 6, x: 6, y: 0 },
      datasource,
      targets: query(DASHBOARD_QUERIES.cacheHitRate, { legendFormat: 'hit rate' }),
      fieldConfig: {
        defaults: {
          unit: 'percentunit',
          decimals: 1,
          min: 0,
          max: 1,
          // Below the range is the problem; above it is better than expected, shown apart.
          thresholds: thresholds(
            { color: 'orange', value: null },
            { color: 'green', value: t.cacheHitRate[0] },
            { color: 'blue', value: t.cacheHitRate[1] },
          ),
        },
        overrides: [],
      },
      options: {
        reduceOptions: reduceLast,
        colorMode: 'value',
        graphMode: 'area',
        justifyMode: 'auto',
        textMode: 'auto',
        orientation: 'auto',
      },
    },
    {
      id: 4,
      type: 'piechart',
      title: 'Distribution Erreurs',
      description: 'Échecs d’analyse de la dernière heure, par error_type.',
      gridPos: { h: 8, w: 6, x: 12, y: 0 },
      datasource,
      targets: query(DASHBOARD_QUERIES.errorsByType, { legendFormat: '{{error_type}}', instant: true }),
      fieldConfig: { defaults: { unit: 'short', decimals: 0, color: { mode: 'palette-classic' } }, overrides: [] },
      options: {
        reduceOptions: reduceLast,
        pieType: 'pie',
        legend: { displayMode: 'table', placement: 'right', showLegend: true, values: ['value'] },
        tooltip: { mode: 'single', sort: 'none' },
      },
    },
    {
      id: 5,
      type: 'gauge',
      title: 'Taille Cache',
      description: `Entrées dans le cache d'analyse. Cible : < ${t.cacheSizeMax}.`,
      gridPos: { h: 8, w: 6, x: 18, y: 0 },
      datasource,
      targets: query(DASHBOARD_QUERIES.cacheSize, { legendFormat: 'entrées' }),
      fieldConfig: {
        defaults: {
          unit: 'short',
          decimals: 0,
          min: 0,
          ...(t.cacheSizeMax > 0 ? { max: t.cacheSizeMax } : {}),
          thresholds: thresholds({ color: 'green', value: null }, { color: 'red', value: t.cacheSizeMax }),
        },
        overrides: [],
      },
      options: { reduceOptions: reduceLast, showThresholdMarkers: true, showThresholdLabels: false },
    },
  ];

  const templating =
    input.datasource === undefined
      ? [
          {
            name: 'datasource',
            label: 'Prometheus',
            type: 'datasource',
            query: 'prometheus',
            current: {},
            hide: 0,
            refresh: 1,
            regex: '',
            options: [],
          },
        ]
      : [];

  const dashboard = {
    id: null,
    uid: dashboardUid(service),
    title: `${service} — analyses mémoire`,
    description:
      `Written by Liftoff (the seed runbook's step 4.3) for ${service}. ` +
      'Cloud Run sends each scrape to one instance and each instance counts on its own, so rates mix instances.',
    tags: ['liftoff', service],
    timezone: 'browser',
    editable: true,
    graphTooltip: 1,
    schemaVersion: 39,
    version: 1,
    refresh: '1m',
    time: { from: 'now-6h', to: 'now' },
    timepicker: {},
    templating: { list: templating },
    annotations: { list: [] },
    links: [],
    panels,
  };
  return `${JSON.stringify(dashboard, null, 2)}\n`;
}
