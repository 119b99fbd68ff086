import { nextBuildTag } from '../../build-tag.js';
import type { DeploymentPayload, DeploymentStatusPayload } from '../outbox-worker.js';
import type { PipelineData } from '../run-data.js';
import { failure, next, type StepContext, type StepFailure, type StepOutcome } from '../step-context.js';
import { DEPLOYMENT_MESSAGE, deploymentItemId, queueForGitHub } from './outbox.js';

const MAX_TAG_COMMIT_ATTEMPTS = 5;

type BuildTag = NonNullable<PipelineData['tag']>;

/**
 * Commits the next build tag on the branch head (fast-forward only, retried when the ref moved) and opens the
 * GitHub Deployment; the build is of that commit.
 */
export async function tag(ctx: StepContext): Promise<StepOutcome> {
  if (ctx.data.tag === undefined) {
    const found = (await findOwnTagCommit(ctx)) ?? (await commitNextTag(ctx));
    if (found.kind === 'failed') return found;
    const { tag: made } = found;
    await ctx.save({ tag: made });
    await recordDeploymentStart(ctx, made.commitSha, made.next);
    await ctx.report('tag', {
      type: 'tagged',
      current: made.current,
      next: made.next,
      file: made.file,
      branch: ctx.runbook.source.branch,
      commitSha: made.commitSha,
    });
  }
  return next('building');
}

function marker(ctx: StepContext): string {
  return `Liftoff-Run: ${ctx.run.id}`;
}

/** A restart after the commit but before it was saved finds the commit instead of bumping twice. */
async function findOwnTagCommit(ctx: StepContext): Promise<{ kind: 'tagged'; tag: BuildTag } | undefined> {
  const { repo, branch, buildTag } = ctx.runbook.source;
  const ours = (await ctx.deps.repo.recentCommits({ repo, branch, limit: 20 })).find((c) =>
    c.message.includes(marker(ctx)),
  );
  if (ours === undefined) return undefined;
  const content = (await ctx.deps.repo.readFileAtCommit({ repo, sha: ours.sha, path: buildTag.file })) ?? '';
  const nextTag = /to (\S+) \(/.exec(ours.message)?.[1] ?? content.trim();
  return {
    kind: 'tagged',
    tag: {
      file: buildTag.file,
      current: '',
      next: nextTag,
      commitSha: ours.sha,
      image: ctx.runbook.build.image.replaceAll('{tag}', nextTag),
    },
  };
}

async function commitNextTag(ctx: StepContext): Promise<{ kind: 'tagged'; tag: BuildTag } | StepFailure> {
  const { repo, branch, buildTag } = ctx.runbook.source;
  for (let attempt = 1; ; attempt++) {
    const head = await ctx.deps.repo.readFileAtBranch({ repo, branch, path: buildTag.file });
    if (head.content === null) {
      return failure(
        'tag',
        `${buildTag.file} does not exist on ${branch} of ${repo}: create it with the current tag (e.g. deploy-YYYYMMDD-HHMMSS)`,
      );
    }
    const nextTag = nextBuildTag({
      content: head.content,
      scheme: buildTag.scheme,
      now: ctx.now(),
      file: buildTag.file,
    });
    if (!nextTag.ok) return failure('tag', nextTag.message);
    const committed = await ctx.deps.repo.commitFiles({
      repo,
      branch,
      parentSha: head.headSha,
      message: `build: increment BUILD_ID to ${nextTag.next} (${ctx.runbook.name})\n\n${marker(ctx)}`,
      files: [{ path: buildTag.file, content: nextTag.content }],
    });
    if (committed.ok) {
      return {
        kind: 'tagged',
        tag: {
          file: buildTag.file,
          current: nextTag.current,
          next: nextTag.next,
          commitSha: committed.sha,
          image: ctx.runbook.build.image.replaceAll('{tag}', nextTag.next),
        },
      };
    }
    if (attempt >= MAX_TAG_COMMIT_ATTEMPTS) {
      return failure(
        'tag',
        `${branch} kept moving: ${MAX_TAG_COMMIT_ATTEMPTS} attempts to commit the next tag were overtaken by other pushes`,
      );
    }
  }
}

/** The GitHub Deployment of the tag commit and its in_progress status, through the outbox. */
async function recordDeploymentStart(ctx: StepContext, sha: string, buildTag: string): Promise<void> {
  const { run, runbook } = ctx;
  const now = ctx.now();
  const deployment: DeploymentPayload = {
    repo: runbook.source.repo,
    ref: sha,
    environment: 'production',
    description: `Liftoff ${run.id}: ${runbook.name} ${buildTag}`.slice(0, 140),
    payload: { runId: run.id, runbook: runbook.name, service: runbook.service.name, tag: buildTag },
  };
  await queueForGitHub(ctx, DEPLOYMENT_MESSAGE, { kind: 'deployment', payload: deployment }, now);
  const status: DeploymentStatusPayload = {
    repo: runbook.source.repo,
    deploymentItemId: deploymentItemId(run.id),
    state: 'in_progress',
    description: `Building ${buildTag}`,
  };
  await queueForGitHub(
    ctx,
    'status:in_progress',
    { kind: 'deploymentStatus', payload: status },
    new Date(now.getTime() + 1),
  );
}
