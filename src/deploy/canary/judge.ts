/**
 * The statistical canary judge: per metric a Pass / Fail / Inconclusive verdict with its evidence, and the step's
 * verdict from them. Pure: the caller gives the counts of complete minutes only (a minute Cloud Monitoring has not
 * finished reporting is left out, never read as zero) and the judge is told n, it never infers it.
 *
 * Every metric runs two one-sided tests at the levels of the current look (see `lookLevel`):
 *   Fail — the canary is shown worse than the baseline (or than the bound);
 *   Pass — the canary is shown within its margin (or below the bound);
 *   neither — Inconclusive, and the step keeps collecting requests. Below `minRequests` it is Inconclusive outright.
 */
import type { CanaryJudgeConfig } from './config.js';
import {
  exceedances,
  hodgesLehmann,
  latencyCount,
  logDifferences,
  mannWhitney,
  marginZ,
  ownCells,
  pooled,
  quantile,
  sharedCells,
  type LatencyDistribution,
  type SharedCells,
} from './latency.js';
import {
  binomialCdf,
  binomialSf,
  cleanBaselinePValue,
  fisherExactGreater,
  lookLevel,
  newcombeDifference,
  normalCdf,
  normalQuantile,
  normalSf,
  wilsonInterval,
} from './stats.js';

/** What one revision served over the complete minutes of the step so far. */
export interface RevisionMeasurements {
  /** 5xx responses. */
  readonly errors: number;
  /** Every other response. */
  readonly nonErrors: number;
  /** How many complete minutes the counts cover (evidence only). */
  readonly completeMinutes: number;
  /** `request_latencies` over the same minutes. */
  readonly latency: LatencyDistribution;
}

export interface JudgeInput {
  readonly canary: RevisionMeasurements;
  readonly baseline: RevisionMeasurements;
}

export type Verdict = 'pass' | 'fail' | 'inconclusive';
export type MetricName = 'error_rate' | 'latency_shift' | 'latency_tail' | 'latency_bound';

export type EvidenceReason =
  | 'too_few_requests'
  | 'invalid_measurements'
  | 'incomparable_latency'
  | 'worse_than_baseline'
  | 'above_bound'
  | 'within_margin'
  | 'below_bound'
  | 'undecided';

export type TestName =
  'fisher_exact' | 'clean_baseline' | 'non_inferiority' | 'mann_whitney_margin' | 'tail_share' | 'binomial_quantile';

/** One test run at this look: its p-value against the level of this look, and whether it decided. */
export interface TestRecord {
  readonly test: TestName;
  /** 'fail' tests look for a regression, 'pass' tests for evidence that there is none beyond the margin. */
  readonly side: 'fail' | 'pass';
  readonly pValue: number;
  readonly level: number;
  readonly rejects: boolean;
}

export type Unit = 'fraction' | 'ms' | 'ratio';

export interface MetricEvidence {
  readonly metric: MetricName;
  readonly required: boolean;
  readonly verdict: Verdict;
  readonly reason: EvidenceReason;
  /** The compared values: error rates, p50s, p95s (in `valueUnit`); `baseline` is null when not measured. */
  readonly canary: number;
  readonly baseline: number | null;
  readonly valueUnit: Unit;
  /** What is tested, in `effectUnit`: rate difference, slowdown ratio − 1, excess tail share, share above bound. */
  readonly effect: number;
  /** Interval of `effect` at `confidenceLevel`. */
  readonly interval: readonly [number, number];
  readonly effectUnit: Unit;
  /** The margin (or the bound's allowed share) `effect` is held against. */
  readonly limit: number;
  /** The smallest p-value among the Fail tests at this look. */
  readonly pValue: number;
  readonly tests: readonly TestRecord[];
  readonly n: { readonly canary: number; readonly baseline: number };
  readonly minRequests: number;
  /** Method-specific numbers for the deploy log (U, z, thresholds). */
  readonly statistics: Readonly<Record<string, number>>;
}

