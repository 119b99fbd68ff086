/**
 * The canary judge (src/deploy/canary/judge.ts) on simulated traffic, side by side with a Kayenta-style and a
 * Flagger-style judge fed the same requests.
 *
 * Each simulated request is an independent error (Bernoulli) with a log-normal latency, counted into Cloud
 * Run–like exponential buckets (growth 1.4 from 1 ms; the judge reads bounds from the data, so the exact layout
 * is not essential). Both revisions get the same request rate (a `baseline: fresh` step); the judges look once a
 * complete minute, up to HORIZON requests per revision, and a decision is the first non-Inconclusive verdict.
 *
 * Rows: identical revisions (A/A: any Fail is a false alarm) and known regressions (a Fail is a detection), each
 * at several request rates. `—`: that judge reached no decision within the horizon (Kayenta and Flagger need five
 * minutes, i.e. 2,500 requests at 500 a minute). The 0.15 % A/A row is the common error rate at which a
 * zero-error baseline is most often seen by chance next to a few canary errors: the worst case of the
 * clean-baseline test, whose false-alarm rate there cannot go below 0.92 % for any test that detects
 * 0 % → 0.5 % at 2,000 requests 95 % of the time.
 * Run: npx tsx bench/canary-judge.ts [--seed 20240610] [--sims 1000]
 */
import { parseArgs } from 'node:util';

import { DEFAULT_CANARY_JUDGE_CONFIG } from '../src/deploy/canary/config.js';
import { judgeStep, type Verdict } from '../src/deploy/canary/judge.js';
import { exponentialBounds, mannWhitney, ownCells, quantile, sharedCells } from '../src/deploy/canary/latency.js';

const { values } = parseArgs({
  options: {
    seed: { type: 'string', default: '20240610' },
    sims: { type: 'string', default: '1000' },
  },
});
const SEED = Number(values.seed);
const SIMS = Number(values.sims);
const HORIZON = DEFAULT_CANARY_JUDGE_CONFIG.horizonRequests;
const RATES = [100, 250, 500] as const;
const BOUNDS = exponentialBounds({ numFiniteBuckets: 40, growthFactor: 1.4, scale: 1 });
const LOG_GROWTH = Math.log(1.4);

/** mulberry32: a small, fast, seedable PRNG (32-bit state). */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Revision {
  readonly errorRate: number;
  readonly medianMs: number;
  /** σ of log latency. */
  readonly sigma: number;
}

interface Scenario {
  readonly name: string;
  readonly kind: 'A/A' | 'regression';
  readonly baseline: Revision;
  readonly canary: Revision;
}

const SIGMA = 0.6;
const NORMAL: Revision = { errorRate: 0.01, medianMs: 150, sigma: SIGMA };
const SCENARIOS: readonly Scenario[] = [
  { name: 'A/A errors 1 %', kind: 'A/A', baseline: NORMAL, canary: NORMAL },
  { name: 'A/A errors 0 %', kind: 'A/A', baseline: { ...NORMAL, errorRate: 0 }, canary: { ...NORMAL, errorRate: 0 } },
  {
    name: 'A/A errors 0.15 % (worst case)',
    kind: 'A/A',
    baseline: { ...NORMAL, errorRate: 0.0015 },
    canary: { ...NORMAL, errorRate: 0.0015 },
  },
  { name: 'errors 1 % → 3 %', kind: 'regression', baseline: NORMAL, canary: { ...NORMAL, errorRate: 0.03 } },
  { name: 'p50 +25 %', kind: 'regression', baseline: NORMAL, canary: { ...NORMAL, medianMs: 150 * 1.25 } },
  {
    // Same median, heavier tail: σ grows so that p95 = median · e^{1.645σ} is 1.5× the baseline's.
    name: 'p95 +50 % (tail)',
    kind: 'regression',
    baseline: NORMAL,
    canary: { ...NORMAL, sigma: SIGMA + Math.log(1.5) / 1.6448536 },
  },
  {
    name: 'errors 0 % → 0.5 %',
    kind: 'regression',
    baseline: { ...NORMAL, errorRate: 0 },
    canary: { ...NORMAL, errorRate: 0.005 },
  },
];

/** One revision's traffic so far: cumulative counts and the per-minute aggregates the peers read. */
class Traffic {
  errors = 0;
  requests = 0;
  readonly counts: number[] = new Array<number>(BOUNDS.length + 1).fill(0);
  readonly minuteErrorRates: number[] = [];
  readonly minuteMeansMs: number[] = [];
  lastMinute: { errors: number; counts: number[]; requests: number } = { errors: 0, counts: [], requests: 0 };

