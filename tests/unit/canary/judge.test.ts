import {
  DEFAULT_CANARY_JUDGE_CONFIG,
  resolveCanaryJudgeConfig,
  type CanaryJudgeConfig,
} from '../../../src/deploy/canary/config.js';
import {
  judgeErrorRate,
  judgeLatencyBound,
  judgeLatencyShift,
  judgeLatencyTail,
  judgeStep,
  type JudgeInput,
  type RevisionMeasurements,
} from '../../../src/deploy/canary/judge.js';
import { exponentialBounds, type LatencyDistribution } from '../../../src/deploy/canary/latency.js';
import { normalCdf } from '../../../src/deploy/canary/stats.js';

const GROWTH = 1.4;
const BOUNDS = exponentialBounds({ numFiniteBuckets: 40, growthFactor: GROWTH, scale: 1 });

/** n requests of a log-normal latency (median, σ), counted deterministically into the exponential buckets. */
function logNormal(n: number, medianMs: number, sigma: number): LatencyDistribution {
  const cdf = (ms: number): number => normalCdf((Math.log(ms) - Math.log(medianMs)) / sigma);
  const counts = [Math.round(n * cdf(BOUNDS[0] ?? 1))];
  for (let k = 1; k < BOUNDS.length; k += 1)
    counts.push(Math.round(n * (cdf(BOUNDS[k] ?? 0) - cdf(BOUNDS[k - 1] ?? 0))));
  counts.push(0);
  // Rounding: put the remainder in the bucket that holds the median.
  const mode = Math.floor(Math.log(medianMs) / Math.log(GROWTH)) + 1;
  counts[mode] = (counts[mode] ?? 0) + n - counts.reduce((a, b) => a + b, 0);
  return { kind: 'buckets', boundsMs: BOUNDS, counts };
}

function revision(requests: number, errors: number, latency = logNormal(requests, 150, 0.6)): RevisionMeasurements {
  return { errors, nonErrors: requests - errors, completeMinutes: Math.ceil(requests / 100), latency };
}

function config(overrides: unknown): CanaryJudgeConfig {
  const result = resolveCanaryJudgeConfig(overrides);
  if (!result.ok) throw new Error(result.error.message);
  return result.config;
}

const C = DEFAULT_CANARY_JUDGE_CONFIG;

describe('judgeStep', () => {
  it('passes identical healthy revisions once each has enough requests', () => {
    const input: JudgeInput = { canary: revision(2000, 0), baseline: revision(2000, 0) };
    const step = judgeStep(input, C);
    expect(step.verdict).toBe('pass');
    expect(step.metrics.map((m) => [m.metric, m.verdict])).toEqual([
      ['error_rate', 'pass'],
      ['latency_shift', 'pass'],
      ['latency_tail', 'pass'],
      ['latency_bound', 'pass'],
    ]);
    expect(step.informationFraction).toBe(1);
  });

  it('is Inconclusive, never Pass, below minRequests, however good the numbers look', () => {
    const step = judgeStep({ canary: revision(200, 0), baseline: revision(5000, 0) }, C);
    expect(step.verdict).toBe('inconclusive');
    for (const m of step.metrics.filter((x) => x.metric !== 'latency_bound')) {
      expect(m.reason).toBe('too_few_requests');
      expect(m.minRequests).toBe(250);
      expect(m.n).toEqual({ canary: 200, baseline: 5000 });
    }
  });

  it('fails when any required metric fails, and not for a metric that is not required', () => {
    const slow = { canary: revision(2000, 0, logNormal(2000, 1500, 0.6)), baseline: revision(2000, 0) };
    expect(judgeStep(slow, C).verdict).toBe('fail');
    const onlyBound = {
      canary: revision(2000, 0, logNormal(2000, 1500, 0.6)),
      baseline: revision(2000, 0, logNormal(2000, 1500, 0.6)),
    };
    expect(judgeStep(onlyBound, C).verdict).toBe('fail');
    expect(judgeStep(onlyBound, config({ latencyBound: { required: false } })).verdict).toBe('pass');
  });
});

