import { randomBytes } from 'node:crypto';
import { mayApprove, mayRequest } from './access.js';
import { freezeLease, isFreeze, isRollbackFreeze } from './freeze.js';
import { probeRequiredHealth } from './health-probe.js';
import { pickRunbook } from './live-metrics.js';
import type { ServiceCommandRefusal } from './refusals.js';
import { deploySettingsOf } from './pipeline/deploy-settings.js';
import type { CloudRunPort, Prober, ServiceLocation, UserGroupDirectory } from './ports/index.js';
import type {
  RedeployResult,
  RepromoteResult,
  RevisionChoice,
  RollbackConfirmation,
  RollbackListResult,
  RollbackPlanResult,
  RollbackResult,
} from './rollback-results.js';
import { recordTrafficMove, type TrafficMoveRecorderDeps } from './traffic-move-record.js';
import { serviceKey } from './run.js';
import type { RunbookCatalog } from './runbook/loader.js';
import type { Runbook } from './runbook/schema/index.js';
import { heldTrafficHealthily, revisionVerdicts, type RevisionVerdict } from './revision-history.js';
import { revisionName, revisionTag } from './revision-tag.js';
import { allTrafficTo, describeTraffic, pinTraffic, withoutBrokenTags, withTaggedCandidate } from './traffic.js';

export interface RollbackDeps extends TrafficMoveRecorderDeps {
  readonly directory: UserGroupDirectory;
  readonly catalog: () => RunbookCatalog;
  readonly cloudRun: CloudRunPort;
  readonly prober: Prober;
}

/** A target `checkTarget` found usable: the traffic before, the etag and image it read. */
type CheckedTarget = Extract<Awaited<ReturnType<RollbackDesk['checkTarget']>>, { kind: 'ok' }>;

/** How many recent runs the revision verdicts are read from. */
const HISTORY_RUNS = 200;

/**
 * A revision that held traffic with no failed checks. With no run in the history at all (Liftoff newly set up),
 * nothing is known either way and any Ready revision may be picked: an emergency rollback must stay possible.
 */
const isGoodTarget = (history: ReadonlyMap<string, RevisionVerdict>, verdict: RevisionVerdict | undefined): boolean =>
  history.size === 0 || heldTrafficHealthily(verdict);

/** How long a redeployed revision may take to get Ready. */
const REDEPLOY_READY_MS = 10 * 60_000;

const where = (runbook: Runbook): ServiceLocation => ({
  project: runbook.service.project,
  region: runbook.service.region,
  name: runbook.service.name,
});
const reasonOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/**
 * The seed runbook's `update-traffic --to-revisions <previous>=100` as a Slack action: a deployer may do it
 * without a second approver (it is the emergency path), with the full traffic list, the etag and a health check.
 */
export class RollbackDesk {
  constructor(private readonly deps: RollbackDeps) {}

  /**
   * Deployers may roll back. An approver is needed to confirm for someone else (`requesterId`), or to act on
   * their own account (`requesterId: null`, where self-approval does not apply).
   */
  private async authorize(
    runbookName: string | undefined,
    userId: string,
    role: { readonly approveFor: string | null } | 'deploy' = 'deploy',
  ): Promise<ServiceCommandRefusal | { kind: 'ok'; runbook: Runbook }> {
    const picked = pickRunbook(this.deps.catalog(), runbookName);
    if (picked.kind !== 'found') return picked;
    const rules = picked.runbook.access;
    const access =
      role === 'deploy'
        ? await mayRequest(rules, userId, this.deps.directory)
        : role.approveFor === null
          ? await mayApprove({ ...rules, selfApproval: true }, userId, userId, this.deps.directory)
          : await mayApprove(rules, userId, role.approveFor, this.deps.directory);
    if (!access.allowed) return { kind: 'forbidden', decision: access, role: role === 'deploy' ? 'deploy' : 'approve' };
    return { kind: 'ok', runbook: picked.runbook };
  }

