import { z } from 'zod';
import type { Clock, OutboxItem, Store } from '../ports/index.js';
import type { RepoPort } from '../ports/index.js';

/** What Liftoff owes GitHub: kept in the store until GitHub accepts it, so an outage delays it, never loses it. */
export const OUTBOX_KINDS = {
  commitFile: 'github.commit-file',
  deployment: 'github.deployment',
  deploymentStatus: 'github.deployment-status',
} as const;

export const indexRowSchema = z.object({
  date: z.string(),
  revision: z.string(),
  tag: z.string(),
  description: z.string(),
  status: z.string(),
  logPath: z.string().optional(),
});
export type IndexRow = z.infer<typeof indexRowSchema>;

/** One file of a record commit: the deploy log (appended to the day's file), an index row, or a whole file. */
const recordFileSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('deploy-log'), path: z.string(), content: z.string() }),
  z.object({ kind: z.literal('index-row'), path: z.string(), row: indexRowSchema }),
  z.object({ kind: z.literal('replace'), path: z.string(), content: z.string() }),
]);
export type RecordFile = z.infer<typeof recordFileSchema>;

const commitFilePayload = z.object({
  repo: z.string(),
  branch: z.string(),
  message: z.string(),
  /** Present in the deploy log once it is written: a retry after a lost answer must not write twice. */
  marker: z.string(),
  files: z.array(recordFileSchema).min(1),
});
const deploymentPayload = z.object({
  repo: z.string(),
  ref: z.string(),
  environment: z.string(),
  description: z.string(),
  payload: z.record(z.string(), z.unknown()),
});
const deploymentStatusPayload = z.object({
  repo: z.string(),
  deploymentItemId: z.string(),
  state: z.enum(['in_progress', 'success', 'failure', 'error', 'inactive']),
  description: z.string(),
  environmentUrl: z.string().optional(),
  logUrl: z.string().optional(),
});
export type CommitFilePayload = z.infer<typeof commitFilePayload>;
export type DeploymentPayload = z.infer<typeof deploymentPayload>;
export type DeploymentStatusPayload = z.infer<typeof deploymentStatusPayload>;

const deploymentResult = z.object({ id: z.number() });
const MAX_BACKOFF_MS = 5 * 60_000;
const MAX_MOVED_RETRIES = 5;

export interface OutboxWorkerDeps {
  readonly store: Store;
  readonly repo: RepoPort;
  readonly clock: Clock;
  readonly owner: string;
  readonly logger: { warn(message: string): void };
  /** Adds a row to the deploy index (docs/deployments/README.md), creating it when `existing` is null. */
  readonly appendIndexRow: (existing: string | null, row: IndexRow) => string;
}

/** Exponential backoff from 2 s, capped at 5 minutes. */
export function nextAttemptDelay(attempts: number): number {
  return Math.min(MAX_BACKOFF_MS, 2000 * 2 ** Math.min(attempts, 20));
}

async function deliverCommitFile(deps: OutboxWorkerDeps, item: OutboxItem): Promise<unknown> {
  const p = commitFilePayload.parse(item.payload);
  const log = p.files.find((f) => f.kind === 'deploy-log');
  for (let attempt = 0; attempt < MAX_MOVED_RETRIES; attempt++) {
    const head = await deps.repo.readFileAtBranch({
      repo: p.repo,
      branch: p.branch,
      path: log?.path ?? p.files[0]?.path ?? '',
    });
    // The marker is in the deploy log, or (a commit without one) in the first file's new content.
    if (head.content?.includes(p.marker) === true) return { sha: head.headSha, alreadyThere: true };
    const files = await Promise.all(
      p.files.map(async (file) => {
        const existing = await deps.repo.readFileAtCommit({ repo: p.repo, sha: head.headSha, path: file.path });
        switch (file.kind) {
          case 'deploy-log':
            // Two deploys on one day share the day's file: the later one is appended, the earlier kept.
            return {
              path: file.path,
              content: existing === null ? file.content : `${existing.trimEnd()}\n\n${file.content}`,
            };
          case 'index-row':
            return { path: file.path, content: deps.appendIndexRow(existing, file.row) };
          case 'replace':
            return { path: file.path, content: file.content };
        }
      }),
    );
    const result = await deps.repo.commitFiles({
      repo: p.repo,
      branch: p.branch,
      parentSha: head.headSha,
      message: p.message,
      files,
    });
    if (result.ok) return { sha: result.sha, paths: files.map((f) => f.path) };
  }
  throw new Error(`${p.branch} kept moving while committing ${p.files.map((f) => f.path).join(', ')}`);
}

async function deliverStatus(deps: OutboxWorkerDeps, item: OutboxItem): Promise<unknown> {
  const p = deploymentStatusPayload.parse(item.payload);
  const siblings = item.runId === null ? [] : await deps.store.listOutbox({ runId: item.runId });
  const deployment = siblings.find((s) => s.id === p.deploymentItemId);
  if (deployment?.deliveredAt == null) throw new Error('the GitHub Deployment is not created yet');
  // Statuses of one deployment must land in the order they happened.
  const earlier = siblings.find(
    (s) => s.kind === OUTBOX_KINDS.deploymentStatus && s.deliveredAt === null && s.createdAt < item.createdAt,
  );
  if (earlier !== undefined) throw new Error(`an earlier status (${earlier.id}) is not delivered yet`);
  const { id } = deploymentResult.parse(deployment.result);
  await deps.repo.createDeploymentStatus({
    repo: p.repo,
    deploymentId: id,
    state: p.state,
    description: p.description,
    ...(p.environmentUrl === undefined ? {} : { environmentUrl: p.environmentUrl }),
    ...(p.logUrl === undefined ? {} : { logUrl: p.logUrl }),
  });
  return { deploymentId: id, state: p.state };
}

async function deliver(deps: OutboxWorkerDeps, item: OutboxItem): Promise<unknown> {
  switch (item.kind) {
    case OUTBOX_KINDS.commitFile:
      return deliverCommitFile(deps, item);
    case OUTBOX_KINDS.deployment: {
      const p = deploymentPayload.parse(item.payload);
      return deps.repo.createDeployment(p);
    }
    case OUTBOX_KINDS.deploymentStatus:
      return deliverStatus(deps, item);
    default:
      throw new Error(`unknown outbox item kind ${item.kind}`);
  }
}

/** Claims what is due and delivers it; failures are rescheduled with backoff. Returns how many were delivered. */
export async function drainOutbox(deps: OutboxWorkerDeps, limit = 20): Promise<number> {
  const items = await deps.store.claimOutbox({
    now: deps.clock.now(),
    limit,
    leaseMs: 60_000,
    owner: deps.owner,
    kinds: Object.values(OUTBOX_KINDS),
  });
  let delivered = 0;
  for (const item of items) {
    try {
      const result = await deliver(deps, item);
      if (
        await deps.store.completeOutbox({
          id: item.id,
          owner: deps.owner,
          at: deps.clock.now(),
          result: result ?? null,
        })
      )
        delivered += 1;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const at = deps.clock.now();
      deps.logger.warn(`outbox ${item.kind} ${item.id} failed (attempt ${item.attempts + 1}): ${message}`);
      await deps.store.failOutbox({
        id: item.id,
        owner: deps.owner,
        at,
        error: message.slice(0, 1000),
        nextAttemptAt: new Date(at.getTime() + nextAttemptDelay(item.attempts)),
      });
    }
  }
  return delivered;
}
