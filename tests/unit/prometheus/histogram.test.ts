/**
 * histogram_quantile cases are Prometheus' own: promql/promqltest/testdata/histograms.test (the classic `_bucket`
 * evaluations at 50m, whose values are ten times the per-step increase; quantiles do not depend on that scale).
 */
import {
  aggregateHistogram,
  checkHistogram,
  histogramQuantile,
  histogramSeries,
  type Bucket,
} from '../../../src/deploy/prometheus/histogram.js';
import { parseExposition, type ParsedExposition } from '../../../src/deploy/prometheus/parse.js';
import { EMERGENCE_AFTER_ANALYZE, EMERGENCE_FRESH, EMERGENCE_OPENMETRICS, OPENMETRICS, TEXT_004 } from './fixtures.js';

function exposition(text: string, contentType: string | null = TEXT_004): ParsedExposition {
  const result = parseExposition(text, contentType);
  if (!result.ok) throw new Error(result.reason);
  return result;
}

const buckets = (...pairs: [number, number][]): Bucket[] => pairs.map(([upperBound, count]) => ({ upperBound, count }));
const INF = Infinity;

// histograms.test: testhistogram, testhistogram2, testhistogram3, nonmonotonic, mixed, empty_bucket.
const positive = buckets([0.1, 50], [0.2, 70], [1, 110], [INF, 120]);
const negative = buckets([-0.2, 10], [-0.1, 20], [0.3, 20], [INF, 30]);
const middles = buckets([0, 0], [2, 1], [4, 2], [6, 3], [INF, 3]);
const positive3 = buckets([0, 0], [0.1, 50], [0.2, 70], [1, 110], [INF, 110]);
const negative3 = buckets([-0.25, 0], [-0.2, 10], [-0.1, 20], [0.3, 20], [INF, 20]);
const nonmonotonic = buckets([0.1, 20], [1, 10], [10, 50], [100, 40], [1000, 90], [INF, 80]);
// le="0.1", "0.2", "2e-1", "2.0e-1", "+Inf": three spellings of one bound.
const mixed = buckets([0.1, 10], [0.2, 10], [0.2, 10], [0.2, 10], [INF, 40]);

describe('histogramQuantile, against Prometheus histograms.test', () => {
  it.each<[string, number, Bucket[], number, boolean]>([
    ['testhistogram positive', 0, positive, 0, false],
    ['testhistogram positive', 0.2, positive, 0.048, false],
    ['testhistogram positive', 0.5, positive, 0.15, false],
    ['testhistogram positive', 0.8, positive, 0.72, false],
    ['testhistogram positive', 1, positive, 1, true],
    ['testhistogram negative', 0, negative, -0.2, false],
    ['testhistogram negative', 0.2, negative, -0.2, false],
    ['testhistogram negative', 0.5, negative, -0.15, false],
    ['testhistogram negative', 0.8, negative, 0.3, true],
    ['testhistogram negative', 1, negative, 0.3, true],
    ['testhistogram2', 1 / 6, middles, 1, false],
    ['testhistogram2', 0.5, middles, 3, false],
    ['testhistogram2', 5 / 6, middles, 5, false],
    ['testhistogram3 positive', 0, positive3, 0, false],
    ['testhistogram3 positive', 0.25, positive3, 0.055, false],
    ['testhistogram3 positive', 0.5, positive3, 0.125, false],
    ['testhistogram3 positive', 0.75, positive3, 0.45, false],
    ['testhistogram3 positive', 1, positive3, 1, false],
    ['testhistogram3 negative', 0, negative3, -0.25, false],
    ['testhistogram3 negative', 0.25, negative3, -0.225, false],
    ['testhistogram3 negative', 0.5, negative3, -0.2, false],
    ['testhistogram3 negative', 0.75, negative3, -0.15, false],
    ['testhistogram3 negative', 1, negative3, -0.1, false],
    ['nonmonotonic', 0.01, nonmonotonic, 0.0045, false],
    ['nonmonotonic', 0.5, nonmonotonic, 8.5, false],
    ['nonmonotonic', 0.99, nonmonotonic, 979.75, false],
    ['mixed', 0.5, mixed, 0.15, false],
    ['mixed', 0.75, mixed, 0.2, false],
    ['mixed', 1, mixed, 0.2, true],
  ])('%s, q=%f → %f (in +Inf bucket: %p)', (_name, q, input, value, inInfBucket) => {
    const result = histogramQuantile(q, input);
    expect(result.value).toBeCloseTo(value, 12);
    expect(result.inInfBucket).toBe(inInfBucket);
  });

  it('flags the forced monotonicity Prometheus annotates', () => {
    expect(histogramQuantile(0.5, nonmonotonic)).toMatchObject({ forcedMonotonic: true, fixedPrecision: false });
    expect(histogramQuantile(0.5, positive)).toMatchObject({ forcedMonotonic: false, fixedPrecision: false });
  });

  it('ignores float noise below a relative 1e-12, in either direction', () => {
    const noisy = buckets([1, 1000], [2, 999.9999999999999], [INF, 1000.0000000000001]);
    expect(histogramQuantile(0.5, noisy)).toEqual({
      value: 0.5,
      inInfBucket: false,
      forcedMonotonic: false,
      fixedPrecision: true,
    });
  });

  it('sorts the buckets itself', () => {
    expect(histogramQuantile(0.5, [...positive].reverse()).value).toBeCloseTo(0.15, 12);
  });

  it.each<[string, number, Bucket[], number]>([
    ['q < 0', -0.1, positive, -Infinity],
    ['q > 1', 1.01, positive, Infinity],
    ['q NaN', NaN, positive, NaN],
    ['no observation (empty_bucket)', 0.2, buckets([0.1, 0], [0.2, 0], [INF, 0]), NaN],
    ['a single bucket after merging (mixed, ins2: "+inf" and "+Inf")', 0.5, buckets([INF, 0], [INF, 0]), NaN],
    ['no +Inf bucket', 0.5, buckets([0.1, 1], [0.2, 2]), NaN],
    ['no bucket', 0.5, [], NaN],
    ['q=0 in an empty positive lowest bucket (0/0, as Prometheus)', 0, buckets([1, 0], [INF, 3]), NaN],
    // Liftoff's one difference: Prometheus would answer 0.2 here (a NaN +Inf count), which is not a measurement.
    ['a NaN +Inf count', 0.5, buckets([0.1, 1], [0.2, 2], [INF, NaN]), NaN],
    ['a NaN count in the middle', 0.5, buckets([0.1, 1], [0.2, NaN], [INF, 4]), NaN],
  ])('%s → %p', (_what, q, input, value) => {
    const result = histogramQuantile(q, input);
    if (Number.isNaN(value)) expect(result.value).toBeNaN();
    else expect(result.value).toBe(value);
    expect(result.inInfBucket).toBe(false);
  });
});

