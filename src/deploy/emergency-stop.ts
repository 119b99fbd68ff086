import { mayApprove, mayRequest } from './access.js';
import { freezeLease, isFreeze } from './freeze.js';
import type { ServiceCommandRefusal } from './refusals.js';
import { pickRunbook } from './live-metrics.js';
import type {
  CloudRunPort,
  ServiceLocation,
  ServiceScaling,
  ServiceSnapshot,
  UserGroupDirectory,
} from './ports/index.js';
import type { Clock, LockLease, Store } from './ports/index.js';
import { serviceKey } from './run.js';
import type { RunbookCatalog } from './runbook/loader.js';
import type { Runbook } from './runbook/schema/index.js';
import { describeTraffic, pinTraffic } from './traffic.js';

/**
 * Why the emergency stop is service-level MANUAL scaling at 0 and not the seed runbook's
 * `gcloud run services update --max-instances 0`: in the Cloud Run v2 API a revision's `max_instance_count` of 0 is
 * proto3's unset value, so the server default applies and nothing stops (and that command would create a revision).
 * `ServiceScaling{scaling_mode: MANUAL, manual_instance_count: 0}` (an `optional` field, so 0 is sent and kept)
 * takes every revision of the traffic split to 0 instances at once, creates no revision and leaves the split as it is.
 */
export const STOPPED: ServiceScaling = { mode: 'manual', instances: 0 };

type Refusal =
  | ServiceCommandRefusal
  /** A deploy holds the service: a stop never races it (as a rollback does not); cancelling it rolls it back. */
  | { readonly kind: 'deploy_running'; readonly lock: LockLease };

interface ServiceFacts {
  readonly runbook: string;
  readonly service: ServiceLocation;
}

export type StopRequestResult =
  | Refusal
  | (ServiceFacts & { readonly kind: 'already_stopped' })
  | (ServiceFacts & {
      readonly kind: 'confirm';
      readonly scaling: ServiceScaling;
      readonly serving: string;
      readonly requestedBy: string;
      /** Who may confirm (empty: anyone). */
      readonly approvers: readonly string[];
    });

export type StopResult =
  | Exclude<StopRequestResult, { kind: 'confirm' }>
  /** Another stop or resume of the service is under way and had not finished when we stopped waiting. */
  | (ServiceFacts & { readonly kind: 'in_progress' })
  /** Cloud Run refused the change (the etag moved and the service is still not stopped, invalid, timeout). */
  | { readonly kind: 'not_changed'; readonly message: string }
  | (ServiceFacts & {
      readonly kind: 'stopped';
      readonly at: Date;
      readonly before: ServiceScaling;
      readonly serving: string;
      /**
       * The freeze that keeps deploys off: the stop's own, or one the service already had (a rollback's, a
       * `/deploy lock`), which stays; null if a deploy took the lock in between.
       */
      readonly freeze: LockLease | null;
      /** Whether the stop's own freeze holds the scaling before, for `--resume` (not when an earlier freeze stays). */
      readonly recorded: boolean;
    });

export type ResumeResult =
  | Exclude<Refusal, { kind: 'deploy_running' }>
  | (ServiceFacts & { readonly kind: 'in_progress' })
  | { readonly kind: 'not_changed'; readonly message: string }
  | (ServiceFacts & {
      readonly kind: 'not_stopped';
      readonly scaling: ServiceScaling;
      /** The stop's freeze, lifted now that the service runs (it was restored some other way). */
      readonly lifted: LockLease | null;
    })
  | (ServiceFacts & {
      readonly kind: 'resumed';
      readonly scaling: ServiceScaling;
      /** before_stop: what the stop recorded; runbook: the runbook's minInstances/maxInstances (nothing recorded). */
      readonly source: 'before_stop' | 'runbook';
      readonly lifted: LockLease | null;
      /** A freeze someone else took while stopped (e.g. `/deploy lock`), left in place. */
      readonly keptFreeze: LockLease | null;
    });

export interface EmergencyStopDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly directory: UserGroupDirectory;
  readonly catalog: () => RunbookCatalog;
  readonly cloudRun: CloudRunPort;
  /** Waits between two reads while another click's change is under way; real time by default. */
  readonly sleep?: (ms: number) => Promise<void>;
}

const CLAIM_MS = 60_000;
const WAIT_FOR_OTHER_MS = 10_000;
const POLL_MS = 250;
const UPDATE_DEADLINE_MS = 5 * 60_000;

const REASON_PREFIX = 'emergency stop';

const where = (runbook: Runbook): ServiceLocation => ({
  project: runbook.service.project,
  region: runbook.service.region,
  name: runbook.service.name,
});
const reasonOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** True when the service runs no instance at all: manual scaling at 0. */
export function isStopped(scaling: ServiceScaling): boolean {
  return scaling.mode === 'manual' && scaling.instances === 0;
}