  async list(input: { readonly runbook: string | undefined; readonly userId: string }): Promise<RollbackListResult> {
    const auth = await this.authorize(input.runbook, input.userId);
    if (auth.kind !== 'ok') return auth;
    try {
      const [service, revisions, history] = await Promise.all([
        this.deps.cloudRun.getService(where(auth.runbook)),
        this.deps.cloudRun.listRevisions(where(auth.runbook), 10),
        this.history(auth.runbook),
      ]);
      const pinned = pinTraffic(service.traffic, service.latestReadyRevision);
      const choices = revisions.map((r): RevisionChoice => {
        const percent = pinned.filter((t) => t.revision === r.name).reduce((sum, t) => sum + t.percent, 0);
        const verdict = history.get(r.name);
        return {
          name: r.name,
          image: r.image,
          createdAt: r.createdAt,
          percent,
          tags: pinned.filter((t) => t.revision === r.name && t.tag !== null).map((t) => t.tag ?? ''),
          state: r.state,
          verdict,
          canTarget: r.state === 'ready' && percent < 100 && isGoodTarget(history, verdict),
        };
      });
      return {
        kind: 'choices',
        runbook: auth.runbook.name,
        service: auth.runbook.service.name,
        serving: describeTraffic(pinned),
        // What may be rolled back to first, newest first within each group (Cloud Run lists newest first).
        revisions: [...choices.filter((c) => c.canTarget), ...choices.filter((c) => !c.canTarget)],
      };
    } catch (error) {
      return { kind: 'unavailable', reason: `Cloud Run: ${reasonOf(error)}` };
    }
  }

  async plan(input: {
    readonly runbook: string | undefined;
    readonly revision: string;
    readonly userId: string;
  }): Promise<RollbackPlanResult> {
    const auth = await this.authorize(input.runbook, input.userId);
    if (auth.kind !== 'ok') return auth;
    const target = await this.checkTarget(auth.runbook, input.revision);
    if (target.kind !== 'ok') return target;
    const needsApproval = auth.runbook.access.rollbackNeedsApproval;
    const now = this.deps.clock.now();
    // The approver's click reads who asked, and for what, from this row: never from the button.
    const request = needsApproval
      ? await this.deps.store.createActionRequest({
          id: `rq-${randomBytes(9).toString('hex')}`,
          kind: 'rollback',
          runbook: auth.runbook.name,
          subject: input.revision,
          requestedBy: input.userId,
          createdAt: now,
          expiresAt: new Date(now.getTime() + auth.runbook.approval.timeout),
        })
      : null;
    return {
      kind: 'confirm',
      runbook: auth.runbook.name,
      revision: input.revision,
      before: describeTraffic(target.before),
      after: describeTraffic(allTrafficTo(target.before, input.revision)),
      needsApproval,
      requestId: request?.id ?? null,
    };
  }

  /**
   * Moves all traffic to the revision and freezes the service. The clicker is who acts: a deployer confirming
   * their own rollback, or an approver confirming a stored request for the deployer who asked (who must still
   * be one); the request is decided once, so a second click or a second approver moves nothing.
   */
  async execute(input: RollbackConfirmation): Promise<RollbackResult> {
    if ('requestId' in input) return this.executeRequest(input.requestId, input.userId);
    const asked = await this.authorize(input.runbook, input.userId);
    if (asked.kind !== 'ok') return asked;
    if (asked.runbook.access.rollbackNeedsApproval)
      return { kind: 'request_closed', why: 'needs_approval', runbook: asked.runbook.name, decidedBy: null };
    const moved = await this.moveAllTrafficTo(asked.runbook, input.revision);
    if (moved.kind !== 'moved') return moved;
    return this.frozenAfter(asked.runbook, input.revision, input.userId, moved);
  }

  private async executeRequest(requestId: string, userId: string): Promise<RollbackResult> {
    const request = await this.deps.store.getActionRequest(requestId);
    if (request?.kind !== 'rollback') return { kind: 'request_closed', why: 'unknown', runbook: null, decidedBy: null };
    const closed = (why: 'decided' | 'expired') =>
      ({ kind: 'request_closed', why, runbook: request.runbook, decidedBy: request.decidedBy }) as const;
    if (request.decidedBy !== null) return closed('decided');
    if (request.expiresAt.getTime() <= this.deps.clock.now().getTime()) return closed('expired');
    const asked = await this.authorize(request.runbook, request.requestedBy);
    if (asked.kind !== 'ok') return asked;
    const approval = await this.authorize(request.runbook, userId, { approveFor: request.requestedBy });
    if (approval.kind !== 'ok') return approval;
    if (!(await this.deps.store.decideActionRequest(request.id, userId, this.deps.clock.now()))) {
      const now = await this.deps.store.getActionRequest(request.id);
      return { ...closed('decided'), decidedBy: now?.decidedBy ?? null };
    }
    const moved = await this.moveAllTrafficTo(asked.runbook, request.subject);
    if (moved.kind !== 'moved') return moved;
    return this.frozenAfter(asked.runbook, request.subject, userId, moved);
  }

