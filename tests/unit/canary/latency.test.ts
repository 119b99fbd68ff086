import {
  exceedances,
  exponentialBounds,
  hodgesLehmann,
  latencyCount,
  logDifferences,
  mannWhitney,
  marginZ,
  ownCells,
  quantile,
  sharedCells,
  type LatencyDistribution,
  type SharedCells,
} from '../../../src/deploy/canary/latency.js';

const samples = (...valuesMs: number[]): LatencyDistribution => ({ kind: 'samples', valuesMs });
const buckets = (boundsMs: number[], counts: number[]): LatencyDistribution => ({ kind: 'buckets', boundsMs, counts });

function cellsOf(canary: LatencyDistribution, baseline: LatencyDistribution): SharedCells {
  const cells = sharedCells(canary, baseline);
  if (cells === null) throw new Error('expected comparable distributions');
  return cells;
}

describe('exponentialBounds', () => {
  it('lists scale · growthⁱ for i = 0 … numFiniteBuckets', () => {
    expect(exponentialBounds({ numFiniteBuckets: 3, growthFactor: 2, scale: 5 })).toEqual([5, 10, 20, 40]);
  });
});

describe('mannWhitney', () => {
  it('counts slower pairs without ties: canary {3, 5, 7} vs baseline {1, 2, 4}', () => {
    // ranks of the canary 3 + 5 + 6 = 14, U = 14 − 3·4/2 = 8; sd = √(3·3·7/12); z = (8 − 4.5 − 0.5) / sd
    const mw = mannWhitney(cellsOf(samples(3, 5, 7), samples(1, 2, 4)));
    expect(mw.u).toBe(8);
    expect(mw.sd).toBeCloseTo(Math.sqrt(5.25), 12);
    expect(mw.z).toBeCloseTo(3 / Math.sqrt(5.25), 12);
  });

  it('uses midranks and the tie correction: canary {2, 2, 3} vs baseline {1, 2, 3}', () => {
    // tie groups of sizes 1, 3, 2: midranks 1, 3, 5.5; R = 3 + 3 + 5.5 = 11.5, U = 5.5
    // Var = 9/12 · (7 − (0 + 24 + 6) / 30) = 4.5; z = (5.5 − 4.5 − 0.5) / √4.5
    const mw = mannWhitney(cellsOf(samples(2, 2, 3), samples(1, 2, 3)));
    expect(mw.u).toBe(5.5);
    expect(mw.sd).toBeCloseTo(Math.sqrt(4.5), 12);
    expect(mw.z).toBeCloseTo(0.5 / Math.sqrt(4.5), 12);
  });

  it('treats a bucket as one tied group: the same table in buckets gives the same U and z', () => {
    const bounds = [10, 20, 40];
    const fromBuckets = mannWhitney(cellsOf(buckets(bounds, [0, 2, 1]), buckets(bounds, [1, 1, 1])));
    expect(fromBuckets.u).toBe(5.5);
    expect(fromBuckets.z).toBeCloseTo(0.5 / Math.sqrt(4.5), 12);
  });

  it('reads counts with trailing zeros left out, as Cloud Monitoring sends them', () => {
    const bounds = [10, 20, 40];
    const short = mannWhitney(cellsOf(buckets(bounds, [0, 2, 1]), buckets(bounds, [1, 1, 1, 0])));
    expect(short.u).toBe(5.5);
  });

  it('refuses to compare different bucket layouts', () => {
    expect(sharedCells(buckets([10, 20], [1, 1, 1]), buckets([10, 30], [1, 1, 1]))).toBeNull();
    expect(sharedCells(samples(1), buckets([10, 20], [1]))).toBeNull();
  });
});

