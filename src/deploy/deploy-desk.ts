import { randomBytes } from 'node:crypto';
import { mayApprove, mayRequest, type AccessDecision } from './access.js';
import { countApproval, type ApprovalProgress } from './approvals.js';
import { answerCanary, type CanaryAnswerResult } from './canary-answer.js';
import type { CanaryAnswer } from './canary/progress.js';
import { buildPlan, planSchema, type Plan } from './plan.js';
import { freezeLease, isFreeze } from './freeze.js';
import { blockingPreflight, type PreflightResult, type PreflightRunner } from './preflight.js';
import type {
  Clock,
  LiveFactsReader,
  LockLease,
  PipelinePort,
  RequestNotifier,
  Store,
  UserGroupDirectory,
} from './ports/index.js';
import {
  ACTIVE_STATES,
  CANCEL_AT_ONCE_STATES,
  CANCEL_ON_REQUEST_STATES,
  CANCELLABLE_STATES,
  inGroup,
  queueData,
  serviceKey,
  WAITING_STATES,
  type Run,
} from './run.js';
import { findRunbook, type RunbookCatalog } from './runbook/loader.js';
import type { Runbook } from './runbook/schema/index.js';

/** How long an approved run holds its service before the lease must be renewed. */
export const RUN_LEASE_MS = 2 * 60 * 60 * 1000;

export interface DeployDeskDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly directory: UserGroupDirectory;
  readonly catalog: () => RunbookCatalog;
  readonly liveFacts: LiveFactsReader;
  readonly notifier: RequestNotifier;
  /**
   * Absent when this Liftoff cannot deploy (no GITHUB_TOKEN, so no GitHub or Google Cloud adapters): a request
   * or an approval is then refused at once, never left holding the lock with nothing to run it.
   */
  readonly pipeline: PipelinePort | undefined;
  readonly newRunId?: () => string;
  /** Runs the runbook's preflight at request time and again at approval; absent without cloud access. */
  readonly preflight?: PreflightRunner;
}

type Refusal =
  | { readonly kind: 'unknown_runbook'; readonly name: string; readonly known: readonly string[] }
  | { readonly kind: 'invalid_runbook'; readonly name: string; readonly errors: readonly string[] }
  | {
      readonly kind: 'forbidden';
      readonly decision: Exclude<AccessDecision, { allowed: true }>;
      readonly role: 'deploy' | 'approve' | 'lock';
    };

/** This Liftoff has no pipeline: it shows plans (`--dry-run`) but cannot deploy. */
type CannotDeploy = { readonly kind: 'cannot_deploy'; readonly runbook: string };

export type RequestResult =
  | Refusal
  | CannotDeploy
  | { readonly kind: 'locked'; readonly lock: LockLease }
  | { readonly kind: 'dry_run'; readonly plan: Plan }
  | { readonly kind: 'requested'; readonly run: Run; readonly plan: Plan };

export type DecisionResult =
  | Refusal
  | CannotDeploy
  | { readonly kind: 'not_found'; readonly runId: string }
  | { readonly kind: 'already_decided'; readonly run: Run }
  | { readonly kind: 'expired'; readonly run: Run }
  | { readonly kind: 'locked'; readonly lock: LockLease; readonly run: Run }
  | { readonly kind: 'preflight_failed'; readonly run: Run; readonly failed: PreflightResult }
  | { readonly kind: 'approved'; readonly run: Run }
  /** `approval.required` > 1 and not reached yet: this approval is counted, the request still waits. */
  | { readonly kind: 'approval_counted'; readonly run: Run; readonly progress: ApprovalProgress }
  /** `queue: true` and the service is busy: approved, waiting in line for the lock. */
  | { readonly kind: 'queued'; readonly run: Run }
  | { readonly kind: 'denied'; readonly run: Run };

export type CancelResult =
  | { readonly kind: 'nothing_to_cancel' }
  | { readonly kind: 'not_found'; readonly target: string }
  | { readonly kind: 'forbidden'; readonly run: Run }
  | { readonly kind: 'not_cancellable'; readonly run: Run }
  | { readonly kind: 'cancelled'; readonly run: Run }
  /** The pipeline has the run: it cancels the build, or rolls back once the revision is deployed. */
  | { readonly kind: 'cancel_requested'; readonly run: Run };

export type LockCommandResult =
  | Refusal
  | { readonly kind: 'locked'; readonly lock: LockLease }
  | { readonly kind: 'already_locked'; readonly lock: LockLease }
  | { readonly kind: 'unlocked'; readonly serviceKey: string }
  | { readonly kind: 'not_locked'; readonly serviceKey: string }
  | { readonly kind: 'held_by_run'; readonly lock: LockLease };

