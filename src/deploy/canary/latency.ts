/**
 * Latency distributions as the judge receives them, and the rank statistics it computes on them: Mann-Whitney U
 * with the tie correction, the Hodges-Lehmann shift with its confidence interval, quantiles and exceedances.
 *
 * Cloud Monitoring's `run.googleapis.com/request_latencies` is a distribution: bucket bounds (exponential for
 * Cloud Run) and a count per bucket. A bucket is treated as one tied group (Mann-Whitney ranks), and the two
 * revisions must share the bucket layout, as two revisions of one service do. Raw samples are accepted too.
 */
import { normalQuantile, normalSf } from './stats.js';

/**
 * Bucketed latencies in Cloud Monitoring's layout: `boundsMs` are the m finite bucket boundaries b₀ < … < bₘ₋₁ and
 * `counts` has up to m + 1 entries — underflow (< b₀), then [bᵢ₋₁, bᵢ), then overflow (≥ bₘ₋₁). As in the API,
 * trailing zero counts may be left out.
 */
export interface BucketedLatency {
  readonly kind: 'buckets';
  readonly boundsMs: readonly number[];
  readonly counts: readonly number[];
}

/** Raw per-request latencies, for tests and for sources that keep them. */
export interface SampledLatency {
  readonly kind: 'samples';
  readonly valuesMs: readonly number[];
}

export type LatencyDistribution = BucketedLatency | SampledLatency;

/** Cloud Monitoring's exponential bucket options. */
export interface ExponentialBuckets {
  readonly numFiniteBuckets: number;
  readonly growthFactor: number;
  readonly scale: number;
}

/** The boundaries of an exponential layout: scale · growthFactorⁱ for i = 0 … numFiniteBuckets. */
export function exponentialBounds(options: ExponentialBuckets): number[] {
  const bounds: number[] = [];
  for (let i = 0; i <= options.numFiniteBuckets; i += 1) bounds.push(options.scale * options.growthFactor ** i);
  return bounds;
}

/** The number of requests a distribution describes. */
export function latencyCount(distribution: LatencyDistribution): number {
  if (distribution.kind === 'samples') return distribution.valuesMs.length;
  let total = 0;
  for (const c of distribution.counts) total += c;
  return total;
}

/**
 * Cells in one order shared by both revisions: a bucket (low < high) or a distinct sampled value (low = high), with
 * each revision's count. `logLow`/`logHigh` bound the cell in log space, where an exponential bucket has a constant
 * width (the under- and overflow buckets borrow their neighbour's width).
 */
export interface SharedCells {
  readonly low: readonly number[];
  readonly high: readonly number[];
  readonly logLow: readonly number[];
  readonly logHigh: readonly number[];
  readonly canary: readonly number[];
  readonly baseline: readonly number[];
  readonly bucketed: boolean;
}

function sameBounds(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  return a.every((value, i) => Math.abs(value - (b[i] ?? Number.NaN)) <= 1e-9 * Math.max(1, Math.abs(value)));
}

function bucketCells(bounds: readonly number[], canary: readonly number[], baseline: readonly number[]): SharedCells {
  const m = bounds.length;
  const low: number[] = [];
  const high: number[] = [];
  const logLow: number[] = [];
  const logHigh: number[] = [];
  const first = bounds[0] ?? 1;
  const second = bounds[1] ?? first * 2;
  const last = bounds[m - 1] ?? first;
  const beforeLast = bounds[m - 2] ?? last / 2;
  for (let k = 0; k <= m; k += 1) {
    const lo = k === 0 ? 0 : (bounds[k - 1] ?? 0);
    const hi = k === m ? last : (bounds[k] ?? last);
    low.push(lo);
    high.push(hi);
    logLow.push(k === 0 ? Math.log(first) - Math.log(second / first) : Math.log(lo));
    logHigh.push(k === m ? Math.log(last) + Math.log(last / beforeLast) : Math.log(hi));
  }
  const pad = (counts: readonly number[]): number[] => low.map((_, k) => counts[k] ?? 0);
  return { low, high, logLow, logHigh, canary: pad(canary), baseline: pad(baseline), bucketed: true };
}