describe('hodgesLehmann (log scale)', () => {
  const hl = (cells: SharedCells) => hodgesLehmann(logDifferences(cells), mannWhitney(cells).sd, 0.95);

  it('is the median pairwise ratio: canary {200, 400} vs baseline {100, 200} → ratios {2, 1, 4, 2} → 2', () => {
    expect(hl(cellsOf(samples(200, 400), samples(100, 200))).ratio).toBeCloseTo(2, 12);
  });

  it('takes the mean of the two middle log ratios when the number of pairs is even', () => {
    // ratios {1, 1, 4, 4}: middle two are 1 and 4 → exp((ln 1 + ln 4) / 2) = 2 (not 2.5)
    expect(hl(cellsOf(samples(100, 400), samples(100, 100))).ratio).toBeCloseTo(2, 12);
  });

  it('odd number of pairs: canary {110, 150, 300} vs baseline {100} → 1.5', () => {
    const result = hl(cellsOf(samples(110, 150, 300), samples(100)));
    expect(result.ratio).toBeCloseTo(1.5, 12);
    // with 3 pairs the 95 % interval is the whole range of ratios
    expect(result.interval[0]).toBeCloseTo(1.1, 12);
    expect(result.interval[1]).toBeCloseTo(3, 12);
  });

  it('resolves a shift of exactly one exponential bucket as the growth factor', () => {
    const bounds = exponentialBounds({ numFiniteBuckets: 10, growthFactor: 1.4, scale: 1 });
    const canary = Array.from({ length: 12 }, (_, k) => (k === 6 ? 100 : 0));
    const baseline = Array.from({ length: 12 }, (_, k) => (k === 5 ? 100 : 0));
    const result = hl(cellsOf(buckets(bounds, canary), buckets(bounds, baseline)));
    expect(result.ratio).toBeCloseTo(1.4, 6);
    expect(result.interval[0]).toBeLessThan(1.4);
    expect(result.interval[1]).toBeGreaterThan(1.4);
  });

  it('is 1 for identical bucketed distributions', () => {
    const bounds = exponentialBounds({ numFiniteBuckets: 10, growthFactor: 1.4, scale: 1 });
    const counts = [0, 0, 3, 10, 40, 80, 40, 10, 3, 0, 0, 0];
    expect(hl(cellsOf(buckets(bounds, counts), buckets(bounds, counts))).ratio).toBeCloseTo(1, 9);
  });
});

describe('marginZ', () => {
  it('is positive only when the canary is slower than the margin', () => {
    const cells = cellsOf(samples(200, 400), samples(100, 200));
    const mw = mannWhitney(cells);
    const d = logDifferences(cells);
    // ratios {1, 2, 2, 4}: above 1.1 → 3 of 4 pairs; above 3 → 1 pair
    expect(marginZ(d, mw.sd, 0.1)).toBeCloseTo((3 - 2) / mw.sd, 12);
    expect(marginZ(d, mw.sd, 2)).toBeCloseTo((1 - 2) / mw.sd, 12);
    // a ratio exactly on the margin counts ½: margin 1 → ratio 2 twice → 1 + ½ + ½ = 2 above
    expect(marginZ(d, mw.sd, 1)).toBeCloseTo(0, 12);
  });
});

describe('quantile and exceedances from buckets', () => {
  // bounds 100, 200, 400, 800 ms; 50 requests in [100, 200), 40 in [200, 400), 10 in [400, 800)
  const cells = ownCells(buckets([100, 200, 400, 800], [0, 50, 40, 10]));

  it('interpolates linearly inside the bucket: p95 → rank 95 is half-way through [400, 800) → 600 ms', () => {
    expect(quantile(cells, 'canary', 0.95)).toBeCloseTo(600, 9);
    expect(quantile(cells, 'canary', 0.5)).toBeCloseTo(200, 9);
    expect(quantile(cells, 'canary', 0.7)).toBeCloseTo(300, 9);
  });

  it('counts requests above a threshold with the same interpolation', () => {
    // 10 · (800 − 500) / 400 = 7.5
    expect(exceedances(cells, 'canary', 500)).toBeCloseTo(7.5, 12);
    expect(exceedances(cells, 'canary', 150)).toBeCloseTo(25 + 40 + 10, 12);
    expect(latencyCount(buckets([100, 200, 400, 800], [0, 50, 40, 10]))).toBe(100);
  });

  it('uses R type 7 on samples', () => {
    const own = ownCells(samples(1, 2, 3, 4, 5));
    expect(quantile(own, 'canary', 0.95)).toBeCloseTo(4.8, 12);
  });
});