describe('judgeErrorRate', () => {
  it('fails 5 canary errors against a clean baseline at 2,000 each through the clean-baseline test', () => {
    const e = judgeErrorRate({ canary: revision(2000, 5), baseline: revision(2000, 0) }, C);
    expect(e.verdict).toBe('fail');
    expect(e.reason).toBe('worse_than_baseline');
    const byName = Object.fromEntries(e.tests.map((t) => [t.test, t]));
    expect(byName['clean_baseline']?.rejects).toBe(true);
    expect(byName['clean_baseline']?.pValue).toBeCloseTo(0.00924, 4);
    expect(byName['fisher_exact']?.rejects).toBe(false);
    expect(e.canary).toBeCloseTo(0.0025, 12);
    expect(e.baseline).toBe(0);
    expect(e.effect).toBeCloseTo(0.0025, 12);
  });

  it('does not fail 4 errors against a clean baseline, nor pass them (0.2 % is not shown below 0.5 pp yet)', () => {
    const e = judgeErrorRate({ canary: revision(2000, 4), baseline: revision(2000, 0) }, C);
    expect(e.verdict).not.toBe('fail');
  });

  it('fails 1 % → 3 % at the horizon but not the same rates on a quarter of the requests (stricter early looks)', () => {
    expect(judgeErrorRate({ canary: revision(2000, 60), baseline: revision(2000, 20) }, C).verdict).toBe('fail');
    const early = judgeErrorRate({ canary: revision(500, 15), baseline: revision(500, 5) }, C);
    expect(early.verdict).toBe('inconclusive');
    expect(early.tests.find((t) => t.test === 'fisher_exact')?.pValue).toBeLessThan(0.05);
    expect(early.tests.find((t) => t.test === 'fisher_exact')?.level).toBeLessThan(0.001);
  });

  it('passes only once the upper bound of the excess is below the margin', () => {
    // 1 % vs 1 % at 2,000: the 97.5 % upper bound of the difference is ≈ 0.6 pp > 0.5 pp
    expect(judgeErrorRate({ canary: revision(2000, 20), baseline: revision(2000, 20) }, C).verdict).toBe(
      'inconclusive',
    );
    expect(judgeErrorRate({ canary: revision(20000, 200), baseline: revision(20000, 200) }, C).verdict).toBe('pass');
    expect(
      judgeErrorRate(
        { canary: revision(2000, 20), baseline: revision(2000, 20) },
        config({ errorRate: { margin: 0.01 } }),
      ).verdict,
    ).toBe('pass');
  });

  it('refuses counts that are not counts', () => {
    const e = judgeErrorRate({ canary: revision(2000, -1), baseline: revision(2000, 0) }, C);
    expect(e.verdict).toBe('inconclusive');
    expect(e.reason).toBe('invalid_measurements');
  });
});

describe('latency metrics', () => {
  it('fails a canary one bucket slower on the Mann-Whitney margin test, with a Hodges-Lehmann shift of ≈ +40 %', () => {
    const input = {
      canary: revision(2000, 0, logNormal(2000, 150 * GROWTH, 0.6)),
      baseline: revision(2000, 0, logNormal(2000, 150, 0.6)),
    };
    const e = judgeLatencyShift(input, C);
    expect(e.verdict).toBe('fail');
    expect(e.effect).toBeGreaterThan(0.3);
    expect(e.effect).toBeLessThan(0.5);
    expect(e.interval[0]).toBeGreaterThan(0.1);
    expect(e.canary).toBeGreaterThan(e.baseline ?? Number.POSITIVE_INFINITY);
  });

  it('passes a canary that is the same as the baseline, with an interval inside ±10 %', () => {
    const e = judgeLatencyShift({ canary: revision(2000, 0), baseline: revision(2000, 0) }, C);
    expect(e.verdict).toBe('pass');
    expect(e.effect).toBeCloseTo(0, 6);
    expect(e.interval[1]).toBeLessThan(0.1);
  });

  it('sees a heavier tail with the same median, which Mann-Whitney cannot', () => {
    const input = {
      canary: revision(2000, 0, logNormal(2000, 150, 0.85)),
      baseline: revision(2000, 0, logNormal(2000, 150, 0.6)),
    };
    expect(judgeLatencyShift(input, C).verdict).not.toBe('fail');
    const tail = judgeLatencyTail(input, C);
    expect(tail.verdict).toBe('fail');
    expect(tail.canary).toBeGreaterThan(1.3 * (tail.baseline ?? Number.POSITIVE_INFINITY));
  });

  it('holds the canary p95 against the bound: p95 of a 1.5 s median (σ 0.6) is ≈ 4 s > 2 s', () => {
    const slow = judgeLatencyBound(
      { canary: revision(2000, 0, logNormal(2000, 1500, 0.6)), baseline: revision(2000, 0) },
      C,
    );
    expect(slow.verdict).toBe('fail');
    expect(slow.reason).toBe('above_bound');
    expect(slow.canary).toBeGreaterThan(3000);
    const fast = judgeLatencyBound({ canary: revision(2000, 0), baseline: revision(2000, 0) }, C);
    expect(fast.verdict).toBe('pass');
    expect(fast.canary).toBeLessThan(500);
  });

  it('is Inconclusive when the two revisions do not share a bucket layout', () => {
    const other: LatencyDistribution = { kind: 'buckets', boundsMs: [1, 2, 4], counts: [0, 1000, 1000] };
    const e = judgeLatencyShift({ canary: revision(2000, 0, other), baseline: revision(2000, 0) }, C);
    expect(e.verdict).toBe('inconclusive');
    expect(e.reason).toBe('incomparable_latency');
  });
});

describe('resolveCanaryJudgeConfig', () => {
  it('gives the defaults for no overrides, frozen', () => {
    const resolved = config(undefined);
    expect(resolved).toEqual(DEFAULT_CANARY_JUDGE_CONFIG);
    expect(Object.isFrozen(resolved)).toBe(true);
    expect(Object.isFrozen(resolved.errorRate)).toBe(true);
  });

  it('lays partial sections over the defaults', () => {
    const resolved = config({ minRequests: 500, latencyShift: { margin: 0.2 } });
    expect(resolved.minRequests).toBe(500);
    expect(resolved.latencyShift).toEqual({ required: true, alpha: C.latencyShift.alpha, margin: 0.2 });
  });

  it('refuses unknown keys and out-of-range levels with a coded error', () => {
    const bad = resolveCanaryJudgeConfig({ errorRate: { alpha: 2 }, typo: 1 });
    expect(bad.ok).toBe(false);
    if (!bad.ok) {
      expect(bad.error.code).toBe('invalid_judge_config');
      expect(bad.error.message).toMatch(/errorRate\.alpha/);
    }
  });
});
