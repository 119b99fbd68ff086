import { mayRequest, type AccessDecision, type UserGroupDirectory } from './access.js';
import { pickRunbook } from './live-metrics.js';
import type { CloudRunPort, Prober, ServiceLocation } from './pipeline/ports.js';
import type { Clock, LockLease, Store } from './ports.js';
import { serviceKey } from './run.js';
import type { RunbookCatalog } from './runbook/loader.js';
import type { Runbook } from './runbook/schema.js';
import { allTrafficTo, describeTraffic, pinTraffic } from './traffic.js';

export interface RevisionChoice {
  readonly name: string;
  readonly image: string | null;
  readonly createdAt: Date | null;
  readonly percent: number;
  readonly tags: readonly string[];
  readonly state: 'ready' | 'failed' | 'pending';
}

type Refusal =
  | { readonly kind: 'unknown_runbook'; readonly name: string; readonly known: readonly string[] }
  | { readonly kind: 'choose_runbook'; readonly known: readonly string[] }
  | { readonly kind: 'invalid_runbook'; readonly name: string; readonly errors: readonly string[] }
  | { readonly kind: 'forbidden'; readonly decision: Exclude<AccessDecision, { allowed: true }> }
  | { readonly kind: 'unavailable'; readonly reason: string };

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
    };

export type RollbackResult =
  | Exclude<RollbackPlanResult, { kind: 'confirm' }>
  | { readonly kind: 'conflict'; readonly message: string }
  | {
      readonly kind: 'rolled_back';
      readonly runbook: string;
      readonly revision: string;
      readonly before: string;
      readonly after: string;
      readonly health: string;
      readonly freeze: LockLease;
    };

export interface RollbackDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly directory: UserGroupDirectory;
  readonly catalog: () => RunbookCatalog;
  readonly cloudRun: CloudRunPort;
  readonly prober: Prober;
}

const where = (runbook: Runbook): ServiceLocation => ({
  project: runbook.service.project,
  region: runbook.service.region,
  name: runbook.service.name,
});
const reasonOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));
/** After a rollback the service stays frozen until someone looks at what went wrong. */
const FREEZE_MS = 10 * 365 * 24 * 60 * 60 * 1000;

/**
 * The seed runbook's `update-traffic --to-revisions <previous>=100` as a Slack action: a deployer may do it
 * without a second approver (it is the emergency path), with the full traffic list, the etag and a health check.
 */
export class RollbackDesk {
  constructor(private readonly deps: RollbackDeps) {}

  private async authorize(
    runbookName: string | undefined,
    userId: string,
  ): Promise<Refusal | { kind: 'ok'; runbook: Runbook }> {
    const picked = pickRunbook(this.deps.catalog(), runbookName);
    if (picked.kind !== 'found') return picked;
    const access = await mayRequest(picked.runbook.access, userId, this.deps.directory);
    if (!access.allowed) return { kind: 'forbidden', decision: access };
    return { kind: 'ok', runbook: picked.runbook };
  }

