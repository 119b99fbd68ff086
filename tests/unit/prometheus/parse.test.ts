import {
  parseExposition,
  parseFloatText,
  readContentType,
  type MetricFamily,
  type ParseResult,
} from '../../../src/deploy/prometheus/parse.js';
import { SEED_RUNBOOK_SESSION_ID, startEmergenceService } from '../../../sandbox/emergence/index.js';
import {
  canonicalSample,
  EMERGENCE_AFTER_ANALYZE,
  EMERGENCE_OPENMETRICS,
  judgeFixture,
  METRICS_DISABLED,
  OPENMETRICS,
  PARSER_FIXTURES,
  TEXT_004,
  TEXT_100,
  type FixtureReading,
} from './fixtures.js';

function reading(result: ParseResult): FixtureReading {
  if (!result.ok) return { rejected: true, families: [], samples: [] };
  return {
    rejected: false,
    families: result.families,
    samples: result.families.flatMap((family) => family.samples.map(canonicalSample)),
  };
}

function families(text: string, contentType: string | null): readonly MetricFamily[] {
  const result = parseExposition(text, contentType);
  if (!result.ok) throw new Error(result.reason);
  return result.families;
}

const memorySamples = (parsed: readonly MetricFamily[]): string[] =>
  parsed
    .filter((family) => family.name.startsWith('memory_analysis_'))
    .flatMap((family) => family.samples.map(canonicalSample))
    .sort();

describe('parseExposition: the shared fixtures', () => {
  it.each(PARSER_FIXTURES.map((fixture) => [fixture.name, fixture] as const))('%s', (_name, fixture) => {
    expect(judgeFixture(fixture, reading(parseExposition(fixture.body, fixture.contentType)))).toEqual({ ok: true });
  });

  it('reads the format from the Content-Type', () => {
    const format = (body: string, contentType: string | null): string | undefined => {
      const result = parseExposition(body, contentType);
      return result.ok ? result.format : undefined;
    };
    expect(format(EMERGENCE_AFTER_ANALYZE, TEXT_004)).toBe('text-0.0.4');
    expect(format(EMERGENCE_AFTER_ANALYZE, TEXT_100)).toBe('text-1.0.0');
    expect(format(EMERGENCE_OPENMETRICS, OPENMETRICS)).toBe('openmetrics');
    // Without one: a body ending in # EOF is OpenMetrics, anything else text.
    expect(format(EMERGENCE_OPENMETRICS, null)).toBe('openmetrics');
    expect(format(EMERGENCE_AFTER_ANALYZE, null)).toBe('text-0.0.4');
    expect(format(EMERGENCE_AFTER_ANALYZE, 'application/octet-stream')).toBe('text-0.0.4');
  });

  it('gives the same memory_analysis series in 0.0.4, 1.0.0 and OpenMetrics', () => {
    const text004 = memorySamples(families(EMERGENCE_AFTER_ANALYZE, TEXT_004));
    expect(memorySamples(families(EMERGENCE_AFTER_ANALYZE, TEXT_100))).toEqual(text004);
    expect(memorySamples(families(EMERGENCE_OPENMETRICS, OPENMETRICS))).toEqual(text004);
    expect(text004).toContain('memory_analysis_success_created{provider="neo_analysis"} 1759948632.49');
  });

  it('keeps HELP, UNIT and the family a _created series belongs to', () => {
    const om = families(EMERGENCE_OPENMETRICS, OPENMETRICS);
    const duration = om.find((family) => family.name === 'memory_analysis_duration_seconds');
    expect(duration).toMatchObject({ type: 'histogram', help: 'Durée des analyses mémoire', unit: 'seconds' });
    expect(duration?.samples.map((sample) => sample.name).at(-1)).toBe('memory_analysis_duration_seconds_created');
    const text = families(EMERGENCE_AFTER_ANALYZE, TEXT_004);
    expect(text.find((family) => family.name === 'memory_analysis_success_total')).toMatchObject({
      type: 'counter',
      help: "Nombre total d'analyses réussies",
      unit: null,
    });
    // The separate 0.0.4 gauge family is folded away.
    expect(text.some((family) => family.name.endsWith('_created'))).toBe(false);
    // A labelled counter that never moved is declared with no sample.
    expect(text.find((family) => family.name === 'concept_recall_detections_total')?.samples).toEqual([]);
  });

  it('accepts an OpenMetrics counter or info family named like its sample', () => {
    const parsed = families(
      '# TYPE a_total counter\na_total 1\n# TYPE b_info info\nb_info{v="1"} 1\n# EOF\n',
      OPENMETRICS,
    );
    expect(parsed.map((family) => `${family.name}:${family.type}:${family.samples.length}`)).toEqual([
      'a_total:counter:1',
      'b_info:info:1',
    ]);
  });

  it('reads exemplars and turns OpenMetrics seconds into milliseconds', () => {
    const [rpc] = families(
      '# TYPE rpc counter\nrpc_total 17.0 1520879607.789 # {trace_id="KOO5S4vxi0o"} 1.0 1520879607.7\n# EOF\n',
      OPENMETRICS,
    );
    expect(rpc?.samples[0]).toEqual({
      name: 'rpc_total',
      labels: {},
      value: 17,
      timestamp: 1520879607789,
      exemplar: { labels: { trace_id: 'KOO5S4vxi0o' }, value: 1, timestamp: 1520879607700 },
    });
  });

  it.each([
    ['blanks around labels and a trailing comma', 'foo { a = "b" , c="d", } 1\n', { a: 'b', c: 'd' }],
    ['tabs between fields', 'foo{a="b"}\t1\t\n', { a: 'b' }],
    ['CRLF line ends', '# TYPE foo gauge\r\nfoo{a="b"} 1\r\n', { a: 'b' }],
    ['a byte-order mark', '\uFEFFfoo{a="b"} 1\n', { a: 'b' }],
    ['no final line feed', 'foo{a="b"} 1', { a: 'b' }],
    ['a label named __proto__', 'foo{__proto__="x"} 1\n', { ['__proto__']: 'x' }],
  ])('accepts %s', (_what, body, labels) => {
    const sample = families(body, TEXT_004)[0]?.samples[0];
    expect(sample?.value).toBe(1);
    expect(Object.entries(sample?.labels ?? {})).toEqual(Object.entries(labels));
  });

  it('groups samples by the suffixes their type allows, and no others', () => {
    const parsed = families(
      [
        '# TYPE a counter',
        'a_total 1',
        '# TYPE s summary',
        's{quantile="0.5"} 1',
        's_sum 2',
        's_count 3',
        '# TYPE g gauge',
        'g_total 4',
        'untyped_metric_bucket{le="1"} 5',
        '',
      ].join('\n'),
      TEXT_004,
    );
    expect(parsed.map((family) => `${family.name}:${family.type}:${family.samples.length}`)).toEqual([
      'a:counter:1',
      's:summary:3',
      'g:gauge:0',
      'g_total:untyped:1',
      'untyped_metric_bucket:untyped:1',
    ]);
  });
});

