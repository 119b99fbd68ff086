/**
 * `deploy.canary`: the steps of a canary on real traffic and how each is judged (README, 'Canary strategy').
 *
 * Defaults: steps [5, 25, 50], minRequests 250 per revision, interval 1m, maxHold 15m, baseline serving, judge
 * enforce; `judgeOverrides` lays any subset of the judge's parameters (src/deploy/canary/config.ts) over its
 * defaults.
 */
import { z } from 'zod';

import { canaryJudgeOverridesSchema, resolveCanaryJudgeConfig, type CanaryJudgeConfig } from '../../canary/config.js';
import { commaList, duration, HOUR, MINUTE, numeric, strict } from './fields.js';
import { describe } from './messages.js';

export const DEFAULT_CANARY_STEPS: readonly number[] = [5, 25, 50];
export const DEFAULT_CANARY_MIN_REQUESTS = 250;
export const DEFAULT_CANARY_INTERVAL_MS = MINUTE;
export const DEFAULT_CANARY_MAX_HOLD_MS = 15 * MINUTE;

const percent = numeric(
  z
    .number()
    .int({ error: (issue) => `must be a whole percent (got ${describe(issue.input)}): Cloud Run splits in integers` })
    .min(1, { error: (issue) => `must be 1 to 99 (got ${describe(issue.input)})` })
    .max(99, {
      error: (issue) => `must be 1 to 99 (got ${describe(issue.input)}): 100 % is the promotion after the last step`,
    }),
);

const stepsSchema = commaList(percent)
  .superRefine((steps, ctx) => {
    if (steps.length === 0) ctx.addIssue({ code: 'custom', message: 'needs at least one step, e.g. [5, 25, 50]' });
    steps.forEach((step, index) => {
      const before = steps[index - 1];
      if (before !== undefined && step <= before) {
        ctx.addIssue({
          code: 'custom',
          path: [index],
          message: `must be increasing: ${step} comes after ${before} (e.g. [5, 25, 50])`,
        });
      }
    });
  })
  .default([...DEFAULT_CANARY_STEPS]);

const canaryInput = strict({
  /** Percent of the traffic the new revision gets at each step; 100 % follows the last one. */
  steps: stepsSchema,
  /** Requests per revision (complete minutes only) before any verdict but Inconclusive. */
  minRequests: numeric(z.number().int().min(1)).default(DEFAULT_CANARY_MIN_REQUESTS),
  /** How often a step measures and judges. */
  interval: duration({ min: 10_000, max: HOUR }).default(DEFAULT_CANARY_INTERVAL_MS),
  /** How long a step may stay Inconclusive before Liftoff holds the traffic and asks. */
  maxHold: duration({ min: MINUTE, max: 24 * HOUR }).default(DEFAULT_CANARY_MAX_HOLD_MS),
  baseline: z
    .enum(['serving', 'fresh'], { error: (issue) => `must be serving or fresh (got ${describe(issue.input)})` })
    .default('serving'),
  /** enforce: the verdicts move the traffic; advise: reported only (shadow mode). */
  judge: z
    .enum(['enforce', 'advise'], { error: (issue) => `must be enforce or advise (got ${describe(issue.input)})` })
    .default('enforce'),
  /** Any subset of the judge's parameters (src/deploy/canary/config.ts), e.g. `{ errorRate: { margin: 0.01 } }`. */
  judgeOverrides: z.unknown().optional(),
});

export interface CanarySpec {
  readonly steps: readonly number[];
  readonly minRequests: number;
  readonly interval: number;
  readonly maxHold: number;
  readonly baseline: 'serving';
  readonly judge: 'enforce' | 'advise';
  /** The judge's parameters: its defaults, the overrides, and `minRequests`. */
  readonly judgeConfig: CanaryJudgeConfig;
}

export const canarySchema = canaryInput.transform((canary, ctx): CanarySpec => {
  if (canary.baseline === 'fresh') {
    ctx.addIssue({
      code: 'custom',
      path: ['baseline'],
      message:
        'fresh (a second new revision from the serving image) is not supported yet: use baseline: serving, which compares against the revisions that serve now at their reduced share',
    });
    return z.NEVER;
  }
  const overrides = canaryJudgeOverridesSchema.safeParse(canary.judgeOverrides ?? {});
  if (!overrides.success) {
    for (const issue of overrides.error.issues) {
      ctx.addIssue({ code: 'custom', path: ['judgeOverrides', ...issue.path], message: issue.message });
    }
    return z.NEVER;
  }
  if (overrides.data.minRequests !== undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['judgeOverrides', 'minRequests'],
      message: 'is deploy.canary.minRequests: set it there',
    });
    return z.NEVER;
  }
  const resolved = resolveCanaryJudgeConfig({ ...overrides.data, minRequests: canary.minRequests });
  if (!resolved.ok) {
    ctx.addIssue({ code: 'custom', path: ['judgeOverrides'], message: resolved.error.message });
    return z.NEVER;
  }
  return {
    steps: canary.steps,
    minRequests: canary.minRequests,
    interval: canary.interval,
    maxHold: canary.maxHold,
    baseline: 'serving',
    judge: canary.judge,
    judgeConfig: resolved.config,
  };
});

/** The canary of a runbook whose strategy is canary: its section, or every default when it has none. */
export function canarySpecOf(deploy: { readonly canary?: CanarySpec | undefined }): CanarySpec {
  if (deploy.canary !== undefined) return deploy.canary;
  const parsed = canarySchema.safeParse({});
  if (!parsed.success) throw new Error('the canary defaults do not parse');
  return parsed.data;
}