  async list(input: { readonly runbook: string | undefined; readonly userId: string }): Promise<RollbackListResult> {
    const auth = await this.authorize(input.runbook, input.userId);
    if (auth.kind !== 'ok') return auth;
    try {
      const [service, revisions] = await Promise.all([
        this.deps.cloudRun.getService(where(auth.runbook)),
        this.deps.cloudRun.listRevisions(where(auth.runbook), 10),
      ]);
      const pinned = pinTraffic(service.traffic, service.latestReadyRevision);
      return {
        kind: 'choices',
        runbook: auth.runbook.name,
        service: auth.runbook.service.name,
        serving: describeTraffic(pinned),
        revisions: revisions.map((r) => ({
          name: r.name,
          image: r.image,
          createdAt: r.createdAt,
          percent: pinned.filter((t) => t.revision === r.name).reduce((sum, t) => sum + t.percent, 0),
          tags: pinned.filter((t) => t.revision === r.name && t.tag !== null).map((t) => t.tag ?? ''),
          state: r.state,
        })),
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
    const lock = await this.deps.store.getLock(serviceKey(auth.runbook.service), this.deps.clock.now());
    // Decided: a rollback never races a deploy of the same service. Cancelling the deploy rolls it back.
    if (lock !== undefined && !lock.ownerId.startsWith('freeze:')) return { kind: 'deploy_running', lock };
    try {
      const service = await this.deps.cloudRun.getService(where(auth.runbook));
      const target = await this.deps.cloudRun.getRevision(where(auth.runbook), input.revision);
      if (target === undefined || target.state !== 'ready') {
        const revisions = await this.deps.cloudRun.listRevisions(where(auth.runbook), 20);
        const lastGood =
          revisions.find((r) => r.state === 'ready' && r.name !== input.revision && r.image !== null)?.image ?? null;
        return {
          kind: 'target_unusable',
          runbook: auth.runbook.name,
          revision: input.revision,
          why: target === undefined ? 'it no longer exists' : `it is not Ready (${target.message ?? target.state})`,
          lastGoodImage: lastGood,
        };
      }
      const before = pinTraffic(service.traffic, service.latestReadyRevision);
      const after = allTrafficTo(before, input.revision);
      if (before.filter((t) => t.percent > 0).every((t) => t.revision === input.revision)) {
        return { kind: 'already_serving', runbook: auth.runbook.name, revision: input.revision };
      }
      return {
        kind: 'confirm',
        runbook: auth.runbook.name,
        revision: input.revision,
        before: describeTraffic(before),
        after: describeTraffic(after),
      };
    } catch (error) {
      return { kind: 'unavailable', reason: `Cloud Run: ${reasonOf(error)}` };
    }
  }

  async execute(input: {
    readonly runbook: string;
    readonly revision: string;
    readonly userId: string;
  }): Promise<RollbackResult> {
    const planned = await this.plan(input);
    if (planned.kind !== 'confirm') return planned;
    const auth = await this.authorize(input.runbook, input.userId);
    if (auth.kind !== 'ok') return auth;
    const runbook = auth.runbook;
    const service = await this.deps.cloudRun.getService(where(runbook));
    const before = pinTraffic(service.traffic, service.latestReadyRevision);
    const traffic = allTrafficTo(before, input.revision);
    const result = await this.deps.cloudRun.setTraffic({
      service: where(runbook),
      etag: service.etag,
      traffic,
      deadline: new Date(this.deps.clock.now().getTime() + 5 * 60_000),
    });
    if (!result.ok) return { kind: 'conflict', message: result.message };
    let health = 'no GET health check in the runbook';
    const check = runbook.verify.checks.find(
      (c) => c.kind === 'http' && c.method === 'GET' && c.severity === 'required',
    );
    if (check !== undefined && check.kind === 'http' && result.service.uri !== null) {
      const answer = await this.deps.prober.request({
        baseUrl: result.service.uri,
        method: 'GET',
        path: check.path,
        timeoutMs: check.timeout,
      });
      health = answer.ok
        ? `${check.path} answered ${answer.status}${check.expect.status.includes(answer.status) ? '' : ' (NOT healthy)'}`
        : `${check.path} failed: ${answer.error}`;
    }
    const now = this.deps.clock.now();
    const key = serviceKey(runbook.service);
    const freeze: LockLease = {
      serviceKey: key,
      ownerId: `freeze:${key}`,
      holderId: input.userId,
      reason: `rolled back to ${input.revision}: unlock with /deploy unlock ${runbook.name} once the cause is understood`,
      acquiredAt: now,
      expiresAt: new Date(now.getTime() + FREEZE_MS),
    };
    const locked = await this.deps.store.acquireLock(freeze);
    return {
      kind: 'rolled_back',
      runbook: runbook.name,
      revision: input.revision,
      before: describeTraffic(before),
      after: describeTraffic(traffic),
      health,
      freeze: locked.lock,
    };
  }
}