describe('aggregateHistogram: sum by (le), then histogram_quantile (histograms.test request_duration_seconds)', () => {
  const series = exposition(
    [
      '# TYPE request_duration_seconds histogram',
      ...[
        ['job1', 'ins1', 10, 30, 40],
        ['job1', 'ins2', 20, 50, 60],
        ['job2', 'ins1', 30, 40, 60],
        ['job2', 'ins2', 40, 70, 90],
      ].flatMap(([job, instance, le01, le02, inf]) => [
        `request_duration_seconds_bucket{job="${job}",instance="${instance}",le="0.1"} ${le01}`,
        `request_duration_seconds_bucket{job="${job}",instance="${instance}",le="0.2"} ${le02}`,
        `request_duration_seconds_bucket{job="${job}",instance="${instance}",le="+Inf"} ${inf}`,
        `request_duration_seconds_count{job="${job}",instance="${instance}"} ${inf}`,
      ]),
      '',
    ].join('\n'),
  );

  it.each<[string, string | null, number, number]>([
    ['everything', null, 0.3, 0.075],
    ['everything', null, 0.5, 0.1277777777777778],
    ['job1', 'job1', 0.3, 0.1],
    ['job1', 'job1', 0.5, 0.14],
    ['job2', 'job2', 0.3, 0.0642857142857143],
    ['job2', 'job2', 0.5, 0.1125],
  ])('%s, q=%f → %f', (_what, job, q, value) => {
    const matchers = job === null ? [] : [{ name: 'job', op: '=' as const, value: job }];
    const aggregated = aggregateHistogram(histogramSeries(series, 'request_duration_seconds', matchers));
    expect(histogramQuantile(q, aggregated.buckets).value).toBeCloseTo(value, 12);
  });

  it('adds _count too and merges bounds written differently', () => {
    const aggregated = aggregateHistogram(histogramSeries(series, 'request_duration_seconds'));
    expect(aggregated).toEqual({
      buckets: buckets([0.1, 100], [0.2, 190], [INF, 250]),
      count: 250,
      sum: null,
      series: 4,
    });
    const spelled = exposition('h_bucket{a="1",le="1"} 1\nh_bucket{a="2",le="1.0"} 2\nh_bucket{a="1",le="+Inf"} 1\n');
    expect(aggregateHistogram(histogramSeries(spelled, 'h')).buckets).toEqual(buckets([1, 3], [INF, 1]));
  });
});

