/**
 * The runbook file format (DESIGN.md, 'Runbook files'): a zod schema, the types it produces, and `validateRunbook`,
 * which turns an interpolated YAML value into a `Runbook` or a list of errors that each name a key path.
 *
 * Conventions:
 * - Every mapping is strict: an unknown key (a typo like `deploy.memroy`) is an error naming it.
 * - Durations are written `30s`, `15m`, `2h`; the parsed types hold them as milliseconds.
 * - Placeholders always fill in text, so number and boolean keys also accept their text forms
 *   (`maxInstances: ${MAX_INSTANCES:-10}` works); anything else that is not a number stays an error.
 * - A list of ids or names may also be written as one comma-separated string (`deployers: U01,U02`, which is how
 *   `${LIFTOFF_DEPLOYERS:-}` arrives). Lists of free text (`changes`, `mustContain`) accept a single string as a
 *   one-item list instead, because their items may contain commas.
 *
 * The modules, each importing only those before it: messages, fields, cloud-run-resources, sections, checks,
 * monitoring, runbook.
 */
export { checkCpuMemory, parseCpu, parseMemory, type ResourceProblem } from './cloud-run-resources.js';
export { RESERVED_ENV_NAMES } from './fields.js';
export { canarySpecOf, type CanarySpec } from './canary.js';
export type { MonitoringSpec } from './monitoring.js';
export {
  runbookSchema,
  validateRunbook,
  type AccessSpec,
  type BuildSpec,
  type BuildTagScheme,
  type CheckKind,
  type CheckSpec,
  type CiPreflightSpec,
  type DeployLogSpec,
  type DeploySpec,
  type GrafanaFileSpec,
  type HttpCheckSpec,
  type LogsCheckSpec,
  type MetricsCheckSpec,
  type PreflightSpec,
  type PrometheusFileSpec,
  type Runbook,
  type RunbookIssue,
  type RunbookValidation,
  type ServicePreflightSpec,
  type ServiceSpec,
  type Severity,
  type SourcePreflightSpec,
  type SourceSpec,
  type StartupCheckSpec,
  type Targets,
  type VerifySpec,
} from './runbook.js';
export { type BuildSource, isContainerRegistryImage, RESERVED_RUNBOOK_NAMES } from './sections.js';
