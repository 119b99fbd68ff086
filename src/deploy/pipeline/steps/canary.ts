import {
  decideLook,
  HOLD_MORE_MS,
  withoutHeld,
  type CanaryProgress,
  type CanaryStep,
  type StepEnding,
} from '../../canary/progress.js';
import { canarySpecOf, type CanarySpec } from '../../runbook/schema/index.js';
import { failureReason, initialProgress, look, moveTraffic, showProgress, withStep } from '../canary-look.js';
import { CLEARED } from '../run-data.js';
import { failure, next, type StepContext, type StepOutcome } from '../step-context.js';

const AGAIN: StepOutcome = { kind: 'again' };

/**
 * Strategy canary, after the 0 % checks passed: each step moves the traffic to its percent, then every `interval`
 * judges the canary against the revisions that served before, over the complete minutes since the step began.
 * Pass moves on (after the last step: promoting); Fail rolls back (enforce); Inconclusive until maxHold holds the
 * traffic and asks approvers. One call does one thing and returns `again`, so a cancel, an answer or a stop is seen
 * between them, and the progress in the run lets a restart resume the same step with the same traffic.
 */
export async function canary(ctx: StepContext): Promise<StepOutcome> {
  const deployed = ctx.data.deploy;
  if (deployed === undefined) return failure('canary', 'the deploy step left no revision');
  const spec = canarySpecOf(ctx.runbook.deploy);
  const port = ctx.deps.canaryMeasurements;
  if (port === undefined) return failure('canary', 'this Liftoff has no Cloud Monitoring access to judge a canary');
  const progress = ctx.data.canary ?? initialProgress(spec, deployed);
  const { index } = progress;
  const step = progress.steps[index];
  if (step === undefined) return next('promoting');
  const now = ctx.now();

  if (step.startedAt === null) {
    const moved = await moveTraffic(ctx, step);
    if (!moved.ok)
      return failure('canary', `moving ${step.percent} % to ${deployed.revision} failed: ${moved.message}`);
    const holdUntil = new Date(now.getTime() + spec.maxHold).toISOString();
    await showProgress(ctx, spec, withStep(progress, index, { startedAt: now.toISOString(), holdUntil }));
    return AGAIN;
  }

  const answer = ctx.data.canaryAnswer;
  if (answer !== undefined) {
    await ctx.save({ canaryAnswer: CLEARED });
    // Only an answer to this very question acts; the click checked it too, this closes the race with a step end.
    if (answer.index === index && step.held !== undefined) {
      if (answer.action === 'hold') {
        const holdUntil = new Date(now.getTime() + HOLD_MORE_MS).toISOString();
        await showProgress(ctx, spec, replaceStep(progress, index, { ...withoutHeld(step), holdUntil }));
        return AGAIN;
      }
      const how = answer.action === 'promote' ? 'promote_anyway' : 'roll_back';
      const ended = await endStep(ctx, spec, progress, how, answer.by);
      return how === 'promote_anyway'
        ? next('promoting')
        : failure(
            'canary',
            `${answer.by} rolled back at canary step ${index + 1} (${ended.steps[index]?.percent ?? '?'} %)`,
          );
    }
  }
  if (step.held !== undefined) return pause(ctx, ctx.timings.canaryPollMs);

  const due = Date.parse(step.last?.at ?? step.startedAt) + spec.interval;
  if (now.getTime() < due) return pause(ctx, Math.min(due - now.getTime(), ctx.timings.canaryPollMs));

  const looked = await look(ctx, port, spec, progress, step);
  if ('error' in looked) {
    ctx.deps.logger.warn(`run ${ctx.run.id}: canary look skipped: ${looked.error}`);
    return pause(ctx, ctx.timings.canaryPollMs);
  }
  const verdict = looked.look.verdict;
  const judged = withStep(progress, index, {
    looks: step.looks + 1,
    last: looked.look,
    advisedFails: step.advisedFails + (verdict === 'fail' && spec.judge === 'advise' ? 1 : 0),
  });
  const decision = decideLook({ verdict }, spec.judge, new Date(step.holdUntil ?? now.toISOString()), now);
  switch (decision.kind) {
    case 'wait':
      await showProgress(ctx, spec, judged);
      return AGAIN;
    case 'ask':
      await showProgress(ctx, spec, withStep(judged, index, { held: { askedAt: now.toISOString() } }));
      await ctx.report(`canary-held:${index}`, {
        type: 'canary-held',
        index,
        percent: step.percent,
        heldForMs: now.getTime() - Date.parse(step.startedAt),
      });
      return AGAIN;
    case 'roll_back': {
      const ended = await endStep(ctx, spec, judged, 'fail', null);
      const endedStep = ended.steps[index];
      return failure('canary', endedStep === undefined ? 'the canary failed' : failureReason(index, endedStep));
    }
    case 'advance': {
      const ended = await endStep(ctx, spec, judged, decision.how, null);
      return ended.index >= ended.steps.length ? next('promoting') : AGAIN;
    }
  }
}

/** Ends the current step (its reply, once) and points the progress at the next one. */
async function endStep(
  ctx: StepContext,
  spec: CanarySpec,
  progress: CanaryProgress,
  how: StepEnding,
  by: string | null,
): Promise<CanaryProgress> {
  const { index } = progress;
  const current = progress.steps[index];
  const open = current === undefined ? progress : replaceStep(progress, index, withoutHeld(current));
  const ended = withStep(open, index, { ended: { at: ctx.now().toISOString(), how, by } });
  const moveOn = how === 'pass' || how === 'max_hold';
  const after = moveOn ? { ...ended, index: index + 1 } : ended;
  await showProgress(ctx, spec, after);
  const step = ended.steps[index];
  if (step !== undefined) {
    await ctx.report(`canary-step:${index}`, { type: 'canary-step', index, step, minRequests: spec.minRequests });
  }
  return after;
}

function replaceStep(progress: CanaryProgress, index: number, step: CanaryStep): CanaryProgress {
  return { ...progress, steps: progress.steps.map((s, i) => (i === index ? step : s)) };
}

/** Sleeps a while (at most the poll), unless the process is stopping: the run resumes where it is. */
async function pause(ctx: StepContext, ms: number): Promise<StepOutcome> {
  if (ctx.stopping()) return { kind: 'paused' };
  await ctx.deps.sleep(Math.max(1, ms));
  return AGAIN;
}
