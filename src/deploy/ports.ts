import type { Run, RunState, TransitionRecord } from './run.js';

/** Time, injected so expiry and timeouts are tested without waiting. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

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

export type LockResult = { readonly ok: true; readonly lock: LockLease } | { readonly ok: false; readonly lock: LockLease };

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
 * Everything Liftoff keeps. Every run transition is one guarded write, so a double click,
 * a Slack retry or a second replica cannot move a run twice.
 */
export interface Store {
  createRun(run: NewRun): Promise<Run>;
  getRun(id: string): Promise<Run | undefined>;
  /** Newest first. */
  listRuns(filter: RunFilter): Promise<Run[]>;
  transition(request: TransitionRequest): Promise<TransitionResult>;
  /** Records where the plan message lives; guarded so it is written once. */
  setMessageTs(runId: string, messageTs: string): Promise<void>;
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

  /** Counts of runs by state, for the bot's /metrics. */
  countRunsByState(): Promise<Partial<Record<RunState, number>>>;

  /** Finishes the writes in flight and closes the connection. */
  close(): Promise<void>;
}
