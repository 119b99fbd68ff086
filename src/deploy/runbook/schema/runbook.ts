/** The whole runbook: its top-level schema, the types it produces, and `validateRunbook`. */
import { z } from 'zod';

import { formatKeyPath } from '../interpolate.js';
import { preflightSchema, repeatedNames, verifySchema } from './checks.js';
import { duration, flag, HOUR, MINUTE, numeric, strict, text, textList } from './fields.js';
import { issueMessages } from './messages.js';
import { type MonitoringSpec, monitoringSchema, resolveMonitoring } from './monitoring.js';
import {
  accessSchema,
  buildSchema,
  deployLogSchema,
  deploySchema,
  isContainerRegistryImage,
  runbookName,
  serviceSchema,
  sourceSchema,
  targetsSchema,
} from './sections.js';

const runbookFields = strict({
  /** The word after /deploy. */
  name: runbookName,
  description: text,
  /** Bullet lines for the plan and the deploy log. */
  changes: textList(text).default([]),
  service: serviceSchema,
  source: sourceSchema,
  build: buildSchema,
  deploy: deploySchema,
  access: accessSchema.prefault({}),
  approval: strict({
    timeout: duration({ min: 60_000, max: 7 * 24 * HOUR }).default(15 * MINUTE),
    /** N-of-M: how many different approvers must click Approve (the requester never counts). */
    required: numeric(z.number().int().min(1).max(10)).default(1),
  }).prefault({}),
  /** When the service is busy: queue the request (true) or refuse it with who holds the lock (false). */
  queue: flag.default(false),
  preflight: z
    .array(preflightSchema)
    .superRefine((steps, ctx) => {
      for (const { index, name } of repeatedNames(steps)) {
        ctx.addIssue({
          code: 'custom',
          path: [index, 'name'],
          message: `another preflight step is already named "${name}"`,
        });
      }
    })
    .default([]),
  verify: verifySchema,
  targets: targetsSchema.optional(),
  deployLog: deployLogSchema.optional(),
  /** Monitoring files written with the deploy record (the seed's step 4); absent: none. */
  monitoring: monitoringSchema.optional(),
});

// The monitoring defaults name the service, which sits beside them: they are filled once the whole file is valid.
export const runbookSchema = runbookFields.transform(
  ({ monitoring, ...runbook }): Omit<z.output<typeof runbookFields>, 'monitoring'> & { monitoring?: MonitoringSpec } =>
    monitoring === undefined
      ? runbook
      : { ...runbook, monitoring: resolveMonitoring(monitoring, runbook.service.name) },
);

export type Runbook = z.output<typeof runbookSchema>;
export type ServiceSpec = Runbook['service'];
export type SourceSpec = Runbook['source'];
export type BuildTagScheme = SourceSpec['buildTag']['scheme'];
export type BuildSpec = Runbook['build'];
export type DeploySpec = Runbook['deploy'];
export type AccessSpec = Runbook['access'];
export type PreflightSpec = Runbook['preflight'][number];
export type CiPreflightSpec = Extract<PreflightSpec, { kind: 'ci' }>;
export type SourcePreflightSpec = Extract<PreflightSpec, { kind: 'source' }>;
export type ServicePreflightSpec = Extract<PreflightSpec, { kind: 'service' }>;
export type VerifySpec = Runbook['verify'];
export type CheckSpec = VerifySpec['checks'][number];
export type CheckKind = CheckSpec['kind'];
export type HttpCheckSpec = Extract<CheckSpec, { kind: 'http' }>;
export type MetricsCheckSpec = Extract<CheckSpec, { kind: 'metrics' }>;
export type LogsCheckSpec = Extract<CheckSpec, { kind: 'logs' }>;
export type StartupCheckSpec = Extract<CheckSpec, { kind: 'startup' }>;
export type Severity = CheckSpec['severity'];
export type Targets = NonNullable<Runbook['targets']>;
export type DeployLogSpec = NonNullable<Runbook['deployLog']>;
export type PrometheusFileSpec = NonNullable<MonitoringSpec['prometheus']>;
export type GrafanaFileSpec = NonNullable<MonitoringSpec['grafana']>;

export interface RunbookIssue {
  /** A key path like `deploy.timeoutSeconds` or `verify.checks[2].expect.status`; `(root)` for the document. */
  readonly path: string;
  readonly message: string;
}

export type RunbookValidation =
  | { readonly ok: true; readonly runbook: Runbook; readonly warnings: readonly string[] }
  | { readonly ok: false; readonly errors: readonly RunbookIssue[] };

function toIssue(issue: z.core.$ZodIssue): RunbookIssue {
  const path = issue.path.map((segment) => (typeof segment === 'symbol' ? String(segment) : segment));
  if (issue.code === 'unrecognized_keys' && issue.keys.length === 1 && issue.keys[0] !== undefined) {
    path.push(issue.keys[0]);
  }
  // A record's key that fails its own schema comes wrapped, with zod's generic message outside.
  const message =
    issue.code === 'invalid_key' && issue.issues.length > 0
      ? `invalid name: ${issue.issues.map((inner) => inner.message).join('; ')}`
      : issue.message;
  return { path: formatKeyPath(path), message };
}

/** What loads but deserves a second look. */
function warningsFor(runbook: Runbook): string[] {
  const warnings: string[] = [];
  if (isContainerRegistryImage(runbook.build.image)) {
    warnings.push(
      'build.image: Container Registry (gcr.io) stopped accepting writes on 18 March 2025 unless it is hosted on Artifact Registry; ' +
        'push to REGION-docker.pkg.dev/PROJECT/REPOSITORY/IMAGE:{tag}',
    );
  }
  if (runbook.access.approvers.length === 0) {
    warnings.push(
      'access.approvers: empty, so nobody may approve a deploy, stop, resume, unlock or re-promote (Liftoff fails closed); list Slack user or user-group ids there (phase3 reads LIFTOFF_APPROVERS)',
    );
  }
  const logPath = runbook.deployLog?.path;
  if (logPath !== undefined && !logPath.includes('{date}') && !logPath.includes('{tag}')) {
    warnings.push('deployLog.path: without {date} or {tag}, every deploy writes the same file');
  }
  return warnings;
}

/**
 * Validates an interpolated runbook value (what `interpolate` returns). Every problem is reported, each with the key
 * path where it is; nothing throws.
 */
export function validateRunbook(input: unknown): RunbookValidation {
  const result = runbookSchema.safeParse(input, { error: issueMessages });
  if (!result.success) return { ok: false, errors: result.error.issues.map(toIssue) };
  return { ok: true, runbook: result.data, warnings: warningsFor(result.data) };
}
