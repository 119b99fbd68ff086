import type { CommitFilePayload, DeploymentStatusPayload } from '../outbox-worker.js';
import { next, type StepContext, type StepOutcome } from '../step-context.js';
import { deploymentItemId, queueForGitHub } from './outbox.js';

export type RecordOutcome = 'succeeded' | 'rolled_back' | 'failed';

/** The last step of a promoted run: its record goes to the outbox, and the run has succeeded. */
export async function recordSuccess(ctx: StepContext): Promise<StepOutcome> {
  await record(ctx, 'succeeded');
  return next('succeeded');
}

/**
 * Queues the run's record in the outbox, where it waits until GitHub accepts it: the deploy log commit (once there
 * is a revision to tell of) and the GitHub Deployment's final status (once there is a tag commit).
 */
export async function record(ctx: StepContext, outcome: RecordOutcome): Promise<void> {
  const { run, runbook } = ctx;
  const data = ctx.data;
  const now = ctx.now();
  const threadUrl = await ctx.deps.reporter.permalink(run).catch(() => null);
  const trafficAfter =
    outcome === 'succeeded'
      ? (data.promoted?.traffic ?? [])
      : (data.rollback?.traffic ?? data.deploy?.previousTraffic ?? []);
  const rendered =
    data.tag === undefined || data.deploy === undefined
      ? undefined
      : ctx.deps.renderRecord({
          run,
          journal: await ctx.deps.store.journal(run.id),
          runbook,
          template: ctx.template,
          data,
          outcome,
          trafficAfter,
          threadUrl,
          now,
        });
  if (rendered !== undefined) {
    const payload: CommitFilePayload = {
      repo: runbook.source.repo,
      branch: runbook.source.branch,
      files: [...rendered.files],
      message: `docs: deploy log ${runbook.name} ${data.tag?.next ?? ''} (${outcome === 'succeeded' ? 'promoted' : outcome.replace('_', ' ')})\n\nLiftoff-Run: ${run.id}`,
      marker: run.id,
    };
    await queueForGitHub(ctx, 'deploy-log', { kind: 'commitFile', payload }, now);
    await ctx.save({ deployLogPath: rendered.logPath });
  }
  if (data.tag !== undefined) {
    const status: DeploymentStatusPayload = {
      repo: runbook.source.repo,
      deploymentItemId: deploymentItemId(run.id),
      state: outcome === 'succeeded' ? 'success' : outcome === 'rolled_back' ? 'failure' : 'error',
      description: (outcome === 'succeeded'
        ? `${data.deploy?.revision ?? ''} serves 100 %`
        : (data.failure?.message ?? outcome)
      ).slice(0, 140),
      ...(data.promoted?.serviceUrl == null ? {} : { environmentUrl: data.promoted.serviceUrl }),
      ...(threadUrl === null ? {} : { logUrl: threadUrl }),
    };
    await queueForGitHub(
      ctx,
      'status:final',
      { kind: 'deploymentStatus', payload: status },
      new Date(now.getTime() + 2),
    );
  }
}