  private readonly logMedian: number;

  constructor(
    private readonly revision: Revision,
    private readonly random: () => number,
  ) {
    this.logMedian = Math.log(revision.medianMs);
  }

  private spare: number | null = null;

  /** A standard normal draw (Box-Muller, both values of each pair used). */
  private normal(): number {
    if (this.spare !== null) {
      const z = this.spare;
      this.spare = null;
      return z;
    }
    const r = Math.sqrt(-2 * Math.log(1 - this.random()));
    const angle = 2 * Math.PI * this.random();
    this.spare = r * Math.sin(angle);
    return r * Math.cos(angle);
  }

  serveMinute(rate: number): void {
    const minute = new Array<number>(BOUNDS.length + 1).fill(0);
    let errors = 0;
    let sumMs = 0;
    for (let i = 0; i < rate; i += 1) {
      if (this.random() < this.revision.errorRate) errors += 1;
      const logMs = this.logMedian + this.revision.sigma * this.normal();
      sumMs += Math.exp(logMs);
      // bucket 0: < 1 ms; bucket k: [1.4^(k-1), 1.4^k); last: overflow
      const k = logMs < 0 ? 0 : Math.min(BOUNDS.length, Math.floor(logMs / LOG_GROWTH) + 1);
      minute[k] = (minute[k] ?? 0) + 1;
    }
    minute.forEach((c, k) => (this.counts[k] = (this.counts[k] ?? 0) + c));
    this.errors += errors;
    this.requests += rate;
    this.minuteErrorRates.push(errors / rate);
    this.minuteMeansMs.push(sumMs / rate);
    this.lastMinute = { errors, counts: minute, requests: rate };
  }
}

type Judge = (canary: Traffic, baseline: Traffic, finalLook: boolean) => Verdict;

const ours: Judge = (canary, baseline) =>
  judgeStep(
    {
      canary: {
        errors: canary.errors,
        nonErrors: canary.requests - canary.errors,
        completeMinutes: canary.minuteErrorRates.length,
        latency: { kind: 'buckets', boundsMs: BOUNDS, counts: canary.counts },
      },
      baseline: {
        errors: baseline.errors,
        nonErrors: baseline.requests - baseline.errors,
        completeMinutes: baseline.minuteErrorRates.length,
        latency: { kind: 'buckets', boundsMs: BOUNDS, counts: baseline.counts },
      },
    },
    DEFAULT_CANARY_JUDGE_CONFIG,
  ).verdict;

/**
 * Kayenta-style (NetflixACAJudge's Mann-Whitney classifier, simplified): each metric is a time series of
 * one value per minute (error rate, mean latency); a metric is "High" when a two-sided Mann-Whitney test at 98 %
 * confidence rejects and the mean ratio canary / baseline exceeds the fixed effect band (1.1). Its known flaws are
 * kept: it needs KAYENTA_MIN_POINTS minutes per series before it judges (kayenta#633: too few points pass
 * anything), and a baseline mean of 0 makes the ratio undefined, so errors against a clean baseline never count
 * (kayenta#377, #799). It fails at any look where a metric is High and passes at the end of the analysis window.
 */
const KAYENTA_MIN_POINTS = 5;
const KAYENTA_BAND = 1.1;
function kayentaHigh(canary: readonly number[], baseline: readonly number[]): boolean {
  const cells = sharedCells({ kind: 'samples', valuesMs: canary }, { kind: 'samples', valuesMs: baseline });
  if (cells === null) return false;
  const mw = mannWhitney(cells);
  const twoSided = 2 * Math.min(mw.pValue, 1 - mw.pValue);
  const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
  const ratio = mean(canary) / mean(baseline);
  return twoSided < 0.02 && Number.isFinite(ratio) && ratio > KAYENTA_BAND;
}
const kayenta: Judge = (canary, baseline, finalLook) => {
  if (canary.minuteErrorRates.length < KAYENTA_MIN_POINTS) return 'inconclusive';
  if (kayentaHigh(canary.minuteErrorRates, baseline.minuteErrorRates)) return 'fail';
  if (kayentaHigh(canary.minuteMeansMs, baseline.minuteMeansMs)) return 'fail';
  return finalLook ? 'pass' : 'inconclusive';
};

