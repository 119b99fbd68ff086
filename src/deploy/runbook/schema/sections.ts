/** The schemas of the runbook's sections: service, source, build, deploy, access, targets and the deploy log. */
import { z } from 'zod';

import { checkCpuMemory, cpuSchema, memorySchema, parseCpu, parseMemory } from './cloud-run-resources.js';
import { duration, envName, flag, HOUR, MINUTE, numeric, slackIds, strict, text } from './fields.js';
import { describe } from './messages.js';
import { canarySchema } from './canary.js';

/** Words that follow /deploy as subcommands: a runbook cannot take one as its name. */
export const RESERVED_RUNBOOK_NAMES: readonly string[] = ['help', 'list', 'status', 'cancel', 'lock', 'unlock'];

export const runbookName = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,29}$/, 'must be a lowercase word (letters, digits, -), at most 30 characters, e.g. phase3')
  .refine((name) => !RESERVED_RUNBOOK_NAMES.includes(name), {
    error: (issue) => `${describe(issue.input)} is a /deploy subcommand; choose another name`,
  });

export const serviceSchema = strict({
  project: z
    .string()
    .regex(
      /^(?:[a-z][a-z0-9.-]*:)?[a-z][a-z0-9-]{4,28}[a-z0-9]$/,
      'must be a Google Cloud project id: 6 to 30 lowercase letters, digits and -, starting with a letter',
    ),
  region: z.string().regex(/^[a-z]+(?:-[a-z]+)+\d+$/, 'must be a Cloud Run region like europe-west1'),
  name: z
    .string()
    .regex(
      /^[a-z](?:[a-z0-9-]{0,47}[a-z0-9])?$/,
      'must be a Cloud Run service name: lowercase letters, digits and -, starting with a letter, not ending with -, at most 49 characters',
    ),
});

export const sourceSchema = strict({
  repo: z
    .string()
    .regex(/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})\/[A-Za-z0-9._-]{1,100}$/, 'must be a GitHub repository as owner/name'),
  branch: z
    .string()
    .regex(/^(?!\/|.*(?:\.\.|\/\/|@\{|\.lock$|\/$))[A-Za-z0-9._/-]+$/, 'must be a git branch name')
    .default('main'),
  buildTag: strict({
    /** The file on the branch that holds the current build tag. */
    file: z
      .string()
      .regex(/^(?!\/)(?!.*(?:^|\/)\.\.(?:\/|$))[^\s]+$/, 'must be a path in the repository, e.g. build_tag.txt'),
    /** counter: N+1; timestamp: deploy-YYYYMMDD-HHMMSS (UTC); auto: follow what the file holds. */
    scheme: z.enum(['counter', 'timestamp', 'auto']).default('auto'),
  }),
});

const buildSourceInput = strict({
  repository: strict({ connection: text, name: text }).optional(),
  gitUrl: z.url({ protocol: /^https$/, error: 'must be an https:// git URL' }).optional(),
  trigger: strict({
    id: text.optional(),
    name: text.optional(),
    substitutions: z
      .record(
        z.string().regex(/^_[A-Z0-9_]+$/, 'must be a user substitution: _ then uppercase letters, digits, _'),
        z.union([z.string(), z.number(), z.boolean()]).transform(String),
      )
      .default({}),
  })
    .superRefine((trigger, ctx) => {
      if ((trigger.id === undefined) === (trigger.name === undefined)) {
        ctx.addIssue({ code: 'custom', message: 'give the trigger by id or by name (one of them)' });
      }
    })
    .optional(),
});

export type BuildSource =
  | { readonly kind: 'repository'; readonly connection: string; readonly name: string }
  | { readonly kind: 'gitUrl'; readonly url: string }
  | {
      readonly kind: 'trigger';
      readonly id?: string;
      readonly name?: string;
      readonly substitutions: Readonly<Record<string, string>>;
    };

