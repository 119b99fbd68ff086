/**
 * Expositions shared by the parser's tests and bench/prometheus-parse.ts, each with what a correct parser reads.
 *
 * fixtures/emergence-*.txt were captured from sandbox/emergence (prometheus_client's bytes): `fresh` right after
 * start, `after-analyze` after a forced analysis, a no-changes analysis, a cache hit and a failed forced analysis
 * (analysisMs 5240, clock fixed at 2025-10-08T18:37:07.250Z). emergence-openmetrics.txt is the same data as
 * prometheus_client's OpenMetrics exposition writes it (families without `_total`, `_created` inside, `# EOF`).
 * The live test in parse.test.ts checks that the sandbox still answers the same shape.
 */
import { readFileSync } from 'node:fs';

import { formatLabels, formatValue } from '../../../src/deploy/prometheus/format.js';

const fixture = (name: string): string => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');

export const EMERGENCE_FRESH = fixture('emergence-fresh.txt');
export const EMERGENCE_AFTER_ANALYZE = fixture('emergence-after-analyze.txt');
export const EMERGENCE_OPENMETRICS = fixture('emergence-openmetrics.txt');

/** What the service answers with CONCEPT_RECALL_METRICS_ENABLED off (sandbox/emergence METRICS_DISABLED_BODY). */
export const METRICS_DISABLED = '# Metrics disabled. Set CONCEPT_RECALL_METRICS_ENABLED=true to enable.\n';

export const TEXT_004 = 'text/plain; version=0.0.4; charset=utf-8';
export const TEXT_100 = 'text/plain; version=1.0.0; charset=utf-8';
export const OPENMETRICS = 'application/openmetrics-text; version=1.0.0; charset=utf-8';