export interface DeskStatus {
  readonly waiting: readonly Run[];
  /** Approved, waiting in line for the service (`queue: true`), first in line first. */
  readonly queued: readonly Run[];
  readonly active: readonly Run[];
  readonly locks: readonly LockLease[];
}

const newRunId = (): string => `run-${randomBytes(6).toString('hex')}`;

/** Reads back a stored plan; a run whose plan no longer parses is a bug, said loudly. */
export function storedPlan(run: Run): Plan {
  return planSchema.parse(run.plan);
}

/**
 * The request → approval use cases: who may ask and decide, the service lock, expiry. Every state change is
 * one guarded write in the store, so double clicks, Slack retries and replicas cannot apply one twice.
 */
export class DeployDesk {
  private readonly newRunId: () => string;

  constructor(private readonly deps: DeployDeskDeps) {
    this.newRunId = deps.newRunId ?? newRunId;
  }

  private lookUp(name: string): Refusal | { kind: 'found'; runbook: Runbook } {
    const found = findRunbook(this.deps.catalog(), name);
    if (found.kind === 'unknown') return { kind: 'unknown_runbook', name, known: found.known };
    if (found.kind === 'invalid') {
      return { kind: 'invalid_runbook', name, errors: found.invalid.errors.map((e) => `${e.path}: ${e.message}`) };
    }
    return { kind: 'found', runbook: found.loaded.runbook };
  }

  async request(input: {
    readonly runbook: string;
    readonly userId: string;
    readonly channelId: string;
    readonly dryRun: boolean;
  }): Promise<RequestResult> {
    const found = this.lookUp(input.runbook);
    if (found.kind !== 'found') return found;
    const { runbook } = found;
    const access = await mayRequest(runbook.access, input.userId, this.deps.directory);
    if (!access.allowed) return { kind: 'forbidden', decision: access, role: 'deploy' };
    if (this.deps.pipeline === undefined && !input.dryRun) return { kind: 'cannot_deploy', runbook: runbook.name };
    const now = this.deps.clock.now();
    const key = serviceKey(runbook.service);
    const lock = await this.deps.store.getLock(key, now);
    // With `queue: true` a busy service does not refuse the request: once approved, it waits in line.
    if (lock !== undefined && !input.dryRun && !runbook.queue) return { kind: 'locked', lock };
    const expiresAt = new Date(now.getTime() + runbook.approval.timeout);
    const [live, preflight] = await Promise.all([this.deps.liveFacts.read(runbook), this.deps.preflight?.(runbook)]);
    const plan = buildPlan({
      runbook,
      live,
      ...(preflight === undefined ? {} : { preflight }),
      requestedBy: input.userId,
      requestedAt: now,
      expiresAt,
      warnings: [
        ...warningsOf(this.deps.catalog(), runbook.name),
        ...(lock === undefined
          ? []
          : [
              `The service is locked by ${lock.holderId}: ${lock.reason}` +
                (runbook.queue ? '. Once approved, this request waits in line and starts when the lock frees.' : ''),
            ]),
      ],
    });
    if (input.dryRun) return { kind: 'dry_run', plan };
    const created = await this.deps.store.createRun({
      id: this.newRunId(),
      runbook: runbook.name,
      serviceKey: key,
      requesterId: input.userId,
      channelId: input.channelId,
      createdAt: now,
      expiresAt,
      plan,
    });
    try {
      const ts = await this.deps.notifier.postRequest(created, plan);
      await this.deps.store.setMessageTs(created.id, ts);
    } catch (error) {
      // A request nobody can see must not wait for an approval that cannot come.
      await this.deps.store.transition({
        runId: created.id,
        from: ['requested'],
        to: 'cancelled',
        at: this.deps.clock.now(),
        actorId: null,
        detail: `the request message could not be posted: ${String(error)}`,
      });
      throw error;
    }
    const run = (await this.deps.store.getRun(created.id)) ?? created;
    return { kind: 'requested', run, plan };
  }

