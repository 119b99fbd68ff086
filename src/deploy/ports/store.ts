import type { Run, RunState, TransitionRecord } from '../run.js';

export interface NewRun {
  readonly id: string;
  readonly runbook: string;
  readonly serviceKey: string;
  readonly requesterId: string;
  readonly channelId: string;
  readonly createdAt: Date;
  readonly expiresAt: Date;
  readonly plan: unknown;
}

export interface LockLease {
  readonly serviceKey: string;
  /** The run that holds it, or a manual freeze's id. */
  readonly ownerId: string;
  /** The Slack user on whose behalf it is held. */
  readonly holderId: string;
  readonly reason: string;
  readonly acquiredAt: Date;
  readonly expiresAt: Date;
}

export interface TransitionRequest {
  readonly runId: string;
  /** The guard: the write happens only if the run is in one of these states. */
  readonly from: readonly RunState[];
  readonly to: RunState;
  readonly at: Date;
  readonly actorId: string | null;
  readonly detail?: string;
  /** Set decidedBy / decidedAt on the run (approval, denial). */
  readonly decision?: { readonly by: string; readonly at: Date };
  /** Merged into the run's data. */
  readonly data?: Readonly<Record<string, unknown>>;
  /** Take this lease in the same atomic write; the transition fails if another owner holds an unexpired lease. */
  readonly acquireLock?: LockLease;
  /** Release the run's lease on the service in the same atomic write. */
  readonly releaseLock?: boolean;
}

export type TransitionResult =
  | { readonly ok: true; readonly run: Run }
  | { readonly ok: false; readonly reason: 'not_found' }
  | { readonly ok: false; readonly reason: 'wrong_state'; readonly run: Run }
  | { readonly ok: false; readonly reason: 'locked'; readonly lock: LockLease };

export type LockResult =
  { readonly ok: true; readonly lock: LockLease } | { readonly ok: false; readonly lock: LockLease };

export interface AuditEntry {
  readonly at: Date;
  readonly actorId: string;
  /** What was asked: 'command /deploy phase3', 'action approve', ... */
  readonly action: string;
  readonly runId: string | null;
  /** 'ok', 'refused: not an approver', ... */
  readonly outcome: string;
}

export interface RunFilter {
  readonly states?: readonly RunState[];
  readonly runbook?: string;
  readonly serviceKey?: string;
  readonly requesterId?: string;
  readonly limit?: number;
}

/**
 * A message to an outside system (the deploy log commit, a GitHub Deployment status) kept until
 * that system accepts it, so an outage loses nothing (DESIGN.md). Several replicas may deliver
 * from one outbox: an item is claimed for a lease before it is sent, so no two deliver it at once.
 */
export interface OutboxItem {
  /** Chosen by the caller, so enqueueing the same message twice keeps the first. */
  readonly id: string;
  readonly runId: string | null;
  /** What the delivery does: 'github.deploy-log', 'github.deployment-status', ... */
  readonly kind: string;
  /** JSON. */
  readonly payload: unknown;
  readonly createdAt: Date;
  /** Failed deliveries so far. */
  readonly attempts: number;
  /** Not claimed before this time. */
  readonly nextAttemptAt: Date;
  readonly deliveredAt: Date | null;
  readonly lastError: string | null;
  /** JSON the delivery returned (the commit sha, ...); null until delivered. */
  readonly result: unknown;
}

export interface NewOutboxItem {
  readonly id: string;
  readonly runId: string | null;
  readonly kind: string;
  readonly payload: unknown;
  /** Its creation time, and when it is first due. */
  readonly at: Date;
}

export interface OutboxClaim {
  readonly now: Date;
  readonly limit: number;
  /** How long the claim keeps others off the item; after it, another owner may claim it. */
  readonly leaseMs: number;
  /** Who claims (a replica or worker id); only this owner may then settle the items. */
  readonly owner: string;
  /** Only items of these kinds; all kinds when absent. */
  readonly kinds?: readonly string[];
}

export interface OutboxCompletion {
  readonly id: string;
  readonly owner: string;
  readonly at: Date;
  /** JSON. */
  readonly result: unknown;
}

export interface OutboxFailure {
  readonly id: string;
  readonly owner: string;
  readonly at: Date;
  readonly error: string;
  readonly nextAttemptAt: Date;
}

export interface OutboxFilter {
  readonly runId?: string;
  /** true: only undelivered items; false: only delivered ones; absent: both. */
  readonly pending?: boolean;
}

