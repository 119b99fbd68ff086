import type { CheckResult } from '../checks/check-result.js';
import type { CanaryProgress } from '../canary/progress.js';
import type { Run } from '../run.js';

/** What the run's status message shows, edited in place as the run moves. */
export interface ProgressView {
  readonly runId: string;
  readonly runbook: string;
  readonly service: string;
  readonly state: string;
  readonly requesterId: string;
  readonly tag: string | null;
  readonly image: string | null;
  readonly build: {
    readonly status: string;
    readonly step: string | null;
    readonly elapsedMs: number;
    readonly logUrl: string | null;
  } | null;
  readonly revision: string | null;
  readonly candidateUrl: string | null;
  readonly checks: readonly CheckResult[];
  readonly updatedAt: Date;
}

/** The canary card: every step of the canary with its last look, edited in place as the steps go. */
export interface CanaryCardView {
  readonly runId: string;
  readonly runbook: string;
  readonly revision: string;
  readonly mode: 'enforce' | 'advise';
  readonly steps: readonly number[];
  readonly minRequests: number;
  readonly intervalMs: number;
  readonly progress: CanaryProgress;
  /** The run's state: the Promote anyway / Roll back / Hold buttons show only while a step is held in `canary`. */
  readonly state: string;
  readonly updatedAt: Date;
}

/** One reply in the thread: a step's result. */
export interface StepReport {
  readonly kind: 'ok' | 'warning' | 'failure' | 'info';
  readonly title: string;
  readonly lines: readonly string[];
  readonly link?: { readonly url: string; readonly text: string };
}

export interface FinalReport {
  readonly outcome: 'succeeded' | 'rolled_back' | 'failed' | 'cancelled';
  readonly requesterId: string;
  readonly runbook: string;
  readonly service: string;
  readonly revision: string | null;
  readonly serviceUrl: string | null;
  readonly deployLogUrl: string | null;
  readonly reason: string | null;
  /** After an automatic rollback the service is frozen: the candidate an approver may re-promote. */
  readonly frozenWithCandidate: string | null;
  /** The freeze that rollback took: the Re-promote button acts only while that very freeze holds. */
  readonly freezeOwnerId: string | null;
}

/**
 * The run's thread under its plan message. Posting returns the message ts, which the pipeline keeps in the run,
 * so a restart edits the same message instead of posting a second one.
 */
export interface ThreadReporter {
  postStatus(run: Run, view: ProgressView): Promise<string>;
  /** Edits the status message; implementations coalesce bursts (Slack allows about one update a second). */
  updateStatus(run: Run, ts: string, view: ProgressView): Promise<void>;
  postStep(run: Run, report: StepReport): Promise<string>;
  /** Posts the canary card; its ts is kept in the run so later looks edit it. */
  postCanary(run: Run, view: CanaryCardView): Promise<string>;
  /** Edits the canary card, coalesced like the status message. */
  updateCanary(run: Run, ts: string, view: CanaryCardView): Promise<void>;
  postFinal(run: Run, report: FinalReport): Promise<string>;
  /** A link to the thread, for the GitHub Deployment's log_url. */
  permalink(run: Run): Promise<string | null>;
}
