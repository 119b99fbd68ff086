import type { TrafficTarget } from '../plan.js';
import type { Run, TransitionRecord } from '../run.js';
import type { Runbook } from '../runbook/schema/index.js';
import type { PipelineData } from './run-data.js';

/** Facts for the deploy log; the markdown itself is rendered outside the domain. */
export interface DeployLogInput {
  readonly run: Run;
  /** The run's transitions, for the timeline. */
  readonly journal: readonly TransitionRecord[];
  readonly runbook: Runbook;
  readonly template: string | undefined;
  readonly data: PipelineData;
  readonly outcome: 'succeeded' | 'rolled_back' | 'failed';
  readonly trafficAfter: readonly TrafficTarget[];
  readonly threadUrl: string | null;
  readonly now: Date;
}