/**
 * The freeze's reason, with the scaling to restore at its end: the freeze lives exactly as long as the stop, so
 * it is where the store keeps that scaling, and people reading `/deploy status` see it too.
 */
export function stopReason(runbook: string, before: ServiceScaling): string {
  const scaling =
    before.mode === 'manual'
      ? `manual instances=${before.instances}`
      : `automatic min=${before.minInstances} max=${before.maxInstances ?? 'default'}`;
  return `${REASON_PREFIX}: 0 instances, every request fails; an approver undoes it with /rollback ${runbook} --resume (scaling before: ${scaling})`;
}

const BEFORE = /\(scaling before: (?:manual instances=(\d+)|automatic min=(\d+) max=(\d+|default))\)$/;

/** The scaling a stop's freeze recorded; null for any other freeze (or a reason someone rewrote). */
export function scalingBeforeStop(lock: LockLease): ServiceScaling | null {
  if (!isFreeze(lock) || !lock.reason.startsWith(REASON_PREFIX)) return null;
  const match = BEFORE.exec(lock.reason);
  if (match === null) return null;
  const [, manual, min, max] = match;
  if (manual !== undefined) return { mode: 'manual', instances: Number(manual) };
  return { mode: 'automatic', minInstances: Number(min), maxInstances: max === 'default' ? null : Number(max) };
}

function serving(service: ServiceSnapshot): string {
  try {
    return describeTraffic(pinTraffic(service.traffic, service.latestReadyRevision));
  } catch (error) {
    return reasonOf(error);
  }
}

/**
 * The emergency stop (`/rollback <runbook> --stop`) and its undo (`--resume`). A deployer asks; only an approver
 * stops or resumes (and may confirm their own request: it is the emergency path). While stopped, the service's
 * freeze keeps deploys off. A double click, a Slack retry or a second replica writes at most once: the write is
 * claimed in the store per service etag, and an etag that moved is re-read and reported, never overwritten.
 */