/** A sample in one comparable line: `name{labels sorted by name} value[ @timestamp-ms]`. */
export function canonicalSample(sample: {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
  readonly timestamp: number | null;
}): string {
  const sorted = Object.fromEntries(Object.entries(sample.labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  const timestamp = sample.timestamp === null ? '' : ` @${sample.timestamp}`;
  return `${sample.name}${formatLabels(sorted)} ${formatValue(sample.value)}${timestamp}`;
}

export interface ParserFixture {
  readonly name: string;
  readonly what: string;
  readonly body: string;
  readonly contentType: string | null;
  /** A correct parser refuses the body (error, or for a library that cannot refuse: no family at all). */
  readonly reject?: true;
  /** Every sample, as {@link canonicalSample} lines, in any order. */
  readonly samples?: readonly string[];
  /** Some samples that must be there. */
  readonly includes?: readonly string[];
  /** Every family as `name type`, in any order. */
  readonly families?: readonly string[];
  /** HELP texts after unescaping, by family name. */
  readonly help?: Readonly<Record<string, string>>;
}

export const PARSER_FIXTURES: readonly ParserFixture[] = [
  {
    name: 'escapes',
    what: 'label values with \\\\, \\" and \\n; HELP with \\\\ and \\n; an unknown escape kept as written',
    contentType: TEXT_004,
    body: [
      '# HELP msdos_file_access_time_seconds Access time of C:\\\\DIR,\\nin seconds',
      '# TYPE msdos_file_access_time_seconds gauge',
      'msdos_file_access_time_seconds{path="C:\\\\DIR\\\\FILE.TXT",error="Cannot find file:\\n\\"FILE.TXT\\""} 1.458255915e9',
      'msdos_file_access_time_seconds{path="tab\\there",error=""} 2',
      '',
    ].join('\n'),
    samples: [
      'msdos_file_access_time_seconds{error="Cannot find file:\\n\\"FILE.TXT\\"",path="C:\\\\DIR\\\\FILE.TXT"} 1458255915',
      'msdos_file_access_time_seconds{error="",path="tab\\\\there"} 2',
    ],
    help: { msdos_file_access_time_seconds: 'Access time of C:\\DIR,\nin seconds' },
  },
  {
    name: 'special-values',
    what: 'NaN, +Inf, -Inf, scientific notation, integer timestamps (one before the epoch)',
    contentType: TEXT_004,
    body: [
      '# TYPE special gauge',
      'special{case="nan"} NaN',
      'special{case="plus_inf"} +Inf',
      'special{case="minus_inf"} -Inf',
      'special{case="sci"} 1.5E+3',
      'special{case="small"} 1e-05',
      'special{case="go_float"} 1.7600000005e+09',
      'special{case="ts"} 3 1395066363000',
      'special{case="before_epoch"} 4 -3982045',
      '',
    ].join('\n'),
    samples: [
      'special{case="nan"} NaN',
      'special{case="plus_inf"} +Inf',
      'special{case="minus_inf"} -Inf',
      'special{case="sci"} 1500',
      'special{case="small"} 0.00001',
      'special{case="go_float"} 1760000000.5',
      'special{case="ts"} 3 @1395066363000',
      'special{case="before_epoch"} 4 @-3982045',
    ],
  },
  {
    name: 'python-created',
    what: "prometheus_client's 0.0.4 output: _created as separate gauge families, folded into their counter/histogram",
    contentType: TEXT_004,
    body: [
      "# HELP memory_analysis_success_total Nombre total d'analyses réussies",
      '# TYPE memory_analysis_success_total counter',
      'memory_analysis_success_total{provider="neo_analysis"} 1.0',
      "# HELP memory_analysis_success_created Nombre total d'analyses réussies",
      '# TYPE memory_analysis_success_created gauge',
      'memory_analysis_success_created{provider="neo_analysis"} 1.75994863249e+09',
      '# HELP memory_analysis_duration_seconds Durée des analyses mémoire',
      '# TYPE memory_analysis_duration_seconds histogram',
      'memory_analysis_duration_seconds_bucket{le="2.0",provider="neo_analysis"} 1.0',
      'memory_analysis_duration_seconds_bucket{le="+Inf",provider="neo_analysis"} 1.0',
      'memory_analysis_duration_seconds_count{provider="neo_analysis"} 1.0',
      'memory_analysis_duration_seconds_sum{provider="neo_analysis"} 1.5',
      '# HELP memory_analysis_duration_seconds_created Durée des analyses mémoire',
      '# TYPE memory_analysis_duration_seconds_created gauge',
      'memory_analysis_duration_seconds_created{provider="neo_analysis"} 1.75994863249e+09',
      '',
    ].join('\n'),
    families: ['memory_analysis_success_total counter', 'memory_analysis_duration_seconds histogram'],
    samples: [
      'memory_analysis_success_total{provider="neo_analysis"} 1',
      'memory_analysis_success_created{provider="neo_analysis"} 1759948632.49',
      'memory_analysis_duration_seconds_bucket{le="2.0",provider="neo_analysis"} 1',
      'memory_analysis_duration_seconds_bucket{le="+Inf",provider="neo_analysis"} 1',
      'memory_analysis_duration_seconds_count{provider="neo_analysis"} 1',
      'memory_analysis_duration_seconds_sum{provider="neo_analysis"} 1.5',
      'memory_analysis_duration_seconds_created{provider="neo_analysis"} 1759948632.49',
    ],
  },
  {
    name: 'histogram-summary',
    what: 'a Go client\'s histogram (le="1", no _created) and a summary with quantiles',
    contentType: TEXT_004,
    body: [
      '# HELP http_request_duration_seconds A histogram of the request duration.',
      '# TYPE http_request_duration_seconds histogram',
      'http_request_duration_seconds_bucket{le="0.05"} 24054',
      'http_request_duration_seconds_bucket{le="0.1"} 33444',
      'http_request_duration_seconds_bucket{le="1"} 133988',
      'http_request_duration_seconds_bucket{le="+Inf"} 144320',
      'http_request_duration_seconds_sum 53423',
      'http_request_duration_seconds_count 144320',
      '# HELP rpc_duration_seconds A summary of the RPC duration in seconds.',
      '# TYPE rpc_duration_seconds summary',
      'rpc_duration_seconds{quantile="0.5"} 4773',
      'rpc_duration_seconds{quantile="0.99"} 76656',
      'rpc_duration_seconds_sum 1.7560473e+07',
      'rpc_duration_seconds_count 2693',
      '',
    ].join('\n'),
    families: ['http_request_duration_seconds histogram', 'rpc_duration_seconds summary'],
    samples: [
      'http_request_duration_seconds_bucket{le="0.05"} 24054',
      'http_request_duration_seconds_bucket{le="0.1"} 33444',
      'http_request_duration_seconds_bucket{le="1"} 133988',
      'http_request_duration_seconds_bucket{le="+Inf"} 144320',
      'http_request_duration_seconds_sum 53423',
      'http_request_duration_seconds_count 144320',
      'rpc_duration_seconds{quantile="0.5"} 4773',
      'rpc_duration_seconds{quantile="0.99"} 76656',
      'rpc_duration_seconds_sum 17560473',
      'rpc_duration_seconds_count 2693',
    ],
  },
  {
    name: 'text-1.0.0-utf8',
    what: 'text format 1.0.0: quoted UTF-8 metric and label names',
    contentType: TEXT_100,
    body: [
      '# HELP "http.server.duration" Duration of HTTP requests.',
      '# TYPE "http.server.duration" gauge',
      '{"http.server.duration","http.method"="GET",code="200"} 0.25',
      'plain_metric 1',
      '',
    ].join('\n'),
    families: ['http.server.duration gauge', 'plain_metric untyped'],
    samples: ['http.server.duration{code="200",http.method="GET"} 0.25', 'plain_metric 1'],
  },
  {
    name: 'openmetrics',
    what: 'OpenMetrics: UNIT, counter _total/_created, exemplars, timestamps in seconds, # EOF',
    contentType: OPENMETRICS,
    body: [
      '# HELP rpc Requests served.',
      '# TYPE rpc counter',
      '# UNIT rpc requests',
      'rpc_total{path="/a"} 17.0 1520879607.789 # {trace_id="KOO5S4vxi0o"} 1.0 1520879607.7',
      'rpc_created{path="/a"} 1520430000.123',
      '# TYPE latency_seconds histogram',
      '# UNIT latency_seconds seconds',
      'latency_seconds_bucket{le="0.1"} 8 # {trace_id="oHg5SJYRHA0"} 0.067',
      'latency_seconds_bucket{le="+Inf"} 9',
      'latency_seconds_count 9',
      'latency_seconds_sum 1.2',
      '# TYPE build info',
      'build_info{version="1.2"} 1',
      '# EOF',
      '',
    ].join('\n'),
    families: ['rpc counter', 'latency_seconds histogram', 'build info'],
    samples: [
      'rpc_total{path="/a"} 17 @1520879607789',
      'rpc_created{path="/a"} 1520430000.123',
      'latency_seconds_bucket{le="0.1"} 8',
      'latency_seconds_bucket{le="+Inf"} 9',
      'latency_seconds_count 9',
      'latency_seconds_sum 1.2',
      'build_info{version="1.2"} 1',
    ],
  },
  {
    name: 'openmetrics-cut',
    what: 'an OpenMetrics body cut short (no # EOF)',
    contentType: OPENMETRICS,
    body: '# TYPE rpc counter\nrpc_total 17.0\n',
    reject: true,
  },
  {
    name: 'metrics-disabled',
    what: 'the service\'s 200 "# Metrics disabled." sentence with a Prometheus Content-Type',
    contentType: TEXT_004,
    body: METRICS_DISABLED,
    reject: true,
  },
  {
    name: 'html',
    what: 'an HTML error page served without a Content-Type',
    contentType: null,
    body: '<!DOCTYPE html>\n<html><body>Service Unavailable</body></html>\n',
    reject: true,
  },
  {
    name: 'emergence-0.0.4',
    what: 'the sample service after a forced analysis, a cache hit and a failure (prometheus_client bytes)',
    contentType: TEXT_004,
    body: EMERGENCE_AFTER_ANALYZE,
    includes: [
      'memory_analysis_success_total{provider="neo_analysis"} 2',
      'memory_analysis_failure_total{error_type="TimeoutError",provider="nexus"} 1',
      'memory_analysis_duration_seconds_bucket{le="6.0",provider="neo_analysis"} 2',
      'memory_analysis_duration_seconds_sum{provider="neo_analysis"} 10.48',
      'process_resident_memory_bytes 642252800',
    ],
    families: [
      'python_gc_objects_collected_total counter',
      'python_gc_objects_uncollectable_total counter',
      'python_gc_collections_total counter',
      'python_info gauge',
      'process_virtual_memory_bytes gauge',
      'process_resident_memory_bytes gauge',
      'process_start_time_seconds gauge',
      'process_cpu_seconds_total counter',
      'process_open_fds gauge',
      'process_max_fds gauge',
      'memory_analysis_success_total counter',
      'memory_analysis_failure_total counter',
      'memory_analysis_cache_hits_total counter',
      'memory_analysis_cache_misses_total counter',
      'memory_analysis_cache_size gauge',
      'memory_analysis_duration_seconds histogram',
      'concept_recall_detections_total counter',
      'concept_recall_events_emitted_total counter',
      'concept_recall_similarity_score histogram',
      'concept_recall_detection_latency_seconds histogram',
      'concept_recall_false_positives_total counter',
      'concept_recall_interactions_total counter',
      'concept_recall_vector_search_duration_seconds histogram',
      'concept_recall_metadata_update_duration_seconds histogram',
      'concept_recall_cross_thread_detections_total counter',
      'concept_recall_concept_reuse_total counter',
      'concept_recall_concepts_total gauge',
      'concept_recall_system_info gauge',
    ],
  },
  {
    name: 'emergence-openmetrics',
    what: 'the same data as prometheus_client writes it in OpenMetrics',
    contentType: OPENMETRICS,
    body: EMERGENCE_OPENMETRICS,
    includes: [
      'memory_analysis_success_total{provider="neo_analysis"} 2',
      'memory_analysis_success_created{provider="neo_analysis"} 1759948632.49',
      'memory_analysis_duration_seconds_bucket{le="6.0",provider="neo_analysis"} 2',
      'concept_recall_system_info{collection_name="emergence_knowledge",max_recalls_per_message="3",similarity_threshold="0.75",version="1.0"} 1',
    ],
    families: [
      'process_resident_memory_bytes gauge',
      'memory_analysis_success counter',
      'memory_analysis_failure counter',
      'memory_analysis_cache_hits counter',
      'memory_analysis_cache_misses counter',
      'memory_analysis_cache_size gauge',
      'memory_analysis_duration_seconds histogram',
      'concept_recall_system info',
    ],
  },
];

/** A parser's reading of a fixture, in the fixture's own terms. */
export interface FixtureReading {
  readonly rejected: boolean;
  readonly families: readonly { readonly name: string; readonly type: string; readonly help: string | null }[];
  readonly samples: readonly string[];
}

/** Whether a reading is what the fixture expects; the first difference otherwise. */
export function judgeFixture(
  fixture: ParserFixture,
  reading: FixtureReading,
): { ok: true } | { ok: false; why: string } {
  if (fixture.reject === true) {
    return reading.rejected || reading.families.length === 0
      ? { ok: true }
      : { ok: false, why: `accepted it (${reading.families.length} families)` };
  }
  if (reading.rejected) return { ok: false, why: 'refused it' };
  const samples = new Set(reading.samples);
  const wanted = fixture.samples ?? fixture.includes ?? [];
  const missing = wanted.find((sample) => !samples.has(sample));
  if (missing !== undefined) return { ok: false, why: `no sample ${missing}` };
  if (fixture.samples !== undefined && reading.samples.length !== fixture.samples.length) {
    const extra = reading.samples.find((sample) => !fixture.samples?.includes(sample));
    return {
      ok: false,
      why: `${reading.samples.length} samples, expected ${fixture.samples.length} (extra: ${extra})`,
    };
  }
  if (fixture.families !== undefined) {
    const got = reading.families.map((family) => `${family.name} ${family.type}`);
    const missingFamily = fixture.families.find((family) => !got.includes(family));
    const extraFamily = got.find((family) => !fixture.families?.includes(family));
    if (missingFamily !== undefined) return { ok: false, why: `no family ${missingFamily} (got ${got.join(', ')})` };
    if (extraFamily !== undefined) return { ok: false, why: `unexpected family ${extraFamily}` };
  }
  for (const [name, help] of Object.entries(fixture.help ?? {})) {
    const family = reading.families.find((candidate) => candidate.name === name);
    if (family?.help !== help) return { ok: false, why: `HELP of ${name} is ${JSON.stringify(family?.help)}` };
  }
  return { ok: true };
}