  /**
   * The target revision is gone or broken: a new revision from an image that served before (the last good
   * one), with the runbook's settings, checked at 0 % through its tag URL, then given all the traffic.
   */
  async redeploy(input: {
    readonly runbook: string;
    readonly image: string;
    readonly userId: string;
  }): Promise<RedeployResult> {
    const asked = await this.authorize(input.runbook, input.userId);
    if (asked.kind !== 'ok') return asked;
    const runbook = asked.runbook;
    if (runbook.access.rollbackNeedsApproval) {
      const approval = await this.authorize(input.runbook, input.userId, { approveFor: null });
      if (approval.kind !== 'ok') return approval;
    }
    const key = serviceKey(runbook.service);
    const lock = await this.deps.store.getLock(key, this.deps.clock.now());
    if (lock !== undefined && !isFreeze(lock)) return { kind: 'deploy_running', lock };
    // One redeploy of a service at a time: a double click must not create two revisions.
    const now = this.deps.clock.now();
    const guard = await this.deps.store.acquireLock({
      serviceKey: `redeploy:${key}`,
      ownerId: `redeploy-${randomBytes(6).toString('hex')}`,
      holderId: input.userId,
      reason: `redeploy of ${input.image}`,
      acquiredAt: now,
      expiresAt: new Date(now.getTime() + REDEPLOY_READY_MS + 60_000),
    });
    if (!guard.ok) return { kind: 'redeploy_running', runbook: runbook.name, lock: guard.lock };
    try {
      return await this.redeployImage(runbook, input.image, input.userId);
    } finally {
      await this.deps.store.releaseLock(guard.lock.serviceKey, guard.lock.ownerId);
    }
  }

  private async redeployImage(runbook: Runbook, image: string, userId: string): Promise<RedeployResult> {
    try {
      const [revisions, history] = await Promise.all([
        this.deps.cloudRun.listRevisions(where(runbook), 20),
        this.history(runbook),
      ]);
      // Only an image that already served this service healthily: the button's value is not a way to deploy
      // anything, nor a way back to an image that failed its checks.
      if (
        !revisions.some((r) => r.image === image && r.state === 'ready' && isGoodTarget(history, history.get(r.name)))
      )
        return { kind: 'unknown_image', runbook: runbook.name, image };
      const service = await this.deps.cloudRun.getService(where(runbook));
      const before = withoutBrokenTags(pinTraffic(service.traffic, service.latestReadyRevision), revisions);
      const suffix = randomBytes(3).toString('hex');
      const revision = revisionName(runbook.service.name, 'redeploy', suffix);
      const tagged = revisionTag(runbook.service.name, `redeploy-${suffix}`);
      if (!tagged.ok) return { kind: 'redeploy_failed', runbook: runbook.name, message: tagged.message };
      const tag = tagged.tag;
      const deployed = await this.deps.cloudRun.deployRevision({
        service: where(runbook),
        etag: service.etag,
        revision,
        image,
        settings: deploySettingsOf(runbook),
        env: runbook.deploy.env,
        secrets: runbook.deploy.secrets ?? {},
        traffic: withTaggedCandidate(before, revision, tag),
        deadline: new Date(this.deps.clock.now().getTime() + REDEPLOY_READY_MS),
      });
      if (!deployed.ok) return { kind: 'redeploy_failed', runbook: runbook.name, message: deployed.message };
      const url = deployed.service.trafficStatuses.find((t) => t.tag === tag)?.uri ?? null;
      const probe = url === null ? undefined : await this.probeHealth(runbook, url);
      if (probe === undefined || !probe.healthy)
        return {
          kind: 'redeploy_failed',
          runbook: runbook.name,
          message: `${revision} is up at 0 % but ${probe?.health ?? 'Cloud Run reports no URL for its tag'}`,
        };
      const moved = await this.moveAllTrafficTo(runbook, revision);
      if (moved.kind !== 'moved') return moved;
      return await this.frozenAfter(runbook, revision, userId, moved);
    } catch (error) {
      return { kind: 'unavailable', reason: `Cloud Run: ${reasonOf(error)}` };
    }
  }