export class EmergencyStop {
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly deps: EmergencyStopDeps) {
    this.sleep = deps.sleep ?? ((ms) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  }

  private async authorize(
    runbookName: string | undefined,
    userId: string,
    role: 'deploy' | 'approve',
  ): Promise<Exclude<Refusal, { kind: 'unavailable' | 'deploy_running' }> | { kind: 'ok'; runbook: Runbook }> {
    const picked = pickRunbook(this.deps.catalog(), runbookName);
    if (picked.kind !== 'found') return picked;
    const rules = picked.runbook.access;
    const access =
      role === 'deploy'
        ? await mayRequest(rules, userId, this.deps.directory)
        : await mayApprove({ ...rules, selfApproval: true }, userId, userId, this.deps.directory);
    if (!access.allowed) return { kind: 'forbidden', decision: access, role };
    return { kind: 'ok', runbook: picked.runbook };
  }

  private async read(runbook: Runbook): Promise<ServiceSnapshot | { kind: 'unavailable'; reason: string }> {
    try {
      return await this.deps.cloudRun.getService(where(runbook));
    } catch (error) {
      return { kind: 'unavailable', reason: `Cloud Run: ${reasonOf(error)}` };
    }
  }

  private async deployLock(runbook: Runbook): Promise<LockLease | undefined> {
    const lock = await this.deps.store.getLock(serviceKey(runbook.service), this.deps.clock.now());
    return lock !== undefined && !isFreeze(lock) ? lock : undefined;
  }

  /** What the confirmation shows, for a deployer who asks. */
  async request(input: { readonly runbook: string | undefined; readonly userId: string }): Promise<StopRequestResult> {
    const auth = await this.authorize(input.runbook, input.userId, 'deploy');
    if (auth.kind !== 'ok') return auth;
    const runbook = auth.runbook;
    const facts = { runbook: runbook.name, service: where(runbook) };
    const deploy = await this.deployLock(runbook);
    if (deploy !== undefined) return { kind: 'deploy_running', lock: deploy };
    const service = await this.read(runbook);
    if ('kind' in service) return service;
    if (isStopped(service.scaling)) return { ...facts, kind: 'already_stopped' };
    return {
      ...facts,
      kind: 'confirm',
      scaling: service.scaling,
      serving: serving(service),
      requestedBy: input.userId,
      approvers: runbook.access.approvers,
    };
  }

  /** An approver's confirmation: 0 instances, the scaling before recorded in the freeze that keeps deploys off. */
  async stop(input: { readonly runbook: string; readonly userId: string }): Promise<StopResult> {
    const auth = await this.authorize(input.runbook, input.userId, 'approve');
    if (auth.kind !== 'ok') return auth;
    const runbook = auth.runbook;
    const facts = { runbook: runbook.name, service: where(runbook) };
    const deploy = await this.deployLock(runbook);
    if (deploy !== undefined) return { kind: 'deploy_running', lock: deploy };
    const service = await this.read(runbook);
    if ('kind' in service) return service;
    if (isStopped(service.scaling)) return { ...facts, kind: 'already_stopped' };

    if (!(await this.claim('stop', runbook, service.etag))) {
      const settled = await this.waitForOther(runbook, isStopped);
      return settled === null ? { ...facts, kind: 'in_progress' } : { ...facts, kind: 'already_stopped' };
    }
    const result = await this.deps.cloudRun.setServiceScaling({
      service: where(runbook),
      etag: service.etag,
      scaling: STOPPED,
      deadline: new Date(this.deps.clock.now().getTime() + UPDATE_DEADLINE_MS),
    });
    if (!result.ok) {
      const now = await this.read(runbook);
      if (!('kind' in now) && isStopped(now.scaling)) return { ...facts, kind: 'already_stopped' };
      return { kind: 'not_changed', message: result.message };
    }

    const at = this.deps.clock.now();
    const taken = await this.deps.store.acquireLock(
      freezeLease({
        serviceKey: serviceKey(runbook.service),
        holderId: input.userId,
        reason: stopReason(runbook.name, service.scaling),
        at,
      }),
    );
    return {
      ...facts,
      kind: 'stopped',
      at,
      before: service.scaling,
      serving: serving(service),
      freeze: taken.ok || isFreeze(taken.lock) ? taken.lock : null,
      recorded: taken.ok,
    };
  }

  /** An approver's undo: the scaling the stop recorded (else the runbook's), and the stop's freeze lifted. */
  async resume(input: { readonly runbook: string | undefined; readonly userId: string }): Promise<ResumeResult> {
    const auth = await this.authorize(input.runbook, input.userId, 'approve');
    if (auth.kind !== 'ok') return auth;
    const runbook = auth.runbook;
    const facts = { runbook: runbook.name, service: where(runbook) };
    const key = serviceKey(runbook.service);
    const service = await this.read(runbook);
    if ('kind' in service) return service;
    const freeze = await this.deps.store.getLock(key, this.deps.clock.now());
    const recorded = freeze === undefined ? null : scalingBeforeStop(freeze);
    if (!isStopped(service.scaling)) {
      return { ...facts, kind: 'not_stopped', scaling: service.scaling, lifted: await this.lift(key, freeze) };
    }

    if (!(await this.claim('resume', runbook, service.etag))) {
      const settled = await this.waitForOther(runbook, (scaling) => !isStopped(scaling));
      return settled === null
        ? { ...facts, kind: 'in_progress' }
        : { ...facts, kind: 'not_stopped', scaling: settled, lifted: null };
    }
    // Nothing recorded (the freeze was lifted or replaced meanwhile): the runbook's own bounds, automatic.
    const scaling: ServiceScaling = recorded ?? {
      mode: 'automatic',
      minInstances: runbook.deploy.minInstances,
      maxInstances: runbook.deploy.maxInstances,
    };
    const result = await this.deps.cloudRun.setServiceScaling({
      service: where(runbook),
      etag: service.etag,
      scaling,
      deadline: new Date(this.deps.clock.now().getTime() + UPDATE_DEADLINE_MS),
    });
    if (!result.ok) {
      const now = await this.read(runbook);
      if (!('kind' in now) && !isStopped(now.scaling)) {
        return { ...facts, kind: 'not_stopped', scaling: now.scaling, lifted: await this.lift(key, freeze) };
      }
      return { kind: 'not_changed', message: result.message };
    }
    const lifted = await this.lift(key, freeze);
    return {
      ...facts,
      kind: 'resumed',
      scaling,
      source: recorded === null ? 'runbook' : 'before_stop',
      lifted,
      keptFreeze: freeze !== undefined && isFreeze(freeze) && lifted === null ? freeze : null,
    };
  }

  /** Lifts the freeze only if the stop took it: a freeze someone took for another reason stays. */
  private async lift(key: string, freeze: LockLease | undefined): Promise<LockLease | null> {
    if (freeze === undefined || scalingBeforeStop(freeze) === null) return null;
    return (await this.deps.store.releaseLock(key, freeze.ownerId)) ? freeze : null;
  }

  /** One write per service etag, whichever replica or click gets here first. */
  private claim(what: 'stop' | 'resume', runbook: Runbook, etag: string): Promise<boolean> {
    const now = this.deps.clock.now();
    return this.deps.store.claimIdempotencyKey(
      `emergency-${what}:${serviceKey(runbook.service)}:${etag}`,
      now,
      new Date(now.getTime() + CLAIM_MS),
    );
  }

  /** Reads the service until the other click's change shows (its scaling), or gives up (null). */
  private async waitForOther(
    runbook: Runbook,
    done: (scaling: ServiceScaling) => boolean,
  ): Promise<ServiceScaling | null> {
    for (let waited = 0; waited < WAIT_FOR_OTHER_MS; waited += POLL_MS) {
      await this.sleep(POLL_MS);
      const service = await this.read(runbook);
      if (!('kind' in service) && done(service.scaling)) return service.scaling;
    }
    return null;
  }
}
