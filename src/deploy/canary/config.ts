/**
 * The canary judge's parameters and their defaults, in one typed object so the runbook's `deploy.canary.*` keys
 * can map onto it. Why each default is what it is: see the comments, and `bench/canary-judge.ts` for the measured
 * false-alarm and detection rates they give.
 */
import { z } from 'zod';

export interface ErrorRateConfig {
  readonly required: boolean;
  /**
   * Final one-sided level of Fisher's exact test (canary errors above the baseline's). Fisher's test is
   * conservative on small counts, so its real false-alarm rate is below this.
   */
  readonly alpha: number;
  /**
   * Final level of the clean-baseline test (baseline without an error, canary with some). It acts only where
   * Fisher's test cannot (few errors in total), so the two levels do not add up in the false-alarm rate.
   * 0.0095 is the smallest level at which 5 canary errors against a clean baseline fail (p = 0.0092), which is
   * what detecting 0 % → 0.5 % at 2,000 requests per revision 95 % of the time takes.
   */
  readonly cleanBaselineAlpha: number;
  /** Pass only once the canary's rate is shown to be below the baseline's plus this (absolute, 0.005 = 0.5 pp). */
  readonly margin: number;
}

export interface LatencyShiftConfig {
  readonly required: boolean;
  /** Final one-sided level of the Mann-Whitney test of "slower than baseline × (1 + margin)". */
  readonly alpha: number;
  /** Allowed relative slowdown of the typical request (Hodges-Lehmann shift on the log scale): 0.1 = 10 %. */
  readonly margin: number;
}

export interface LatencyTailConfig {
  readonly required: boolean;
  readonly alpha: number;
  /** The tail compared: the share of each revision's requests above the pooled `quantile`. */
  readonly quantile: number;
  /**
   * Allowed excess share of the canary above the pooled quantile (0.025: 7.5 % of canary requests above the
   * pooled p95 where the baseline has 5 %, about a 10–15 % slower p95 for a log-normal latency).
   */
  readonly margin: number;
}

export interface LatencyBoundConfig {
  readonly required: boolean;
  readonly alpha: number;
  /** The canary's `quantile` must be below `thresholdMs` (the runbook's "p95 < 2 s"). */
  readonly quantile: number;
  readonly thresholdMs: number;
}

export interface CanaryJudgeConfig {
  /** Requests per revision (complete minutes only) below which every metric is Inconclusive, never Pass. */
  readonly minRequests: number;
  /**
   * Requests per revision at which the sequential boundary reaches its final level (information fraction 1).
   * Looks before it are stricter (O'Brien–Fleming shape); looks after it keep the final level.
   */
  readonly horizonRequests: number;
  /**
   * How the per-look level grows towards its final value (Wang–Tsiatis Δ: reject at information fraction t when
   * Z ≥ z₁₋ₐ / t^Δ). 0.5 is O'Brien–Fleming (almost nothing spent early), 0 is Pocock (the same level at every
   * look). 0.25: a 1 % → 3 % regression fails ~250 requests sooner than with 0.5, at no measurable cost in false
   * alarms at once-a-minute looks (bench).
   */
  readonly boundaryShape: number;
  /** Two-sided level of the intervals shown on the card; decisions use the per-look levels instead. */
  readonly confidenceLevel: number;
  /**
   * Final one-sided level of every Pass test: the chance to pass a canary that sits exactly on its margin. Less
   * strict than the Fail levels because a wrong Pass at one step is still judged at the next, bigger step.
   */
  readonly passAlpha: number;
  readonly errorRate: ErrorRateConfig;
  readonly latencyShift: LatencyShiftConfig;
  readonly latencyTail: LatencyTailConfig;
  readonly latencyBound: LatencyBoundConfig;
}

/**
 * The defaults. The Fail levels (1 %-ish in total, spread where each test acts) keep identical revisions from
 * failing more than 1 % of the time over all looks up to the horizon; the latency tests can afford 0.1 % because
 * the regressions they exist for are large at 2,000 requests.
 */
