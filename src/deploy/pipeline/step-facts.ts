import type { CanaryStep } from '../canary/progress.js';
import type { CheckResult } from '../checks/check-result.js';
import type { TrafficTarget } from '../plan.js';
import type { TargetVerdict } from '../prometheus/evaluate.js';
import type { Runbook } from '../runbook/schema/index.js';
import type { BuildSnapshot } from '../ports/index.js';
import type { StepReport } from '../ports/index.js';

/**
 * What a step tells the run's thread, as facts: the wording (English for Slack, French for the deploy log) is the
 * ui's, handed to the pipeline as a `PipelineText` (src/ui/pipeline-text.ts).
 */
export type StepFact =
  | {
      readonly type: 'tagged';
      /** '' when a restart found the tag commit instead of making it. */
      readonly current: string;
      readonly next: string;
      readonly file: string;
      readonly branch: string;
      readonly commitSha: string;
    }
  | {
      readonly type: 'build-started';
      readonly buildId: string;
      readonly image: string;
      readonly timeoutMs: number;
      readonly logUrl: string | null;
    }
  | {
      readonly type: 'build-failed';
      readonly buildId: string;
      readonly status: string;
      /** The failure as the run records it. */
      readonly reason: string;
      readonly logUrl: string | null;
    }
  | {
      readonly type: 'build-succeeded';
      readonly buildId: string;
      readonly elapsedMs: number;
      readonly images: BuildSnapshot['images'];
      readonly logUrl: string | null;
    }
  /** allUsers lacked roles/run.invoker although the runbook allows unauthenticated calls; Liftoff added it. */
  | { readonly type: 'public-access-restored' }
  | {
      readonly type: 'revision-ready';
      readonly revision: string;
      readonly trafficTag: string;
      readonly strategy: Runbook['deploy']['strategy'];
      readonly startedToReadyMs: number;
      readonly previousTraffic: readonly TrafficTarget[];
      readonly candidateUrl: string;
    }
  | { readonly type: 'check'; readonly result: CheckResult }
  | {
      readonly type: 'promoted';
      readonly revision: string;
      readonly before: readonly TrafficTarget[];
      readonly after: readonly TrafficTarget[];
      readonly serviceUrl: string | null;
    }
  /** A canary step ended (never one reply per look). */
  | { readonly type: 'canary-step'; readonly index: number; readonly step: CanaryStep; readonly minRequests: number }
  /** A canary step stayed Inconclusive until maxHold: the traffic is held and approvers are asked on the card. */
  | { readonly type: 'canary-held'; readonly index: number; readonly percent: number; readonly heldForMs: number }
  | { readonly type: 'rolling-back'; readonly step: string; readonly reason: string }
  | {
      readonly type: 'rolled-back';
      readonly trafficRestored: boolean;
      readonly verified: boolean;
      /** The rollback's summary as the run records it (`PipelineText.rollbackSummary`). */
      readonly summary: string;
    };

/** The candidate's metrics against the runbook's targets, scraped once the checks passed. */
export type InitialMetrics =
  { readonly ok: true; readonly verdicts: readonly TargetVerdict[] } | { readonly ok: false; readonly reason: string };

/** What an automatic rollback did, for its one-line summary. */
export interface RollbackOutcome {
  readonly restored: readonly TrafficTarget[];
  /** The last refusal of the traffic update, if one was refused (a retry may still have succeeded). */
  readonly trafficError: string | null;
  /** The health check on the service URL once the traffic was back; null when none was run. */
  readonly health: {
    readonly path: string;
    readonly passed: boolean;
    readonly answer: { readonly status: number } | { readonly error: string };
  } | null;
}

/** The words of the pipeline, supplied by the ui: the domain states facts, never sentences. */
export interface PipelineText {
  /** A step's reply in the run's thread. */
  step(fact: StepFact): StepReport;
  /** The seed's 'Métriques Initiales' lines, kept in the run for the deploy log. */
  initialMetrics(metrics: InitialMetrics): readonly string[];
  /** One line on the rollback, kept in the run: quoted by its reply, the final reply and the deploy log. */
  rollbackSummary(outcome: RollbackOutcome): string;
}
