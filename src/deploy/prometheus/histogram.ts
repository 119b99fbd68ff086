/**
 * Classic Prometheus histograms: their buckets read out of an exposition, sanity checks, and `histogram_quantile`
 * with Prometheus' own semantics (promql/quantile.go, `BucketQuantile`, and `ensureMonotonicAndIgnoreSmallDeltas`).
 */
import { formatLabels, formatValue } from './format.js';
import { parseFloatText, type ParsedExposition } from './parse.js';
import { findFamily, labelSetKey, matchesLabels, type LabelMatcher } from './series.js';

export interface Bucket {
  /** The `le` label as a number; `Infinity` for `+Inf`. */
  readonly upperBound: number;
  /** Cumulative: observations less than or equal to the bound. */
  readonly count: number;
}

/** One labelled child of a histogram: its `_bucket`, `_count` and `_sum` samples. */
export interface HistogramSeries {
  /** The child's labels, without `le`. */
  readonly labels: Readonly<Record<string, string>>;
  /** In exposition order. */
  readonly buckets: readonly Bucket[];
  /** `le` values that are not numbers, as written. */
  readonly badBounds: readonly string[];
  readonly count: number | null;
  readonly sum: number | null;
}

interface SeriesBuilder {
  labels: Record<string, string>;
  buckets: Bucket[];
  badBounds: string[];
  count: number | null;
  sum: number | null;
}

function withoutLe(labels: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(labels).filter(([name]) => name !== 'le'));
}

/**
 * The children of histogram `name` (the family name, without `_bucket`), optionally only those whose labels satisfy
 * `matchers`. Read by sample name, as PromQL does, so an exposition without TYPE lines still works.
 */
export function histogramSeries(
  exposition: ParsedExposition,
  name: string,
  matchers: readonly LabelMatcher[] = [],
): HistogramSeries[] {
  const bucketName = `${name}_bucket`;
  const countName = `${name}_count`;
  const sumName = `${name}_sum`;
  const byKey = new Map<string, SeriesBuilder>();
  const builderFor = (labels: Record<string, string>): SeriesBuilder => {
    const key = labelSetKey(labels);
    let builder = byKey.get(key);
    if (builder === undefined) {
      builder = { labels, buckets: [], badBounds: [], count: null, sum: null };
      byKey.set(key, builder);
    }
    return builder;
  };
  for (const family of exposition.families) {
    for (const sample of family.samples) {
      if (sample.name !== bucketName && sample.name !== countName && sample.name !== sumName) continue;
      const labels = withoutLe(sample.labels);
      if (!matchesLabels(labels, matchers)) continue;
      const builder = builderFor(labels);
      if (sample.name === countName) builder.count = sample.value;
      else if (sample.name === sumName) builder.sum = sample.value;
      else {
        const le = sample.labels['le'] ?? '';
        const bound = parseFloatText(le);
        if (bound === undefined || Number.isNaN(bound)) builder.badBounds.push(le);
        else builder.buckets.push({ upperBound: bound, count: sample.value });
      }
    }
  }
  return [...byKey.values()];
}

export interface AggregatedHistogram {
  /** `sum by (le)`: counts added per bound, sorted by bound. */
  readonly buckets: readonly Bucket[];
  readonly count: number | null;
  readonly sum: number | null;
  readonly series: number;
}

/** The children added up, as `sum by (le) (…_bucket)` (bounds written differently, `1` and `1.0`, are one). */
export function aggregateHistogram(series: readonly HistogramSeries[]): AggregatedHistogram {
  const byBound = new Map<number, number>();
  let count: number | null = null;
  let sum: number | null = null;
  for (const child of series) {
    for (const bucket of child.buckets)
      byBound.set(bucket.upperBound, (byBound.get(bucket.upperBound) ?? 0) + bucket.count);
    if (child.count !== null) count = (count ?? 0) + child.count;
    if (child.sum !== null) sum = (sum ?? 0) + child.sum;
  }
  const buckets = [...byBound.entries()]
    .map(([upperBound, bucketCount]) => ({ upperBound, count: bucketCount }))
    .sort((a, b) => compareBounds(a.upperBound, b.upperBound));
  return { buckets, count, sum, series: series.length };
}

const compareBounds = (a: number, b: number): number => (a < b ? -1 : a > b ? 1 : 0);

const formatBound = (bound: number): string => formatValue(bound);

// ---------------------------------------------------------------------------------------------------------------
// Sanity

export interface HistogramCheck {
  readonly ok: boolean;
  /** Nothing to check: no such histogram, or no child yet (a labelled histogram before its first observation). */
  readonly noData: boolean;
  readonly series: number;
  readonly problems: readonly string[];
}