export const DEFAULT_CANARY_JUDGE_CONFIG = {
  minRequests: 250,
  horizonRequests: 2000,
  boundaryShape: 0.25,
  confidenceLevel: 0.95,
  passAlpha: 0.025,
  errorRate: { required: true, alpha: 0.004, cleanBaselineAlpha: 0.0095, margin: 0.005 },
  latencyShift: { required: true, alpha: 0.01, margin: 0.1 },
  latencyTail: { required: true, alpha: 0.01, quantile: 0.95, margin: 0.025 },
  latencyBound: { required: true, alpha: 0.01, quantile: 0.95, thresholdMs: 2000 },
} as const satisfies CanaryJudgeConfig;

const level = z.number().gt(0).lt(0.5);
const quantileSchema = z.number().gt(0).lt(1);

/** Overrides as a runbook may give them: any subset, each section partial. */
export const canaryJudgeOverridesSchema = z
  .object({
    minRequests: z.number().int().positive(),
    horizonRequests: z.number().int().positive(),
    boundaryShape: z.number().min(0).max(1),
    confidenceLevel: z.number().gt(0.5).lt(1),
    passAlpha: level,
    errorRate: z
      .object({ required: z.boolean(), alpha: level, cleanBaselineAlpha: level, margin: z.number().min(0).lt(1) })
      .partial()
      .strict(),
    latencyShift: z
      .object({ required: z.boolean(), alpha: level, margin: z.number().min(0).lt(10) })
      .partial()
      .strict(),
    latencyTail: z
      .object({ required: z.boolean(), alpha: level, quantile: quantileSchema, margin: z.number().min(0).lt(1) })
      .partial()
      .strict(),
    latencyBound: z
      .object({ required: z.boolean(), alpha: level, quantile: quantileSchema, thresholdMs: z.number().positive() })
      .partial()
      .strict(),
  })
  .partial()
  .strict();

export type CanaryJudgeOverrides = z.infer<typeof canaryJudgeOverridesSchema>;

export type CanaryJudgeConfigResult =
  | { readonly ok: true; readonly config: CanaryJudgeConfig }
  | { readonly ok: false; readonly error: { readonly code: 'invalid_judge_config'; readonly message: string } };

/** Validates overrides (`unknown`, e.g. from a runbook) and lays them over the defaults into a frozen config. */
export function resolveCanaryJudgeConfig(overrides: unknown): CanaryJudgeConfigResult {
  const parsed = canaryJudgeOverridesSchema.safeParse(overrides ?? {});
  if (!parsed.success) {
    const message = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    return { ok: false, error: { code: 'invalid_judge_config', message } };
  }
  const o = parsed.data;
  const d = DEFAULT_CANARY_JUDGE_CONFIG;
  const e = o.errorRate ?? {};
  const s = o.latencyShift ?? {};
  const t = o.latencyTail ?? {};
  const b = o.latencyBound ?? {};
  const config: CanaryJudgeConfig = {
    minRequests: o.minRequests ?? d.minRequests,
    horizonRequests: o.horizonRequests ?? d.horizonRequests,
    boundaryShape: o.boundaryShape ?? d.boundaryShape,
    confidenceLevel: o.confidenceLevel ?? d.confidenceLevel,
    passAlpha: o.passAlpha ?? d.passAlpha,
    errorRate: Object.freeze({
      required: e.required ?? d.errorRate.required,
      alpha: e.alpha ?? d.errorRate.alpha,
      cleanBaselineAlpha: e.cleanBaselineAlpha ?? d.errorRate.cleanBaselineAlpha,
      margin: e.margin ?? d.errorRate.margin,
    }),
    latencyShift: Object.freeze({
      required: s.required ?? d.latencyShift.required,
      alpha: s.alpha ?? d.latencyShift.alpha,
      margin: s.margin ?? d.latencyShift.margin,
    }),
    latencyTail: Object.freeze({
      required: t.required ?? d.latencyTail.required,
      alpha: t.alpha ?? d.latencyTail.alpha,
      quantile: t.quantile ?? d.latencyTail.quantile,
      margin: t.margin ?? d.latencyTail.margin,
    }),
    latencyBound: Object.freeze({
      required: b.required ?? d.latencyBound.required,
      alpha: b.alpha ?? d.latencyBound.alpha,
      quantile: b.quantile ?? d.latencyBound.quantile,
      thresholdMs: b.thresholdMs ?? d.latencyBound.thresholdMs,
    }),
  };
  return { ok: true, config: Object.freeze(config) };
}
