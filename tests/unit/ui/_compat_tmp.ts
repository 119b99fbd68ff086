import type { Targets } from '../../../src/deploy/runbook/schema.js';
import type { IndexRow } from '../../../src/deploy/pipeline/outbox-worker.js';
import { grafanaDashboard } from '../../../src/ui/monitoring-files.js';
import { appendDeployIndexRow } from '../../../src/ui/deploy-index.js';
export function f(t: Targets, r: IndexRow): string {
  return grafanaDashboard({ service: 'x', targets: t }) + appendDeployIndexRow(null, r);
}