describe('parseExposition: what it refuses', () => {
  it.each<[string, string, string | null, string | RegExp]>([
    [
      'the metrics-disabled sentence',
      METRICS_DISABLED,
      TEXT_004,
      'not a Prometheus exposition: no metric in it; its first line is "# Metrics disabled. Set CONCEPT_RECALL_METRICS_ENABLED=true to enable."',
    ],
    [
      'an empty body',
      '\n  \n',
      TEXT_004,
      'empty body (Content-Type text/plain; version=0.0.4; charset=utf-8): no metrics',
    ],
    [
      'JSON served as JSON',
      '{"detail":"Not Found"}',
      'application/json',
      'not a Prometheus exposition (Content-Type application/json): its first line is "{\\"detail\\":\\"Not Found\\"}"',
    ],
    [
      'JSON without a Content-Type',
      '{"detail":"Not Found"}\n',
      null,
      /^not a Prometheus exposition: its first line is "\{\\"detail\\":\\"Not Found\\"\}" \(line 1: /,
    ],
    [
      'an HTML page',
      '\n<!DOCTYPE html>\n<html>\n',
      'text/html; charset=utf-8',
      'not a Prometheus exposition (Content-Type text/html; charset=utf-8): its first line is "<!DOCTYPE html>"',
    ],
    [
      'a second HELP',
      '# HELP foo a\n# TYPE foo gauge\n# HELP foo b\nfoo 1\n',
      null,
      /^line 3: second HELP for foo \(the first is on line 1\)/,
    ],
    [
      'a second TYPE',
      '# TYPE foo gauge\n# TYPE foo counter\nfoo 1\n',
      null,
      /^line 2: second TYPE for foo \(the first is on line 1\): "# TYPE foo counter"$/,
    ],
    [
      'a TYPE after the samples',
      'foo 1\n# TYPE foo gauge\n',
      null,
      /^line 2: TYPE for foo after its samples \(the first is on line 1\)/,
    ],
    [
      'a TYPE after suffixed samples',
      'bar 1\nfoo_bucket{le="+Inf"} 1\n# TYPE foo histogram\n',
      null,
      /^line 3: TYPE for foo after its sample foo_bucket \(line 2\)/,
    ],
    [
      'a duplicated series',
      '# TYPE foo gauge\nfoo{a="1",b="2"} 1\nfoo{b="2",a="1"} 2\n',
      null,
      /^line 3: the same series as line 2/,
    ],
    ['a value with two points', 'ok 1\nfoo 1.2.3\n', null, /^line 2: value "1\.2\.3" is not a number: "foo 1\.2\.3"$/],
    ['a hexadecimal value', 'ok 1\nfoo 0x10\n', null, /^line 2: value "0x10" is not a number/],
    [
      'a fractional text timestamp',
      'ok 1\nfoo 1 1.5\n',
      null,
      /^line 2: timestamp "1\.5" is not an integer of milliseconds/,
    ],
    ['an unterminated label value', 'ok 1\nfoo{a="b} 1\n', null, /^line 2: unterminated value of label a/],
    ['a label without =', 'ok 1\nfoo{a "b"} 1\n', null, /^line 2: "=" expected after label a/],
    ['a label given twice', 'ok 1\nfoo{a="1",a="2"} 1\n', null, /^line 2: label a given twice/],
    ['a sample without value', 'ok 1\nfoo{a="1"}\n', null, /^line 2: no value/],
    ['an OpenMetrics type in the text format', 'ok 1\n# TYPE foo info\n', TEXT_004, /^line 2: unknown type "info"/],
    ['a bad metric name in HELP', 'ok 1\n# HELP 1foo x\n', null, /^line 2: "1foo" is not a metric name/],
    [
      'a bucket without le',
      'ok 1\n# TYPE h histogram\nh_bucket 1\n',
      null,
      /^line 3: bucket h_bucket without an le label/,
    ],
    [
      'a bare histogram sample',
      'ok 1\n# TYPE h histogram\nh 1\n',
      null,
      /^line 3: a histogram's samples are named h_bucket/,
    ],
    [
      'an exemplar in the text format',
      'ok 1\nfoo 1 # {a="b"} 1\n',
      TEXT_004,
      /^line 2: "#" after a value: exemplars exist only in OpenMetrics/,
    ],
    ['OpenMetrics without # EOF', '# TYPE a gauge\na 1\n', OPENMETRICS, /^line 2: no "# EOF" at the end/],
    ['OpenMetrics with a blank line', '# TYPE a gauge\na 1\n\n# EOF\n', OPENMETRICS, /^line 3: blank line/],
    [
      'OpenMetrics with text after # EOF',
      '# TYPE a gauge\na 1\n# EOF\nb 2\n',
      OPENMETRICS,
      /^line 4: text after "# EOF" \(line 3\)/,
    ],
    [
      'OpenMetrics with a split family',
      'a 1\nb 1\na{x="y"} 2\n# EOF\n',
      OPENMETRICS,
      /^line 3: a continues after another family/,
    ],
    [
      'OpenMetrics with a plain comment',
      'a 1\n# hello\n# EOF\n',
      OPENMETRICS,
      /^line 2: a comment OpenMetrics does not allow/,
    ],
    [
      'an OpenMetrics counter sample without _total',
      '# TYPE c counter\nc 1\n# EOF\n',
      OPENMETRICS,
      /line 2: a counter's samples are named c_total, c_created, not c/,
    ],
    [
      'a too long exemplar',
      `a_total 1 # {t="${'x'.repeat(128)}"} 1\n# EOF\n`,
      OPENMETRICS,
      /exemplar labels are 129 characters long/,
    ],
  ])('%s', (_what, body, contentType, reason) => {
    const result = parseExposition(body, contentType);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      if (typeof reason === 'string') expect(result.reason).toBe(reason);
      else expect(result.reason).toMatch(reason);
    }
  });

  it('never throws, whatever the bytes', () => {
    const bodies = [
      '{',
      '}',
      '"',
      '#',
      '# TYPE',
      '# HELP ',
      'a{',
      'a{"',
      'a{b=',
      'a{b="\\',
      'a 1 #',
      '\u0000',
      'a\u00a01',
    ];
    for (const body of bodies) {
      for (const contentType of [TEXT_004, OPENMETRICS, null]) {
        expect(() => parseExposition(body, contentType)).not.toThrow();
      }
    }
  });
});

