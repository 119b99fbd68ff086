/**
 * How the scripted faults of `../faults.ts` show in Cloud Run: a revision that cannot import its image or never
 * gets ready, an update that loses a race with another writer (ABORTED), and an organization policy that refuses
 * public members in an IAM policy. Cloud Run quotas are not emulated.
 */
import type { PendingRevisionFailure } from '../faults.js';
import { failedPrecondition } from '../rpc.js';
import { type CloudRunState, type RevisionRecord, type ServiceRecord, touch } from './state.js';

/** Why a revision did not get ready: its Ready condition's message and reason. */
export interface RevisionFailure {
  readonly message: string;
  readonly reason: { reason?: string; revisionReason?: string };
}

/** The scripted failure the next revision created carries, if one is switched on (consumed). */
export function takeRevisionFailure(state: CloudRunState): PendingRevisionFailure | undefined {
  return state.deps.faults.takeRevisionFailure();
}

/** The scripted image import failure of `revision`; `notReady` is the sentence its messages start with. */
export function scriptedImportFailure(
  revision: RevisionRecord,
  image: string,
  notReady: string,
): RevisionFailure | undefined {
  const forced = revision.forcedFailure;
  if (forced?.kind !== 'image-import') return undefined;
  return {
    message: `${notReady} ${forced.message ?? `Image '${image}' could not be imported: the image import did not complete within the allotted time.`}`,
    reason: { reason: 'CONTAINER_MISSING' },
  };
}

/** The scripted health check failure of `revision` (its container never listens on PORT). */
export function scriptedStartFailure(revision: RevisionRecord, notReady: string): RevisionFailure | undefined {
  const forced = revision.forcedFailure;
  if (forced?.kind !== 'never-ready') return undefined;
  const message =
    forced.message ??
    'The user-provided container failed to start and listen on the port defined provided by the PORT=8080 environment variable within the allocated timeout. This can happen when the container port is misconfigured or if the timeout is too short. The health check timeout can be extended. Logs for this revision might contain more information.';
  return {
    message: message.startsWith('Revision ') ? message : `${notReady} ${message}`,
    reason: { revisionReason: 'HEALTH_CHECK_CONTAINER_ERROR' },
  };
}

/**
 * Whether a scripted concurrent writer changed `service` first (consumed): its etag moves on, and the update
 * that asked answers ABORTED as for any stale etag.
 */
export function takeScriptedAbort(state: CloudRunState, service: ServiceRecord): boolean {
  if (!state.deps.faults.takeAbortUpdate()) return false;
  touch(state, service);
  return true;
}

/** FAILED_PRECONDITION when Domain Restricted Sharing is on: a public member may not be granted anything. */
export function assertPublicMembersPermitted(state: CloudRunState): void {
  if (state.deps.faults.isPublicAccessRestricted) {
    throw failedPrecondition(
      'One or more users named in the policy do not belong to a permitted customer, perhaps due to an organization policy.',
    );
  }
}
