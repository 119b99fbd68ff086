import { z } from 'zod';

/** The states of a deploy run (DESIGN.md, 'A deploy run'). */
export const RUN_STATES = [
  'requested',
  'approved',
  'queued',
  'tagging',
  'building',
  'deploying',
  'verifying',
  'canary',
  'promoting',
  'recording',
  'succeeded',
  'denied',
  'expired',
  'cancelled',
  'failed',
  'rolled_back',
] as const;

export type RunState = (typeof RUN_STATES)[number];

/*
 * The state groups, written once: the desk, the pipeline, the store queries and the ui all take them from here.
 * tests/unit/deploy/run.test.ts pins each one.
 */

/** Ended: nothing moves the run again. */
export const TERMINAL_STATES: readonly RunState[] = [
  'succeeded',
  'denied',
  'expired',
  'cancelled',
  'failed',
  'rolled_back',
];

/** Not started: waiting for a decision (requested) or for the service's lock (queued). */
export const WAITING_STATES: readonly RunState[] = ['requested', 'queued'];

const ACTIVE = [
  'approved',
  'tagging',
  'building',
  'deploying',
  'verifying',
  'canary',
  'promoting',
  'recording',
] as const;

/** A state the pipeline drives: one step a state. */
export type ActiveState = (typeof ACTIVE)[number];

/**
 * Everything past approval that has not ended: the run holds the service lock, the pipeline drives it, and a
 * restart resumes it.
 */
export const ACTIVE_STATES: readonly ActiveState[] = ACTIVE;

/** A new revision may exist: a failure here puts back the traffic that served before the run (DESIGN.md). */
export const AFTER_DEPLOY_STATES: readonly ActiveState[] = ['deploying', 'verifying', 'canary', 'promoting'];

/** Not yet carried by the pipeline: `/deploy cancel` ends the run in one guarded write. */
export const CANCEL_AT_ONCE_STATES: readonly RunState[] = ['requested', 'queued', 'approved'];

/**
 * Carried by the pipeline, before the promotion: `/deploy cancel` flags the run and the pipeline stops it (the build
 * cancelled, or the traffic put back). A canary step holds part of the traffic for minutes, so a cancel there puts
 * back the split that served before. Once the promotion runs (promoting) a cancel would only race it.
 */
export const CANCEL_ON_REQUEST_STATES: readonly ActiveState[] = [
  'tagging',
  'building',
  'deploying',
  'verifying',
  'canary',
];

/** Every state `/deploy cancel` acts on. */
export const CANCELLABLE_STATES: readonly RunState[] = [...CANCEL_AT_ONCE_STATES, ...CANCEL_ON_REQUEST_STATES];

/** Whether `state` is one of `group` (a group above). */
export function inGroup(group: readonly RunState[], state: RunState): boolean {
  return group.includes(state);
}

export function isActive(state: RunState): state is ActiveState {
  return inGroup(ACTIVE_STATES, state);
}

const ALLOWED_TRANSITIONS: Readonly<Record<RunState, readonly RunState[]>> = {
  requested: ['approved', 'queued', 'denied', 'expired', 'cancelled'],
  queued: ['approved', 'cancelled', 'expired'],
  approved: ['tagging', 'cancelled', 'failed'],
  tagging: ['building', 'cancelled', 'failed'],
  building: ['deploying', 'cancelled', 'failed'],
  deploying: ['verifying', 'promoting', 'rolled_back', 'failed'],
  verifying: ['canary', 'promoting', 'rolled_back', 'failed'],
  canary: ['promoting', 'rolled_back', 'failed'],
  promoting: ['recording', 'rolled_back', 'failed'],
  recording: ['succeeded', 'failed'],
  succeeded: [],
  denied: [],
  expired: [],
  cancelled: [],
  failed: [],
  rolled_back: [],
};

export function isTerminal(state: RunState): boolean {
  return inGroup(TERMINAL_STATES, state);
}

export function canTransition(from: RunState, to: RunState): boolean {
  return ALLOWED_TRANSITIONS[from].includes(to);
}

/** What a run remembers of the service it deploys: enough to find it again without the runbook. */
export interface ServiceRef {
  readonly project: string;
  readonly region: string;
  readonly name: string;
}

/** The stable key of a service, used for its lock. */
export function serviceKey(service: ServiceRef): string {
  return `${service.project}/${service.region}/${service.name}`;
}

export interface Run {
  readonly id: string;
  readonly runbook: string;
  readonly serviceKey: string;
  readonly state: RunState;
  readonly requesterId: string;
  readonly channelId: string;
  /** The plan message in the channel; absent for a dry run or before it is posted. */
  readonly messageTs: string | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  /** When an unanswered request expires. */
  readonly expiresAt: Date;
  readonly decidedBy: string | null;
  readonly decidedAt: Date | null;
  /** The plan as it was shown, so later messages render the same facts. JSON-serialisable. */
  readonly plan: unknown;
  /** Free-form step data the pipeline keeps (build id, revision name, ...). JSON-serialisable. */
  readonly data: Readonly<Record<string, unknown>>;
}

export interface TransitionRecord {
  readonly runId: string;
  readonly from: RunState;
  readonly to: RunState;
  readonly at: Date;
  readonly actorId: string | null;
  readonly detail: string | null;
}

const queueSchema = z.object({ since: z.string(), position: z.number().int().positive().nullable() });

/** Where a queued run stands in line (`queue: true`), as the desk last wrote it in the run's data. */
export function queueData(run: Run): z.infer<typeof queueSchema> | undefined {
  const parsed = queueSchema.safeParse(run.data['queue']);
  return parsed.success ? parsed.data : undefined;
}
