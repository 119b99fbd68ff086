/**
 * The traffic of a canary step, as a pure function of the split that served before the run: the candidate gets the
 * step's percent under its tag, the revisions that served share the rest in their old proportions (largest
 * remainder, so the integers Cloud Run requires still sum to 100), and every other tag stays at 0 %.
 */
import type { TrafficTarget } from '../plan.js';

/** The revisions that served before the run and keep serving at a reduced share: the `serving` baseline. */
export function baselineRevisions(previous: readonly TrafficTarget[]): string[] {
  const names = previous.filter((t) => t.percent > 0 && t.revision !== null).map((t) => t.revision ?? '');
  return [...new Set(names)];
}

/**
 * The full traffic list of a step at `percent` (1–99). `previous` is pinned (no LATEST), as the deploy step saved
 * it; the candidate's own earlier entries are replaced.
 */
export function canaryStepTraffic(
  previous: readonly TrafficTarget[],
  candidate: { readonly revision: string; readonly tag: string },
  percent: number,
): TrafficTarget[] {
  const others = previous.filter((t) => t.revision !== candidate.revision && t.tag !== candidate.tag);
  const serving = others.filter((t) => t.percent > 0);
  const total = serving.reduce((sum, t) => sum + t.percent, 0);
  const rest = 100 - percent;
  const exact = serving.map((t) => (total === 0 ? 0 : (t.percent * rest) / total));
  const shares = exact.map(Math.floor);
  let left = rest - shares.reduce((sum, s) => sum + s, 0);
  const order = exact.map((value, index) => ({ index, remainder: value - Math.floor(value) }));
  order.sort((a, b) => b.remainder - a.remainder || a.index - b.index);
  for (const { index } of order) {
    if (left <= 0) break;
    shares[index] = (shares[index] ?? 0) + 1;
    left -= 1;
  }
  let servingIndex = 0;
  const scaled = others.map((t) => (t.percent > 0 ? { ...t, percent: shares[servingIndex++] ?? 0 } : { ...t }));
  return [...scaled, { revision: candidate.revision, latest: false, percent, tag: candidate.tag }];
}
