/**
 * What a canary step does with the outside world, apart from deciding: start its progress, move the traffic of a
 * step, measure and judge one look, keep the card up to date. The decisions are pure (src/deploy/canary/).
 */
import { combinedMeasurements } from '../canary/baseline.js';
import { judgeStep } from '../canary/judge.js';
import { lookOf, type CanaryLook, type CanaryProgress, type CanaryStep } from '../canary/progress.js';
import { baselineRevisions, canaryStepTraffic } from '../canary/traffic-plan.js';
import type { CanaryMeasurementsPort } from '../ports/index.js';
import type { CanarySpec } from '../runbook/schema/index.js';
import type { PipelineData } from './run-data.js';
import type { StepContext } from './step-context.js';

type Deploy = NonNullable<PipelineData['deploy']>;

/** The canary's progress before its first step: every step's traffic is planned from the split that served. */
export function initialProgress(spec: CanarySpec, deployed: Deploy): CanaryProgress {
  const candidate = { revision: deployed.revision, tag: deployed.trafficTag };
  return {
    index: 0,
    baseline: baselineRevisions(deployed.previousTraffic),
    steps: spec.steps.map((percent) => ({
      percent,
      startedAt: null,
      traffic: canaryStepTraffic(deployed.previousTraffic, candidate, percent),
      holdUntil: null,
      looks: 0,
      advisedFails: 0,
    })),
  };
}

/** The progress with step `index` replaced by `patch` applied to it. */
export function withStep(progress: CanaryProgress, index: number, patch: Partial<CanaryStep>): CanaryProgress {
  return { ...progress, steps: progress.steps.map((s, i) => (i === index ? { ...s, ...patch } : s)) };
}

/** Sends the step's full traffic list with the service's etag (one retry on a moved etag). */
export async function moveTraffic(
  ctx: StepContext,
  step: CanaryStep,
): Promise<{ ok: true } | { ok: false; message: string }> {
  let message = '';
  for (let attempt = 0; attempt < 2; attempt++) {
    const service = await ctx.deps.cloudRun.getService(ctx.service);
    const result = await ctx.deps.cloudRun.setTraffic({
      service: ctx.service,
      etag: service.etag,
      traffic: step.traffic,
      deadline: new Date(ctx.now().getTime() + ctx.timings.trafficMs),
    });
    if (result.ok) return { ok: true };
    message = result.message;
    if (result.reason !== 'conflict') break;
  }
  return { ok: false, message };
}

/**
 * One look: canary against the baseline revisions added up, over the complete minutes since the step's traffic was
 * served. A Monitoring refusal is no look (undefined), never a verdict.
 */
export async function look(
  ctx: StepContext,
  port: CanaryMeasurementsPort,
  spec: CanarySpec,
  progress: CanaryProgress,
  step: CanaryStep,
): Promise<{ readonly look: CanaryLook } | { readonly error: string }> {
  const deployed = ctx.data.deploy;
  if (deployed === undefined || step.startedAt === null) return { error: 'the step has not started' };
  const now = ctx.now();
  const result = await port.measure({
    service: ctx.service,
    revisions: [deployed.revision, ...progress.baseline],
    start: new Date(step.startedAt),
    end: now,
  });
  if (!result.ok) return { error: `Cloud Monitoring: ${result.code}: ${result.message}` };
  const [canary, ...baseline] = result.revisions;
  if (canary === undefined) return { error: 'Cloud Monitoring returned no measurement of the canary' };
  const judgement = judgeStep({ canary, baseline: combinedMeasurements(baseline) }, spec.judgeConfig);
  return { look: lookOf(judgement, now, result.window) };
}

/** Saves the progress and shows it on the card (posted once, then edited); a Slack outage never stops a canary. */
export async function showProgress(ctx: StepContext, spec: CanarySpec, progress: CanaryProgress): Promise<void> {
  await ctx.save({ canary: progress });
  const deployed = ctx.data.deploy;
  if (deployed === undefined) return;
  const view = {
    runId: ctx.run.id,
    runbook: ctx.runbook.name,
    revision: deployed.revision,
    mode: spec.judge,
    steps: spec.steps,
    minRequests: spec.minRequests,
    intervalMs: spec.interval,
    progress,
    state: ctx.run.state,
    updatedAt: ctx.now(),
  };
  try {
    const ts = ctx.data.canary?.cardTs;
    if (ts === undefined) {
      const posted = await ctx.deps.reporter.postCanary(ctx.run, view);
      await ctx.save((data) => ({ canary: { ...(data.canary ?? progress), cardTs: posted } }));
    } else {
      await ctx.deps.reporter.updateCanary(ctx.run, ts, view);
    }
  } catch (error) {
    ctx.deps.logger.warn(`run ${ctx.run.id}: could not update the canary card: ${String(error)}`);
  }
}

/** Why a step failed, from its look: the failing metrics with their numbers, for the rollback's reply. */
export function failureReason(index: number, step: CanaryStep): string {
  const failing = step.last?.metrics.filter((m) => m.verdict === 'fail') ?? [];
  const what = failing.map((m) => {
    const fmt = (v: number | null): string =>
      v === null ? '–' : m.valueUnit === 'fraction' ? `${(v * 100).toFixed(2)} %` : `${v.toFixed(1)} ms`;
    return `${m.metric} canary ${fmt(m.canary)} vs baseline ${fmt(m.baseline)} (n ${m.n.canary} | ${m.n.baseline}, p = ${m.pValue.toPrecision(2)})`;
  });
  return `canary step ${index + 1} (${step.percent} %) failed: ${what.join('; ') || 'the judge said fail'}`;
}
