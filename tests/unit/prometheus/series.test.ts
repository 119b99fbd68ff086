import { parseExposition, type ParsedExposition } from '../../../src/deploy/prometheus/parse.js';
import {
  familyPresence,
  findFamily,
  formatSelector,
  matchesLabels,
  parseSelector,
  selectSamples,
  sumBy,
  sumSamples,
  type LabelMatcher,
  type SeriesSelector,
} from '../../../src/deploy/prometheus/series.js';
import { EMERGENCE_AFTER_ANALYZE, EMERGENCE_OPENMETRICS, OPENMETRICS, TEXT_004 } from './fixtures.js';

function exposition(text: string, contentType: string | null = TEXT_004): ParsedExposition {
  const result = parseExposition(text, contentType);
  if (!result.ok) throw new Error(result.reason);
  return result;
}

function selector(text: string): SeriesSelector {
  const parsed = parseSelector(text);
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.selector;
}

const text = exposition(EMERGENCE_AFTER_ANALYZE);
const om = exposition(EMERGENCE_OPENMETRICS, OPENMETRICS);

describe('parseSelector', () => {
  it.each<[string, SeriesSelector]>([
    ['process_resident_memory_bytes', { metric: 'process_resident_memory_bytes', matchers: [] }],
    ['up{}', { metric: 'up', matchers: [] }],
    [
      'memory_analysis_success_total{provider="neo_analysis"}',
      { metric: 'memory_analysis_success_total', matchers: [{ name: 'provider', op: '=', value: 'neo_analysis' }] },
    ],
    [
      ' x{ a = "1" , b!="2", c=~"n.*", d!~"z|y", } ',
      {
        metric: 'x',
        matchers: [
          { name: 'a', op: '=', value: '1' },
          { name: 'b', op: '!=', value: '2' },
          { name: 'c', op: '=~', value: 'n.*' },
          { name: 'd', op: '!~', value: 'z|y' },
        ],
      },
    ],
    [
      'x{path="C:\\\\DIR \\"q\\" \\n \\u00e9"}',
      { metric: 'x', matchers: [{ name: 'path', op: '=', value: 'C:\\DIR "q" \n é' }] },
    ],
  ])('%s', (source, expected) => {
    expect(parseSelector(source)).toEqual({ ok: true, selector: expected });
  });

  it.each([
    ['{a="b"}', 'must start with a metric name'],
    ['x y', 'unexpected "y" after the name'],
    ['x{a=b}', 'the value of a must be in double quotes'],
    ['x{a=="b"}', 'the value of a must be in double quotes'],
    ['x{a~"b"}', '=, !=, =~ or !~ expected after a'],
    ['x{a="b"', '"," or "}" expected after the value of a'],
    ['x{a="b', 'unterminated value of a'],
    ['x{a="b" c="d"}', '"," or "}" expected after the value of a'],
    ['x{a=~"("}', 'the value of a is not a regular expression'],
    ['x{a="\\q"}', 'unknown escape \\q in the value of a'],
    ['x{a="b"} extra', 'unexpected "extra" after "}"'],
  ])('refuses %s', (source, reason) => {
    expect(parseSelector(source)).toEqual({ ok: false, reason: `${JSON.stringify(source)}: ${reason}` });
  });

  it('writes a selector back', () => {
    expect(formatSelector(selector(' x{ a = "1" ,b=~"n\\\\d+"} '))).toBe('x{a="1",b=~"n\\\\d+"}');
    expect(formatSelector(selector('x{}'))).toBe('x');
  });
});

describe('matchesLabels (PromQL semantics)', () => {
  const labels = { provider: 'neo_analysis', error_type: 'TimeoutError' };
  it.each<[LabelMatcher, boolean]>([
    [{ name: 'provider', op: '=', value: 'neo_analysis' }, true],
    [{ name: 'provider', op: '=', value: 'neo' }, false],
    [{ name: 'provider', op: '!=', value: 'nexus' }, true],
    [{ name: 'provider', op: '=~', value: 'neo' }, false], // anchored at both ends
    [{ name: 'provider', op: '=~', value: 'neo.*' }, true],
    [{ name: 'provider', op: '=~', value: 'nexus|neo_analysis' }, true],
    [{ name: 'provider', op: '!~', value: 'n.*' }, false],
    // An absent label is the empty string.
    [{ name: 'region', op: '=', value: '' }, true],
    [{ name: 'region', op: '!=', value: 'eu' }, true],
    [{ name: 'region', op: '=~', value: '.*' }, true],
    [{ name: 'region', op: '=~', value: '.+' }, false],
    [{ name: 'error_type', op: '=~', value: 'Timeout.*' }, true],
  ])('%j → %p', (matcher, expected) => {
    expect(matchesLabels(labels, [matcher])).toBe(expected);
  });

  it('lets . match a line feed', () => {
    expect(matchesLabels({ a: 'x\ny' }, [{ name: 'a', op: '=~', value: 'x.y' }])).toBe(true);
  });
});