export interface StepJudgement {
  readonly verdict: Verdict;
  /** min(n canary, n baseline) / horizonRequests, capped at 1: how far the sequential boundary has gone. */
  readonly informationFraction: number;
  readonly metrics: readonly MetricEvidence[];
}

/**
 * The clean-baseline test keeps the O'Brien–Fleming shape whatever `boundaryShape` says: a clean baseline is
 * evidence only after many requests, so its level is worth more at the horizon than early.
 */
const CLEAN_BASELINE_SHAPE = 0.5;

interface Levels {
  readonly fail: number;
  readonly pass: number;
}

function levelsAt(n: number, failAlpha: number, config: CanaryJudgeConfig, shape = config.boundaryShape): Levels {
  const t = n / config.horizonRequests;
  return { fail: lookLevel(failAlpha, t, shape), pass: lookLevel(config.passAlpha, t, config.boundaryShape) };
}

function requestsOf(r: RevisionMeasurements): number {
  return r.errors + r.nonErrors;
}

function validCounts(r: RevisionMeasurements): boolean {
  return [r.errors, r.nonErrors, r.completeMinutes].every((v) => Number.isInteger(v) && v >= 0);
}

type Base = Pick<MetricEvidence, 'metric' | 'required' | 'minRequests'>;

function undecidedEvidence(
  base: Base,
  reason: 'too_few_requests' | 'invalid_measurements' | 'incomparable_latency',
  n: MetricEvidence['n'],
  units: { valueUnit: Unit; effectUnit: Unit; limit: number },
): MetricEvidence {
  return {
    ...base,
    ...units,
    verdict: 'inconclusive',
    reason,
    canary: Number.NaN,
    baseline: null,
    effect: Number.NaN,
    interval: [Number.NaN, Number.NaN],
    pValue: 1,
    tests: [],
    n,
    statistics: {},
  };
}

function decide(tests: readonly TestRecord[], passReason: EvidenceReason, failReason: EvidenceReason) {
  // Fail wins over Pass: a canary shown worse than the baseline is not promoted because it is also "within margin".
  if (tests.some((t) => t.side === 'fail' && t.rejects)) return { verdict: 'fail' as const, reason: failReason };
  const passTests = tests.filter((t) => t.side === 'pass');
  if (passTests.length > 0 && passTests.every((t) => t.rejects))
    return { verdict: 'pass' as const, reason: passReason };
  return { verdict: 'inconclusive' as const, reason: 'undecided' as const };
}

function test(name: TestName, side: 'fail' | 'pass', pValue: number, level: number): TestRecord {
  return { test: name, side, pValue, level, rejects: pValue <= level };
}

/**
 * One-sided p-value of a bound-versus-margin test built on an interval: the level at which the interval's bound
 * touches the margin, found by bisection on z (the bound moves monotonically with z).
 */
function pValueOfBound(bound: (z: number) => number, margin: number, direction: 'above' | 'below'): number {
  const beyond = (z: number): boolean => (direction === 'above' ? bound(z) > margin : bound(z) < margin);
  // Not even the point estimate is beyond the margin: no evidence at all.
  if (!beyond(0)) return 1;
  let lo = 0;
  let hi = 40;
  if (beyond(hi)) return normalSf(hi);
  for (let i = 0; i < 40 && hi - lo > 1e-6; i += 1) {
    const mid = (lo + hi) / 2;
    if (beyond(mid)) lo = mid;
    else hi = mid;
  }
  return normalSf((lo + hi) / 2);
}

/**
 * Error rate, canary against baseline.
 *
 * Method: Fail when one-sided Fisher's exact test (hypergeometric, exact with log-factorials) rejects "canary rate
 * ≤ baseline rate", or — when the baseline had no error at all — when the clean-baseline test rejects. Fisher's
 * test rather than a beta-binomial posterior: its false-alarm rate is guaranteed for every count, with no prior
 * to defend, and it is exact at small counts. Its one blind spot is a clean baseline (conditioning on the total
 * number of errors discards how many requests the baseline served cleanly: 5 vs 0 errors is p = 1/32 whether the
 * baseline served 50 or 50,000); the clean-baseline test covers exactly that case (see `cleanBaselinePValue`).
 * Pass when Newcombe's upper bound of (canary − baseline) is below `margin`. The margin applies to Pass only: a
 * Fail margin would hide a 0 % → 0.5 % regression, which is the case Kayenta gets wrong (kayenta#377).
 */
