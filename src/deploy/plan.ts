import { z } from 'zod';
import type { Runbook } from './runbook/schema/index.js';
import type { LiveFactsReader } from './ports/index.js';

/** A live fact read from Google Cloud or GitHub, or why it could not be read. */
const liveFact = <T extends z.ZodType>(value: T) =>
  z.discriminatedUnion('status', [
    z.object({ status: z.literal('read'), value }),
    z.object({ status: z.literal('not_read'), reason: z.string() }),
  ]);

const trafficTargetSchema = z.object({
  revision: z.string().nullable(),
  latest: z.boolean(),
  percent: z.number(),
  tag: z.string().nullable(),
});
export type TrafficTarget = z.infer<typeof trafficTargetSchema>;

const buildTagFactSchema = z.object({ current: z.string(), next: z.string() });
const servingFactSchema = z.object({ revision: z.string().nullable(), traffic: z.array(trafficTargetSchema) });

export const planSchema = z.object({
  runbook: z.string(),
  description: z.string(),
  service: z.object({ project: z.string(), region: z.string(), name: z.string() }),
  source: z.object({ repo: z.string(), branch: z.string(), tagFile: z.string(), scheme: z.string() }),
  buildTag: liveFact(buildTagFactSchema),
  imageTemplate: z.string(),
  /** The image to be built, once the next tag is known. */
  image: z.string().nullable(),
  serving: liveFact(servingFactSchema),
  strategy: z.string(),
  /** Deploy settings the runbook sets, with the live value beside when it was read. */
  settings: z.array(z.object({ name: z.string(), target: z.string(), current: z.string().nullable() })),
  /** Env var NAMES only: values never reach a message. */
  env: z.array(z.object({ name: z.string(), change: z.enum(['add', 'update', 'unchanged', 'unknown']) })),
  changes: z.array(z.string()),
  checks: z.array(z.object({ name: z.string(), kind: z.string(), severity: z.string() })),
  /** `ok`/`measured` are null until the preflight ran (it needs GitHub and Cloud Run access). */
  preflight: z.array(
    z.object({
      name: z.string(),
      kind: z.string(),
      severity: z.string(),
      ok: z.boolean().nullable(),
      measured: z.string().nullable(),
    }),
  ),
  approvers: z.array(z.string()),
  /** `approval.required`: how many different approvers must approve (plans stored before it existed: 1). */
  approvalsRequired: z.number().int().min(1).default(1),
  selfApproval: z.boolean(),
  requestedBy: z.string(),
  requestedAt: z.iso.datetime(),
  expiresAt: z.iso.datetime(),
  warnings: z.array(z.string()),
});

export type Plan = z.infer<typeof planSchema>;

export type LiveFact<T> =
  { readonly status: 'read'; readonly value: T } | { readonly status: 'not_read'; readonly reason: string };

/** What Liftoff reads of the live service and repository to compute a plan. */
export interface LiveFacts {
  readonly buildTag: LiveFact<z.infer<typeof buildTagFactSchema>>;
  readonly serving: LiveFact<z.infer<typeof servingFactSchema>>;
  /** The service's current env var names and deploy settings (memory, cpu, ...), as strings. */
  readonly service: LiveFact<{
    readonly names: readonly string[];
    readonly settings: Readonly<Record<string, string>>;
  }>;
}

/** The reader used until the Google Cloud and GitHub adapters are configured: every live part is marked unread. */
export function unreadLiveFacts(reason: string): LiveFactsReader {
  const notRead = { status: 'not_read', reason } as const;
  return { read: () => Promise.resolve({ buildTag: notRead, serving: notRead, service: notRead }) };
}

/** The deploy settings a runbook sets, as Cloud Run shows them. */
export function runbookSettings(runbook: Runbook): ReadonlyArray<readonly [string, string]> {
  const d = runbook.deploy;
  return [
    ['memory', d.memory],
    ['cpu', d.cpu],
    ['timeoutSeconds', String(d.timeoutSeconds)],
    ['minInstances', String(d.minInstances)],
    ['maxInstances', String(d.maxInstances)],
    ['allowUnauthenticated', String(d.allowUnauthenticated)],
  ];
}

/** Computes the plan shown for a deploy request: the runbook's intent joined with what is live now. */
export function buildPlan(input: {
  readonly runbook: Runbook;
  readonly live: LiveFacts;
  readonly requestedBy: string;
  readonly requestedAt: Date;
  readonly expiresAt: Date;
  readonly warnings: readonly string[];
  readonly preflight?: readonly { readonly name: string; readonly ok: boolean; readonly measured: string }[];
}): Plan {
  const { runbook, live } = input;
  const currentSettings = live.service.status === 'read' ? live.service.value.settings : undefined;
  const currentEnvNames = live.service.status === 'read' ? new Set(live.service.value.names) : undefined;
  return {
    runbook: runbook.name,
    description: runbook.description,
    service: { ...runbook.service },
    source: {
      repo: runbook.source.repo,
      branch: runbook.source.branch,
      tagFile: runbook.source.buildTag.file,
      scheme: runbook.source.buildTag.scheme,
    },
    buildTag: live.buildTag,
    imageTemplate: runbook.build.image,
    image: live.buildTag.status === 'read' ? runbook.build.image.replaceAll('{tag}', live.buildTag.value.next) : null,
    serving: live.serving,
    strategy: runbook.deploy.strategy,
    settings: runbookSettings(runbook).map(([name, target]) => ({
      name,
      target,
      current: currentSettings?.[name] ?? null,
    })),
    env: Object.keys(runbook.deploy.env)
      .sort()
      .map((name) => ({
        name,
        change: currentEnvNames === undefined ? 'unknown' : currentEnvNames.has(name) ? 'update' : 'add',
      })),
    changes: [...runbook.changes],
    checks: runbook.verify.checks.map((c) => ({ name: c.name, kind: c.kind, severity: c.severity })),
    preflight: runbook.preflight.map((c) => {
      const result = input.preflight?.find((r) => r.name === c.name);
      return {
        name: c.name,
        kind: c.kind,
        severity: c.severity,
        ok: result?.ok ?? null,
        measured: result?.measured ?? null,
      };
    }),
    approvers: [...runbook.access.approvers],
    approvalsRequired: runbook.approval.required,
    selfApproval: runbook.access.selfApproval,
    requestedBy: input.requestedBy,
    requestedAt: input.requestedAt.toISOString(),
    expiresAt: input.expiresAt.toISOString(),
    warnings: [...input.warnings],
  };
}