const buildSourceSchema = buildSourceInput.transform((source, ctx): BuildSource => {
  const given = (['repository', 'gitUrl', 'trigger'] as const).filter((key) => source[key] !== undefined);
  if (given.length !== 1) {
    ctx.addIssue({
      code: 'custom',
      message:
        given.length === 0
          ? 'is required: one of repository {connection, name}, gitUrl, or trigger {id or name, substitutions}'
          : `give exactly one of repository, gitUrl, trigger (got ${given.join(' and ')})`,
    });
    return z.NEVER;
  }
  if (source.repository !== undefined) return { kind: 'repository', ...source.repository };
  if (source.gitUrl !== undefined) return { kind: 'gitUrl', url: source.gitUrl };
  const trigger = source.trigger;
  if (trigger === undefined) return z.NEVER;
  return {
    kind: 'trigger',
    substitutions: trigger.substitutions,
    ...(trigger.id === undefined ? {} : { id: trigger.id }),
    ...(trigger.name === undefined ? {} : { name: trigger.name }),
  };
});

const ARTIFACT_REGISTRY_IMAGE =
  /^[a-z0-9]+(?:-[a-z0-9]+)*-docker\.pkg\.dev\/[a-z0-9.:-]+\/[a-z0-9][a-z0-9._-]*\/[a-z0-9][a-z0-9._/-]*:[\w.{}-]+$/;
const CONTAINER_REGISTRY_IMAGE = /^(?:(?:us|eu|asia)\.)?gcr\.io\/[a-z0-9.:-]+\/[a-z0-9][a-z0-9._/-]*:[\w.{}-]+$/;

export function isContainerRegistryImage(image: string): boolean {
  return CONTAINER_REGISTRY_IMAGE.test(image);
}

const imageSchema = z.string().superRefine((image, ctx) => {
  const add = (message: string) => ctx.addIssue({ code: 'custom', message });
  const placeholders = image.match(/\{[^}]*\}/g) ?? [];
  const unknown = placeholders.filter((placeholder) => placeholder !== '{tag}');
  if (unknown.length > 0) add(`only {tag} may appear in the image (got ${unknown.join(', ')})`);
  const tagPart = image.slice(image.lastIndexOf(':') + 1);
  if (!image.includes(':') || !tagPart.includes('{tag}') || tagPart.includes('/')) {
    add(`must end with :{tag}, where Liftoff puts the build tag (got ${describe(image)})`);
    return;
  }
  if (!ARTIFACT_REGISTRY_IMAGE.test(image) && !CONTAINER_REGISTRY_IMAGE.test(image)) {
    add(
      `must be an Artifact Registry image REGION-docker.pkg.dev/PROJECT/REPOSITORY/IMAGE:{tag} (got ${describe(image)})`,
    );
  }
});

export const buildSchema = strict({
  source: buildSourceSchema,
  /** Artifact Registry path with `{tag}`; gcr.io loads with a warning. */
  image: imageSchema,
  machineType: z.enum(['E2_MEDIUM', 'E2_HIGHCPU_8', 'E2_HIGHCPU_32', 'N1_HIGHCPU_8', 'N1_HIGHCPU_32']).optional(),
  /** Milliseconds; Cloud Build allows up to 24 hours. Always sent, since its default differs between doc versions. */
  timeout: duration({ min: 60_000, max: 24 * HOUR }).default(20 * MINUTE),
});

const secretSchema = strict({
  secret: z
    .string()
    .regex(
      /^(?:projects\/[^/\s]+\/secrets\/)?[A-Za-z0-9_-]{1,255}$/,
      'must be a Secret Manager secret name (or projects/PROJECT/secrets/NAME)',
    ),
  version: z
    .union([z.string(), z.number()])
    .transform(String)
    .pipe(z.string().regex(/^(?:latest|[1-9]\d*)$/, 'must be latest or a version number'))
    .default('latest'),
});