  /** After a rollback, the service is frozen and the move goes on record. */
  private async frozenAfter(
    runbook: Runbook,
    revision: string,
    userId: string,
    moved: Extract<Awaited<ReturnType<RollbackDesk['moveAllTrafficTo']>>, { kind: 'moved' }>,
  ): Promise<Extract<RollbackResult, { kind: 'rolled_back' }>> {
    const freeze = freezeLease({
      serviceKey: serviceKey(runbook.service),
      holderId: userId,
      reason: `rolled back to ${revision}: unlock with /deploy unlock ${runbook.name} once the cause is understood`,
      at: this.deps.clock.now(),
      origin: 'rollback',
    });
    const locked = await this.deps.store.acquireLock(freeze);
    await recordTrafficMove(this.deps, runbook, 'rollback', revision, userId, moved);
    const previous = [...moved.before].filter((t) => t.revision !== revision).sort((a, b) => b.percent - a.percent)[0];
    return {
      kind: 'rolled_back',
      runbook: runbook.name,
      revision,
      before: describeTraffic(moved.before),
      after: describeTraffic(moved.after),
      health: moved.health,
      freeze: locked.lock,
      previousRevision: previous !== undefined && previous.percent > 0 ? previous.revision : null,
    };
  }

  /**
   * An approver puts a revision back in front after a rollback (a check that failed for a reason they
   * understand, or a manual rollback they want undone): all traffic to it, and the freeze lifted.
   */
  async repromote(input: {
    readonly runbook: string;
    readonly revision: string;
    readonly userId: string;
    /** The freeze the rollback took when the button was offered: the button acts only while it holds. */
    readonly freezeOwnerId: string;
  }): Promise<RepromoteResult> {
    const auth = await this.authorize(input.runbook, input.userId, { approveFor: null });
    if (auth.kind !== 'ok') return auth;
    // Checked first so a double click hears that the revision serves already, not that the freeze is gone.
    // A candidate that failed its checks is what Re-promote exists for: an approver's deliberate override.
    const target = await this.checkTarget(auth.runbook, input.revision, { overrideFailedChecks: true });
    if (target.kind !== 'ok') return target;
    const key = serviceKey(auth.runbook.service);
    const lock = await this.deps.store.getLock(key, this.deps.clock.now());
    if (lock === undefined || !isRollbackFreeze(lock) || lock.ownerId !== input.freezeOwnerId)
      return { kind: 'stale', runbook: auth.runbook.name, revision: input.revision, lock: lock ?? null };
    const moved = await this.moveAllTrafficTo(auth.runbook, input.revision, target);
    if (moved.kind !== 'moved') return moved;
    const lifted = await this.deps.store.releaseLock(key, lock.ownerId);
    await recordTrafficMove(this.deps, auth.runbook, 'repromote', input.revision, input.userId, moved);
    return {
      kind: 'repromoted',
      runbook: auth.runbook.name,
      revision: input.revision,
      before: describeTraffic(moved.before),
      after: describeTraffic(moved.after),
      health: moved.health,
      lifted: lifted ? lock : null,
    };
  }

  /** The runbook's recent runs, read for what they say of each revision. */
  private async history(runbook: Runbook): Promise<ReadonlyMap<string, RevisionVerdict>> {
    return revisionVerdicts(await this.deps.store.listRuns({ runbook: runbook.name, limit: HISTORY_RUNS }));
  }

