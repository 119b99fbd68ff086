import { Counter, Gauge, Histogram, Info, Registry } from '../../../sandbox/emergence/prometheus.js';
import {
  durationJson,
  goFloatString,
  pythonFloatRepr,
  pythonJsonDumps,
} from '../../../sandbox/emergence/python-format.js';

describe("Python's number formats", () => {
  it.each<[number, string]>([
    [1, '1.0'],
    [0, '0.0'],
    [-0, '-0.0'],
    [0.5, '0.5'],
    [1.5, '1.5'],
    [-2.25, '-2.25'],
    [0.1 + 0.2, '0.30000000000000004'],
    [0.0001, '0.0001'],
    [0.00001, '1e-05'],
    [1234567890123456, '1234567890123456.0'],
    [1e16, '1e+16'],
    [1.5e16, '1.5e+16'],
    [2.5e-7, '2.5e-07'],
    [1e100, '1e+100'],
    [642318336, '642318336.0'],
  ])('repr(%p) is %s', (value, expected) => {
    expect(pythonFloatRepr(value)).toBe(expected);
  });

  it.each<[number, string]>([
    [1, '1.0'],
    [Infinity, '+Inf'],
    [-Infinity, '-Inf'],
    [NaN, 'NaN'],
    [30, '30.0'],
    [0.005, '0.005'],
    [123456, '123456.0'],
    [1048576, '1.048576e+06'],
    [1000000, '1e+06'],
    [642318336, '6.42318336e+08'],
    [1764000000.123456, '1.764000000123456e+09'],
    [-1048576, '-1048576.0'],
  ])('floatToGoString(%p) is %s', (value, expected) => {
    expect(goFloatString(value)).toBe(expected);
  });

  it.each<[number, string]>([
    [4, '0.004s'],
    [2.17, '0.002170s'],
    [6282.113, '6.282113s'],
    [0.0004, '0.000000400s'],
    [1000, '1s'],
  ])('a %p ms latency is %s', (ms, expected) => {
    expect(durationJson(ms)).toBe(expected);
  });

  it("writes json.dumps's separators and escapes non-ASCII", () => {
    expect(
      pythonJsonDumps({
        message: 'Rate limit exceeded',
        limit: 100,
        ratio: 0.5,
        ok: true,
        who: 'Émergence',
        none: null,
      }),
    ).toBe(
      '{"message": "Rate limit exceeded", "limit": 100, "ratio": 0.5, "ok": true, "who": "\\u00c9mergence", "none": null}',
    );
  });
});

describe('the text exposition, as generate_latest() writes it', () => {
  it('matches prometheus_client byte for byte', () => {
    let now = 1764000000.5;
    const clock = () => now;
    const registry = new Registry();
    const success = registry.register(
      new Counter('memory_analysis_success_total', "Nombre total d'analyses réussies", ['provider'], clock),
    );
    const hits = registry.register(
      new Counter('memory_analysis_cache_hits_total', 'Nombre total de cache hits', [], clock),
    );
    const size = registry.register(
      new Gauge('memory_analysis_cache_size', 'Taille actuelle du cache in-memory', [], clock),
    );
    const duration = registry.register(
      new Histogram('memory_analysis_duration_seconds', 'Durée des analyses mémoire', ['provider'], [0.5, 1, 2], clock),
    );
    const info = registry.register(new Info('concept_recall_system', 'Concept recall system information'));
    registry
      .register(new Counter('escaped_total', 'Back\\slash and\nnewline', ['path'], clock))
      .inc({ path: 'a"b\\c\nd' });

    now = 1764000060.25;
    success.inc({ provider: 'neo_analysis' });
    duration.observe(1.5, { provider: 'neo_analysis' });
    duration.observe(0.25, { provider: 'neo_analysis' });
    size.set(3);
    info.info({ version: '1.0', collection_name: 'emergence_knowledge' });
    expect(hits.get()).toBe(0);

    expect(registry.render()).toBe(
      [
        "# HELP memory_analysis_success_total Nombre total d'analyses réussies",
        '# TYPE memory_analysis_success_total counter',
        'memory_analysis_success_total{provider="neo_analysis"} 1.0',
        "# HELP memory_analysis_success_created Nombre total d'analyses réussies",
        '# TYPE memory_analysis_success_created gauge',
        'memory_analysis_success_created{provider="neo_analysis"} 1.76400006025e+09',
        '# HELP memory_analysis_cache_hits_total Nombre total de cache hits',
        '# TYPE memory_analysis_cache_hits_total counter',
        'memory_analysis_cache_hits_total 0.0',
        '# HELP memory_analysis_cache_hits_created Nombre total de cache hits',
        '# TYPE memory_analysis_cache_hits_created gauge',
        'memory_analysis_cache_hits_created 1.7640000005e+09',
        '# HELP memory_analysis_cache_size Taille actuelle du cache in-memory',
        '# TYPE memory_analysis_cache_size gauge',
        'memory_analysis_cache_size 3.0',
        '# HELP memory_analysis_duration_seconds Durée des analyses mémoire',
        '# TYPE memory_analysis_duration_seconds histogram',
        'memory_analysis_duration_seconds_bucket{le="0.5",provider="neo_analysis"} 1.0',
        'memory_analysis_duration_seconds_bucket{le="1.0",provider="neo_analysis"} 1.0',
        'memory_analysis_duration_seconds_bucket{le="2.0",provider="neo_analysis"} 2.0',
        'memory_analysis_duration_seconds_bucket{le="+Inf",provider="neo_analysis"} 2.0',
        'memory_analysis_duration_seconds_count{provider="neo_analysis"} 2.0',
        'memory_analysis_duration_seconds_sum{provider="neo_analysis"} 1.75',
        '# HELP memory_analysis_duration_seconds_created Durée des analyses mémoire',
        '# TYPE memory_analysis_duration_seconds_created gauge',
        'memory_analysis_duration_seconds_created{provider="neo_analysis"} 1.76400006025e+09',
        '# HELP concept_recall_system_info Concept recall system information',
        '# TYPE concept_recall_system_info gauge',
        'concept_recall_system_info{collection_name="emergence_knowledge",version="1.0"} 1.0',
        '# HELP escaped_total Back\\\\slash and\\nnewline',
        '# TYPE escaped_total counter',
        'escaped_total{path="a\\"b\\\\c\\nd"} 1.0',
        '# HELP escaped_created Back\\\\slash and\\nnewline',
        '# TYPE escaped_created gauge',
        'escaped_created{path="a\\"b\\\\c\\nd"} 1.7640000005e+09',
        '',
      ].join('\n'),
    );
  });

  it('exports a labelled family with no children as HELP and TYPE only', () => {
    const registry = new Registry();
    registry.register(
      new Counter(
        'memory_analysis_failure_total',
        "Nombre total d'analyses échouées",
        ['provider', 'error_type'],
        () => 1,
      ),
    );
    expect(registry.render()).toBe(
      "# HELP memory_analysis_failure_total Nombre total d'analyses échouées\n# TYPE memory_analysis_failure_total counter\n",
    );
  });
});