describe('selectSamples, sums', () => {
  it.each([
    ['memory_analysis_success_total{provider="neo_analysis"}', 1, 2],
    ['memory_analysis_failure_total', 3, 3],
    ['memory_analysis_failure_total{provider!="neo_analysis"}', 2, 2],
    ['memory_analysis_failure_total{provider=~"nexus|anima",error_type="TimeoutError"}', 2, 2],
    ['memory_analysis_success_created', 1, 1759948632.49],
    ['memory_analysis_duration_seconds_bucket{le="+Inf"}', 1, 2],
    ['memory_analysis_success_total{provider="nexus"}', 0, null],
  ])('%s: %d series, sum %p, in 0.0.4 and OpenMetrics alike', (source, count, sum) => {
    for (const parsed of [text, om]) {
      const samples = selectSamples(parsed, selector(source));
      expect(samples).toHaveLength(count);
      expect(sumSamples(samples)).toBe(sum);
    }
  });

  it('sums by a label, absent labels under ""', () => {
    const samples = selectSamples(text, selector('memory_analysis_failure_total'));
    expect(sumBy(samples, 'provider')).toEqual(
      new Map([
        ['neo_analysis', 1],
        ['nexus', 1],
        ['anima', 1],
      ]),
    );
    expect(sumBy(samples, 'error_type')).toEqual(new Map([['TimeoutError', 3]]));
    expect(sumBy(samples, 'region')).toEqual(new Map([['', 3]]));
  });

  it('propagates NaN, as PromQL sum does', () => {
    const parsed = exposition('a{x="1"} 1\na{x="2"} NaN\n');
    expect(sumSamples(selectSamples(parsed, selector('a')))).toBeNaN();
  });
});

describe('families', () => {
  it('finds a counter by its sample name whether or not the family carries _total', () => {
    expect(findFamily(text, 'memory_analysis_success_total')?.name).toBe('memory_analysis_success_total');
    expect(findFamily(om, 'memory_analysis_success_total')?.name).toBe('memory_analysis_success');
    expect(findFamily(om, 'memory_analysis_success')?.name).toBe('memory_analysis_success');
    expect(findFamily(om, 'concept_recall_system_info')?.type).toBe('info');
    expect(findFamily(text, 'memory_analysis_success_created')).toBeUndefined();
  });

  it('counts families with samples apart from those only declared', () => {
    expect(familyPresence(text, { prefix: 'memory_analysis_' })).toEqual({
      present: [
        { name: 'memory_analysis_success_total', type: 'counter', samples: 2 },
        { name: 'memory_analysis_failure_total', type: 'counter', samples: 6 },
        { name: 'memory_analysis_cache_hits_total', type: 'counter', samples: 2 },
        { name: 'memory_analysis_cache_misses_total', type: 'counter', samples: 2 },
        { name: 'memory_analysis_cache_size', type: 'gauge', samples: 1 },
        { name: 'memory_analysis_duration_seconds', type: 'histogram', samples: 13 },
      ],
      empty: [],
    });
    const concept = familyPresence(text, { prefix: 'concept_recall_' });
    expect(concept.present.map((family) => family.name)).toEqual([
      'concept_recall_similarity_score',
      'concept_recall_detection_latency_seconds',
      'concept_recall_vector_search_duration_seconds',
      'concept_recall_metadata_update_duration_seconds',
      'concept_recall_system_info',
    ]);
    expect(concept.empty).toHaveLength(7);
    expect(familyPresence(om, { name: 'memory_analysis_cache_hits_total' }).present).toEqual([
      { name: 'memory_analysis_cache_hits', type: 'counter', samples: 2 },
    ]);
  });
});
