import { snapshotAgainstTargets } from '../../../src/deploy/prometheus/evaluate.js';
import { parseExposition } from '../../../src/deploy/prometheus/parse.js';
import type { Targets } from '../../../src/deploy/runbook/schema/index.js';
import { metricsChartData, type MetricsChartData } from '../../../src/ui/metrics-chart.js';

const BOUNDS = ['0.5', '1.0', '2.0', '4.0', '6.0', '10.0', '15.0', '20.0', '30.0', '+Inf'];
const CUMULATIVE = [12, 40, 95, 130, 138, 140, 141, 141, 141, 142];

/** A scrape of the ÉMERGENCE analyzer after 142 analyses, in prometheus_client's text format. */
export const EXPOSITION = [
  '# TYPE memory_analysis_success_total counter',
  'memory_analysis_success_total{provider="neo_analysis"} 137.0',
  '# TYPE memory_analysis_failure_total counter',
  'memory_analysis_failure_total{error_type="timeout",provider="neo_analysis"} 5.0',
  '# TYPE memory_analysis_cache_hits_total counter',
  'memory_analysis_cache_hits_total 48.0',
  '# TYPE memory_analysis_cache_misses_total counter',
  'memory_analysis_cache_misses_total 94.0',
  '# TYPE memory_analysis_duration_seconds histogram',
  ...BOUNDS.map(
    (le, i) => `memory_analysis_duration_seconds_bucket{le="${le}",provider="neo_analysis"} ${CUMULATIVE[i] ?? 0}`,
  ),
  'memory_analysis_duration_seconds_count{provider="neo_analysis"} 142.0',
  'memory_analysis_duration_seconds_sum{provider="neo_analysis"} 251.5',
  '',
].join('\n');

export const TARGETS: Targets = { successRate: 0.95, p95Seconds: 5, cacheHitRate: [0.2, 0.6] };

export function chartDataOf(text: string, targets: Targets = TARGETS): MetricsChartData {
  const result = parseExposition(text, 'text/plain; version=0.0.4; charset=utf-8');
  if (!result.ok) throw new Error(result.reason);
  return metricsChartData(result, snapshotAgainstTargets(result, targets), targets);
}
