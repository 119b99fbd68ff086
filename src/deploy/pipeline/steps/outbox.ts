import {
  OUTBOX_KINDS,
  type CommitFilePayload,
  type DeploymentPayload,
  type DeploymentStatusPayload,
} from '../outbox-worker.js';
import type { StepContext } from '../step-context.js';

export type GitHubMessage =
  | { readonly kind: 'deployment'; readonly payload: DeploymentPayload }
  | { readonly kind: 'deploymentStatus'; readonly payload: DeploymentStatusPayload }
  | { readonly kind: 'commitFile'; readonly payload: CommitFilePayload };

/** The outbox id of the run's GitHub Deployment, which its statuses name. */
export const DEPLOYMENT_MESSAGE = 'deployment';

export function deploymentItemId(runId: string): string {
  return `${runId}:${DEPLOYMENT_MESSAGE}`;
}

/**
 * Queues a message for GitHub in the outbox, where it waits until GitHub accepts it. `name` is the run's own name for
 * it, so a resumed step queueing it again keeps the first; `at` orders the messages queued in one instant.
 */
export function queueForGitHub(ctx: StepContext, name: string, message: GitHubMessage, at: Date): Promise<boolean> {
  return ctx.deps.store.enqueueOutbox({
    id: `${ctx.run.id}:${name}`,
    runId: ctx.run.id,
    kind: OUTBOX_KINDS[message.kind],
    payload: message.payload,
    at,
  });
}
