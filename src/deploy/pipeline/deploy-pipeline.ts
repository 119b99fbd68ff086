import {
  ACTIVE_STATES,
  AFTER_DEPLOY_STATES,
  CANCELLABLE_STATES,
  inGroup,
  isActive,
  isTerminal,
  type ActiveState,
  type Run,
} from '../run.js';
import { findRunbook } from '../runbook/loader.js';
import type { PipelineData } from './run-data.js';
import {
  DEFAULT_TIMINGS,
  failure,
  StepContext,
  type PipelineDeps,
  type PipelineTimings,
  type Step,
  type StepOutcome,
} from './step-context.js';
import { build } from './steps/build.js';
import { canary } from './steps/canary.js';
import { deploy } from './steps/deploy.js';
import { endRun, failWithoutRunbook } from './steps/end.js';
import { promote } from './steps/promote.js';
import { recordSuccess } from './steps/record.js';
import { rollBack } from './steps/roll-back.js';
import { start } from './steps/start.js';
import { tag } from './steps/tag.js';
import { verify } from './steps/verify.js';
import type { PipelinePort } from '../ports/index.js';

/** The step of each state the pipeline drives. A new kind of step is a state in run.ts and a row here. */
const STEPS: Readonly<Record<ActiveState, Step>> = {
  approved: start,
  tagging: tag,
  building: build,
  deploying: deploy,
  verifying: verify,
  canary,
  promoting: promote,
  recording: recordSuccess,
};

/**
 * Carries an approved run through tagging, building, deploying, verifying, promoting and recording, as a
 * resumable state machine: every step reads what the previous ones saved in the run, so a restart picks up
 * where it stopped (re-attaching to the build, never starting a second one). Any failure after the deploy
 * puts back the traffic that served before.
 */
export class DeployPipeline implements PipelinePort {
  private readonly driving = new Set<string>();
  private readonly timings: PipelineTimings;
  private stopped = false;

  constructor(private readonly deps: PipelineDeps) {
    this.timings = { ...DEFAULT_TIMINGS, ...deps.timings };
  }

  start(run: Run): void {
    void this.drive(run.id);
  }

  /** Picks up every run a previous process left unfinished. */
  async resumeAll(): Promise<void> {
    const runs = await this.deps.store.listRuns({ states: ACTIVE_STATES });
    for (const run of runs) this.start(run);
  }

  /** Stops taking new steps; the runs stay where they are and resume on the next start. */
  async stop(): Promise<void> {
    this.stopped = true;
    while (this.driving.size > 0) await this.deps.sleep(20);
  }

  /** Waits until no run is being driven (tests). */
  async idle(): Promise<void> {
    while (this.driving.size > 0) await new Promise((resolve) => setTimeout(resolve, 10));
  }

  private async drive(runId: string): Promise<void> {
    if (this.driving.has(runId) || this.stopped) return;
    this.driving.add(runId);
    // Renewed while the run is driven here; if this process dies, another picks the run up once it lapses.
    const renewal = setInterval(() => {
      void this.holdDriverLease(runId).catch(() => false);
    }, this.timings.driverLeaseMs / 3);
    renewal.unref();
    try {
      if (!(await this.holdDriverLease(runId))) return;
      for (;;) {
        if (this.stopped) return;
        // Read at every step boundary: a cancel, a freeze or another replica may have written the row meanwhile.
        const run = await this.deps.store.getRun(runId);
        if (run === undefined) return;
        if (isTerminal(run.state)) {
          this.deps.onRunEnded?.(run);
          return;
        }
        const advanced = await this.step(run);
        if (!advanced) return;
        if (!(await this.holdDriverLease(runId))) return;
      }
    } catch (error) {
      this.deps.logger.error(`run ${runId} stopped on an unexpected error; it resumes on the next start`, error);
    } finally {
      clearInterval(renewal);
      await this.deps.store.releaseLock(`driver:${runId}`, this.deps.instanceId).catch(() => false);
      this.driving.delete(runId);
    }
  }

  private async holdDriverLease(runId: string): Promise<boolean> {
    const now = this.deps.clock.now();
    const lease = await this.deps.store.acquireLock({
      serviceKey: `driver:${runId}`,
      ownerId: this.deps.instanceId,
      holderId: this.deps.instanceId,
      reason: `driving ${runId}`,
      acquiredAt: now,
      expiresAt: new Date(now.getTime() + this.timings.driverLeaseMs),
    });
    return lease.ok;
  }

  /** One step of the run. Returns false when the run reached an end (or is driven elsewhere). */
  private async step(run: Run): Promise<boolean> {
    const found = findRunbook(this.deps.catalog(), run.runbook);
    if (found.kind !== 'found') {
      await failWithoutRunbook(this.deps, run);
      return false;
    }
    if (!isActive(run.state)) return false;
    const state = run.state;
    const ctx = new StepContext(run, found.runbook, found.loaded.template, this.deps, this.timings, () => this.stopped);
    // Whether traffic may have to be put back is judged on the data as the step found it.
    const deployed = ctx.data.deploy !== undefined && inGroup(AFTER_DEPLOY_STATES, state);
    const cancel = ctx.data.cancelRequested;
    if (cancel !== undefined && cancelsBeforeStep(state, ctx.data)) {
      const reason = `cancelled by ${cancel.by}`;
      if (deployed) await rollBack(ctx, 'cancel', reason);
      else await endRun(ctx, 'cancelled', state, reason);
      return false;
    }
    let outcome: StepOutcome;
    try {
      outcome = await STEPS[state](ctx);
      if (outcome.kind === 'next') return await this.advance(ctx, state, outcome.state);
    } catch (error) {
      outcome = failure(state, error instanceof Error ? error.message : String(error));
    }
    if (outcome.kind !== 'failed') return outcome.kind === 'again';
    if (deployed && outcome.endState !== 'cancelled') await rollBack(ctx, outcome.step, outcome.message);
    else await endRun(ctx, outcome.endState, outcome.step, outcome.message);
    return false;
  }

  /** The guarded move to the step's next state; the last one ends the run, frees its lock and tells the requester. */
  private async advance(ctx: StepContext, from: ActiveState, to: ActiveState | 'succeeded'): Promise<boolean> {
    if (to !== 'succeeded') return ctx.move([from], to);
    if (await ctx.move([from], to, { releaseLock: true })) await ctx.final('succeeded', null);
    return false;
  }
}

/**
 * Whether a flagged cancel ends the run before the state's step runs. A build already started is left to the build
 * step, which cancels it in Cloud Build (and says so in the thread) instead of leaving it running.
 */
function cancelsBeforeStep(state: ActiveState, data: PipelineData): boolean {
  return inGroup(CANCELLABLE_STATES, state) && !(state === 'building' && data.build !== undefined);
}
