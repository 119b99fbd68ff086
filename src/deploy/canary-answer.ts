/**
 * An approver's answer to a held canary step (Promote anyway / Roll back / Hold 15 min more). The button names only
 * the run and the step; the answer is read against the run as stored, acts only while that run is still held at
 * that step, and is written for the pipeline, which carries it out (it drives the traffic, never the click).
 */
import { mayApprove, type AccessDecision } from './access.js';
import { canaryProgressSchema, type CanaryAnswer } from './canary/progress.js';
import type { Clock, Store, UserGroupDirectory } from './ports/index.js';
import type { Run } from './run.js';
import { findRunbook, type RunbookCatalog } from './runbook/loader.js';

export type CanaryAnswerResult =
  | { readonly kind: 'not_found'; readonly runId: string }
  | { readonly kind: 'forbidden'; readonly run: Run; readonly decision: Exclude<AccessDecision, { allowed: true }> }
  /** The question is no longer open: the run moved on, ended, or is held at another step; `why` says which. */
  | { readonly kind: 'stale'; readonly run: Run; readonly why: string }
  | { readonly kind: 'answered'; readonly run: Run; readonly action: CanaryAnswer['action']; readonly index: number };

export interface CanaryAnswerDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly directory: UserGroupDirectory;
  readonly catalog: () => RunbookCatalog;
}

export async function answerCanary(
  deps: CanaryAnswerDeps,
  input: {
    readonly runId: string;
    readonly index: number;
    readonly action: CanaryAnswer['action'];
    readonly userId: string;
  },
): Promise<CanaryAnswerResult> {
  const run = await deps.store.getRun(input.runId);
  if (run === undefined) return { kind: 'not_found', runId: input.runId };
  const found = findRunbook(deps.catalog(), run.runbook);
  if (found.kind !== 'found') return { kind: 'stale', run, why: `the runbook ${run.runbook} is no longer loaded` };
  // An approver's call, as a freeze is: being the requester does not matter here.
  const access = await mayApprove(
    { ...found.runbook.access, selfApproval: true },
    input.userId,
    input.userId,
    deps.directory,
  );
  if (!access.allowed) return { kind: 'forbidden', run, decision: access };
  if (run.state !== 'canary')
    return { kind: 'stale', run, why: `the run is ${run.state.replace('_', ' ')}, no longer in its canary` };
  const progress = canaryProgressSchema.safeParse(run.data['canary']);
  const held = progress.success ? progress.data.steps[progress.data.index]?.held : undefined;
  if (!progress.success || held === undefined)
    return { kind: 'stale', run, why: 'no canary step is waiting for an answer' };
  if (progress.data.index !== input.index) {
    return {
      kind: 'stale',
      run,
      why: `the question was about step ${input.index + 1}; the run is at step ${progress.data.index + 1}`,
    };
  }
  if (run.data['canaryAnswer'] !== undefined && run.data['canaryAnswer'] !== null) {
    return { kind: 'stale', run, why: 'another approver has already answered' };
  }
  const answer: CanaryAnswer = {
    index: input.index,
    action: input.action,
    by: input.userId,
    at: deps.clock.now().toISOString(),
  };
  const written = await deps.store.updateRunData(run.id, { canaryAnswer: answer });
  return { kind: 'answered', run: written ?? run, action: input.action, index: input.index };
}