  async decide(input: {
    readonly runId: string;
    readonly userId: string;
    readonly decision: 'approve' | 'deny';
  }): Promise<DecisionResult> {
    const run = await this.deps.store.getRun(input.runId);
    if (run === undefined) return { kind: 'not_found', runId: input.runId };
    if (run.state !== 'requested') return { kind: 'already_decided', run };
    const now = this.deps.clock.now();
    if (now >= run.expiresAt) {
      await this.expire(run);
      return { kind: 'expired', run: (await this.deps.store.getRun(run.id)) ?? run };
    }
    const found = this.lookUp(run.runbook);
    if (found.kind !== 'found') return found;
    const { runbook } = found;
    const access = await mayApprove(runbook.access, input.userId, run.requesterId, this.deps.directory);
    const withdrawing = input.decision === 'deny' && input.userId === run.requesterId;
    if (!access.allowed && !withdrawing) return { kind: 'forbidden', decision: access, role: 'approve' };

    if (input.decision === 'approve' && this.deps.pipeline === undefined)
      return { kind: 'cannot_deploy', runbook: runbook.name };
    if (input.decision === 'approve' && this.deps.preflight !== undefined) {
      // Checked again at approval: CI may have gone red, or the service changed, since the request.
      const failed = blockingPreflight(await this.deps.preflight(runbook));
      if (failed !== undefined) return { kind: 'preflight_failed', run, failed };
    }
    const required = runbook.approval.required;
    let approvals: ApprovalProgress | undefined;
    if (input.decision === 'approve' && required > 1) {
      const counted = await countApproval(this.deps.store, { run, userId: input.userId, at: now, required });
      approvals = counted.progress;
      if (!counted.complete) {
        const updated = (await this.deps.store.updateRunData(run.id, { approvals })) ?? run;
        // Only while it still waits: a concurrent Deny or the last approval may have decided it meanwhile.
        if (updated.state !== 'requested') return { kind: 'already_decided', run: updated };
        await this.deps.notifier.showDecision(updated, storedPlan(updated));
        return { kind: 'approval_counted', run: updated, progress: approvals };
      }
    }
    const decision = { by: input.userId, at: now };
    const result =
      input.decision === 'approve'
        ? await this.deps.store.transition({
            runId: run.id,
            from: ['requested'],
            to: 'approved',
            at: now,
            actorId: input.userId,
            decision,
            acquireLock: runLease(run, now),
            ...(approvals === undefined ? {} : { data: { approvals } }),
          })
        : await this.deps.store.transition({
            runId: run.id,
            from: ['requested'],
            to: 'denied',
            at: now,
            actorId: input.userId,
            decision,
          });
    if (!result.ok) {
      if (result.reason === 'locked' && runbook.queue) return this.enqueue(run, decision);
      if (result.reason === 'locked') return { kind: 'locked', lock: result.lock, run };
      if (result.reason === 'wrong_state') return { kind: 'already_decided', run: result.run };
      return { kind: 'not_found', runId: run.id };
    }
    await this.deps.notifier.showDecision(result.run, storedPlan(result.run));
    if (result.run.state === 'approved') {
      this.deps.pipeline?.start(result.run);
      return { kind: 'approved', run: result.run };
    }
    return { kind: 'denied', run: result.run };
  }

  /** An approval on a busy service with `queue: true`: the run waits in line, its position shown. */
  private async enqueue(run: Run, decision: { by: string; at: Date }): Promise<DecisionResult> {
    const result = await this.deps.store.transition({
      runId: run.id,
      from: ['requested'],
      to: 'queued',
      at: decision.at,
      actorId: decision.by,
      decision,
      data: { queue: { since: decision.at.toISOString(), position: null } },
    });
    if (!result.ok) {
      if (result.reason === 'wrong_state') return { kind: 'already_decided', run: result.run };
      return { kind: 'not_found', runId: run.id };
    }
    // The lock may have freed between the refused approval and this write.
    await this.startQueued();
    const after = (await this.deps.store.getRun(run.id)) ?? result.run;
    return after.state === 'queued' ? { kind: 'queued', run: after } : { kind: 'approved', run: after };
  }

  /**
   * Starts the first run in line of every service whose lock is free, and shows the others their new
   * position. Called when a run ends, a lock is lifted, and on every sweep (a lock may run out, or be
   * freed by another replica); the guarded write lets only one caller start a run.
   */
  async startQueued(): Promise<number> {
    const queued = await this.deps.store.listRuns({ states: ['queued'] });
    let started = 0;
    for (const key of new Set(queued.map((r) => r.serviceKey))) {
      const line = queued.filter((r) => r.serviceKey === key).sort((a, b) => queuedSince(a) - queuedSince(b));
      const first = line[0];
      const now = this.deps.clock.now();
      if (first !== undefined && (await this.deps.store.getLock(key, now)) === undefined) {
        // Its turn may come hours after the approval: the preflight is checked again, as at approval.
        const refused = await this.preflightRefusal(first);
        if (refused !== undefined) {
          line.shift();
          await this.refuseStart(first, refused);
          await this.showPositions(line);
          continue;
        }
        const result = await this.deps.store.transition({
          runId: first.id,
          from: ['queued'],
          to: 'approved',
          at: now,
          actorId: null,
          detail: 'the service lock freed: first in line',
          acquireLock: runLease(first, now),
        });
        if (result.ok) {
          started += 1;
          line.shift();
          await this.deps.notifier.showDecision(result.run, storedPlan(result.run));
          this.deps.pipeline?.start(result.run);
        }
      }
      await this.showPositions(line);
    }
    return started;
  }