export const deploySchema = strict({
  strategy: z
    .enum(['verify-then-promote', 'direct', 'canary'], {
      error: (issue) => `must be verify-then-promote, direct or canary (got ${describe(issue.input)})`,
    })
    .default('verify-then-promote'),
  /** With strategy canary: the steps and how each is judged (every key has a default). */
  canary: canarySchema.optional(),
  memory: memorySchema,
  cpu: cpuSchema,
  /** Cloud Run's request timeout; the team once waited out a 22-minute build before Cloud Run refused 120000. */
  timeoutSeconds: numeric(
    z
      .number()
      .int()
      .min(1)
      .max(3600, {
        error: (issue) =>
          `must be at most 3600 (got ${describe(issue.input)}): Cloud Run's request timeout is 1 to 3600 seconds`,
      }),
  ),
  concurrency: numeric(z.number().int().min(1).max(1000)).optional(),
  minInstances: numeric(z.number().int().min(0).max(1000)).default(0),
  /** Cloud Run's own default is 100. */
  maxInstances: numeric(z.number().int().min(1).max(1000)).default(100),
  allowUnauthenticated: flag,
  /** Merged into the service's env: variables not named here, and secrets, are kept. */
  env: z.record(envName, z.union([z.string(), z.number(), z.boolean()]).transform(String)).default({}),
  /** Env name → Secret Manager secret, mounted as an env variable. */
  secrets: z.record(envName, secretSchema).optional(),
}).superRefine((deploy, ctx) => {
  const cpus = parseCpu(deploy.cpu);
  const memory = parseMemory(deploy.memory);
  if (cpus !== undefined && memory !== undefined) {
    for (const problem of checkCpuMemory(cpus, memory, deploy.concurrency)) {
      ctx.addIssue({ code: 'custom', path: [problem.key], message: problem.message });
    }
  }
  if (deploy.maxInstances < deploy.minInstances) {
    ctx.addIssue({
      code: 'custom',
      path: ['maxInstances'],
      message: `must be at least minInstances (${deploy.minInstances}) (got ${deploy.maxInstances})`,
    });
  }
  if (deploy.canary !== undefined && deploy.strategy !== 'canary') {
    ctx.addIssue({
      code: 'custom',
      path: ['canary'],
      message: `is only read with strategy: canary (the strategy is ${deploy.strategy}): set the strategy or remove it`,
    });
  }
  for (const name of Object.keys(deploy.secrets ?? {}).filter((secretName) => Object.hasOwn(deploy.env, secretName))) {
    ctx.addIssue({ code: 'custom', path: ['secrets', name], message: `${name} is also in deploy.env: keep one` });
  }
});

export const accessSchema = strict({
  /** Who may request a deploy; empty: anyone in the channel. */
  deployers: slackIds,
  /** Who may approve; empty: anyone in the channel (but the requester, unless selfApproval). */
  approvers: slackIds,
  selfApproval: flag.default(false),
  rollbackNeedsApproval: flag.default(false),
});

const rate = numeric(z.number().min(0).max(1));

export const targetsSchema = strict({
  /** neo_analysis success ratio, e.g. 0.95. */
  successRate: rate.optional(),
  /** p95 of the analysis duration, in seconds. */
  p95Seconds: numeric(z.number().positive()).optional(),
  /** [low, high] expected cache hit ratio. */
  cacheHitRate: z
    .tuple([rate, rate])
    .refine(([low, high]) => low <= high, { error: 'must be [low, high] with low ≤ high' })
    .optional(),
  cacheSizeMax: numeric(z.number().int().min(0)).optional(),
});

const DEPLOY_LOG_PLACEHOLDERS: readonly string[] = ['{date}', '{name}', '{tag}'];

export const deployLogSchema = strict({
  /** Where the log is committed, with {date} (YYYY-MM-DD), {name} (the runbook) and {tag} (the build tag). */
  path: z
    .string()
    .regex(/^(?!\/)(?!.*(?:^|\/)\.\.(?:\/|$))[^\s]+\.md$/, 'must be a relative .md path in the repository')
    .superRefine((path, ctx) => {
      const unknown = (path.match(/\{[^}]*\}/g) ?? []).filter(
        (placeholder) => !DEPLOY_LOG_PLACEHOLDERS.includes(placeholder),
      );
      if (unknown.length > 0) {
        ctx.addIssue({
          code: 'custom',
          message: `unknown placeholder ${unknown.join(', ')} (known: ${DEPLOY_LOG_PLACEHOLDERS.join(', ')})`,
        });
      }
    }),
  /** A file next to the runbook. */
  template: z.string().regex(/^[^/\\]+$/, 'must be a file name next to the runbook (no directories)'),
});