describe('checkHistogram', () => {
  const EXPECTED = [0.5, 1, 2, 4, 6, 10, 15, 20, 30];

  it("passes the sample service's duration histogram, in 0.0.4 and OpenMetrics", () => {
    for (const parsed of [exposition(EMERGENCE_AFTER_ANALYZE), exposition(EMERGENCE_OPENMETRICS, OPENMETRICS)]) {
      expect(checkHistogram(parsed, 'memory_analysis_duration_seconds', EXPECTED)).toEqual({
        ok: true,
        noData: false,
        series: 1,
        problems: [],
      });
    }
    const series = histogramSeries(exposition(EMERGENCE_AFTER_ANALYZE), 'memory_analysis_duration_seconds');
    expect(series).toEqual([
      {
        labels: { provider: 'neo_analysis' },
        buckets: buckets([0.5, 0], [1, 0], [2, 0], [4, 0], [6, 2], [10, 2], [15, 2], [20, 2], [30, 2], [INF, 2]),
        badBounds: [],
        count: 2,
        sum: 10.48,
      },
    ]);
  });

  it('has no data before the first observation of a labelled histogram', () => {
    expect(checkHistogram(exposition(EMERGENCE_FRESH), 'memory_analysis_duration_seconds', EXPECTED)).toEqual({
      ok: false,
      noData: true,
      series: 0,
      problems: ['memory_analysis_duration_seconds is declared but has no series yet (nothing observed)'],
    });
    expect(checkHistogram(exposition(EMERGENCE_FRESH), 'no_such_seconds')).toMatchObject({
      ok: false,
      noData: true,
      problems: ['no histogram named no_such_seconds'],
    });
  });

  const histogram = (lines: string[]): ParsedExposition => exposition(['# TYPE h histogram', ...lines, ''].join('\n'));

  it.each<[string, string[], readonly number[] | undefined, string[]]>([
    [
      'a sound one',
      ['h_bucket{le="1"} 1', 'h_bucket{le="2"} 3', 'h_bucket{le="+Inf"} 3', 'h_count 3', 'h_sum 4'],
      [1, 2],
      [],
    ],
    [
      'buckets out of order',
      ['h_bucket{le="2"} 1', 'h_bucket{le="1"} 1', 'h_bucket{le="+Inf"} 1', 'h_count 1'],
      undefined,
      ['buckets out of order: le="1" after le="2"'],
    ],
    [
      'a falling cumulative count',
      ['h_bucket{le="1"} 3', 'h_bucket{le="2"} 2', 'h_bucket{le="+Inf"} 3', 'h_count 3'],
      undefined,
      ['cumulative count falls from 3 (le="1") to 2 (le="2")'],
    ],
    ['no +Inf bucket', ['h_bucket{le="1"} 1', 'h_count 1'], undefined, ['no le="+Inf" bucket']],
    [
      '+Inf different from _count',
      ['h_bucket{le="1"} 1', 'h_bucket{le="+Inf"} 2', 'h_count 3'],
      undefined,
      ['le="+Inf" counts 2 but _count is 3'],
    ],
    ['no _count', ['h_bucket{le="1"} 1', 'h_bucket{le="+Inf"} 2'], undefined, ['no _count sample']],
    [
      'other bounds than expected',
      ['h_bucket{le="0.25"} 1', 'h_bucket{le="1"} 1', 'h_bucket{le="+Inf"} 1', 'h_count 1'],
      [0.5, 1],
      ['bounds differ from the expected ones: missing 0.5; unexpected 0.25'],
    ],
    [
      'a bound that is not a number, and a NaN count',
      ['h_bucket{le="one"} 1', 'h_bucket{le="2"} NaN', 'h_bucket{le="+Inf"} 1', 'h_count 1'],
      undefined,
      ['le="one" is not a number', 'le="2" counts NaN'],
    ],
    [
      'one bound twice',
      ['h_bucket{le="1"} 1', 'h_bucket{le="1.0"} 1', 'h_bucket{le="+Inf"} 1', 'h_count 1'],
      undefined,
      ['le="1" appears twice'],
    ],
  ])('%s', (_what, lines, expected, problems) => {
    const check = checkHistogram(histogram(lines), 'h', expected);
    expect(check.problems).toEqual(problems);
    expect(check.ok).toBe(problems.length === 0);
    expect(check.noData).toBe(false);
  });

  it('names the child a problem is in', () => {
    const parsed = histogram([
      'h_bucket{p="a",le="1"} 1',
      'h_bucket{p="a",le="+Inf"} 1',
      'h_count{p="a"} 1',
      'h_bucket{p="b",le="1"} 1',
      'h_count{p="b"} 1',
    ]);
    expect(checkHistogram(parsed, 'h').problems).toEqual(['{p="b"}: no le="+Inf" bucket']);
  });

  it('refuses a family of another type', () => {
    expect(checkHistogram(exposition('# TYPE h gauge\nh 1\n'), 'h').problems).toEqual([
      'h is a gauge, not a histogram',
    ]);
  });
});