/**
 * Something a button offers to someone else, kept so the click reads it from here and never from the button's
 * value: today a rollback asked in the channel for an approver to confirm (`access.rollbackNeedsApproval`).
 */
export interface ActionRequest {
  readonly id: string;
  readonly kind: 'rollback';
  readonly runbook: string;
  /** What the request acts on: the revision for a rollback. */
  readonly subject: string;
  readonly requestedBy: string;
  readonly createdAt: Date;
  readonly expiresAt: Date;
  readonly decidedBy: string | null;
  readonly decidedAt: Date | null;
}

export type NewActionRequest = Omit<ActionRequest, 'decidedBy' | 'decidedAt'>;

/** One approver's Approve on a run that needs several (`approval.required`). */
export interface Approval {
  readonly runId: string;
  readonly userId: string;
  readonly at: Date;
}

/**
 * Everything Liftoff keeps. Every run transition is one guarded write, so a double click,
 * a Slack retry or a second replica cannot move a run twice.
 */
export interface Store {
  createRun(run: NewRun): Promise<Run>;
  getRun(id: string): Promise<Run | undefined>;
  /** Newest first. */
  listRuns(filter: RunFilter): Promise<Run[]>;
  transition(request: TransitionRequest): Promise<TransitionResult>;
  /** Records where the plan message lives; guarded so it is written once. True if this call wrote it. */
  setMessageTs(runId: string, messageTs: string): Promise<boolean>;
  /** Merges into the run's data without changing its state. */
  updateRunData(runId: string, data: Readonly<Record<string, unknown>>): Promise<Run | undefined>;
  journal(runId: string): Promise<TransitionRecord[]>;

  /** Takes the lease if it is free, expired, or already this owner's (then it is extended). */
  acquireLock(lease: LockLease): Promise<LockResult>;
  /** Releases the lease only if this owner holds it; true if it did. */
  releaseLock(serviceKey: string, ownerId: string): Promise<boolean>;
  /** The unexpired lease on a service, if any. */
  getLock(serviceKey: string, now: Date): Promise<LockLease | undefined>;
  listLocks(now: Date): Promise<LockLease[]>;

  appendAudit(entry: AuditEntry): Promise<void>;
  /** Newest first. */
  listAudit(limit: number): Promise<AuditEntry[]>;

  /** True the first time a key is claimed (until it expires), false for every repeat. */
  claimIdempotencyKey(key: string, now: Date, expiresAt: Date): Promise<boolean>;

  /**
   * Adds an item to the outbox, due at once. True if it is new; false if the id was there already,
   * delivered or not, and then the first item is kept unchanged.
   */
  enqueueOutbox(item: NewOutboxItem): Promise<boolean>;
  /**
   * Claims up to `limit` undelivered items due at `now` whose previous claim (if any) has lapsed,
   * for `leaseMs`, in creation order. Concurrent claims, from this or another replica, never
   * return the same item.
   */
  claimOutbox(claim: OutboxClaim): Promise<OutboxItem[]>;
  /**
   * Marks a claimed item delivered with what the delivery returned, releasing the claim. Only the
   * current claim owner may settle an item (still so once its lease lapsed, if no one claimed the
   * item since); returns false otherwise (the claim lapsed and someone else took it, or the item
   * is already settled) and changes nothing.
   */
  completeOutbox(completion: OutboxCompletion): Promise<boolean>;
  /**
   * Records a failed delivery of a claimed item: attempts + 1, the error kept, due again at
   * `nextAttemptAt`, claim released. Only the current claim owner may; false otherwise, changing nothing.
   */
  failOutbox(failure: OutboxFailure): Promise<boolean>;
  /** In creation order. */
  listOutbox(filter: OutboxFilter): Promise<OutboxItem[]>;

  createActionRequest(request: NewActionRequest): Promise<ActionRequest>;
  getActionRequest(id: string): Promise<ActionRequest | undefined>;
  /** Marks the request decided by `by` if it is still undecided and unexpired at `at`; true if this call did. */
  decideActionRequest(id: string, by: string, at: Date): Promise<boolean>;

  /**
   * Counts one approver's Approve on a run, once per person whatever they click (a repeat keeps the first time).
   * Returns every approval of the run after this one, oldest first.
   */
  recordApproval(approval: Approval): Promise<readonly Approval[]>;

  /** Counts of runs by state, for the bot's /metrics. */
  countRunsByState(): Promise<Partial<Record<RunState, number>>>;

  /** Finishes the writes in flight and closes the connection. */
  close(): Promise<void>;
}
