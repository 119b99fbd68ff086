import { formatRunbookErrors, type RunbookCatalog } from '../deploy/runbook/loader.js';
import type { RunbookListing } from '../ui/replies.js';

/** The catalog as `/deploy list` shows it. */
export function runbookListing(catalog: RunbookCatalog): RunbookListing {
  return {
    valid: catalog.runbooks.map(({ runbook, warnings }) => ({
      name: runbook.name,
      description: runbook.description,
      service: `${runbook.service.project}/${runbook.service.region}/${runbook.service.name}`,
      deployers: runbook.access.deployers,
      approvers: runbook.access.approvers,
      warnings,
    })),
    invalid: catalog.invalid.map((invalid) => ({
      file: invalid.file,
      name: invalid.name,
      errors: formatRunbookErrors(invalid),
    })),
  };
}
