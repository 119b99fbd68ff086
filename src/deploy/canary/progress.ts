/**
 * Where a canary stands, as the run keeps it (`data.canary`), and the pure decision of each look: so a restart
 * resumes the same step with the same traffic, and the card, the step replies and the deploy log read one record.
 */
import { z } from 'zod';

import type { StepJudgement } from './judge.js';

const trafficSchema = z.array(
  z.object({ revision: z.string().nullable(), latest: z.boolean(), percent: z.number(), tag: z.string().nullable() }),
);

/** One metric of a look, as the card and the deploy log show it. */
export const metricLookSchema = z.object({
  metric: z.string(),
  required: z.boolean(),
  verdict: z.enum(['pass', 'fail', 'inconclusive']),
  reason: z.string(),
  canary: z.number(),
  baseline: z.number().nullable(),
  valueUnit: z.string(),
  effect: z.number(),
  interval: z.tuple([z.number(), z.number()]),
  effectUnit: z.string(),
  limit: z.number(),
  pValue: z.number(),
  n: z.object({ canary: z.number(), baseline: z.number() }),
});

export const lookSchema = z.object({
  at: z.iso.datetime(),
  /** The complete minutes measured, [start, end). */
  window: z.object({ start: z.iso.datetime(), end: z.iso.datetime() }),
  verdict: z.enum(['pass', 'fail', 'inconclusive']),
  metrics: z.array(metricLookSchema),
});
export type CanaryLook = z.infer<typeof lookSchema>;

/** How a step ended: by the judge, by an approver's answer, by maxHold in advise mode, or by a cancel. */
export const STEP_ENDINGS = ['pass', 'fail', 'max_hold', 'promote_anyway', 'roll_back', 'cancel'] as const;
export type StepEnding = (typeof STEP_ENDINGS)[number];

export const canaryStepSchema = z.object({
  percent: z.number().int(),
  /** When its traffic was served (null until Cloud Run took the split). */
  startedAt: z.iso.datetime().nullable(),
  traffic: trafficSchema,
  /** Inconclusive past this time: the question (enforce) or the next step (advise). Moved by Hold 15 min more. */
  holdUntil: z.iso.datetime().nullable(),
  looks: z.number().int().default(0),
  last: lookSchema.optional(),
  /** Verdicts that would have acted in advise mode, counted (shadow). */
  advisedFails: z.number().int().default(0),
  held: z.object({ askedAt: z.iso.datetime() }).optional(),
  ended: z.object({ at: z.iso.datetime(), how: z.enum(STEP_ENDINGS), by: z.string().nullable() }).optional(),
});
export type CanaryStep = z.infer<typeof canaryStepSchema>;

export const canaryProgressSchema = z.object({
  index: z.number().int().min(0),
  baseline: z.array(z.string()),
  steps: z.array(canaryStepSchema),
  /** The card's message ts, so a restart edits the same card. */
  cardTs: z.string().optional(),
});
export type CanaryProgress = z.infer<typeof canaryProgressSchema>;

/** An approver's answer to the held question, written by the click, read by the step. */
export const canaryAnswerSchema = z.object({
  index: z.number().int().min(0),
  action: z.enum(['promote', 'rollback', 'hold']),
  by: z.string(),
  at: z.iso.datetime(),
});
export type CanaryAnswer = z.infer<typeof canaryAnswerSchema>;

/** How much longer Hold 15 min more keeps a held step measuring before it asks again. */
export const HOLD_MORE_MS = 15 * 60_000;

/** What a step does after a look. */
export type LookDecision =
  | { readonly kind: 'wait' }
  | { readonly kind: 'advance'; readonly how: 'pass' | 'max_hold' }
  | { readonly kind: 'roll_back' }
  | { readonly kind: 'ask' };

/**
 * enforce: Fail rolls back, Pass moves on, Inconclusive past holdUntil asks. advise: Pass moves on, anything else
 * moves on at holdUntil; a Fail is only reported.
 */
export function decideLook(
  judgement: Pick<StepJudgement, 'verdict'> | undefined,
  mode: 'enforce' | 'advise',
  holdUntil: Date,
  now: Date,
): LookDecision {
  const verdict = judgement?.verdict ?? 'inconclusive';
  if (verdict === 'pass') return { kind: 'advance', how: 'pass' };
  if (verdict === 'fail' && mode === 'enforce') return { kind: 'roll_back' };
  if (now.getTime() < holdUntil.getTime()) return { kind: 'wait' };
  return mode === 'enforce' ? { kind: 'ask' } : { kind: 'advance', how: 'max_hold' };
}

/** The look as kept: the judgement's numbers the card and the log show, without the per-test detail. */
export function lookOf(judgement: StepJudgement, at: Date, window: { start: Date; end: Date }): CanaryLook {
  return {
    at: at.toISOString(),
    window: { start: window.start.toISOString(), end: window.end.toISOString() },
    verdict: judgement.verdict,
    metrics: judgement.metrics.map((m) => ({
      metric: m.metric,
      required: m.required,
      verdict: m.verdict,
      reason: m.reason,
      canary: finite(m.canary),
      baseline: m.baseline === null ? null : finite(m.baseline),
      valueUnit: m.valueUnit,
      effect: finite(m.effect),
      interval: [finite(m.interval[0]), finite(m.interval[1])],
      effectUnit: m.effectUnit,
      limit: finite(m.limit),
      pValue: finite(m.pValue),
      n: m.n,
    })),
  };
}

/** JSON has no NaN or Infinity: an undefined value is kept as 0 (the verdict says it is undecided). */
function finite(value: number): number {
  return Number.isFinite(value) ? value : 0;
}

/** The step with its held question closed (answered, or the step ended). */
export function withoutHeld(step: CanaryStep): CanaryStep {
  const open = { ...step };
  delete open.held;
  return open;
}
