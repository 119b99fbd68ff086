/** Monitoring files (the seed's step 4: prometheus.yml and the Grafana dashboard, committed with the deploy record). */
import { z } from 'zod';

import { duration, MINUTE, strict } from './fields.js';

/** A relative path in the repository (no `..`, no leading `/`) ending with one of the extensions. */
function repositoryFile(extensions: readonly string[], example: string) {
  return z
    .string()
    .trim()
    .regex(
      new RegExp(`^(?!/)(?!.*(?:^|/)\\.\\.(?:/|$))[^\\s\\\\]+\\.(?:${extensions.join('|')})$`),
      `must be a relative path in the repository ending with .${extensions.join(' or .')}, e.g. ${example}`,
    );
}

/** YAML's `prometheus:` with nothing under it arrives as null: the same as `{}`, every default. */
function defaultsWhenNull<T extends z.ZodType>(schema: T) {
  return z.preprocess((value) => (value === null ? {} : value), schema);
}

const DEFAULT_PROMETHEUS_PATH = 'monitoring/prometheus.yml';

const prometheusFileSchema = strict({
  path: repositoryFile(['yml', 'yaml'], DEFAULT_PROMETHEUS_PATH).default(DEFAULT_PROMETHEUS_PATH),
  /** The scrape job's name; absent: `<service>_production`. */
  jobName: z
    .string()
    .trim()
    .regex(
      /^[A-Za-z_][A-Za-z0-9_.:-]{0,99}$/,
      'must be a job name: letters, digits, _ . : -, e.g. emergence_production',
    )
    .optional(),
  // At most 2m: the dashboard's rate(...[5m]) needs at least two samples inside its window.
  scrapeInterval: duration({ min: 1_000, max: 2 * MINUTE }).default(15_000),
});

const grafanaFileSchema = strict({
  /** Absent: `monitoring/grafana/<service>-dashboard.json`. */
  path: repositoryFile(['json'], 'monitoring/grafana/emergence-app-dashboard.json').optional(),
});

export const monitoringSchema = strict({
  prometheus: defaultsWhenNull(prometheusFileSchema).optional(),
  grafana: defaultsWhenNull(grafanaFileSchema).optional(),
});

/** The monitoring section once the defaults that depend on the service name are filled in. */
export interface MonitoringSpec {
  prometheus?: { path: string; jobName: string; scrapeInterval: number };
  grafana?: { path: string };
}

export function resolveMonitoring(monitoring: z.output<typeof monitoringSchema>, service: string): MonitoringSpec {
  const { prometheus, grafana } = monitoring;
  return {
    ...(prometheus === undefined
      ? {}
      : { prometheus: { ...prometheus, jobName: prometheus.jobName ?? `${service}_production` } }),
    ...(grafana === undefined
      ? {}
      : { grafana: { path: grafana.path ?? `monitoring/grafana/${service}-dashboard.json` } }),
  };
}
