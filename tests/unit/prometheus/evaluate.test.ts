import { fileURLToPath } from 'node:url';

import {
  counterIncrease,
  evaluateMetricsExpectations,
  snapshotAgainstTargets,
  type MetricsVerdict,
} from '../../../src/deploy/prometheus/evaluate.js';
import { parseExposition, type ParsedExposition } from '../../../src/deploy/prometheus/parse.js';
import { parseSelector } from '../../../src/deploy/prometheus/series.js';
import { findRunbook, loadRunbooks } from '../../../src/deploy/runbook/loader.js';
import type { MetricsCheckSpec, Runbook, Targets } from '../../../src/deploy/runbook/schema/index.js';
import { EMERGENCE_AFTER_ANALYZE, EMERGENCE_FRESH, EMERGENCE_OPENMETRICS, OPENMETRICS, TEXT_004 } from './fixtures.js';

function exposition(text: string, contentType: string | null = TEXT_004): ParsedExposition {
  const result = parseExposition(text, contentType);
  if (!result.ok) throw new Error(result.reason);
  return result;
}

const fresh = exposition(EMERGENCE_FRESH);
const afterAnalyze = exposition(EMERGENCE_AFTER_ANALYZE);
const afterAnalyzeOm = exposition(EMERGENCE_OPENMETRICS, OPENMETRICS);

async function phase3(): Promise<Runbook> {
  const found = findRunbook(
    await loadRunbooks({
      dir: fileURLToPath(new URL('../../../runbooks/', import.meta.url)),
      env: { GCP_PROJECT: 'emergence-469005', GITHUB_REPO: 'drkzs/emergencev8', EMERGENCE_TEST_SESSION: 's-1' },
    }),
    'phase3',
  );
  if (found.kind !== 'found') throw new Error(`phase3: ${found.kind}`);
  return found.runbook;
}

async function phase3Metrics(): Promise<MetricsCheckSpec['expect']> {
  const check = (await phase3()).verify.checks.find((candidate) => candidate.name === 'metrics');
  if (check?.kind !== 'metrics') throw new Error('no metrics check');
  return check.expect;
}

async function phase3Targets(): Promise<Targets> {
  const targets = (await phase3()).targets;
  if (targets === undefined) throw new Error('no targets');
  return targets;
}

const summary = (verdicts: readonly MetricsVerdict[]): string[] =>
  verdicts.map((verdict) => `${verdict.ok ? 'ok' : verdict.noData === true ? 'NO DATA' : 'FAIL'} ${verdict.label}`);

