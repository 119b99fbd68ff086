import type { Runbook } from '../runbook/schema/index.js';
import type { DeploySettings } from '../ports/index.js';

/** The runbook's revision settings, as every revision Liftoff creates gets them. */
export function deploySettingsOf(runbook: Runbook): DeploySettings {
  return {
    memory: runbook.deploy.memory,
    cpu: runbook.deploy.cpu,
    timeoutSeconds: runbook.deploy.timeoutSeconds,
    minInstances: runbook.deploy.minInstances,
    maxInstances: runbook.deploy.maxInstances,
    ...(runbook.deploy.concurrency === undefined ? {} : { concurrency: runbook.deploy.concurrency }),
  };
}