export function judgeErrorRate(input: JudgeInput, config: CanaryJudgeConfig): MetricEvidence {
  const { canary, baseline } = input;
  const settings = config.errorRate;
  const base: Base = { metric: 'error_rate', required: settings.required, minRequests: config.minRequests };
  const units = { valueUnit: 'fraction', effectUnit: 'fraction', limit: settings.margin } as const;
  const nc = requestsOf(canary);
  const nb = requestsOf(baseline);
  const n = { canary: nc, baseline: nb };
  if (!validCounts(canary) || !validCounts(baseline)) return undecidedEvidence(base, 'invalid_measurements', n, units);
  if (Math.min(nc, nb) < config.minRequests) return undecidedEvidence(base, 'too_few_requests', n, units);

  const levels = levelsAt(Math.min(nc, nb), settings.alpha, config);
  const cleanLevel = levelsAt(Math.min(nc, nb), settings.cleanBaselineAlpha, config, CLEAN_BASELINE_SHAPE).fail;
  const xc = canary.errors;
  const xb = baseline.errors;
  const tests: TestRecord[] = [
    test(
      'fisher_exact',
      'fail',
      fisherExactGreater({ canaryErrors: xc, canaryRequests: nc, baselineErrors: xb, baselineRequests: nb }),
      levels.fail,
    ),
  ];
  if (xb === 0) tests.push(test('clean_baseline', 'fail', cleanBaselinePValue(xc, nc, nb), cleanLevel));
  const upper = (z: number): number => newcombeDifference(xc, nc, xb, nb, z, z)[1];
  tests.push(test('non_inferiority', 'pass', pValueOfBound(upper, settings.margin, 'below'), levels.pass));

  const z = normalQuantile(1 - (1 - config.confidenceLevel) / 2);
  const { verdict, reason } = decide(tests, 'within_margin', 'worse_than_baseline');
  return {
    ...base,
    ...units,
    verdict,
    reason,
    canary: xc / nc,
    baseline: xb / nb,
    effect: xc / nc - xb / nb,
    interval: newcombeDifference(xc, nc, xb, nb, z, z),
    pValue: Math.min(...tests.filter((t) => t.side === 'fail').map((t) => t.pValue)),
    tests,
    n,
    statistics: {
      canaryErrors: xc,
      baselineErrors: xb,
      completeMinutes: Math.min(canary.completeMinutes, baseline.completeMinutes),
    },
  };
}

/**
 * Latency of the typical request, canary against baseline.
 *
 * Method: Mann-Whitney U on the distributions (a bucket is a tied group; tie-corrected variance; normal
 * approximation, fine at the hundreds of requests a verdict needs) and the Hodges-Lehmann shift on the log scale,
 * i.e. a ratio, with its interval from the same U distribution. Fail when U of canary / (1 + margin) against the
 * baseline is significantly above n₁n₂/2 (the canary is slower by more than the margin); Pass when it is
 * significantly below. Rank tests need no distributional assumption, which latency never satisfies.
 */
export function judgeLatencyShift(input: JudgeInput, config: CanaryJudgeConfig): MetricEvidence {
  return latencyShift(input, config, sharedCells(input.canary.latency, input.baseline.latency));
}