function sampleCells(canary: readonly number[], baseline: readonly number[]): SharedCells {
  const tagged = [...canary.map((v) => [v, 0] as const), ...baseline.map((v) => [v, 1] as const)].sort(
    (x, y) => x[0] - y[0],
  );
  const values: number[] = [];
  const c: number[] = [];
  const b: number[] = [];
  for (const [value, side] of tagged) {
    if (values.length === 0 || values[values.length - 1] !== value) {
      values.push(value);
      c.push(0);
      b.push(0);
    }
    const k = values.length - 1;
    if (side === 0) c[k] = (c[k] ?? 0) + 1;
    else b[k] = (b[k] ?? 0) + 1;
  }
  const logs = values.map((v) => Math.log(Math.max(v, 1e-9)));
  return { low: values, high: values, logLow: logs, logHigh: logs, canary: c, baseline: b, bucketed: false };
}

/** Lines the two revisions' distributions up, or null when they cannot be compared (different bucket layouts). */
export function sharedCells(canary: LatencyDistribution, baseline: LatencyDistribution): SharedCells | null {
  if (canary.kind === 'samples' && baseline.kind === 'samples') return sampleCells(canary.valuesMs, baseline.valuesMs);
  if (canary.kind === 'buckets' && baseline.kind === 'buckets' && sameBounds(canary.boundsMs, baseline.boundsMs)) {
    return bucketCells(canary.boundsMs, canary.counts, baseline.counts);
  }
  return null;
}

/** Cells of one distribution alone (the canary's absolute bound). */
export function ownCells(distribution: LatencyDistribution): SharedCells {
  return distribution.kind === 'samples'
    ? sampleCells(distribution.valuesMs, [])
    : bucketCells(distribution.boundsMs, distribution.counts, []);
}

function sum(values: readonly number[]): number {
  let total = 0;
  for (const v of values) total += v;
  return total;
}

export interface MannWhitneyResult {
  /** U of the canary: pairs (canary, baseline) where the canary is slower, ties counted ½. */
  readonly u: number;
  readonly nCanary: number;
  readonly nBaseline: number;
  /** √Var(U) under H₀ with the tie correction n₁n₂/12 · ((N + 1) − Σ(t³ − t) / (N(N − 1))). */
  readonly sd: number;
  /** (U − n₁n₂/2 − ½) / sd: continuity-corrected z for "canary slower". */
  readonly z: number;
  /** One-sided p-value of "canary slower" from the normal approximation. */
  readonly pValue: number;
}

/** Mann-Whitney U of the canary against the baseline, each cell a tied group at its midrank. */
export function mannWhitney(cells: SharedCells): MannWhitneyResult {
  const n1 = sum(cells.canary);
  const n2 = sum(cells.baseline);
  const n = n1 + n2;
  let below = 0;
  let rankSum = 0;
  let ties = 0;
  for (let k = 0; k < cells.canary.length; k += 1) {
    const c = cells.canary[k] ?? 0;
    const t = c + (cells.baseline[k] ?? 0);
    if (t === 0) continue;
    rankSum += c * (below + (t + 1) / 2);
    ties += t * t * t - t;
    below += t;
  }
  const u = rankSum - (n1 * (n1 + 1)) / 2;
  const variance = n > 1 ? ((n1 * n2) / 12) * (n + 1 - ties / (n * (n - 1))) : 0;
  const sd = Math.sqrt(Math.max(variance, 0));
  const centred = u - (n1 * n2) / 2;
  const z = sd > 0 ? (centred - 0.5 * Math.sign(centred)) / sd : 0;
  return { u, nCanary: n1, nBaseline: n2, sd, z, pValue: normalSf(z) };
}

