import { parse } from 'yaml';

import {
  DASHBOARD_QUERIES,
  type DashboardTargets,
  MonitoringFileError,
  type PrometheusScrapeInput,
  grafanaDashboard,
  prometheusDuration,
  prometheusScrapeConfig,
} from '../../../src/ui/monitoring-files.js';

const base: PrometheusScrapeInput = {
  serviceUrl: 'https://emergence-app-47nct44nma-ew.a.run.app',
  metricsPath: '/api/metrics',
  jobName: 'emergence_production',
  scrapeInterval: '15s',
};

/** What a call threw; fails the test if it threw nothing. */
function thrown(call: () => unknown): unknown {
  try {
    call();
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to throw');
}

interface ScrapeJob {
  job_name: string;
  scrape_interval: string;
  metrics_path: string;
  scheme: string;
  static_configs: { targets: string[] }[];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The parsed file's global section and its single job, checked for shape on the way. */
function parsed(yamlText: string): { global: Record<string, unknown>; job: ScrapeJob } {
  const config: unknown = parse(yamlText);
  if (!isRecord(config) || !isRecord(config['global']) || !Array.isArray(config['scrape_configs'])) {
    throw new Error(`not a prometheus.yml:\n${yamlText}`);
  }
  const jobs: unknown[] = config['scrape_configs'];
  expect(jobs).toHaveLength(1);
  return { global: config['global'], job: jobs[0] as ScrapeJob };
}

describe('prometheusScrapeConfig', () => {
  it.each<[string, Partial<PrometheusScrapeInput>, { target: string; scheme: string; path: string }]>([
    [
      'a Cloud Run https URL',
      {},
      { target: 'emergence-app-47nct44nma-ew.a.run.app', scheme: 'https', path: '/api/metrics' },
    ],
    [
      'a trailing slash',
      { serviceUrl: 'https://emergence-app-xxxxx.run.app/' },
      { target: 'emergence-app-xxxxx.run.app', scheme: 'https', path: '/api/metrics' },
    ],
    [
      'an http URL with a port',
      { serviceUrl: 'http://localhost:8080' },
      { target: 'localhost:8080', scheme: 'http', path: '/api/metrics' },
    ],
    [
      'an https URL with its default port (dropped)',
      { serviceUrl: 'https://svc.run.app:443' },
      { target: 'svc.run.app', scheme: 'https', path: '/api/metrics' },
    ],
    [
      'a service under a path prefix',
      { serviceUrl: 'https://example.com/emergence/', metricsPath: '/metrics' },
      { target: 'example.com', scheme: 'https', path: '/emergence/metrics' },
    ],
  ])('scrapes %s', (_label, change, expected) => {
    const { global, job } = parsed(prometheusScrapeConfig({ ...base, ...change }));
    expect(global).toEqual({ scrape_interval: '15s', evaluation_interval: '15s' });
    expect(job).toEqual({
      job_name: 'emergence_production',
      scrape_interval: '15s',
      static_configs: [{ targets: [expected.target] }],
      metrics_path: expected.path,
      scheme: expected.scheme,
    });
  });

  it('looks like the seed file, under a header saying Liftoff wrote it', () => {
    const text = prometheusScrapeConfig(base);
    expect(text.split('\n')[0]).toMatch(/^# Written by Liftoff/);
    expect(text).toContain('- targets: [emergence-app-47nct44nma-ew.a.run.app]');
    expect(text).toContain('\n\nscrape_configs:\n');
    expect(text.endsWith('\n')).toBe(true);
  });

  it('keeps the job name and interval it is given', () => {
    const { global, job } = parsed(
      prometheusScrapeConfig({ ...base, jobName: 'emergence-app_production', scrapeInterval: '1m30s' }),
    );
    expect(job.job_name).toBe('emergence-app_production');
    expect(job.scrape_interval).toBe('1m30s');
    expect(global['scrape_interval']).toBe('1m30s');
  });

  it.each<[string, Partial<PrometheusScrapeInput>, string]>([
    ['not a URL', { serviceUrl: 'emergence-app.run.app' }, 'invalid_service_url'],
    ['an ftp URL', { serviceUrl: 'ftp://emergence-app.run.app' }, 'invalid_service_url'],
    ['a URL with credentials', { serviceUrl: 'https://user:secret@emergence-app.run.app' }, 'invalid_service_url'],
    ['a URL with a query', { serviceUrl: 'https://emergence-app.run.app/?x=1' }, 'invalid_service_url'],
    ['a metrics path without /', { metricsPath: 'api/metrics' }, 'invalid_metrics_path'],
    ['a metrics path with a query', { metricsPath: '/api/metrics?x=1' }, 'invalid_metrics_path'],
    ['an empty job name', { jobName: ' ' }, 'invalid_job_name'],
    ['an interval in Liftoff format', { scrapeInterval: '1m 30s' }, 'invalid_scrape_interval'],
    ['a decimal interval', { scrapeInterval: '1.5s' }, 'invalid_scrape_interval'],
    ['a bare number interval', { scrapeInterval: '15' }, 'invalid_scrape_interval'],
    ['a zero interval', { scrapeInterval: '0s' }, 'invalid_scrape_interval'],
  ])('refuses %s', (_label, change, code) => {
    const error = thrown(() => prometheusScrapeConfig({ ...base, ...change }));
    expect(error).toBeInstanceOf(MonitoringFileError);
    expect(error).toMatchObject({ code });
  });
});

describe('prometheusDuration', () => {
  it.each<[number, string]>([
    [15_000, '15s'],
    [90_000, '1m30s'],
    [1_500, '1s500ms'],
    [3_600_000, '1h'],
    [0, '0s'],
  ])('%d ms is %s', (ms, text) => {
    expect(prometheusDuration(ms)).toBe(text);
  });

  it('refuses a negative duration', () => {
    expect(() => prometheusDuration(-1)).toThrow(MonitoringFileError);
  });
});

interface Step {
  color: string;
  value: number | null;
}

interface Panel {
  id: number;
  type: string;
  title: string;
  datasource: { type: string; uid: string };
  targets: { refId: string; expr: string; datasource: { uid: string } }[];
  fieldConfig: { defaults: { unit?: string; max?: number; thresholds?: { mode: string; steps: Step[] } } };
}

interface Dashboard {
  id: null;
  uid: string;
  title: string;
  schemaVersion: number;
  panels: Panel[];
  templating: { list: { name: string; type: string }[] };
}

function dashboard(targets: DashboardTargets = {}, datasource?: string): { text: string; json: Dashboard } {
  const text = grafanaDashboard({
    service: 'emergence-app',
    targets,
    ...(datasource === undefined ? {} : { datasource }),
  });
  return { text, json: JSON.parse(text) as Dashboard };
}

function panel(json: Dashboard, type: string, title: string): Panel {
  const found = json.panels.find((candidate) => candidate.type === type && candidate.title === title);
  if (found === undefined) throw new Error(`no ${type} panel "${title}"`);
  return found;
}

function thresholdValues(p: Panel): (number | null)[] {
  return p.fieldConfig.defaults.thresholds?.steps.map((step) => step.value) ?? [];
}

describe('grafanaDashboard', () => {
  it('is pretty-printed JSON ending with a newline, named after the service', () => {
    const { text, json } = dashboard();
    expect(text.endsWith('}\n')).toBe(true);
    expect(text).toContain('\n  "uid": ');
    expect(json).toMatchObject({ id: null, uid: 'liftoff-emergence-app', schemaVersion: 39 });
    expect(json.title).toContain('emergence-app');
  });

  it('has exactly the seed five panels, with unique ids', () => {
    const { json } = dashboard();
    expect(json.panels.map((p) => [p.type, p.title])).toEqual([
      ['gauge', 'Success Rate'],
      ['timeseries', 'Latence P95'],
      ['stat', 'Cache Hit Rate'],
      ['piechart', 'Distribution Erreurs'],
      ['gauge', 'Taille Cache'],
    ]);
    expect(new Set(json.panels.map((p) => p.id)).size).toBe(5);
  });

  it.each<[string, string, string[]]>([
    [
      'gauge',
      'Success Rate',
      [
        'sum(rate(memory_analysis_success_total[5m])) / (sum(rate(memory_analysis_success_total[5m])) + ',
        'sum(rate(memory_analysis_failure_total[5m]))',
        // No failure series before the first failure: without this the rate is empty instead of 100 %.
        'or vector(0)',
      ],
    ],
    [
      'timeseries',
      'Latence P95',
      ['histogram_quantile(0.95, sum by (le) (rate(memory_analysis_duration_seconds_bucket[5m])))'],
    ],
    [
      'stat',
      'Cache Hit Rate',
      ['rate(memory_analysis_cache_hits_total[5m])', 'rate(memory_analysis_cache_misses_total[5m])', ' / ('],
    ],
    ['piechart', 'Distribution Erreurs', ['sum by (error_type) (increase(memory_analysis_failure_total[1h]))']],
    ['gauge', 'Taille Cache', ['memory_analysis_cache_size']],
  ])('%s "%s" queries the real metric names', (type, title, substrings) => {
    const p = panel(dashboard().json, type, title);
    expect(p.targets).toHaveLength(1);
    for (const substring of substrings) expect(p.targets[0]?.expr).toContain(substring);
  });

  it.each<[string, DashboardTargets, [string, string, (number | null)[]][]]>([
    [
      'the seed targets by default',
      {},
      [
        ['gauge', 'Success Rate', [null, 0.95]],
        ['timeseries', 'Latence P95', [null, 2]],
        ['stat', 'Cache Hit Rate', [null, 0.4, 0.5]],
        ['gauge', 'Taille Cache', [null, 100]],
      ],
    ],
    [
      'the runbook targets when given',
      { successRate: 0.99, p95Seconds: 5, cacheHitRate: [0.3, 0.6], cacheSizeMax: 250 },
      [
        ['gauge', 'Success Rate', [null, 0.99]],
        ['timeseries', 'Latence P95', [null, 5]],
        ['stat', 'Cache Hit Rate', [null, 0.3, 0.6]],
        ['gauge', 'Taille Cache', [null, 250]],
      ],
    ],
    [
      'some targets given, the others from the seed',
      { p95Seconds: 6.3 },
      [
        ['gauge', 'Success Rate', [null, 0.95]],
        ['timeseries', 'Latence P95', [null, 6.3]],
      ],
    ],
  ])('takes its thresholds from %s', (_label, targets, expected) => {
    const { json } = dashboard(targets);
    for (const [type, title, values] of expected)
      expect([title, thresholdValues(panel(json, type, title))]).toEqual([title, values]);
  });

  it('colours a success rate above its target green and a p95 above its target red', () => {
    const { json } = dashboard();
    expect(panel(json, 'gauge', 'Success Rate').fieldConfig.defaults.thresholds?.steps.at(-1)?.color).toBe('green');
    expect(panel(json, 'timeseries', 'Latence P95').fieldConfig.defaults.thresholds?.steps.at(-1)?.color).toBe('red');
    expect(panel(json, 'gauge', 'Taille Cache').fieldConfig.defaults).toMatchObject({ max: 100 });
  });

  it.each<[string, string | undefined, string, number]>([
    ['a datasource variable when none is given', undefined, '${datasource}', 1],
    ['the datasource uid it is given', 'prom-main', 'prom-main', 0],
  ])('uses %s', (_label, datasource, uid, variables) => {
    const { json } = dashboard({}, datasource);
    expect(json.panels.every((p) => p.datasource.uid === uid && p.targets.every((t) => t.datasource.uid === uid))).toBe(
      true,
    );
    expect(json.templating.list).toHaveLength(variables);
  });

  it('keeps a long service name uid within Grafana 40 characters, stable', () => {
    const service = `a${'b'.repeat(48)}`;
    const first = JSON.parse(grafanaDashboard({ service, targets: {} })) as Dashboard;
    const again = JSON.parse(grafanaDashboard({ service, targets: {} })) as Dashboard;
    expect(first.uid.length).toBeLessThanOrEqual(40);
    expect(first.uid).toMatch(/^[a-z0-9_-]+$/);
    expect(first.uid).toBe(again.uid);
  });

  it.each<[string, DashboardTargets]>([
    ['a success rate given as a percentage', { successRate: 95 }],
    ['a negative p95', { p95Seconds: -1 }],
    ['a cache range upside down', { cacheHitRate: [0.6, 0.4] }],
    ['a negative cache size', { cacheSizeMax: -1 }],
  ])('refuses %s', (_label, targets) => {
    const error = thrown(() => grafanaDashboard({ service: 'emergence-app', targets }));
    expect(error).toBeInstanceOf(MonitoringFileError);
    expect(error).toMatchObject({ code: 'invalid_target' });
  });

  it('exports the queries it uses', () => {
    const exprs = dashboard().json.panels.map((p) => p.targets[0]?.expr);
    expect(exprs).toEqual([
      DASHBOARD_QUERIES.successRate,
      DASHBOARD_QUERIES.p95Latency,
      DASHBOARD_QUERIES.cacheHitRate,
      DASHBOARD_QUERIES.errorsByType,
      DASHBOARD_QUERIES.cacheSize,
    ]);
  });
});