function latencyShift(input: JudgeInput, config: CanaryJudgeConfig, cells: SharedCells | null): MetricEvidence {
  const settings = config.latencyShift;
  const base: Base = { metric: 'latency_shift', required: settings.required, minRequests: config.minRequests };
  const units = { valueUnit: 'ms', effectUnit: 'ratio', limit: settings.margin } as const;
  const nc = latencyCount(input.canary.latency);
  const nb = latencyCount(input.baseline.latency);
  const n = { canary: nc, baseline: nb };
  if (Math.min(nc, nb) < config.minRequests) return undecidedEvidence(base, 'too_few_requests', n, units);
  if (cells === null) return undecidedEvidence(base, 'incomparable_latency', n, units);

  const levels = levelsAt(Math.min(nc, nb), settings.alpha, config);
  const mw = mannWhitney(cells);
  const differences = logDifferences(cells);
  const zMargin = marginZ(differences, mw.sd, settings.margin);
  const tests = [
    test('mann_whitney_margin', 'fail', normalSf(zMargin), levels.fail),
    test('mann_whitney_margin', 'pass', normalCdf(zMargin), levels.pass),
  ];
  const hl = hodgesLehmann(differences, mw.sd, config.confidenceLevel);
  const { verdict, reason } = decide(tests, 'within_margin', 'worse_than_baseline');
  return {
    ...base,
    ...units,
    verdict,
    reason,
    canary: quantile(cells, 'canary', 0.5),
    baseline: quantile(cells, 'baseline', 0.5),
    effect: hl.ratio - 1,
    interval: [hl.interval[0] - 1, hl.interval[1] - 1],
    pValue: normalSf(zMargin),
    tests,
    n,
    statistics: { u: mw.u, z: mw.z, zMargin, pSlower: mw.pValue },
  };
}

/**
 * The latency tail, canary against baseline: the share of each revision's requests above the pooled quantile.
 *
 * Why a second latency test: Mann-Whitney compares typical requests, and a tail that grows while the median stays
 * (p95 +50 %, p50 unchanged) leaves P(canary > baseline) at ½ — it cannot see it. Counting requests above the
 * pooled p95 turns the tail into two proportions (Mood's median test, moved to the 95th percentile); the pooled
 * threshold is the same whichever revision a request came from, so the comparison stays fair. Fail when Newcombe's
 * lower bound of the excess share is above `margin`, Pass when the upper bound is below it.
 */
export function judgeLatencyTail(input: JudgeInput, config: CanaryJudgeConfig): MetricEvidence {
  return latencyTail(input, config, sharedCells(input.canary.latency, input.baseline.latency));
}

function latencyTail(input: JudgeInput, config: CanaryJudgeConfig, cells: SharedCells | null): MetricEvidence {
  const settings = config.latencyTail;
  const base: Base = { metric: 'latency_tail', required: settings.required, minRequests: config.minRequests };
  const units = { valueUnit: 'ms', effectUnit: 'fraction', limit: settings.margin } as const;
  const nc = latencyCount(input.canary.latency);
  const nb = latencyCount(input.baseline.latency);
  const n = { canary: nc, baseline: nb };
  if (Math.min(nc, nb) < config.minRequests) return undecidedEvidence(base, 'too_few_requests', n, units);
  if (cells === null) return undecidedEvidence(base, 'incomparable_latency', n, units);

  const levels = levelsAt(Math.min(nc, nb), settings.alpha, config);
  const threshold = quantile(pooled(cells), 'canary', settings.quantile);
  const kc = exceedances(cells, 'canary', threshold);
  const kb = exceedances(cells, 'baseline', threshold);
  const lower = (z: number): number => newcombeDifference(kc, nc, kb, nb, z, z)[0];
  const upper = (z: number): number => newcombeDifference(kc, nc, kb, nb, z, z)[1];
  const tests = [
    test('tail_share', 'fail', pValueOfBound(lower, settings.margin, 'above'), levels.fail),
    test('tail_share', 'pass', pValueOfBound(upper, settings.margin, 'below'), levels.pass),
  ];
  const z = normalQuantile(1 - (1 - config.confidenceLevel) / 2);
  const { verdict, reason } = decide(tests, 'within_margin', 'worse_than_baseline');
  const q = settings.quantile;
  const canaryQ = quantile(cells, 'canary', q);
  const baselineQ = quantile(cells, 'baseline', q);
  return {
    ...base,
    ...units,
    verdict,
    reason,
    canary: canaryQ,
    baseline: baselineQ,
    effect: kc / nc - kb / nb,
    interval: newcombeDifference(kc, nc, kb, nb, z, z),
    pValue: tests[0]?.pValue ?? 1,
    tests,
    n,
    statistics: {
      pooledThresholdMs: threshold,
      canaryShare: kc / nc,
      baselineShare: kb / nb,
      ratio: canaryQ / baselineQ,
    },
  };
}

