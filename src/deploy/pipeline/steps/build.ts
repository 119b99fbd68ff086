import { formatMs } from '../../checks/check-result.js';
import { isImageDigest } from '../../image-digest.js';
import { TERMINAL_BUILD_STATUSES, type BuildSnapshot } from '../../ports/index.js';
import { failure, next, type StepContext, type StepOutcome } from '../step-context.js';

/** Why a build ended, as the run's failure records it (journal, GitHub status, deploy log, thread). */
const BUILD_FAILURE_TEXT: Record<string, string> = {
  FAILURE: 'the build failed',
  INTERNAL_ERROR: 'Cloud Build had an internal error',
  TIMEOUT: 'the build ran past its timeout',
  CANCELLED: 'the build was cancelled',
  EXPIRED: 'the build expired in the queue before it could start',
  STATUS_UNKNOWN: 'Cloud Build reports an unknown status',
};

/**
 * Builds the tagged commit's image with Cloud Build and waits for it. The build id is saved before the wait, so a
 * restart re-attaches instead of building again; a cancel asked meanwhile cancels the build itself.
 */
export async function build(ctx: StepContext): Promise<StepOutcome> {
  const { runbook } = ctx;
  const tagged = ctx.data.tag;
  if (tagged === undefined) return failure('build', 'no build tag was recorded for this run');
  const where = { project: runbook.service.project, region: runbook.service.region };
  let started = ctx.data.build;
  if (started === undefined) {
    const existing = await ctx.deps.build.findBuildOfRun({ ...where, runId: ctx.run.id });
    const made =
      existing === undefined
        ? await ctx.deps.build.startBuild({
            ...where,
            source: runbook.build.source,
            repo: runbook.source.repo,
            commitSha: tagged.commitSha,
            image: tagged.image,
            timeoutMs: runbook.build.timeout,
            runId: ctx.run.id,
            ...(runbook.build.machineType === undefined ? {} : { machineType: runbook.build.machineType }),
          })
        : { buildId: existing.id, logUrl: existing.logUrl };
    started = { id: made.buildId, logUrl: made.logUrl, startedAt: ctx.now().toISOString() };
    // Saved before waiting: a restart re-attaches to this build instead of starting another.
    await ctx.save({ build: started });
    await ctx.report('build-started', {
      type: 'build-started',
      buildId: started.id,
      image: tagged.image,
      timeoutMs: runbook.build.timeout,
      logUrl: started.logUrl,
    });
  }
  const startedAt = Date.parse(started.startedAt);
  const giveUpAt = startedAt + runbook.build.timeout + ctx.timings.buildGraceMs;
  let snapshot: BuildSnapshot;
  let cancelling = false;
  for (;;) {
    snapshot = await ctx.deps.build.getBuild({ ...where, buildId: started.id });
    if (TERMINAL_BUILD_STATUSES.includes(snapshot.status)) break;
    // Re-read: `/deploy cancel` flags the run from another request, maybe on another replica.
    await ctx.reread();
    if (!cancelling && ctx.data.cancelRequested !== undefined) {
      cancelling = true;
      await ctx.deps.build.cancelBuild({ ...where, buildId: started.id });
    }
    if (ctx.now().getTime() > giveUpAt) {
      await ctx.deps.build.cancelBuild({ ...where, buildId: started.id }).catch(() => undefined);
      return failure(
        'build',
        `build ${started.id} was still ${snapshot.status} ${formatMs(ctx.now().getTime() - startedAt)} after it started; Liftoff cancelled it`,
      );
    }
    await ctx.progress({
      build: {
        status: snapshot.status,
        step: snapshot.currentStep,
        elapsedMs: ctx.now().getTime() - startedAt,
        logUrl: snapshot.logUrl ?? started.logUrl,
      },
    });
    if (ctx.stopping()) return { kind: 'paused' };
    await ctx.deps.sleep(ctx.timings.buildPollMs);
  }
  const elapsed =
    (snapshot.finishedAt?.getTime() ?? ctx.now().getTime()) - (snapshot.startedAt?.getTime() ?? startedAt);
  await ctx.save({ build: { ...started, status: snapshot.status, elapsedMs: elapsed } });
  await ctx.progress({
    build: {
      status: snapshot.status,
      step: snapshot.currentStep,
      elapsedMs: elapsed,
      logUrl: snapshot.logUrl ?? started.logUrl,
    },
  });
  if (snapshot.status !== 'SUCCESS') {
    const why = `${BUILD_FAILURE_TEXT[snapshot.status] ?? snapshot.status} (${snapshot.status}${snapshot.statusDetail === null ? '' : `: ${snapshot.statusDetail}`}); no traffic was moved`;
    await ctx.report('build-result', {
      type: 'build-failed',
      buildId: started.id,
      status: snapshot.status,
      reason: why,
      logUrl: snapshot.logUrl,
    });
    return failure('build', why, snapshot.status === 'CANCELLED' ? 'cancelled' : 'failed');
  }
  // Deployed by digest: a build whose result does not name the digest of the image it was asked for ships nothing.
  const digest = snapshot.images.find((i) => i.name === tagged.image)?.digest ?? null;
  if (digest === null || !isImageDigest(digest))
    return failure(
      'build',
      `build ${started.id} succeeded but its result names no digest for ${tagged.image}; Liftoff deploys by digest, so nothing was deployed and no traffic was moved`,
    );
  await ctx.save({ build: { ...started, status: snapshot.status, elapsedMs: elapsed, digest } });
  await ctx.report('build-result', {
    type: 'build-succeeded',
    buildId: started.id,
    elapsedMs: elapsed,
    images: snapshot.images,
    logUrl: snapshot.logUrl,
  });
  return next('deploying');
}