/** What is wrong with one child: order, cumulative counts, the `+Inf` bucket and `_count`, expected bounds. */
export function histogramSeriesProblems(series: HistogramSeries, expectedBounds?: readonly number[]): string[] {
  const problems: string[] = [];
  for (const bad of series.badBounds) problems.push(`le=${JSON.stringify(bad)} is not a number`);
  const { buckets } = series;
  if (buckets.length === 0) {
    problems.push('no _bucket sample');
    return problems;
  }
  for (let index = 0; index < buckets.length; index += 1) {
    const bucket = buckets[index];
    const previous = buckets[index - 1];
    if (bucket === undefined) continue;
    if (Number.isNaN(bucket.count)) problems.push(`le="${formatBound(bucket.upperBound)}" counts NaN`);
    if (previous === undefined) continue;
    if (bucket.upperBound === previous.upperBound) {
      problems.push(`le="${formatBound(bucket.upperBound)}" appears twice`);
    } else if (bucket.upperBound < previous.upperBound) {
      problems.push(
        `buckets out of order: le="${formatBound(bucket.upperBound)}" after le="${formatBound(previous.upperBound)}"`,
      );
    }
    if (bucket.count < previous.count) {
      problems.push(
        `cumulative count falls from ${formatValue(previous.count)} (le="${formatBound(previous.upperBound)}") to ${formatValue(bucket.count)} (le="${formatBound(bucket.upperBound)}")`,
      );
    }
  }
  const inf = buckets.find((bucket) => bucket.upperBound === Infinity);
  if (inf === undefined) problems.push('no le="+Inf" bucket');
  else if (series.count === null) problems.push('no _count sample');
  else if (inf.count !== series.count) {
    problems.push(`le="+Inf" counts ${formatValue(inf.count)} but _count is ${formatValue(series.count)}`);
  }
  if (expectedBounds !== undefined) {
    const finite = buckets.map((bucket) => bucket.upperBound).filter((bound) => bound !== Infinity);
    const missing = expectedBounds.filter((bound) => !finite.includes(bound));
    const unexpected = finite.filter((bound) => !expectedBounds.includes(bound));
    if (missing.length > 0 || unexpected.length > 0) {
      const parts = [
        missing.length > 0 ? `missing ${missing.map(formatBound).join(', ')}` : '',
        unexpected.length > 0 ? `unexpected ${unexpected.map(formatBound).join(', ')}` : '',
      ].filter((part) => part !== '');
      problems.push(`bounds differ from the expected ones: ${parts.join('; ')}`);
    }
  }
  return problems;
}

/**
 * Checks every child of histogram `name`: a declared type of histogram, buckets in increasing order, cumulative
 * counts that never fall, a `+Inf` bucket equal to `_count`, and (when given) exactly `expectedBounds` as finite
 * bounds. Problems name the child by its labels.
 */
export function checkHistogram(
  exposition: ParsedExposition,
  name: string,
  expectedBounds?: readonly number[],
): HistogramCheck {
  const family = findFamily(exposition, name);
  if (family !== undefined && family.type !== 'histogram' && family.type !== 'untyped' && family.type !== 'unknown') {
    return { ok: false, noData: false, series: 0, problems: [`${name} is a ${family.type}, not a histogram`] };
  }
  const series = histogramSeries(exposition, name);
  if (series.length === 0) {
    const problem =
      family === undefined
        ? `no histogram named ${name}`
        : `${name} is declared but has no series yet (nothing observed)`;
    return { ok: false, noData: true, series: 0, problems: [problem] };
  }
  const problems = series.flatMap((child) => {
    const prefix = Object.keys(child.labels).length > 0 ? `${formatLabels(child.labels)}: ` : '';
    return histogramSeriesProblems(child, expectedBounds).map((problem) => prefix + problem);
  });
  return { ok: problems.length === 0, noData: false, series: series.length, problems };
}

// ---------------------------------------------------------------------------------------------------------------
// histogram_quantile

export interface QuantileResult {
  /** What Prometheus' `histogram_quantile` returns for these buckets (NaN when it cannot say). */
  readonly value: number;
  /**
   * The quantile fell in the `+Inf` bucket: `value` is then the highest finite bound, a floor rather than an estimate,
   * and a latency bound must be treated as failed.
   */
  readonly inInfBucket: boolean;
  /** Counts fell somewhere and were raised to keep them cumulative (Prometheus' info annotation). */
  readonly forcedMonotonic: boolean;
  /** Differences below a relative 1e-12 were taken for float noise and ignored. */
  readonly fixedPrecision: boolean;
}

/** promql/quantile.go: relative deltas below this between buckets are float noise. */
const SMALL_DELTA_TOLERANCE = 1e-12;
/** The smallest positive normal float64 (Go's `math.Float64frombits(0x0010000000000000)`). */
const MIN_NORMAL = 2.2250738585072014e-308;

