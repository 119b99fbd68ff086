import type { Plan } from '../plan.js';
import type { Run } from '../run.js';

/** Posts and edits the request message; the Slack adapter implements it with the ui builders. */
export interface RequestNotifier {
  /** Posts the request with its buttons; returns the message ts. */
  postRequest(run: Run, plan: Plan): Promise<string>;
  /** Edits the request in place to show its decision (approved, denied, expired, cancelled). */
  showDecision(run: Run, plan: Plan): Promise<void>;
}

/** Carries an approved run through its steps. Fire-and-forget: the pipeline reports its own progress. */
export interface PipelinePort {
  start(run: Run): void;
}