describe('readContentType', () => {
  it.each([
    ['text/plain; version=0.0.4; charset=utf-8', { kind: 'exposition', format: 'text-0.0.4' }],
    ['text/plain; version=1.0.0; charset=utf-8', { kind: 'exposition', format: 'text-1.0.0' }],
    ['Text/Plain;Version=1.0.0', { kind: 'exposition', format: 'text-1.0.0' }],
    ['text/plain', { kind: 'exposition', format: 'text-0.0.4' }],
    ['application/openmetrics-text; version=1.0.0; charset=utf-8', { kind: 'exposition', format: 'openmetrics' }],
    ['application/json', { kind: 'foreign', mediaType: 'application/json' }],
    ['application/problem+json', { kind: 'foreign', mediaType: 'application/problem+json' }],
    ['text/html; charset=utf-8', { kind: 'foreign', mediaType: 'text/html' }],
    ['application/octet-stream', { kind: 'unknown' }],
    [null, { kind: 'unknown' }],
  ])('%s', (contentType, expected) => {
    expect(readContentType(contentType)).toEqual(expected);
  });
});

describe('parseFloatText (Go ParseFloat as Prometheus uses it)', () => {
  it.each<[string, number | undefined]>([
    ['1', 1],
    ['1.0', 1],
    ['-2.5', -2.5],
    ['.5', 0.5],
    ['5.', 5],
    ['1e-05', 0.00001],
    ['1.5E+3', 1500],
    ['+Inf', Infinity],
    ['-Inf', -Infinity],
    ['inf', Infinity],
    ['Infinity', Infinity],
    ['-infinity', -Infinity],
    ['0x10', undefined],
    ['1_000', undefined],
    ['', undefined],
    [' 1', undefined],
    ['1e', undefined],
    ['+nan', undefined],
    ['infinit', undefined],
  ])('%j → %p', (text, expected) => {
    expect(parseFloatText(text)).toBe(expected);
  });

  it('reads NaN in any case', () => {
    expect(parseFloatText('NaN')).toBeNaN();
    expect(parseFloatText('nan')).toBeNaN();
  });
});