/**
 * Flagger-style: every minute (its `interval`) checks the last minute of the canary alone against fixed
 * thresholds — error rate < 1 % and p99 < 1,000 ms, as in Flagger's examples; rollback after FLAGGER_THRESHOLD
 * failed checks, promotion after FLAGGER_ITERATIONS passed checks (stepWeight 10 up to maxWeight 50).
 */
const FLAGGER_THRESHOLD = 5;
const FLAGGER_ITERATIONS = 5;
const FLAGGER_P99_MS = 1000;
function flaggerJudge(): Judge {
  let failed = 0;
  let passed = 0;
  return (canary) => {
    const minute = canary.lastMinute;
    const p99 = quantile(ownCells({ kind: 'buckets', boundsMs: BOUNDS, counts: minute.counts }), 'canary', 0.99);
    if (minute.errors / minute.requests >= 0.01 || p99 >= FLAGGER_P99_MS) failed += 1;
    else passed += 1;
    if (failed >= FLAGGER_THRESHOLD) return 'fail';
    if (passed >= FLAGGER_ITERATIONS) return 'pass';
    return 'inconclusive';
  };
}

interface Tally {
  fail: number;
  pass: number;
  requestsToDecision: number;
  decided: number;
  requestsToFail: number;
}

const JUDGES = ['liftoff', 'kayenta', 'flagger'] as const;
type JudgeName = (typeof JUDGES)[number];

function runRow(scenario: Scenario, rate: number, random: () => number): Record<JudgeName, Tally> {
  const blank = (): Tally => ({ fail: 0, pass: 0, requestsToDecision: 0, decided: 0, requestsToFail: 0 });
  const tallies: Record<JudgeName, Tally> = { liftoff: blank(), kayenta: blank(), flagger: blank() };
  const minutes = Math.ceil(HORIZON / rate);
  for (let sim = 0; sim < SIMS; sim += 1) {
    const canary = new Traffic(scenario.canary, random);
    const baseline = new Traffic(scenario.baseline, random);
    const judges: Record<JudgeName, Judge> = { liftoff: ours, kayenta, flagger: flaggerJudge() };
    const open = new Set<JudgeName>(JUDGES);
    for (let minute = 1; minute <= minutes && open.size > 0; minute += 1) {
      canary.serveMinute(rate);
      baseline.serveMinute(rate);
      for (const name of [...open]) {
        const verdict = judges[name](canary, baseline, minute === minutes);
        if (verdict === 'inconclusive') continue;
        const t = tallies[name];
        open.delete(name);
        t.decided += 1;
        t.requestsToDecision += canary.requests;
        if (verdict === 'fail') {
          t.fail += 1;
          t.requestsToFail += canary.requests;
        } else {
          t.pass += 1;
        }
      }
    }
  }
  return tallies;
}

const pct = (x: number): string => `${(100 * x).toFixed(1)}%`.padStart(6);
const mean = (total: number, count: number): string =>
  (count === 0 ? '—' : Math.round(total / count).toString()).padStart(5);

const random = mulberry32(SEED);
const started = performance.now();
console.log(
  `canary-judge bench · seed ${SEED} · ${SIMS} simulations per row · horizon ${HORIZON} requests per revision`,
);
console.log(
  `latency log-normal (median 150 ms, σ ${SIGMA}) in exponential buckets ×1.4; looks once a minute; ` +
    `Fail% = false alarms on A/A rows, detections on regressions; n→dec = mean requests per revision to a decision; ` +
    `n→fail = mean requests to a Fail`,
);
const header =
  '| scenario                        | req/min |' +
  JUDGES.map((j) => ` ${j.padEnd(7)} Fail% | Pass%  | n→dec | n→fail |`).join('');
console.log(header);
console.log(header.replace(/[^|]/g, '-'));
for (const scenario of SCENARIOS) {
  for (const rate of RATES) {
    const tallies = runRow(scenario, rate, random);
    const cells = JUDGES.map((j) => {
      const t = tallies[j];
      return `  ${pct(t.fail / SIMS)} | ${pct(t.pass / SIMS)} | ${mean(t.requestsToDecision, t.decided)} | ${mean(t.requestsToFail, t.fail)}  |`;
    });
    console.log(`| ${scenario.name.padEnd(31)} | ${String(rate).padStart(7)} |${cells.join('')}`);
  }
}
console.log(`(${((performance.now() - started) / 1000).toFixed(1)} s)`);
