import { z } from 'zod';
import type { Approval, Store } from './ports/index.js';
import type { Run } from './run.js';

/** Who has approved a run that needs several approvers, as its data keeps it for the plan message. */
export const approvalProgressSchema = z.object({
  required: z.number().int().min(1),
  by: z.array(z.object({ userId: z.string(), at: z.iso.datetime() })),
});

export type ApprovalProgress = z.infer<typeof approvalProgressSchema>;

export function approvalProgressOf(run: Run): ApprovalProgress | undefined {
  const parsed = approvalProgressSchema.safeParse(run.data['approvals']);
  return parsed.success ? parsed.data : undefined;
}

const progress = (required: number, approvals: readonly Approval[]): ApprovalProgress => ({
  required,
  by: approvals.map((a) => ({ userId: a.userId, at: a.at.toISOString() })),
});

/**
 * N-of-M (`approval.required`): counts this approver once, in the store, and says whether the count is reached.
 * The caller has checked that they may approve this run (never the requester, user groups resolved now).
 */
export async function countApproval(
  store: Store,
  input: { readonly run: Run; readonly userId: string; readonly at: Date; readonly required: number },
): Promise<{ readonly complete: boolean; readonly progress: ApprovalProgress }> {
  const approvals = await store.recordApproval({ runId: input.run.id, userId: input.userId, at: input.at });
  return { complete: approvals.length >= input.required, progress: progress(input.required, approvals) };
}
