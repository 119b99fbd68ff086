import type { Run } from '../../run.js';
import { transitionRequest, type PipelineDeps, type StepContext } from '../step-context.js';
import { record } from './record.js';

/** Ends a run whose traffic never moved: `failed` (and recorded) or `cancelled`; the lock is freed. */
export async function endRun(
  ctx: StepContext,
  state: 'failed' | 'cancelled',
  step: string,
  reason: string,
): Promise<void> {
  await ctx.save({ failure: { step, message: reason } });
  if (state === 'failed') await record(ctx, 'failed');
  const moved = await ctx.move([ctx.run.state], state, { releaseLock: true, detail: `${step}: ${reason}` });
  if (moved) await ctx.final(state, `${step}: ${reason}`);
}

/** Fails a run whose runbook is gone or invalid: with no runbook there is no thread to tell and nothing to record. */
export async function failWithoutRunbook(deps: PipelineDeps, run: Run): Promise<void> {
  const reason = `the runbook ${run.runbook} is no longer valid or loaded`;
  const written = (await deps.store.updateRunData(run.id, { failure: { step: 'runbook', message: reason } })) ?? run;
  await deps.store.transition(
    transitionRequest(written, [written.state], 'failed', deps.clock.now(), {
      releaseLock: true,
      detail: `runbook: ${reason}`,
    }),
  );
}