/** util/almost.Equal. */
function almostEqual(a: number, b: number, epsilon: number): boolean {
  if (Number.isNaN(a) && Number.isNaN(b)) return true;
  if (a === b) return true;
  const absSum = Math.abs(a) + Math.abs(b);
  const diff = Math.abs(a - b);
  if (a === 0 || b === 0 || absSum < MIN_NORMAL) return diff < epsilon * MIN_NORMAL;
  return diff / Math.min(absSum, Number.MAX_VALUE) < epsilon;
}

/** ensureMonotonicAndIgnoreSmallDeltas, on a mutable copy. */
function ensureMonotonic(counts: number[]): { forcedMonotonic: boolean; fixedPrecision: boolean } {
  let forcedMonotonic = false;
  let fixedPrecision = false;
  let previous = counts[0] ?? 0;
  for (let index = 1; index < counts.length; index += 1) {
    const current = counts[index] ?? 0;
    if (current === previous) continue;
    if (almostEqual(previous, current, SMALL_DELTA_TOLERANCE)) {
      // Float noise, in either direction: ignored, and `previous` stays.
      counts[index] = previous;
      fixedPrecision = true;
      continue;
    }
    if (current < previous) {
      // A real decrease: raised to the envelope, and `previous` stays.
      counts[index] = previous;
      forcedMonotonic = true;
      continue;
    }
    previous = current;
  }
  return { forcedMonotonic, fixedPrecision };
}

/**
 * Prometheus' `histogram_quantile(q, …)` over classic buckets, exactly as promql/quantile.go's `BucketQuantile`:
 * buckets sorted by bound, equal bounds merged, float noise ignored and falls raised; linear interpolation inside the
 * bucket where the rank lands; the lowest bucket starts at 0 when its bound is positive (and its bound is the answer
 * when it is not); a rank in the `+Inf` bucket gives the highest finite bound (`inInfBucket`); fewer than two
 * buckets, no `+Inf` bucket or no observation give NaN; q < 0 gives -Inf, q > 1 +Inf, NaN q NaN.
 *
 * One deliberate difference: a NaN count anywhere gives NaN. Prometheus' answer then depends on where the NaN sits
 * (a NaN `+Inf` count returns the highest finite bound), which a deploy check must not read as a measurement.
 */
export function histogramQuantile(q: number, buckets: readonly Bucket[]): QuantileResult {
  const plain = (value: number): QuantileResult => ({
    value,
    inInfBucket: false,
    forcedMonotonic: false,
    fixedPrecision: false,
  });
  if (Number.isNaN(q)) return plain(NaN);
  if (q < 0) return plain(-Infinity);
  if (q > 1) return plain(Infinity);
  const usable = buckets.filter((bucket) => !Number.isNaN(bucket.upperBound));
  if (usable.length === 0 || usable.some((bucket) => Number.isNaN(bucket.count))) return plain(NaN);

  const sorted = [...usable].sort((a, b) => compareBounds(a.upperBound, b.upperBound));
  if (sorted[sorted.length - 1]?.upperBound !== Infinity) return plain(NaN);

  // coalesceBuckets: equal bounds (`0.2`, `2e-1`) are one bucket.
  const bounds: number[] = [];
  const counts: number[] = [];
  for (const bucket of sorted) {
    const last = bounds.length - 1;
    if (last >= 0 && bounds[last] === bucket.upperBound) counts[last] = (counts[last] ?? 0) + bucket.count;
    else {
      bounds.push(bucket.upperBound);
      counts.push(bucket.count);
    }
  }
  const { forcedMonotonic, fixedPrecision } = ensureMonotonic(counts);
  if (bounds.length < 2) return plain(NaN);
  const observations = counts[counts.length - 1] ?? 0;
  if (observations === 0) return plain(NaN);

  let rank = q * observations;
  // sort.Search over all but the +Inf bucket: the first whose count reaches the rank (counts are monotonic now).
  let index = 0;
  while (index < bounds.length - 1 && (counts[index] ?? 0) < rank) index += 1;

  const result = (value: number, inInfBucket = false): QuantileResult => ({
    value,
    inInfBucket,
    forcedMonotonic,
    fixedPrecision,
  });
  if (index === bounds.length - 1) return result(bounds[bounds.length - 2] ?? NaN, true);
  const bucketEnd = bounds[index] ?? NaN;
  if (index === 0 && bucketEnd <= 0) return result(bucketEnd);
  let bucketStart = 0;
  let count = counts[index] ?? NaN;
  if (index > 0) {
    const previousCount = counts[index - 1] ?? NaN;
    bucketStart = bounds[index - 1] ?? NaN;
    count -= previousCount;
    rank -= previousCount;
  }
  return result(bucketStart + (bucketEnd - bucketStart) * (rank / count));
}