describe('the sample service, live', () => {
  async function scrape(exposition: '0.0.4' | '1.0.0', env: Record<string, string>) {
    let nowMs = Date.UTC(2025, 9, 8, 18, 37, 7);
    const service = await startEmergenceService({
      revision: 'emergence-app-00275-abc',
      env: { PYTHONPATH: '/app', ...env },
      exposition,
      writeLog: () => undefined,
      clock: { now: () => new Date(nowMs) },
      sleep: (ms) => {
        nowMs += ms;
        return Promise.resolve();
      },
      analysisMs: 5240,
    });
    try {
      const get = async (): Promise<ParseResult> => {
        const response = await fetch(`${service.url}/api/metrics`);
        return parseExposition(await response.text(), response.headers.get('content-type'));
      };
      const before = await get();
      const analyze = await fetch(`${service.url}/api/memory/analyze`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ session_id: SEED_RUNBOOK_SESSION_ID, force: true }),
      });
      expect(analyze.status).toBe(200);
      return { before, after: await get() };
    } finally {
      await service.stop();
    }
  }

  it.each(['0.0.4', '1.0.0'] as const)('parses /api/metrics in %s after a forced analysis', async (exposition) => {
    const { before, after } = await scrape(exposition, { CONCEPT_RECALL_METRICS_ENABLED: 'true' });
    if (!before.ok || !after.ok) throw new Error('scrape failed');
    expect(after.format).toBe(exposition === '0.0.4' ? 'text-0.0.4' : 'text-1.0.0');
    const samples = after.families.flatMap((family) => family.samples.map(canonicalSample));
    expect(samples).toContain('memory_analysis_success_total{provider="neo_analysis"} 1');
    expect(samples).toContain('memory_analysis_duration_seconds_bucket{le="6.0",provider="neo_analysis"} 1');
    expect(before.families.flatMap((family) => family.samples.map((sample) => sample.name))).not.toContain(
      'memory_analysis_success_total',
    );
    // Same families as the captured fixture: the fixture has not drifted from the sandbox.
    const fixture = PARSER_FIXTURES.find((candidate) => candidate.name === 'emergence-0.0.4');
    expect(after.families.map((family) => `${family.name} ${family.type}`)).toEqual(fixture?.families);
  });

  it('refuses the 200 the service sends when its metrics are off, quoting it', async () => {
    const { after } = await scrape('0.0.4', {});
    expect(after).toEqual({
      ok: false,
      reason:
        'not a Prometheus exposition: no metric in it; its first line is "# Metrics disabled. Set CONCEPT_RECALL_METRICS_ENABLED=true to enable."',
    });
  });
});
