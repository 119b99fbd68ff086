import { next, type StepContext, type StepOutcome } from '../step-context.js';

/** An approved run: its status message goes up in the thread, then the tag step takes over. */
export async function start(ctx: StepContext): Promise<StepOutcome> {
  await ctx.progress();
  return next('tagging');
}
