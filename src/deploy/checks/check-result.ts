import { z } from 'zod';

/** One verification check's result: its measured value beside its bound. */
export const checkResultSchema = z.object({
  name: z.string(),
  kind: z.string(),
  severity: z.enum(['required', 'advisory']),
  /** no_data: nothing could be measured (never a pass); skipped: a check it waits for failed. */
  outcome: z.enum(['pass', 'fail', 'no_data', 'skipped']),
  measured: z.string(),
  bound: z.string(),
  detail: z.string().nullable(),
  durationMs: z.number(),
});
export type CheckResult = z.infer<typeof checkResultSchema>;

/** A required check that did not pass blocks the promotion; an advisory one is only reported. */
export function blocksPromotion(result: CheckResult): boolean {
  return result.severity === 'required' && result.outcome !== 'pass';
}

export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  if (ms < 1) return `${ms.toFixed(2)} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(2)} s`;
}