/**
 * The distribution of log(canary) − log(baseline) over all canary × baseline pairs, weighted by count products.
 *
 * For samples its atoms are the pairwise differences. For buckets a pair of buckets is spread as the difference of
 * two log-uniform variables (a trapezoid), so the Hodges-Lehmann shift can resolve changes smaller than a bucket
 * (Cloud Run's buckets are ~40 % wide; the allowed effect is 10 %). With one exponential layout every pair of
 * buckets i, j has the same shape and depends only on i − j, so the K² pairs fold into 2K atoms: cheap.
 */
export interface LogDifferences {
  readonly pairs: number;
  /** True for buckets (a continuous distribution), false for samples (atoms at the pairwise differences). */
  readonly continuous: boolean;
  /** Weighted number of pairs with difference < d (strict) or ≤ d. */
  count(d: number, strict: boolean): number;
  /** The r-th smallest difference (1 ≤ r ≤ pairs; fractional ranks interpolate the continuous case). */
  orderStatistic(rank: number): number;
  readonly min: number;
  readonly max: number;
}

function trapezoidCdf(s: number, w1: number, w2: number): number {
  if (s <= 0) return 0;
  const total = w1 + w2;
  if (s >= total) return 1;
  const small = Math.min(w1, w2);
  const large = Math.max(w1, w2);
  if (small === 0) return Math.min(1, s / large);
  if (s <= small) return (s * s) / (2 * w1 * w2);
  if (s <= large) return (s - small / 2) / large;
  const rest = total - s;
  return 1 - (rest * rest) / (2 * w1 * w2);
}

interface Atom {
  /** Lowest difference of the pair (log low of canary − log high of baseline). */
  readonly start: number;
  readonly w1: number;
  readonly w2: number;
  readonly weight: number;
}

function nonEmpty(weights: readonly number[]): number[] {
  const indices: number[] = [];
  weights.forEach((w, k) => {
    if (w > 0) indices.push(k);
  });
  return indices;
}

function bucketDifferences(cells: SharedCells): LogDifferences {
  const ci = nonEmpty(cells.canary);
  const bi = nonEmpty(cells.baseline);
  const widths = cells.logLow.map((lo, k) => (cells.logHigh[k] ?? lo) - lo);
  const firstWidth = widths[0] ?? 0;
  const uniform = widths.every((w) => Math.abs(w - firstWidth) <= 1e-9 * Math.max(1, firstWidth));
  const atoms: Atom[] = [];
  if (uniform) {
    // Exponential layout: fold pairs by index difference i − j, which runs from −max(j) to max(i).
    const offset = bi.length > 0 ? Math.max(...bi) : 0;
    const folded = new Float64Array((ci.length > 0 ? Math.max(...ci) : 0) + offset + 1);
    for (const i of ci) {
      const wc = cells.canary[i] ?? 0;
      for (const j of bi) folded[i - j + offset] = (folded[i - j + offset] ?? 0) + wc * (cells.baseline[j] ?? 0);
    }
    folded.forEach((weight, key) => {
      if (weight > 0)
        atoms.push({ start: (key - offset) * firstWidth - firstWidth, w1: firstWidth, w2: firstWidth, weight });
    });
  } else {
    for (const i of ci) {
      for (const j of bi) {
        atoms.push({
          start: (cells.logLow[i] ?? 0) - (cells.logHigh[j] ?? 0),
          w1: widths[i] ?? 0,
          w2: widths[j] ?? 0,
          weight: (cells.canary[i] ?? 0) * (cells.baseline[j] ?? 0),
        });
      }
    }
  }
  const pairs = sum(cells.canary) * sum(cells.baseline);
  const min = Math.min(...atoms.map((a) => a.start));
  const max = Math.max(...atoms.map((a) => a.start + a.w1 + a.w2));
  const count = (d: number): number => {
    let total = 0;
    for (const a of atoms) total += a.weight * trapezoidCdf(d - a.start, a.w1, a.w2);
    return total;
  };
  const orderStatistic = (rank: number): number => {
    let lo = min;
    let hi = max;
    for (let i = 0; i < 60 && hi - lo > 1e-12; i += 1) {
      const mid = (lo + hi) / 2;
      if (count(mid) >= rank) hi = mid;
      else lo = mid;
    }
    return (lo + hi) / 2;
  };
  return { pairs, continuous: true, count: (d) => count(d), orderStatistic, min, max };
}

