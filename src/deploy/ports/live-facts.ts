import type { LiveFacts } from '../plan.js';
import type { Runbook } from '../runbook/schema/index.js';

/** Reads the live parts of a plan; each part fails on its own, with its reason. */
export interface LiveFactsReader {
  read(runbook: Runbook): Promise<LiveFacts>;
}
