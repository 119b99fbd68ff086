import { pinnedImage } from '../../image-digest.js';
import { revisionName, revisionTag } from '../../revision-tag.js';
import { allTrafficTo, describeTraffic, pinTraffic, withoutBrokenTags, withTaggedCandidate } from '../../traffic.js';
import { deploySettingsOf } from '../deploy-settings.js';
import type { ServiceSnapshot } from '../../ports/index.js';
import { CLEARED, type PipelineData } from '../run-data.js';
import { failure, next, type StepContext, type StepFailure, type StepOutcome } from '../step-context.js';

type Deploy = NonNullable<PipelineData['deploy']>;

/**
 * Cloud Run names of a deploy: `<service>-<build tag>-<run>` for the revision, `build-<build tag>` for its traffic
 * tag, each shortened to what Cloud Run accepts (revision-tag.ts).
 */
export function revisionNames(
  service: string,
  buildTag: string,
  runId: string,
): { readonly kind: 'named'; readonly revision: string; readonly trafficTag: string } | StepFailure {
  const trafficTag = revisionTag(service, `build-${buildTag}`);
  if (!trafficTag.ok) return failure('deploy', trafficTag.message);
  return {
    kind: 'named',
    revision: revisionName(service, buildTag, runId.replace(/^run-/, '').slice(0, 6)),
    trafficTag: trafficTag.tag,
  };
}

/**
 * Creates the new revision with an explicit name and a 0 % tag (all the traffic at once for `direct`), then waits
 * for Cloud Run's URL of that tag: the URL the checks use. The revision name is saved before the update, so a
 * restart tells whether it was sent.
 */
export async function deploy(ctx: StepContext): Promise<StepOutcome> {
  const tagged = ctx.data.tag;
  if (tagged === undefined) return failure('deploy', 'no build tag was recorded for this run');
  const digest = ctx.data.build?.digest;
  if (digest === undefined) return failure('deploy', 'no image digest was recorded for this run’s build');
  const names = revisionNames(ctx.runbook.service.name, tagged.next, ctx.run.id);
  if (names.kind === 'failed') return names;
  const where = ctx.service;
  let service = await ctx.deps.cloudRun.getService(where);
  const saved = ctx.data.deploy;
  const existing = saved === undefined ? undefined : await ctx.deps.cloudRun.getRevision(where, saved.revision);
  let deployed: Deploy;
  if (saved === undefined || existing === undefined) {
    const previousTraffic =
      saved?.previousTraffic ??
      withoutBrokenTags(
        pinTraffic(service.traffic, service.latestReadyRevision),
        await ctx.deps.cloudRun.listRevisions(where, 20),
      );
    deployed = {
      revision: names.revision,
      trafficTag: names.trafficTag,
      startedAt: saved?.startedAt ?? ctx.now().toISOString(),
      previousTraffic,
      previousRevision:
        previousTraffic.filter((t) => t.percent > 0).sort((a, b) => b.percent - a.percent)[0]?.revision ?? null,
    };
    const updated = await sendUpdate(ctx, deployed, pinnedImage(tagged.image, digest), service.etag);
    if (updated.kind === 'failed') return updated;
    service = updated.service;
  } else if (existing.state === 'failed') {
    await ctx.save({ deploy: CLEARED });
    return failure('deploy', `Cloud Run: ${existing.message ?? `revision ${existing.name} failed`}; traffic untouched`);
  } else if (existing.state === 'pending') {
    await ctx.deps.sleep(ctx.timings.buildPollMs);
    return { kind: 'again' };
  } else {
    deployed = saved;
  }
  if (ctx.runbook.deploy.allowUnauthenticated && (await ctx.deps.cloudRun.ensurePublicInvoker(where)) === 'added') {
    await ctx.report('invoker', { type: 'public-access-restored' });
  }
  const readyAt = ctx.now();
  const candidate = service.trafficStatuses.find((t) => t.tag === deployed.trafficTag && t.uri !== null);
  if (candidate?.uri === undefined || candidate.uri === null) {
    return failure('deploy', `Cloud Run reports no URL for the tag ${deployed.trafficTag}`);
  }
  await ctx.save({ candidate: { url: candidate.uri, readyAt: readyAt.toISOString() } });
  await ctx.report('deploy', {
    type: 'revision-ready',
    revision: deployed.revision,
    trafficTag: deployed.trafficTag,
    strategy: ctx.runbook.deploy.strategy,
    startedToReadyMs: readyAt.getTime() - Date.parse(deployed.startedAt),
    previousTraffic: deployed.previousTraffic,
    candidateUrl: candidate.uri,
  });
  return next('verifying');
}

/** Saves the deploy, then sends the update under the service's etag; a refused update clears the deploy again. */
async function sendUpdate(
  ctx: StepContext,
  deployed: Deploy,
  image: string,
  etag: string,
): Promise<{ readonly kind: 'updated'; readonly service: ServiceSnapshot } | StepFailure> {
  const { runbook } = ctx;
  const where = ctx.service;
  // Saved before the update: after a restart, the revision name tells whether the update was sent.
  await ctx.save({ deploy: deployed });
  const tagged = withTaggedCandidate(deployed.previousTraffic, deployed.revision, deployed.trafficTag);
  const result = await ctx.deps.cloudRun.deployRevision({
    service: where,
    etag,
    revision: deployed.revision,
    image,
    settings: deploySettingsOf(runbook),
    env: runbook.deploy.env,
    secrets: runbook.deploy.secrets ?? {},
    traffic: runbook.deploy.strategy === 'direct' ? allTrafficTo(tagged, deployed.revision) : tagged,
    deadline: new Date(ctx.now().getTime() + ctx.timings.revisionReadyMs),
  });
  if (result.ok) return { kind: 'updated', service: result.service };
  if (result.reason === 'conflict') {
    const now = await ctx.deps.cloudRun.getService(where);
    const message = `someone else changed ${runbook.service.name} while Liftoff deployed (serving now: ${describeTraffic(now.traffic)}); nothing was overwritten. ${result.message}`;
    await ctx.save({ deploy: CLEARED });
    return failure('deploy', message);
  }
  if (result.reason === 'revision_failed' || result.reason === 'rejected') {
    // Traffic never reached the new revision: nothing to roll back.
    await ctx.save({ deploy: CLEARED });
    return failure('deploy', `Cloud Run: ${result.message}; traffic untouched`);
  }
  return failure('deploy', `Cloud Run did not finish the update in time: ${result.message}`);
}