function sampleDifferences(cells: SharedCells): LogDifferences {
  // Cells are sorted by value, so both sides' logs are sorted.
  const cv: number[] = [];
  const cw: number[] = [];
  const bv: number[] = [];
  const bw: number[] = [];
  cells.logLow.forEach((v, k) => {
    const c = cells.canary[k] ?? 0;
    const b = cells.baseline[k] ?? 0;
    if (c > 0) {
      cv.push(v);
      cw.push(c);
    }
    if (b > 0) {
      bv.push(v);
      bw.push(b);
    }
  });
  const pairs = sum(cw) * sum(bw);
  const totalB = sum(bw);
  // Weighted pairs with c − b < d (strict) or ≤ d: for each c, the baseline values b > c − d (or ≥).
  // Differences of logs carry rounding: a ratio of exactly 1 + margin must count as a tie, so compare with a
  // tolerance far below any latency resolution.
  const count = (d: number, strict: boolean): number => {
    let total = 0;
    let j = 0;
    let below = 0; // weight of baseline values excluded so far
    const eps = 1e-12 * Math.max(1, Math.abs(d));
    for (let i = 0; i < cv.length; i += 1) {
      const cut = (cv[i] ?? 0) - d + (strict ? eps : -eps);
      while (j < bv.length && (strict ? (bv[j] ?? 0) <= cut : (bv[j] ?? 0) < cut)) {
        below += bw[j] ?? 0;
        j += 1;
      }
      total += (cw[i] ?? 0) * (totalB - below);
    }
    return total;
  };
  const min = (cv[0] ?? 0) - (bv[bv.length - 1] ?? 0);
  const max = (cv[cv.length - 1] ?? 0) - (bv[0] ?? 0);
  const orderStatistic = (rank: number): number => {
    const r = Math.min(Math.max(Math.ceil(rank - 1e-9), 1), pairs);
    let lo = min - 1;
    let hi = max;
    for (let i = 0; i < 200 && hi - lo > 1e-13 * Math.max(1, Math.abs(hi)); i += 1) {
      const mid = (lo + hi) / 2;
      if (count(mid, false) >= r) hi = mid;
      else lo = mid;
    }
    // Snap to the pairwise difference nearest to the bisection's end (within the counting tolerance of it).
    let best = hi;
    let bestGap = Number.POSITIVE_INFINITY;
    for (const c of cv) {
      // first b ≥ c − hi, and the one before it
      let a = 0;
      let z = bv.length;
      while (a < z) {
        const m = (a + z) >> 1;
        if ((bv[m] ?? 0) < c - hi) a = m + 1;
        else z = m;
      }
      for (const b of [bv[a], bv[a - 1]]) {
        if (b === undefined) continue;
        const gap = Math.abs(c - b - hi);
        if (gap < bestGap) {
          bestGap = gap;
          best = c - b;
        }
      }
    }
    return best;
  };
  return { pairs, continuous: false, count, orderStatistic, min, max };
}

/** The weighted pairwise differences of log latency, canary minus baseline. */
export function logDifferences(cells: SharedCells): LogDifferences {
  return cells.bucketed ? bucketDifferences(cells) : sampleDifferences(cells);
}

export interface HodgesLehmannResult {
  /** The median of pairwise log differences, as a ratio: canary ≈ ratio × baseline. */
  readonly ratio: number;
  /** Confidence interval of the ratio, from the Mann-Whitney distribution (normal approximation, ties). */
  readonly interval: readonly [number, number];
}

/**
 * Hodges-Lehmann estimate of the canary's slowdown on the log scale (a ratio, so "10 % slower" means the same at
 * 20 ms and at 2 s) with its confidence interval: order statistics N/2 ∓ z·sd(U) of the pairwise differences.
 */
