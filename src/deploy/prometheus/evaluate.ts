/**
 * Judging a scrape: a metrics check's expectations (runbook `kind: metrics`), and the runbook's `targets` for
 * `/metrics`. Missing data never passes: a series that is absent, NaN, or counts nothing is "no data".
 */
import type { MetricsCheckSpec, Targets } from '../runbook/schema/index.js';
import { formatBytes, formatLabels, formatPercent, formatSeconds, formatValue } from './format.js';
import { aggregateHistogram, checkHistogram, histogramQuantile, histogramSeries } from './histogram.js';
import type { ParsedExposition, Sample } from './parse.js';
import {
  familyPresence,
  formatSelector,
  labelSetKey,
  parseSelector,
  selectSamples,
  sumBy,
  sumSamples,
  type SeriesSelector,
} from './series.js';

export interface MetricsVerdict {
  /** What was checked, e.g. `memory_analysis_success_total{provider="neo_analysis"} grew`. */
  readonly label: string;
  readonly ok: boolean;
  readonly measured: string;
  readonly bound: string;
  /** The check failed because there was nothing to measure (never a pass). */
  readonly noData?: boolean;
}

type Expect = MetricsCheckSpec['expect'];

/**
 * One verdict per expectation of a metrics check, in the runbook's order: families, counterDeltas, histograms,
 * values. `baselines` holds the scrape taken just before each named check ran (for `counterDeltas[].since`).
 */
export function evaluateMetricsExpectations(
  expect: Expect,
  now: ParsedExposition,
  baselines: ReadonlyMap<string, ParsedExposition>,
): MetricsVerdict[] {
  return [
    ...(expect.families ?? []).map((family) => familyVerdict(family, now)),
    ...(expect.counterDeltas ?? []).map((delta) => counterDeltaVerdict(delta, now, baselines)),
    ...(expect.histograms ?? []).map((histogram) => histogramVerdict(histogram, now)),
    ...(expect.values ?? []).map((value) => valueVerdict(value, now)),
  ];
}

// ---------------------------------------------------------------------------------------------------------------
// families

type FamilyExpectation = NonNullable<Expect['families']>[number];

