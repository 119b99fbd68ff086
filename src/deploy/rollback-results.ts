import type { LockLease } from './ports/index.js';
import type { RevisionVerdict } from './revision-history.js';
import type { ServiceCommandRefusal } from './refusals.js';
import type { Runbook } from './runbook/schema/index.js';

/** What the rollback desk answers: the results of /rollback, its buttons, Re-promote and Redeploy. */
export interface RevisionChoice {
  readonly name: string;
  readonly image: string | null;
  readonly createdAt: Date | null;
  readonly percent: number;
  readonly tags: readonly string[];
  readonly state: 'ready' | 'failed' | 'pending';
  /** What Liftoff's runs say of it; undefined: no run mentions it. */
  readonly verdict: RevisionVerdict | undefined;
  /** Offered as a target: Ready, not serving everything, and it held traffic with no failed checks. */
  readonly canTarget: boolean;
}

type Refusal = ServiceCommandRefusal;

export type RollbackListResult =
  | Refusal
  | {
      readonly kind: 'choices';
      readonly runbook: string;
      readonly service: string;
      readonly serving: string;
      readonly revisions: readonly RevisionChoice[];
    };

export type RollbackPlanResult =
  | Refusal
  /** The target is gone or not Ready: fail fast, and say how to redeploy the last good image instead. */
  | {
      readonly kind: 'target_unusable';
      readonly runbook: string;
      readonly revision: string;
      readonly why: string;
      readonly lastGoodImage: string | null;
    }
  | { readonly kind: 'deploy_running'; readonly lock: LockLease }
  | { readonly kind: 'already_serving'; readonly runbook: string; readonly revision: string }
  | {
      readonly kind: 'confirm';
      readonly runbook: string;
      readonly revision: string;
      readonly before: string;
      readonly after: string;
      /** The runbook's `access.rollbackNeedsApproval`: an approver, not the requester, must confirm. */
      readonly needsApproval: boolean;
      /** With needsApproval, the stored request an approver's click confirms; null otherwise. */
      readonly requestId: string | null;
    };

export type RollbackResult =
  | Exclude<RollbackPlanResult, { kind: 'confirm' }>
  | { readonly kind: 'conflict'; readonly message: string }
  /**
   * The confirmation no longer stands for a request Liftoff holds open: unknown (crafted, or another
   * Liftoff's), already decided, expired, or a plain confirm where the runbook needs an approver's.
   */
  | {
      readonly kind: 'request_closed';
      readonly why: 'unknown' | 'decided' | 'expired' | 'needs_approval';
      readonly runbook: string | null;
      readonly decidedBy: string | null;
    }
  | {
      readonly kind: 'rolled_back';
      readonly runbook: string;
      readonly revision: string;
      readonly before: string;
      readonly after: string;
      readonly health: string;
      readonly freeze: LockLease;
      /** What served most before, offered for a re-promote. */
      readonly previousRevision: string | null;
    };

export type RedeployResult =
  | RollbackResult
  /** The image is not one a Ready revision of the service runs. */
  | { readonly kind: 'unknown_image'; readonly runbook: string; readonly image: string }
  | { readonly kind: 'redeploy_running'; readonly runbook: string; readonly lock: LockLease }
  /** The new revision did not get Ready or healthy; traffic untouched. */
  | { readonly kind: 'redeploy_failed'; readonly runbook: string; readonly message: string };

export type RepromoteResult =
  | Exclude<RollbackPlanResult, { kind: 'confirm' }>
  | { readonly kind: 'conflict'; readonly message: string }
  /**
   * What the button was offered for no longer holds: the rollback's freeze was lifted or replaced (a newer
   * rollback, a `/deploy lock`, an emergency stop). Nothing moves; another freeze is named and left alone.
   */
  | { readonly kind: 'stale'; readonly runbook: string; readonly revision: string; readonly lock: LockLease | null }
  | {
      readonly kind: 'repromoted';
      readonly runbook: string;
      readonly revision: string;
      readonly before: string;
      readonly after: string;
      readonly health: string;
      /** The freeze this re-promote lifted, if the service was frozen. */
      readonly lifted: LockLease | null;
    };

/** A confirm click: on a stored request (an approver confirming), or a deployer's own confirmation. */
export type RollbackConfirmation =
  | { readonly requestId: string; readonly userId: string }
  | { readonly runbook: string; readonly revision: string; readonly userId: string };

export interface TrafficMoveRecord {
  readonly runbook: Runbook;
  readonly at: Date;
  readonly move: 'rollback' | 'repromote';
  readonly revision: string;
  readonly image: string | null;
  readonly by: string;
  readonly healthy: boolean;
  readonly operationId: string;
}
