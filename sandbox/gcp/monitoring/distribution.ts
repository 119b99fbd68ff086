/**
 * `google.api.Distribution` values: recording samples into exponential buckets, merging two distributions (what
 * ALIGN_DELTA over several minutes and REDUCE_SUM across series do), and the message as the API answers it.
 */
import type { ExponentialBuckets } from './metrics.js';

/** A distribution being built: counts by bucket index (0 = underflow, N + 1 = overflow), mean and M2 (Welford). */
export interface DistributionValue {
  readonly buckets: ExponentialBuckets;
  count: number;
  mean: number;
  /** Σ (x − mean)², `sumOfSquaredDeviation`. */
  m2: number;
  readonly bucketCounts: Map<number, number>;
}

export function emptyDistribution(buckets: ExponentialBuckets): DistributionValue {
  return { buckets, count: 0, mean: 0, m2: 0, bucketCounts: new Map() };
}

/**
 * The bucket of `value`: bucket i (1 ≤ i ≤ N) covers [scale·g^(i−1), scale·g^i); below `scale` is the underflow
 * bucket 0, from scale·g^N up the overflow bucket N + 1. The logarithm is corrected at the edges, where it can land
 * one bucket off in floating point.
 */
export function bucketIndex(buckets: ExponentialBuckets, value: number): number {
  const { scale, growthFactor: g, numFiniteBuckets: n } = buckets;
  if (!(value >= scale)) return 0;
  let index = 1 + Math.floor(Math.log(value / scale) / Math.log(g));
  while (index > 1 && value < scale * g ** (index - 1)) index -= 1;
  while (index <= n && value >= scale * g ** index) index += 1;
  return Math.min(index, n + 1);
}

export function addSample(distribution: DistributionValue, value: number): void {
  distribution.count += 1;
  const delta = value - distribution.mean;
  distribution.mean += delta / distribution.count;
  distribution.m2 += delta * (value - distribution.mean);
  const index = bucketIndex(distribution.buckets, value);
  distribution.bucketCounts.set(index, (distribution.bucketCounts.get(index) ?? 0) + 1);
}

/** `into` += `other` (Chan et al.'s pairwise update for the mean and M2). Both must share their bucket options. */
export function mergeInto(into: DistributionValue, other: DistributionValue): void {
  if (other.count === 0) return;
  const total = into.count + other.count;
  const delta = other.mean - into.mean;
  into.m2 += other.m2 + (delta * delta * into.count * other.count) / total;
  into.mean += (delta * other.count) / total;
  into.count = total;
  for (const [index, count] of other.bucketCounts) {
    into.bucketCounts.set(index, (into.bucketCounts.get(index) ?? 0) + count);
  }
}

export function copyDistribution(source: DistributionValue): DistributionValue {
  const copy = emptyDistribution(source.buckets);
  mergeInto(copy, source);
  return copy;
}

/**
 * The Distribution message. `bucketCounts` stops at the last non-empty bucket: the API may send fewer counts than
 * buckets, the rest being zero (google/api/distribution.proto), so a reader must pad, and here it has to.
 */
export function renderDistribution(distribution: DistributionValue): object {
  let last = -1;
  for (const index of distribution.bucketCounts.keys()) last = Math.max(last, index);
  const counts: string[] = [];
  for (let index = 0; index <= last; index += 1) counts.push(String(distribution.bucketCounts.get(index) ?? 0));
  return {
    count: String(distribution.count),
    mean: distribution.mean,
    sumOfSquaredDeviation: distribution.m2,
    bucketOptions: { exponentialBuckets: { ...distribution.buckets } },
    bucketCounts: counts,
  };
}