  private async preflightRefusal(run: Run): Promise<string | undefined> {
    const found = this.lookUp(run.runbook);
    if (found.kind !== 'found') return `the runbook ${run.runbook} is no longer valid`;
    if (this.deps.preflight === undefined) return undefined;
    const failed = blockingPreflight(await this.deps.preflight(found.runbook));
    return failed === undefined ? undefined : `the preflight check ${failed.name} fails now: ${failed.measured}`;
  }

  /** Takes a queued run out of the line when its turn comes and it may not start; the message says why. */
  private async refuseStart(run: Run, reason: string): Promise<void> {
    const result = await this.deps.store.transition({
      runId: run.id,
      from: ['queued'],
      to: 'cancelled',
      at: this.deps.clock.now(),
      actorId: null,
      detail: reason.slice(0, 1000),
      data: { startRefused: reason },
    });
    if (result.ok) await this.deps.notifier.showDecision(result.run, storedPlan(result.run));
  }

  /** Edits each waiting request whose position in line changed. */
  private async showPositions(line: readonly Run[]): Promise<void> {
    for (const [index, run] of line.entries()) {
      const queue = queueData(run);
      if (queue?.position === index + 1) continue;
      const updated = await this.deps.store.updateRunData(run.id, {
        queue: { since: queue?.since ?? run.updatedAt.toISOString(), position: index + 1 },
      });
      if (updated?.state === 'queued') await this.deps.notifier.showDecision(updated, storedPlan(updated));
    }
  }

  /** Expires every request past its deadline; computed from the store, so it survives restarts. */
  async expireDue(): Promise<number> {
    const now = this.deps.clock.now();
    const waiting = await this.deps.store.listRuns({ states: ['requested'] });
    let expired = 0;
    for (const run of waiting.filter((r) => now >= r.expiresAt)) {
      if (await this.expire(run)) expired += 1;
    }
    return expired;
  }

  private async expire(run: Run): Promise<boolean> {
    const result = await this.deps.store.transition({
      runId: run.id,
      from: ['requested'],
      to: 'expired',
      at: this.deps.clock.now(),
      actorId: null,
      detail: 'no decision before the approval timeout',
    });
    if (!result.ok) return false;
    await this.deps.notifier.showDecision(result.run, storedPlan(result.run));
    return true;
  }

  /** Cancels a waiting request, or an approved run the pipeline has not started. */
  async cancel(input: {
    readonly userId: string;
    readonly target: { kind: 'latest' } | { kind: 'run'; runId: string } | { kind: 'runbook'; runbook: string };
  }): Promise<CancelResult> {
    let run: Run | undefined;
    if (input.target.kind === 'run') {
      run = await this.deps.store.getRun(input.target.runId);
      if (run === undefined) return { kind: 'not_found', target: input.target.runId };
    } else {
      const filter =
        input.target.kind === 'runbook'
          ? { states: CANCELLABLE_STATES, runbook: input.target.runbook, limit: 1 }
          : { states: CANCELLABLE_STATES, requesterId: input.userId, limit: 1 };
      run = (await this.deps.store.listRuns(filter))[0];
      if (run === undefined) return { kind: 'nothing_to_cancel' };
    }
    if (!inGroup(CANCELLABLE_STATES, run.state)) return { kind: 'not_cancellable', run };
    if (run.requesterId !== input.userId) {
      const found = this.lookUp(run.runbook);
      const access =
        found.kind === 'found'
          ? await mayApprove(found.runbook.access, input.userId, run.requesterId, this.deps.directory)
          : undefined;
      if (access?.allowed !== true) return { kind: 'forbidden', run };
    }
    const now = this.deps.clock.now();
    if (inGroup(CANCEL_ON_REQUEST_STATES, run.state)) {
      const flagged = await this.deps.store.updateRunData(run.id, {
        cancelRequested: { by: input.userId, at: now.toISOString() },
      });
      return { kind: 'cancel_requested', run: flagged ?? run };
    }
    const result = await this.deps.store.transition({
      runId: run.id,
      from: CANCEL_AT_ONCE_STATES,
      to: 'cancelled',
      at: now,
      actorId: input.userId,
      decision: { by: input.userId, at: now },
      releaseLock: true,
    });
    if (!result.ok)
      return result.reason === 'wrong_state'
        ? { kind: 'not_cancellable', run: result.run }
        : { kind: 'not_cancellable', run };
    if (result.run.messageTs !== null) await this.deps.notifier.showDecision(result.run, storedPlan(result.run));
    // Whoever was behind moves up (or starts, when the cancelled run held the lock).
    await this.startQueued();
    return { kind: 'cancelled', run: result.run };
  }