function familyVerdict(expectation: FamilyExpectation, now: ParsedExposition): MetricsVerdict {
  if (expectation.name !== undefined) {
    const { present, empty } = familyPresence(now, { name: expectation.name });
    const found = present[0];
    return {
      label: `${expectation.name} present`,
      ok: found !== undefined,
      measured:
        found !== undefined
          ? `${found.samples} sample${found.samples === 1 ? '' : 's'}`
          : empty.length > 0
            ? 'declared, but no sample yet'
            : 'absent',
      bound: 'at least one sample',
    };
  }
  const prefix = expectation.prefix ?? '';
  const { present, empty } = familyPresence(now, { prefix });
  const names = (list: readonly { name: string }[]): string => list.map((family) => family.name).join(', ');
  const emptyPart = empty.length > 0 ? `; ${empty.length} declared without samples (${names(empty)})` : '';
  return {
    label: `${prefix}* families`,
    ok: present.length >= expectation.minCount,
    measured: `${present.length} with samples${present.length > 0 ? ` (${names(present)})` : ''}${emptyPart}`,
    bound: `at least ${expectation.minCount} with samples`,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// counterDeltas

type CounterDeltaExpectation = NonNullable<Expect['counterDeltas']>[number];

/** The `_created` timestamps of a `_total` counter's series, by label set (empty when the exposition has none). */
function createdTimes(exposition: ParsedExposition, selector: SeriesSelector): Map<string, number> {
  const times = new Map<string, number>();
  if (!selector.metric.endsWith('_total')) return times;
  const created = { metric: `${selector.metric.slice(0, -'_total'.length)}_created`, matchers: selector.matchers };
  for (const sample of selectSamples(exposition, created)) times.set(labelSetKey(sample.labels), sample.value);
  return times;
}

export interface CounterIncrease {
  /** The growth, per series: `now - before`, or `now` after a reset (as PromQL's `increase`). */
  readonly delta: number;
  readonly before: number;
  readonly now: number;
  /** Series that restarted between the scrapes (a lower value, or a new `_created` time). */
  readonly resets: number;
}

/**
 * How much the counters a selector picks grew between two scrapes. A series absent before counts from 0; a series
 * that fell, or whose `_created` time changed (the process restarted, or another instance answered), counts from 0
 * too, as `increase()` does. Null when nothing matches now.
 */
export function counterIncrease(
  selector: SeriesSelector,
  now: ParsedExposition,
  before: ParsedExposition,
): CounterIncrease | null {
  const nowSamples = selectSamples(now, selector);
  if (nowSamples.length === 0) return null;
  const beforeByKey = new Map<string, number>();
  for (const sample of selectSamples(before, selector)) beforeByKey.set(labelSetKey(sample.labels), sample.value);
  const createdNow = createdTimes(now, selector);
  const createdBefore = createdTimes(before, selector);
  let delta = 0;
  let total = 0;
  let resets = 0;
  for (const sample of nowSamples) {
    const key = labelSetKey(sample.labels);
    const previous = beforeByKey.get(key) ?? 0;
    const bornBefore = createdBefore.get(key);
    const bornNow = createdNow.get(key);
    const restarted =
      sample.value < previous || (bornBefore !== undefined && bornNow !== undefined && bornBefore !== bornNow);
    if (restarted) resets += 1;
    delta += restarted ? sample.value : sample.value - previous;
    total += sample.value;
  }
  let beforeTotal = 0;
  for (const value of beforeByKey.values()) beforeTotal += value;
  return { delta, before: beforeTotal, now: total, resets };
}

function counterDeltaVerdict(
  expectation: CounterDeltaExpectation,
  now: ParsedExposition,
  baselines: ReadonlyMap<string, ParsedExposition>,
): MetricsVerdict {
  const parsed = parseSelector(expectation.series);
  const shown = parsed.ok ? formatSelector(parsed.selector) : expectation.series;
  const label = `${shown} grew`;
  const bound = `at least +${formatValue(expectation.atLeast)} since "${expectation.since}"`;
  if (!parsed.ok) return { label, ok: false, measured: parsed.reason, bound };
  const baseline = baselines.get(expectation.since);
  if (baseline === undefined) {
    return { label, ok: false, noData: true, measured: `no scrape from before "${expectation.since}"`, bound };
  }
  const increase = counterIncrease(parsed.selector, now, baseline);
  if (increase === null) return { label, ok: false, noData: true, measured: 'absent now', bound };
  if (Number.isNaN(increase.delta)) return { label, ok: false, noData: true, measured: 'NaN', bound };
  const resets = increase.resets > 0 ? `; counter reset seen on ${increase.resets} series` : '';
  const sign = increase.delta >= 0 ? '+' : '';
  return {
    label,
    ok: increase.delta >= expectation.atLeast,
    measured: `${sign}${formatValue(increase.delta)} (${formatValue(increase.before)} → ${formatValue(increase.now)}${resets})`,
    bound,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// histograms

type HistogramExpectation = NonNullable<Expect['histograms']>[number];

function histogramVerdict(expectation: HistogramExpectation, now: ParsedExposition): MetricsVerdict {
  const check = checkHistogram(now, expectation.name, expectation.buckets);
  const bounds = [...expectation.buckets.map(formatValue), '+Inf'].join(', ');
  const verdict = {
    label: `${expectation.name} buckets`,
    ok: check.ok,
    measured: check.ok
      ? `${check.series} series, buckets as expected, +Inf = _count`
      : check.problems.slice(0, 5).join('; ') +
        (check.problems.length > 5 ? ` (+${check.problems.length - 5} more)` : ''),
    bound: `le = ${bounds}, cumulative, +Inf = _count`,
  };
  return check.noData ? { ...verdict, noData: true } : verdict;
}

// ---------------------------------------------------------------------------------------------------------------
// values

type ValueExpectation = NonNullable<Expect['values']>[number];

function valueVerdict(expectation: ValueExpectation, now: ParsedExposition): MetricsVerdict {
  const parsed = parseSelector(expectation.series);
  const shown = parsed.ok ? formatSelector(parsed.selector) : expectation.series;
  const bytes = parsed.ok && parsed.selector.metric.endsWith('_bytes');
  const show = (value: number): string => (bytes ? formatBytes(value) : formatValue(value));
  const { lessThan, greaterThan } = expectation;
  const parts = [
    greaterThan !== undefined ? `> ${show(greaterThan)}` : '',
    lessThan !== undefined ? `< ${show(lessThan)}` : '',
  ].filter((part) => part !== '');
  const label = `${shown} ${parts.join(' and ')}`;
  const bound = parts.join(' and ');
  if (!parsed.ok) return { label, ok: false, measured: parsed.reason, bound };
  const samples = selectSamples(now, parsed.selector);
  if (samples.length === 0) return { label, ok: false, noData: true, measured: 'absent', bound };
  if (samples.some((sample) => Number.isNaN(sample.value))) {
    return { label, ok: false, noData: true, measured: 'NaN', bound };
  }
  const within = (sample: Sample): boolean =>
    (lessThan === undefined || sample.value < lessThan) && (greaterThan === undefined || sample.value > greaterThan);
  const outside = samples.filter((sample) => !within(sample));
  const measured =
    samples.length === 1
      ? show(samples[0]?.value ?? NaN)
      : outside.length === 0
        ? `${samples.length} series, all within`
        : `${outside.length} of ${samples.length} series outside: ${outside
            .slice(0, 3)
            .map((sample) => `${formatLabels(sample.labels)} ${show(sample.value)}`)
            .join(', ')}`;
  return { label, ok: outside.length === 0, measured, bound };
}

// ---------------------------------------------------------------------------------------------------------------
// targets (/metrics)

/** The ÉMERGENCE analyzer's metrics, as its source declares them. */
export const ANALYSIS_METRICS = {
  success: 'memory_analysis_success_total',
  failure: 'memory_analysis_failure_total',
  cacheHits: 'memory_analysis_cache_hits_total',
  cacheMisses: 'memory_analysis_cache_misses_total',
  cacheSize: 'memory_analysis_cache_size',
  duration: 'memory_analysis_duration_seconds',
} as const satisfies Record<string, string>;

/** `'no data'`: nothing to measure (never a pass); `'no target'`: measured, but the runbook sets no target. */
export type TargetOutcome = true | false | 'no data' | 'no target';

export interface TargetVerdict {
  readonly label: string;
  readonly ok: TargetOutcome;
  /** The measured ratio, seconds or size; null when there is no data. */
  readonly value: number | null;
  readonly measured: string;
  readonly bound: string;
}

export interface MetricsSnapshot {
  /** All providers together: success / (success + failure). */
  readonly successRate: TargetVerdict;
  readonly successRateByProvider: readonly TargetVerdict[];
  /** p95 of memory_analysis_duration_seconds over every provider (`sum by (le)`). */
  readonly p95: TargetVerdict & { readonly inInfBucket: boolean };
  readonly cacheHitRate: TargetVerdict;
  readonly cacheSize: TargetVerdict;
  /** memory_analysis_failure_total by error_type, most frequent first; no threshold. */
  readonly failuresByErrorType: readonly { readonly errorType: string; readonly count: number }[];
  /** Every verdict above, in display order. */
  readonly verdicts: readonly TargetVerdict[];
}

const noData = (label: string, measured: string, bound: string): TargetVerdict => ({
  label,
  ok: 'no data',
  value: null,
  measured,
  bound,
});

const select = (exposition: ParsedExposition, metric: string): Sample[] =>
  selectSamples(exposition, { metric, matchers: [] });

function successVerdict(label: string, success: number, failure: number, target: number | undefined): TargetVerdict {
  const bound = target === undefined ? 'no target' : `> ${formatPercent(target)}`;
  const total = success + failure;
  if (!Number.isFinite(total) || total === 0) return noData(label, 'no analysis counted', bound);
  const rate = success / total;
  return {
    label,
    ok: target === undefined ? 'no target' : rate > target,
    value: rate,
    measured: `${formatPercent(rate)} (${formatValue(success)} of ${formatValue(total)})`,
    bound,
  };
}

/**
 * The service's analysis metrics against the runbook's `targets` (success rate above `successRate`, p95 below
 * `p95Seconds`, cache hit rate within `cacheHitRate`, cache size below `cacheSizeMax`), for `/metrics`.
 *
 * The overall success rate adds every provider's counters. The analyzer counts a failure for neo_analysis and for
 * each fallback it then tries (Nexus, Anima), so one failed analysis weighs three failures there; the per-provider
 * rates are the ones to read against a provider's target.
 */
export function snapshotAgainstTargets(exposition: ParsedExposition, targets: Targets): MetricsSnapshot {
  const success = sumBy(select(exposition, ANALYSIS_METRICS.success), 'provider');
  const failureSamples = select(exposition, ANALYSIS_METRICS.failure);
  const failure = sumBy(failureSamples, 'provider');
  const providers = [...new Set([...success.keys(), ...failure.keys()])];
  const successRateByProvider = providers.map((provider) =>
    successVerdict(
      `success rate (${provider === '' ? 'no provider' : provider})`,
      success.get(provider) ?? 0,
      failure.get(provider) ?? 0,
      targets.successRate,
    ),
  );
  const total = (sums: Map<string, number>): number => [...sums.values()].reduce((sum, value) => sum + value, 0);
  const successRate = successVerdict('success rate', total(success), total(failure), targets.successRate);

  const p95 = p95Verdict(exposition, targets.p95Seconds);
  const cacheHitRate = cacheHitVerdict(exposition, targets.cacheHitRate);
  const cacheSize = cacheSizeVerdict(exposition, targets.cacheSizeMax);

  const failuresByErrorType = [...sumBy(failureSamples, 'error_type').entries()]
    .map(([errorType, count]) => ({ errorType, count }))
    .sort((a, b) => b.count - a.count || (a.errorType < b.errorType ? -1 : 1));

  return {
    successRate,
    successRateByProvider,
    p95,
    cacheHitRate,
    cacheSize,
    failuresByErrorType,
    verdicts: [successRate, ...successRateByProvider, p95, cacheHitRate, cacheSize],
  };
}

function p95Verdict(exposition: ParsedExposition, target: number | undefined): MetricsSnapshot['p95'] {
  const label = 'analysis latency p95';
  const bound = target === undefined ? 'no target' : `< ${formatSeconds(target)}`;
  const series = histogramSeries(exposition, ANALYSIS_METRICS.duration);
  const { buckets, count } = aggregateHistogram(series);
  const quantile = histogramQuantile(0.95, buckets);
  if (Number.isNaN(quantile.value)) {
    const why =
      series.length === 0 || count === 0 ? 'no analysis observed' : 'not computable (no +Inf bucket, or NaN counts)';
    return { ...noData(label, why, bound), inInfBucket: false };
  }
  const observations = count === null ? '' : ` over ${formatValue(count)} analyses`;
  if (quantile.inInfBucket) {
    return {
      label,
      ok: target === undefined ? 'no target' : false,
      value: quantile.value,
      measured: `above ${formatSeconds(quantile.value)}, the highest bucket bound (in the +Inf bucket${observations})`,
      bound,
      inInfBucket: true,
    };
  }
  return {
    label,
    ok: target === undefined ? 'no target' : quantile.value < target,
    value: quantile.value,
    measured: `${formatSeconds(quantile.value)}${observations}`,
    bound,
    inInfBucket: false,
  };
}

function cacheHitVerdict(exposition: ParsedExposition, target: readonly [number, number] | undefined): TargetVerdict {
  const label = 'cache hit rate';
  const bound =
    target === undefined ? 'no target' : `between ${formatPercent(target[0])} and ${formatPercent(target[1])}`;
  const hits = sumSamples(select(exposition, ANALYSIS_METRICS.cacheHits));
  const misses = sumSamples(select(exposition, ANALYSIS_METRICS.cacheMisses));
  if (hits === null || misses === null) {
    const absent = [
      hits === null ? ANALYSIS_METRICS.cacheHits : '',
      misses === null ? ANALYSIS_METRICS.cacheMisses : '',
    ]
      .filter((name) => name !== '')
      .join(' and ');
    return noData(label, `${absent} absent`, bound);
  }
  const lookups = hits + misses;
  if (!Number.isFinite(lookups) || lookups === 0) return noData(label, 'no cache lookup counted', bound);
  const rate = hits / lookups;
  return {
    label,
    ok: target === undefined ? 'no target' : rate >= target[0] && rate <= target[1],
    value: rate,
    measured: `${formatPercent(rate)} (${formatValue(hits)} hits of ${formatValue(lookups)})`,
    bound,
  };
}

function cacheSizeVerdict(exposition: ParsedExposition, max: number | undefined): TargetVerdict {
  const label = 'cache size';
  const bound = max === undefined ? 'no target' : `< ${formatValue(max)}`;
  const samples = select(exposition, ANALYSIS_METRICS.cacheSize);
  const size = sumSamples(samples);
  if (size === null) return noData(label, `${ANALYSIS_METRICS.cacheSize} absent`, bound);
  if (Number.isNaN(size)) return noData(label, 'NaN', bound);
  return {
    label,
    ok: max === undefined ? 'no target' : size < max,
    value: size,
    measured: `${formatValue(size)} entries`,
    bound,
  };
}