export function hodgesLehmann(differences: LogDifferences, uSd: number, confidence: number): HodgesLehmannResult {
  const n = differences.pairs;
  // Samples: the classical median of the N pairwise differences (mean of the two middle ones when N is even).
  const median = differences.continuous
    ? differences.orderStatistic(n / 2)
    : (differences.orderStatistic(Math.floor((n + 1) / 2)) + differences.orderStatistic(Math.floor(n / 2) + 1)) / 2;
  const z = normalQuantile(1 - (1 - confidence) / 2);
  const lowRank = Math.max(1, Math.floor(n / 2 - z * uSd));
  const highRank = Math.min(n, n + 1 - lowRank);
  return {
    ratio: Math.exp(median),
    interval: [Math.exp(differences.orderStatistic(lowRank)), Math.exp(differences.orderStatistic(highRank))],
  };
}

/**
 * The Mann-Whitney statistic of canary / (1 + margin) against the baseline — pairs with log difference above
 * log(1 + margin), ties ½ — as a z against N/2 with the tie-corrected sd of U. Positive z: slower than the margin.
 */
export function marginZ(differences: LogDifferences, uSd: number, margin: number): number {
  const d = Math.log1p(margin);
  const above = differences.pairs - (differences.count(d, true) + differences.count(d, false)) / 2;
  return uSd > 0 ? (above - differences.pairs / 2) / uSd : 0;
}

/**
 * The q-quantile of one side of the cells. For buckets, linear interpolation inside the bucket that holds rank
 * q·n (as Prometheus' histogram_quantile does); a rank in the overflow bucket returns its lower bound. For
 * samples, the usual linear interpolation between order statistics (R type 7).
 */
export function quantile(cells: SharedCells, side: 'canary' | 'baseline', q: number): number {
  const counts = cells[side];
  const n = sum(counts);
  if (n === 0) return Number.NaN;
  if (cells.bucketed) {
    const target = q * n;
    let before = 0;
    for (let k = 0; k < counts.length; k += 1) {
      const c = counts[k] ?? 0;
      if (c > 0 && before + c >= target) {
        const lo = cells.low[k] ?? 0;
        const hi = cells.high[k] ?? lo;
        return lo + ((target - before) / c) * (hi - lo);
      }
      before += c;
    }
    return cells.low[counts.length - 1] ?? Number.NaN;
  }
  const h = (n - 1) * q;
  const valueAt = (rank: number): number => {
    let before = 0;
    for (let k = 0; k < counts.length; k += 1) {
      before += counts[k] ?? 0;
      if (before > rank) return cells.low[k] ?? Number.NaN;
    }
    return cells.low[counts.length - 1] ?? Number.NaN;
  };
  const lower = valueAt(Math.floor(h));
  return lower + (h - Math.floor(h)) * (valueAt(Math.ceil(h)) - lower);
}

/**
 * How many of one side's requests are slower than `thresholdMs`. Inside a bucket the count is interpolated
 * linearly, like the quantile (so it can be fractional); the overflow bucket counts as slower.
 */
export function exceedances(cells: SharedCells, side: 'canary' | 'baseline', thresholdMs: number): number {
  const counts = cells[side];
  let above = 0;
  for (let k = 0; k < counts.length; k += 1) {
    const c = counts[k] ?? 0;
    if (c === 0) continue;
    const lo = cells.low[k] ?? 0;
    const hi = cells.high[k] ?? lo;
    const overflow = cells.bucketed && k === counts.length - 1;
    if (overflow || lo > thresholdMs) above += c;
    else if (hi > thresholdMs && hi > lo) above += (c * (hi - thresholdMs)) / (hi - lo);
  }
  return above;
}

/** Pools both sides into one side (the pooled quantile of the tail test). */
export function pooled(cells: SharedCells): SharedCells {
  return { ...cells, canary: cells.canary.map((c, k) => c + (cells.baseline[k] ?? 0)) };
}