/**
 * The absolute bound on the canary alone: its `quantile` (p95) below `thresholdMs`.
 *
 * Method: p95 < T exactly when fewer than 5 % of requests are slower than T, so the count above T (interpolated
 * linearly inside T's bucket, as the quantile is) is held against Binomial(n, 0.05) with an exact tail: Fail when
 * significantly more than 5 % are slower, Pass when significantly fewer. The p95 shown is interpolated the same way,
 * with a distribution-free interval from the binomial ranks n·q ± z·√(n·q·(1 − q)).
 */
export function judgeLatencyBound(input: JudgeInput, config: CanaryJudgeConfig): MetricEvidence {
  const settings = config.latencyBound;
  const allowed = 1 - settings.quantile;
  const base: Base = { metric: 'latency_bound', required: settings.required, minRequests: config.minRequests };
  const units = { valueUnit: 'ms', effectUnit: 'fraction', limit: allowed } as const;
  const nc = latencyCount(input.canary.latency);
  const n = { canary: nc, baseline: latencyCount(input.baseline.latency) };
  if (nc < config.minRequests) return undecidedEvidence(base, 'too_few_requests', n, units);

  const cells = ownCells(input.canary.latency);
  const levels = levelsAt(nc, settings.alpha, config);
  const above = exceedances(cells, 'canary', settings.thresholdMs);
  const tests = [
    test('binomial_quantile', 'fail', binomialSf(Math.floor(above + 1e-9), nc, allowed), levels.fail),
    test('binomial_quantile', 'pass', binomialCdf(Math.ceil(above - 1e-9), nc, allowed), levels.pass),
  ];
  const z = normalQuantile(1 - (1 - config.confidenceLevel) / 2);
  const q = settings.quantile;
  const spread = (z * Math.sqrt(nc * q * (1 - q))) / nc;
  const { verdict, reason } = decide(tests, 'below_bound', 'above_bound');
  return {
    ...base,
    ...units,
    verdict,
    reason,
    canary: quantile(cells, 'canary', q),
    baseline: null,
    effect: above / nc,
    interval: wilsonInterval(above, nc, z),
    pValue: tests[0]?.pValue ?? 1,
    tests,
    n,
    statistics: {
      thresholdMs: settings.thresholdMs,
      quantileLowMs: quantile(cells, 'canary', Math.max(0, q - spread)),
      quantileHighMs: quantile(cells, 'canary', Math.min(1, q + spread)),
    },
  };
}

/**
 * The step's verdict: Fail if any required metric fails; Pass only when every required metric passes (each with
 * its minimum sample, since too few requests is never a Pass); otherwise Inconclusive.
 */
export function judgeStep(input: JudgeInput, config: CanaryJudgeConfig): StepJudgement {
  // The two revisions' cells are lined up once for both comparative latency metrics.
  const cells = sharedCells(input.canary.latency, input.baseline.latency);
  const metrics = [
    judgeErrorRate(input, config),
    latencyShift(input, config, cells),
    latencyTail(input, config, cells),
    judgeLatencyBound(input, config),
  ];
  const required = metrics.filter((m) => m.required);
  const verdict: Verdict = required.some((m) => m.verdict === 'fail')
    ? 'fail'
    : required.length > 0 && required.every((m) => m.verdict === 'pass')
      ? 'pass'
      : 'inconclusive';
  const n = Math.min(requestsOf(input.canary), requestsOf(input.baseline));
  return { verdict, informationFraction: Math.min(1, n / config.horizonRequests), metrics };
}
