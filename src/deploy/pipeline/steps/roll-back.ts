import { freezeLease } from '../../freeze.js';
import { probeRequiredHealth } from '../../health-probe.js';
import { withTaggedCandidate } from '../../traffic.js';
import type { RollbackOutcome } from '../step-facts.js';
import type { StepContext } from '../step-context.js';
import { endRun } from './end.js';
import { record } from './record.js';

/**
 * Puts back the traffic that served before the run, checks the old revision answers, and ends the run
 * `rolled_back` (or `failed` if even that fails, loudly). After a failed step the service stays frozen, in the
 * same write that ends the run, so nothing deploys before someone looks.
 */
export async function rollBack(ctx: StepContext, step: string, reason: string): Promise<void> {
  const deployed = ctx.data.deploy;
  if (deployed === undefined) return endRun(ctx, 'failed', step, reason);
  await ctx.save({ failure: { step, message: reason } });
  await ctx.report('failure', { type: 'rolling-back', step, reason });
  const where = ctx.service;
  // The candidate keeps its tag at 0 % so it can still be inspected.
  const restored = withTaggedCandidate(deployed.previousTraffic, deployed.revision, deployed.trafficTag);
  let trafficError: string | null = null;
  let ok = false;
  for (let attempt = 0; attempt < 2 && !ok; attempt++) {
    const service = await ctx.deps.cloudRun.getService(where);
    const result = await ctx.deps.cloudRun.setTraffic({
      service: where,
      etag: service.etag,
      traffic: restored,
      deadline: new Date(ctx.now().getTime() + ctx.timings.trafficMs),
    });
    ok = result.ok;
    if (!result.ok) trafficError = result.message;
  }
  const health = ok ? await healthOnServiceUrl(ctx) : null;
  const verified = ok && (health?.passed ?? true);
  const message = ctx.deps.text.rollbackSummary({ restored, trafficError, health });
  await ctx.save({ rollback: { at: ctx.now().toISOString(), traffic: restored, verified, message } });
  await ctx.report('rollback', { type: 'rolled-back', trafficRestored: ok, verified, summary: message });
  const endState = ok ? 'rolled_back' : 'failed';
  await record(ctx, endState);
  const { run } = ctx;
  // A cancel is the requester's own choice: no freeze.
  const freeze =
    ok && step !== 'cancel'
      ? freezeLease({
          serviceKey: run.serviceKey,
          holderId: run.requesterId,
          reason: `automatic rollback of ${run.id} (${step} failed): re-promote ${deployed.revision} or /deploy unlock ${ctx.runbook.name} once the cause is understood`,
          at: ctx.now(),
          origin: 'rollback',
        })
      : undefined;
  const moved = await ctx.move([run.state], endState, {
    releaseLock: true,
    detail: `${step}: ${reason}`,
    ...(freeze === undefined ? {} : { freeze }),
  });
  if (moved)
    await ctx.final(
      endState,
      `${step}: ${reason}${ok ? '' : ` — and ${message}`}`,
      freeze === undefined ? null : { candidate: deployed.revision, freezeOwnerId: freeze.ownerId },
    );
}

/** The runbook's first required GET check, against the service URL that serves again; null when there is none. */
async function healthOnServiceUrl(ctx: StepContext): Promise<RollbackOutcome['health']> {
  const service = await ctx.deps.cloudRun.getService(ctx.service);
  return service.uri === null ? null : probeRequiredHealth(ctx.runbook, ctx.deps.prober, service.uri);
}