describe("evaluateMetricsExpectations with phase3's metrics check", () => {
  it('passes after a forced analysis, with the scrape before it as baseline', async () => {
    const verdicts = evaluateMetricsExpectations(await phase3Metrics(), afterAnalyze, new Map([['analyze', fresh]]));
    expect(verdicts).toEqual([
      {
        label: 'memory_analysis_* families',
        ok: true,
        measured:
          '6 with samples (memory_analysis_success_total, memory_analysis_failure_total, memory_analysis_cache_hits_total, memory_analysis_cache_misses_total, memory_analysis_cache_size, memory_analysis_duration_seconds)',
        bound: 'at least 5 with samples',
      },
      {
        label: 'memory_analysis_success_total{provider="neo_analysis"} grew',
        ok: true,
        measured: '+2 (0 → 2)',
        bound: 'at least +1 since "analyze"',
      },
      {
        label: 'memory_analysis_duration_seconds buckets',
        ok: true,
        measured: '1 series, buckets as expected, +Inf = _count',
        bound: 'le = 0.5, 1, 2, 4, 6, 10, 15, 20, 30, +Inf, cumulative, +Inf = _count',
      },
      {
        label: 'process_resident_memory_bytes < 2147483648 (2.00 GiB)',
        ok: true,
        measured: '642252800 (612.5 MiB)',
        bound: '< 2147483648 (2.00 GiB)',
      },
    ]);
  });

  it('reads OpenMetrics against a text baseline the same way', async () => {
    const verdicts = evaluateMetricsExpectations(await phase3Metrics(), afterAnalyzeOm, new Map([['analyze', fresh]]));
    expect(verdicts.every((verdict) => verdict.ok)).toBe(true);
    expect(verdicts[0]?.measured).toMatch(/^6 with samples \(memory_analysis_success, memory_analysis_failure, /);
  });

  it('fails when nothing was analysed, with no data where there is nothing to measure', async () => {
    const verdicts = evaluateMetricsExpectations(await phase3Metrics(), fresh, new Map([['analyze', fresh]]));
    expect(summary(verdicts)).toEqual([
      'FAIL memory_analysis_* families',
      'NO DATA memory_analysis_success_total{provider="neo_analysis"} grew',
      'NO DATA memory_analysis_duration_seconds buckets',
      'ok process_resident_memory_bytes < 2147483648 (2.00 GiB)',
    ]);
    expect(verdicts[0]?.measured).toBe(
      '3 with samples (memory_analysis_cache_hits_total, memory_analysis_cache_misses_total, memory_analysis_cache_size); 3 declared without samples (memory_analysis_success_total, memory_analysis_failure_total, memory_analysis_duration_seconds)',
    );
    expect(verdicts[1]?.measured).toBe('absent now');
  });

  it('has no data without the baseline scrape', async () => {
    const [, delta] = evaluateMetricsExpectations(await phase3Metrics(), afterAnalyze, new Map());
    expect(delta).toMatchObject({ ok: false, noData: true, measured: 'no scrape from before "analyze"' });
  });

  it('fails a counter that did not grow', async () => {
    const [, delta] = evaluateMetricsExpectations(
      await phase3Metrics(),
      afterAnalyze,
      new Map([['analyze', afterAnalyze]]),
    );
    expect(delta).toEqual({
      label: 'memory_analysis_success_total{provider="neo_analysis"} grew',
      ok: false,
      measured: '+0 (2 → 2)',
      bound: 'at least +1 since "analyze"',
    });
  });
});

describe('evaluateMetricsExpectations, one kind at a time', () => {
  const evaluate = (expect: MetricsCheckSpec['expect'], now: string, before?: string): MetricsVerdict[] =>
    evaluateMetricsExpectations(
      expect,
      exposition(now),
      new Map(before === undefined ? [] : [['before', exposition(before)]]),
    );

  it.each<[string, string, string, boolean, string]>([
    ['growth', 'c_total{p="a"} 3\n', 'c_total{p="a"} 1\n', true, '+2 (1 → 3)'],
    ['a series new since the baseline counts from 0', 'c_total{p="a"} 1\n', 'other 1\n', true, '+1 (0 → 1)'],
    [
      'a restart (lower value) counts from 0',
      'c_total{p="a"} 2\n',
      'c_total{p="a"} 5\n',
      true,
      '+2 (5 → 2; counter reset seen on 1 series)',
    ],
    [
      'a restart seen by _created counts from 0',
      'c_total{p="a"} 6\nc_created{p="a"} 1700000100\n',
      'c_total{p="a"} 5\nc_created{p="a"} 1700000000\n',
      true,
      '+6 (5 → 6; counter reset seen on 1 series)',
    ],
    ['no growth', 'c_total{p="a"} 5\n', 'c_total{p="a"} 5\n', false, '+0 (5 → 5)'],
    ['NaN', 'c_total{p="a"} NaN\n', 'c_total{p="a"} 5\n', false, 'NaN'],
  ])('counterDeltas: %s', (_what, now, before, ok, measured) => {
    const [verdict] = evaluate(
      { counterDeltas: [{ series: 'c_total{p="a"}', atLeast: 1, since: 'before' }] },
      now,
      before,
    );
    expect(verdict).toMatchObject({ ok, measured });
  });

  it('sums increases over every series a selector picks', () => {
    const selector = parseSelector('c_total');
    if (!selector.ok) throw new Error(selector.reason);
    expect(
      counterIncrease(
        selector.selector,
        exposition('c_total{p="a"} 3\nc_total{p="b"} 1\nc_total{p="c"} 4\n'),
        exposition('c_total{p="a"} 2\nc_total{p="b"} 7\n'),
      ),
    ).toEqual({ delta: 1 + 1 + 4, before: 9, now: 8, resets: 1 });
  });

  it.each<[string, string, { lessThan?: number; greaterThan?: number }, boolean, string, boolean]>([
    ['under', 'm 5\n', { lessThan: 10 }, true, '5', false],
    ['over', 'm 15\n', { lessThan: 10 }, false, '15', false],
    ['equal is not under', 'm 10\n', { lessThan: 10 }, false, '10', false],
    ['between', 'm 5\n', { greaterThan: 1, lessThan: 10 }, true, '5', false],
    ['NaN never passes', 'm NaN\n', { lessThan: 10 }, false, 'NaN', true],
    ['absent never passes', 'other 1\n', { lessThan: 10 }, false, 'absent', true],
    ['several series, all within', 'm{a="1"} 1\nm{a="2"} 2\n', { lessThan: 10 }, true, '2 series, all within', false],
    [
      'several series, one out',
      'm{a="1"} 1\nm{a="2"} 20\n',
      { lessThan: 10 },
      false,
      '1 of 2 series outside: {a="2"} 20',
      false,
    ],
  ])('values: %s', (_what, now, bounds, ok, measured, noData) => {
    const [verdict] = evaluate({ values: [{ series: 'm', ...bounds }] }, now);
    expect(verdict?.ok).toBe(ok);
    expect(verdict?.measured).toBe(measured);
    expect(verdict?.noData === true).toBe(noData);
  });

  it('shows a memory bound in bytes and MiB/GiB', () => {
    const [verdict] = evaluate(
      { values: [{ series: 'process_resident_memory_bytes', lessThan: 2147483648 }] },
      'process_resident_memory_bytes 2.68435456e+09\n',
    );
    expect(verdict).toEqual({
      label: 'process_resident_memory_bytes < 2147483648 (2.00 GiB)',
      ok: false,
      measured: '2684354560 (2.50 GiB)',
      bound: '< 2147483648 (2.00 GiB)',
    });
  });

  it('checks a family by name: present only with a sample', () => {
    const verdicts = evaluate(
      {
        families: [
          { name: 'a_total', minCount: 1 },
          { name: 'b_total', minCount: 1 },
          { name: 'c', minCount: 1 },
        ],
      },
      '# TYPE a_total counter\na_total 1\n# TYPE b_total counter\n',
    );
    expect(verdicts.map((verdict) => [verdict.label, verdict.ok, verdict.measured])).toEqual([
      ['a_total present', true, '1 sample'],
      ['b_total present', false, 'declared, but no sample yet'],
      ['c present', false, 'absent'],
    ]);
  });

  it('reports histogram problems', () => {
    const [verdict] = evaluate(
      { histograms: [{ name: 'h', buckets: [1, 2] }] },
      '# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_count 2\n',
    );
    expect(verdict).toEqual({
      label: 'h buckets',
      ok: false,
      measured:
        'cumulative count falls from 2 (le="1") to 1 (le="+Inf"); le="+Inf" counts 1 but _count is 2; bounds differ from the expected ones: missing 2',
      bound: 'le = 1, 2, +Inf, cumulative, +Inf = _count',
    });
  });
});

describe('snapshotAgainstTargets', () => {
  it("judges the sample service against phase3's targets", async () => {
    const snapshot = snapshotAgainstTargets(afterAnalyze, await phase3Targets());
    expect(snapshot.verdicts.map(({ label, ok, measured, bound }) => ({ label, ok, measured, bound }))).toEqual([
      // One failed analysis counts a failure for neo_analysis and both fallbacks.
      { label: 'success rate', ok: false, measured: '40.0 % (2 of 5)', bound: '> 95.0 %' },
      { label: 'success rate (neo_analysis)', ok: false, measured: '66.7 % (2 of 3)', bound: '> 95.0 %' },
      { label: 'success rate (nexus)', ok: false, measured: '0.0 % (0 of 1)', bound: '> 95.0 %' },
      { label: 'success rate (anima)', ok: false, measured: '0.0 % (0 of 1)', bound: '> 95.0 %' },
      // Both analyses took 5.24 s: bucket (4, 6], rank 1.9 of 2 → 4 + 2 × 0.95.
      { label: 'analysis latency p95', ok: false, measured: '5.9 s over 2 analyses', bound: '< 2 s' },
      { label: 'cache hit rate', ok: true, measured: '50.0 % (1 hits of 2)', bound: 'between 40.0 % and 50.0 %' },
      { label: 'cache size', ok: true, measured: '1 entries', bound: '< 100' },
    ]);
    expect(snapshot.p95).toMatchObject({ inInfBucket: false });
    expect(snapshot.p95.value).toBeCloseTo(5.9, 12);
    expect(snapshot.failuresByErrorType).toEqual([{ errorType: 'TimeoutError', count: 3 }]);
  });

  it('reads the same numbers from OpenMetrics', async () => {
    const targets = await phase3Targets();
    const strip = (snapshot: ReturnType<typeof snapshotAgainstTargets>) => snapshot.verdicts;
    expect(strip(snapshotAgainstTargets(afterAnalyzeOm, targets))).toEqual(
      strip(snapshotAgainstTargets(afterAnalyze, targets)),
    );
  });

  it('says "no data", never 0 % or a pass, before anything happened', async () => {
    const snapshot = snapshotAgainstTargets(fresh, await phase3Targets());
    expect(snapshot.verdicts.map(({ label, ok, measured }) => [label, ok, measured])).toEqual([
      ['success rate', 'no data', 'no analysis counted'],
      ['analysis latency p95', 'no data', 'no analysis observed'],
      ['cache hit rate', 'no data', 'no cache lookup counted'],
      // A gauge at 0 is a value.
      ['cache size', true, '0 entries'],
    ]);
    expect(snapshot.successRateByProvider).toEqual([]);
    expect(snapshot.failuresByErrorType).toEqual([]);
  });

  const durations = (buckets: string): ParsedExposition =>
    exposition(
      [
        '# TYPE memory_analysis_duration_seconds histogram',
        ...buckets
          .trim()
          .split(' ')
          .map((pair) => {
            const [le, count] = pair.split('=');
            return `memory_analysis_duration_seconds_bucket{le="${le}",provider="neo_analysis"} ${count}`;
          }),
        `memory_analysis_duration_seconds_count{provider="neo_analysis"} ${buckets.trim().split('=').at(-1) ?? ''}`,
        '',
      ].join('\n'),
    );

  it('fails a p95 in the +Inf bucket even under a loose target: it is only a floor', () => {
    const snapshot = snapshotAgainstTargets(durations('0.5=0 30.0=1 +Inf=20'), { p95Seconds: 100 });
    expect(snapshot.p95).toEqual({
      label: 'analysis latency p95',
      ok: false,
      value: 30,
      measured: 'above 30 s, the highest bucket bound (in the +Inf bucket over 20 analyses)',
      bound: '< 100 s',
      inInfBucket: true,
    });
  });

  it.each<[string, string, number, true | false | 'no data']>([
    ['under the target', '1.0=19 2.0=20 +Inf=20', 2, true],
    ['equal to the target is not under it', '1.0=0 2.0=19 +Inf=20', 2, false],
    ['zero observations', '1.0=0 2.0=0 +Inf=0', 2, 'no data'],
    ['no +Inf bucket', '1.0=1 2.0=2', 2, 'no data'],
  ])('p95 %s', (_what, buckets, target, ok) => {
    expect(snapshotAgainstTargets(durations(buckets), { p95Seconds: target }).p95.ok).toBe(ok);
  });

  it.each<[string, string, true | false | 'no data', string]>([
    ['inside', '2 3', true, '40.0 % (2 hits of 5)'],
    ['on the upper edge', '1 1', true, '50.0 % (1 hits of 2)'],
    ['below', '1 9', false, '10.0 % (1 hits of 10)'],
    ['above', '9 1', false, '90.0 % (9 hits of 10)'],
    ['no lookups', '0 0', 'no data', 'no cache lookup counted'],
    ['NaN', 'NaN 1', 'no data', 'no cache lookup counted'],
  ])('cache hit rate %s', (_what, counts, ok, measured) => {
    const [hits, misses] = counts.split(' ');
    const parsed = exposition(
      `memory_analysis_cache_hits_total ${hits}\nmemory_analysis_cache_misses_total ${misses}\n`,
    );
    expect(snapshotAgainstTargets(parsed, { cacheHitRate: [0.4, 0.5] }).cacheHitRate).toMatchObject({ ok, measured });
  });

  it('marks what the runbook sets no target for', () => {
    const snapshot = snapshotAgainstTargets(afterAnalyze, {});
    expect(snapshot.verdicts.map((verdict) => verdict.ok)).toEqual(Array(7).fill('no target'));
    expect(snapshot.cacheSize).toMatchObject({ value: 1, bound: 'no target' });
  });
});