  /** Freezes a service: no deploy until it is unlocked or the freeze runs out. Approvers only. */
  async lock(input: {
    readonly runbook: string;
    readonly userId: string;
    readonly reason: string;
    readonly durationMs: number | null;
  }): Promise<LockCommandResult> {
    const found = this.lookUp(input.runbook);
    if (found.kind !== 'found') return found;
    const access = await this.mayFreeze(found.runbook, input.userId);
    if (!access.allowed) return { kind: 'forbidden', decision: access, role: 'lock' };
    const now = this.deps.clock.now();
    const key = serviceKey(found.runbook.service);
    const result = await this.deps.store.acquireLock(
      freezeLease({
        serviceKey: key,
        holderId: input.userId,
        reason: input.reason,
        at: now,
        durationMs: input.durationMs,
      }),
    );
    return result.ok ? { kind: 'locked', lock: result.lock } : { kind: 'already_locked', lock: result.lock };
  }

  async unlock(input: { readonly runbook: string; readonly userId: string }): Promise<LockCommandResult> {
    const found = this.lookUp(input.runbook);
    if (found.kind !== 'found') return found;
    const access = await this.mayFreeze(found.runbook, input.userId);
    if (!access.allowed) return { kind: 'forbidden', decision: access, role: 'lock' };
    const key = serviceKey(found.runbook.service);
    const lock = await this.deps.store.getLock(key, this.deps.clock.now());
    if (lock === undefined) return { kind: 'not_locked', serviceKey: key };
    if (!isFreeze(lock)) return { kind: 'held_by_run', lock };
    await this.deps.store.releaseLock(key, lock.ownerId);
    await this.startQueued();
    return { kind: 'unlocked', serviceKey: key };
  }

  private mayFreeze(runbook: Runbook, userId: string): Promise<AccessDecision> {
    // A freeze is an approver's call; being the "requester" of a freeze does not apply.
    return mayApprove({ ...runbook.access, selfApproval: true }, userId, userId, this.deps.directory);
  }

  /** An approver's answer to a canary step held at maxHold (src/deploy/canary-answer.ts). */
  answerCanary(input: {
    readonly runId: string;
    readonly index: number;
    readonly action: CanaryAnswer['action'];
    readonly userId: string;
  }): Promise<CanaryAnswerResult> {
    return answerCanary(this.deps, input);
  }

  async status(): Promise<DeskStatus> {
    const now = this.deps.clock.now();
    const [waiting, active, locks] = await Promise.all([
      this.deps.store.listRuns({ states: WAITING_STATES }),
      this.deps.store.listRuns({ states: ACTIVE_STATES }),
      this.deps.store.listLocks(now),
    ]);
    return {
      waiting: waiting.filter((r) => r.state === 'requested' && r.expiresAt > now),
      queued: waiting.filter((r) => r.state === 'queued').sort((a, b) => queuedSince(a) - queuedSince(b)),
      active,
      locks,
    };
  }
}

/** The lease an approved run holds on its service while the pipeline carries it. */
function runLease(run: Run, now: Date): LockLease {
  return {
    serviceKey: run.serviceKey,
    ownerId: run.id,
    holderId: run.requesterId,
    reason: `deploy ${run.id} (${run.runbook})`,
    acquiredAt: now,
    expiresAt: new Date(now.getTime() + RUN_LEASE_MS),
  };
}

function queuedSince(run: Run): number {
  const since = queueData(run)?.since;
  return since === undefined ? run.updatedAt.getTime() : Date.parse(since);
}

function warningsOf(catalog: RunbookCatalog, name: string): string[] {
  const found = findRunbook(catalog, name);
  return found.kind === 'found' ? [...found.loaded.warnings] : [];
}
