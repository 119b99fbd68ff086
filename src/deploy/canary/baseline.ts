/**
 * The baseline of a `serving` canary is every revision that served before the run: their measurements are added
 * up into one, as the judge takes one baseline. Latencies add bucket by bucket when the layouts agree (two
 * revisions of one service share Cloud Run's layout); otherwise the revision with the most requests stands alone.
 */
import type { RevisionMeasurements } from './judge.js';
import type { BucketedLatency } from './latency.js';

export function combinedMeasurements(windows: readonly RevisionMeasurements[]): RevisionMeasurements {
  const empty: BucketedLatency = { kind: 'buckets', boundsMs: [], counts: [0] };
  if (windows.length === 0) return { errors: 0, nonErrors: 0, completeMinutes: 0, latency: empty };
  if (windows.length === 1 && windows[0] !== undefined) return windows[0];
  const errors = windows.reduce((sum, w) => sum + w.errors, 0);
  const nonErrors = windows.reduce((sum, w) => sum + w.nonErrors, 0);
  const completeMinutes = Math.max(...windows.map((w) => w.completeMinutes));
  const bucketed = windows.map((w) => w.latency).filter((l): l is BucketedLatency => l.kind === 'buckets');
  const withData = bucketed.filter((l) => l.boundsMs.length > 0);
  const first = withData[0];
  if (first === undefined) return { errors, nonErrors, completeMinutes, latency: empty };
  const sameLayout = withData.every(
    (l) => l.boundsMs.length === first.boundsMs.length && l.boundsMs.every((b, i) => b === first.boundsMs[i]),
  );
  if (!sameLayout) {
    const busiest = [...windows].sort((a, b) => b.errors + b.nonErrors - (a.errors + a.nonErrors))[0];
    return busiest ?? { errors, nonErrors, completeMinutes, latency: empty };
  }
  const counts = Array.from({ length: first.boundsMs.length + 1 }, (_, i) =>
    withData.reduce((sum, l) => sum + (l.counts[i] ?? 0), 0),
  );
  return { errors, nonErrors, completeMinutes, latency: { kind: 'buckets', boundsMs: first.boundsMs, counts } };
}