  /** Refuses a target that is gone, not Ready, failed verification or serving already, and a service a deploy holds. */
  private async checkTarget(
    runbook: Runbook,
    revision: string,
    options: { readonly overrideFailedChecks?: boolean } = {},
  ): Promise<
    | Exclude<RollbackPlanResult, { kind: 'confirm' }>
    | { kind: 'ok'; before: ReturnType<typeof pinTraffic>; etag: string; image: string | null }
  > {
    const lock = await this.deps.store.getLock(serviceKey(runbook.service), this.deps.clock.now());
    // Decided: a rollback never races a deploy of the same service. Cancelling the deploy rolls it back.
    if (lock !== undefined && !isFreeze(lock)) return { kind: 'deploy_running', lock };
    try {
      // The recent revisions serve twice: the last good image when the target is unusable, and the failed
      // revisions whose leftover tags must not go back in the traffic list.
      const [service, target, revisions, history] = await Promise.all([
        this.deps.cloudRun.getService(where(runbook)),
        this.deps.cloudRun.getRevision(where(runbook), revision),
        this.deps.cloudRun.listRevisions(where(runbook), 20),
        this.history(runbook),
      ]);
      const verdict = history.get(revision);
      const failedChecks = verdict?.kind === 'failed' && options.overrideFailedChecks !== true;
      if (target === undefined || target.state !== 'ready' || failedChecks) {
        // The last good image: the newest revision that held traffic with no failed checks, never merely the
        // newest Ready one (which can be the candidate that just failed).
        const lastGood =
          revisions.find(
            (r) =>
              r.state === 'ready' &&
              r.name !== revision &&
              r.image !== null &&
              isGoodTarget(history, history.get(r.name)),
          )?.image ?? null;
        return {
          kind: 'target_unusable',
          runbook: runbook.name,
          revision,
          why:
            target === undefined
              ? 'it no longer exists'
              : target.state !== 'ready'
                ? `it is not Ready (${target.message ?? target.state})`
                : `it failed verification in run ${verdict?.kind === 'failed' ? `${verdict.runId}: ${verdict.why}` : ''}`,
          lastGoodImage: lastGood,
        };
      }
      const before = withoutBrokenTags(pinTraffic(service.traffic, service.latestReadyRevision), revisions);
      if (before.filter((t) => t.percent > 0).every((t) => t.revision === revision)) {
        return { kind: 'already_serving', runbook: runbook.name, revision };
      }
      return { kind: 'ok', before, etag: service.etag, image: target.image };
    } catch (error) {
      return { kind: 'unavailable', reason: `Cloud Run: ${reasonOf(error)}` };
    }
  }

  /** The health of a revision that serves again, in words for the reply. */
  private async probeHealth(runbook: Runbook, baseUrl: string): Promise<{ health: string; healthy: boolean }> {
    const probe = await probeRequiredHealth(runbook, this.deps.prober, baseUrl);
    // No check is no evidence: the revision is not reported healthy on nothing.
    if (probe === null) return { health: 'could not check: the runbook has no required GET check', healthy: false };
    return {
      healthy: probe.passed,
      health:
        'status' in probe.answer
          ? `${probe.path} answered ${probe.answer.status}${probe.passed ? '' : ' (NOT healthy)'}`
          : `${probe.path} failed: ${probe.answer.error}`,
    };
  }

  /**
   * One UpdateService with the full traffic list and the etag it read, then the runbook's GET health check.
   * `checked` is the caller's own just-made `checkTarget` of the same revision, so it is not read twice.
   */
  private async moveAllTrafficTo(
    runbook: Runbook,
    revision: string,
    checked?: CheckedTarget,
  ): Promise<
    | Exclude<RollbackPlanResult, { kind: 'confirm' }>
    | { kind: 'conflict'; message: string }
    | {
        kind: 'moved';
        before: ReturnType<typeof pinTraffic>;
        after: ReturnType<typeof pinTraffic>;
        health: string;
        healthy: boolean;
        image: string | null;
        serviceUrl: string | null;
      }
  > {
    const target = checked ?? (await this.checkTarget(runbook, revision));
    if (target.kind !== 'ok') return target;
    const traffic = allTrafficTo(target.before, revision);
    const result = await this.deps.cloudRun.setTraffic({
      service: where(runbook),
      etag: target.etag,
      traffic,
      deadline: new Date(this.deps.clock.now().getTime() + 5 * 60_000),
    });
    if (!result.ok) {
      // A double click: the other click moved the traffic first; say so rather than report a conflict.
      const now = await this.checkTarget(runbook, revision, { overrideFailedChecks: true });
      return now.kind === 'already_serving' ? now : { kind: 'conflict', message: result.message };
    }
    const { health, healthy } =
      result.service.uri === null
        ? { health: 'Cloud Run reports no service URL', healthy: false }
        : await this.probeHealth(runbook, result.service.uri);
    return {
      kind: 'moved',
      before: target.before,
      after: traffic,
      health,
      healthy,
      image: target.image,
      serviceUrl: result.service.uri,
    };
  }
}
