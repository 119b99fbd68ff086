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
 */
import { z } from 'zod';

import { formatDuration, parseDuration } from '../duration.js';
import { formatKeyPath } from './interpolate.js';

// ---------------------------------------------------------------------------------------------------------------
// Messages

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return 'a list';
  return `a ${typeof value === 'object' ? 'mapping' : typeof value}`;
}

const EXPECTED_NAMES: Readonly<Record<string, string>> = {
  string: 'text',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true/false',
  array: 'a list',
  object: 'a mapping',
  record: 'a mapping',
};

/** Levenshtein distance, for 'did you mean' on unknown keys. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

function suggestion(key: string, known: readonly string[]): string {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const distance = editDistance(key.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  const close = best !== undefined && bestDistance <= Math.max(2, Math.floor(key.length / 3));
  return close ? `did you mean "${best}"?` : `expected one of: ${known.join(', ')}`;
}

function unknownKeysMessage(keys: readonly string[], known: readonly string[]): string {
  if (keys.length === 1) return `unknown key (${suggestion(keys[0] ?? '', known)})`;
  return `unknown keys ${keys.map((key) => `"${key}" (${suggestion(key, known)})`).join(', ')}`;
}

/** The messages for zod's own issues, in the form `must be at most 3600 (got 120000)`. */
const issueMessages: z.core.$ZodErrorMap = (issue) => {
  const got = ` (got ${describe(issue.input)})`;
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return 'is required';
      return `must be ${EXPECTED_NAMES[issue.expected] ?? issue.expected}${got}`;
    case 'too_big': {
      const limit = String(issue.maximum);
      if (issue.origin === 'array') return `must have at most ${limit} items`;
      if (issue.origin === 'string') return `must be at most ${limit} characters${got}`;
      return issue.inclusive === false ? `must be less than ${limit}${got}` : `must be at most ${limit}${got}`;
    }
    case 'too_small': {
      const limit = String(issue.minimum);
      if (issue.origin === 'array')
        return issue.minimum === 1 ? 'must not be empty' : `must have at least ${limit} items`;
      if (issue.origin === 'string')
        return issue.minimum === 1 ? 'must not be empty' : `must be at least ${limit} characters`;
      return issue.inclusive === false ? `must be greater than ${limit}${got}` : `must be at least ${limit}${got}`;
    }
    case 'invalid_value':
      return `must be ${issue.values.length === 1 ? '' : 'one of '}${issue.values.map((value) => JSON.stringify(value)).join(', ')}${got}`;
    case 'invalid_union': {
      if (issue.discriminator === undefined) {
        // A plain union whose options all refused the type: name what each would have taken.
        const expected = issue.errors.flatMap((option) =>
          option.flatMap((inner) => (inner.code === 'invalid_type' && inner.path.length === 0 ? [inner.expected] : [])),
        );
        if (expected.length !== issue.errors.length) return undefined;
        const names = [...new Set(expected)].map((name) => EXPECTED_NAMES[name] ?? name);
        const list = names.length > 1 ? `${names.slice(0, -1).join(', ')} or ${names.at(-1) ?? ''}` : names.join('');
        return `must be ${list}${got}`;
      }
      const options: unknown[] = Array.isArray(issue['options']) ? issue['options'] : [];
      const input = issue.input;
      const value: unknown =
        input !== null && typeof input === 'object' ? Reflect.get(input, issue.discriminator) : undefined;
      const list = options.map((option) => JSON.stringify(option)).join(', ');
      return value === undefined ? `is required: one of ${list}` : `must be one of ${list} (got ${describe(value)})`;
    }
    case 'invalid_format':
      return `has the wrong format${got}`;
    default:
      return undefined;
  }
};

// ---------------------------------------------------------------------------------------------------------------
// Building blocks

/** A mapping that refuses unknown keys, suggesting the closest known one. */
function strict<T extends z.core.$ZodLooseShape>(shape: T) {
  const known = Object.keys(shape);
  return z.strictObject(shape, {
    error: (issue) => {
      if (issue.code === 'unrecognized_keys') return unknownKeysMessage(issue.keys, known);
      if (issue.code === 'invalid_type') {
        return issue.input === undefined ? 'is required' : `must be a mapping (got ${describe(issue.input)})`;
      }
      return undefined;
    },
  });
}

const NUMERIC_TEXT = /^-?\d+(?:\.\d+)?$/;

/** A number, also accepted as its text (what a placeholder fills in). */
function numeric<T extends z.ZodType<number>>(schema: T) {
  return z.preprocess(
    (value) => (typeof value === 'string' && NUMERIC_TEXT.test(value.trim()) ? Number(value) : value),
    schema,
  );
}

/** true/false, also accepted as the text `true` / `false`. */
const flag = z.preprocess((value) => (value === 'true' ? true : value === 'false' ? false : value), z.boolean());

const text = z.string().trim().min(1);

/** A list that may also be written as one comma-separated string; empty items are dropped. */
function commaList<T extends z.ZodType>(item: T) {
  return z.preprocess(
    (value) =>
      typeof value === 'string'
        ? value
            .split(',')
            .map((part) => part.trim())
            .filter((part) => part !== '')
        : value,
    z.array(item),
  );
}

/** A list of free text; a single string is a one-item list (never split: its commas are content). */
function textList<T extends z.ZodType>(item: T) {
  return z.preprocess((value) => (typeof value === 'string' ? [value] : value), z.array(item));
}

/** A duration written `30s`, `15m`, `2h`, `1h30m`; parsed to milliseconds. */
function duration(limits: { readonly min?: number; readonly max?: number } = {}) {
  const min = limits.min ?? 1;
  return z.unknown().transform((value, ctx): number => {
    const problem = (message: string): number => {
      ctx.addIssue({ code: 'custom', message, input: value });
      return 0;
    };
    if (value === undefined) return problem('is required');
    if (typeof value === 'number') {
      return problem(`${value} has no unit: write \`${value}s\` for seconds (or \`${value}ms\`, \`${value}m\`)`);
    }
    if (typeof value !== 'string') return problem(`must be a duration like 30s, 15m or 2h (got ${describe(value)})`);
    const parsed = parseDuration(value);
    if (!parsed.ok) return problem(parsed.error.message);
    if (parsed.ms < min) return problem(`must be at least ${formatDuration(min)} (got ${value.trim()})`);
    if (limits.max !== undefined && parsed.ms > limits.max) {
      return problem(`must be at most ${formatDuration(limits.max)} (got ${value.trim()})`);
    }
    return parsed.ms;
  });
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** Names of checks and preflight steps: shown in Slack and referenced by `after` and `since`. */
const stepName = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9_-]{0,62}$/,
    'must be lowercase letters, digits, - and _ (e.g. cache-hit), at most 63 characters',
  );

const severity = z.enum(['required', 'advisory']).default('required');

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Set by Cloud Run itself: a revision that declares them is refused. */
export const RESERVED_ENV_NAMES: readonly string[] = [
  'PORT',
  'K_SERVICE',
  'K_REVISION',
  'K_CONFIGURATION',
  'CLOUD_RUN_JOB',
  'CLOUD_RUN_EXECUTION',
  'CLOUD_RUN_TASK_INDEX',
  'CLOUD_RUN_TASK_ATTEMPT',
  'CLOUD_RUN_TASK_COUNT',
];

const envName = z
  .string()
  .regex(ENV_NAME, 'must be an environment variable name: letters, digits and _, not starting with a digit')
  .refine((name) => !RESERVED_ENV_NAMES.includes(name) && !name.startsWith('X_GOOGLE_'), {
    error: (issue) => `${describe(issue.input)} is reserved by Cloud Run (it sets it itself)`,
  });

/** Slack user (U…, W…) or user-group (S…) ids. */
const slackIds = commaList(
  z.string().regex(/^[UWS][A-Z0-9]{2,}$/, 'must be a Slack user id (U…, W…) or user-group id (S…), e.g. U024BE7LH'),
).default([]);

/** A Prometheus series selector: `name` or `name{label="value",...}`. */
const seriesSelector = z
  .string()
  .trim()
  .regex(
    /^[a-zA-Z_:][a-zA-Z0-9_:]*(?:\{\s*(?:[a-zA-Z_][a-zA-Z0-9_]*\s*(?:=|!=|=~|!~)\s*"(?:[^"\\]|\\.)*"\s*(?:,\s*)?)*\})?$/,
    'must be a Prometheus series like name or name{label="value"}',
  );

const metricName = z.string().regex(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/, 'must be a Prometheus metric name');

// ---------------------------------------------------------------------------------------------------------------
// Cloud Run resources

const MiB = 1024 ** 2;
const GiB = 1024 ** 3;
const MEMORY = /^(\d+)(Mi|Gi|M|G)$/;
const MEMORY_UNITS: Readonly<Record<string, number>> = { Mi: MiB, Gi: GiB, M: 1e6, G: 1e9 };

/** Bytes of a Cloud Run memory limit (`512Mi`, `2Gi`, `1G`), or undefined if it is not one. */
export function parseMemory(value: string): number | undefined {
  const match = MEMORY.exec(value.trim());
  const unit = match?.[2] === undefined ? undefined : MEMORY_UNITS[match[2]];
  return match?.[1] === undefined || unit === undefined ? undefined : Number(match[1]) * unit;
}

/** vCPUs of a Cloud Run CPU limit (`2`, `0.5`, `1000m`), or undefined if it is not a number of CPUs. */
export function parseCpu(value: string): number | undefined {
  const trimmed = value.trim();
  if (/^\d+m$/.test(trimmed)) return Number(trimmed.slice(0, -1)) / 1000;
  if (/^\d+(?:\.\d+)?$/.test(trimmed)) return Number(trimmed);
  return undefined;
}

function formatMemory(bytes: number): string {
  return bytes >= GiB && bytes % GiB === 0 ? `${bytes / GiB}Gi` : `${Math.round(bytes / MiB)}Mi`;
}

/** Whole CPUs above 1 that Cloud Run accepts; below 1, any value from 0.08 in steps of 0.001. */
const WHOLE_CPUS: readonly number[] = [1, 2, 4, 6, 8];

function isAllowedCpu(cpus: number): boolean {
  if (cpus < 1) return cpus >= 0.08 && Number.isInteger(Math.round(cpus * 1e6) / 1e3);
  return WHOLE_CPUS.includes(cpus);
}

/**
 * Cloud Run's CPU / memory table, from its documentation:
 * https://cloud.google.com/run/docs/configuring/services/cpu ('CPU and memory table': 1 vCPU up to 4 GiB,
 * 2 up to 8 GiB, 4: 2 to 16 GiB, 6: 4 to 24 GiB, 8: 4 to 32 GiB; below 1 vCPU: 0.5 needed above 512 MiB, 1 above
 * 1 GiB, and concurrency 1) and https://cloud.google.com/run/docs/configuring/services/memory-limits
 * ('Required minimum CPUs': more than 4 GiB needs 2, more than 8 GiB 4, more than 16 GiB 6, more than 24 GiB 8).
 */
function minimumCpusFor(memoryBytes: number): number {
  if (memoryBytes > 24 * GiB) return 8;
  if (memoryBytes > 16 * GiB) return 6;
  if (memoryBytes > 8 * GiB) return 4;
  if (memoryBytes > 4 * GiB) return 2;
  if (memoryBytes > GiB) return 1;
  if (memoryBytes > 512 * MiB) return 0.5;
  return 0.08;
}

function minimumMemoryFor(cpus: number): number {
  if (cpus >= 6) return 4 * GiB;
  if (cpus >= 4) return 2 * GiB;
  return 0;
}

export interface ResourceProblem {
  readonly key: 'memory' | 'cpu' | 'concurrency';
  readonly message: string;
}

/** What Cloud Run would refuse in a cpu / memory / concurrency combination (an empty list if nothing). */
export function checkCpuMemory(cpus: number, memoryBytes: number, concurrency?: number): ResourceProblem[] {
  const problems: ResourceProblem[] = [];
  const cpuText = cpus < 1 ? String(cpus) : `${cpus} CPU${cpus === 1 ? '' : 's'}`;
  const neededCpus = minimumCpusFor(memoryBytes);
  if (cpus < neededCpus) {
    problems.push({
      key: 'memory',
      message: `${formatMemory(memoryBytes)} needs at least ${neededCpus} CPU${neededCpus > 1 ? 's' : ''} on Cloud Run (cpu is ${cpuText})`,
    });
  }
  const neededMemory = minimumMemoryFor(cpus);
  if (memoryBytes < neededMemory) {
    problems.push({
      key: 'cpu',
      message: `${cpuText} needs at least ${formatMemory(neededMemory)} of memory on Cloud Run (memory is ${formatMemory(memoryBytes)})`,
    });
  }
  if (cpus < 1 && concurrency !== 1) {
    problems.push({
      key: 'concurrency',
      message: `Cloud Run requires concurrency: 1 when cpu is below 1 (cpu is ${cpus})`,
    });
  }
  return problems;
}

const memorySchema = z
  .string({
    error: (issue) =>
      issue.input === undefined ? 'is required' : `must be like 512Mi or 2Gi (got ${describe(issue.input)})`,
  })
  .trim()
  .superRefine((value, ctx) => {
    const bytes = parseMemory(value);
    if (bytes === undefined) {
      ctx.addIssue({
        code: 'custom',
        message: `must be a Cloud Run memory limit like 512Mi or 2Gi (got ${describe(value)})`,
      });
    } else if (bytes < 128 * MiB || bytes > 32 * GiB) {
      ctx.addIssue({ code: 'custom', message: `must be between 128Mi and 32Gi (got ${value})` });
    }
  });

const cpuSchema = z
  .union([z.string(), z.number()], {
    error: (issue) =>
      issue.input === undefined ? 'is required' : `must be like "1", "2" or "1000m" (got ${describe(issue.input)})`,
  })
  .transform((value) => String(value).trim())
  .superRefine((value, ctx) => {
    const cpus = parseCpu(value);
    if (cpus === undefined || !isAllowedCpu(cpus)) {
      ctx.addIssue({
        code: 'custom',
        message: `must be "1", "2", "4", "6" or "8" CPUs, millicores like "1000m", or a fraction from 0.08 to 1 (got ${describe(value)})`,
      });
    }
  });

// ---------------------------------------------------------------------------------------------------------------
// Sections

/** Words that follow /deploy as subcommands: a runbook cannot take one as its name. */
export const RESERVED_RUNBOOK_NAMES: readonly string[] = ['help', 'list', 'status', 'cancel', 'lock', 'unlock'];

const runbookName = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,29}$/, 'must be a lowercase word (letters, digits, -), at most 30 characters, e.g. phase3')
  .refine((name) => !RESERVED_RUNBOOK_NAMES.includes(name), {
    error: (issue) => `${describe(issue.input)} is a /deploy subcommand; choose another name`,
  });

const serviceSchema = strict({
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

const sourceSchema = strict({
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

const buildSchema = strict({
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

const deploySchema = strict({
  strategy: z.enum(['verify-then-promote', 'direct']).default('verify-then-promote'),
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
  for (const name of Object.keys(deploy.secrets ?? {}).filter((secretName) => Object.hasOwn(deploy.env, secretName))) {
    ctx.addIssue({ code: 'custom', path: ['secrets', name], message: `${name} is also in deploy.env: keep one` });
  }
});

const accessSchema = strict({
  /** Who may request a deploy; empty: anyone in the channel. */
  deployers: slackIds,
  /** Who may approve; empty: anyone in the channel (but the requester, unless selfApproval). */
  approvers: slackIds,
  selfApproval: flag.default(false),
  rollbackNeedsApproval: flag.default(false),
});

// ---------------------------------------------------------------------------------------------------------------
// Preflight and verification checks

const checkTimeout = duration({ max: HOUR });

const preflightBase = { name: stepName, severity };

const ciPreflight = strict({
  ...preflightBase,
  kind: z.literal('ci'),
  /** Status contexts or check-run names that must be green on the head; absent: every one. */
  contexts: commaList(text).optional(),
});

const sourcePreflight = strict({
  ...preflightBase,
  kind: z.literal('source'),
  file: z
    .string()
    .regex(/^(?!\/)(?!.*(?:^|\/)\.\.(?:\/|$))[^\s]+$/, 'must be a path in the repository, e.g. Dockerfile'),
  /** A regular expression (JavaScript syntax) that must match somewhere in the file; absent: the file must exist. */
  contains: z
    .string()
    .refine(
      (pattern) => {
        try {
          new RegExp(pattern);
          return true;
        } catch {
          return false;
        }
      },
      { error: (issue) => `must be a valid regular expression (got ${describe(issue.input)})` },
    )
    .optional(),
});

const servicePreflight = strict({
  ...preflightBase,
  kind: z.literal('service'),
  /** Env variables the live service must define (checked by name; values are never read or echoed). */
  envNames: commaList(envName).pipe(z.array(z.string()).min(1)),
  secretNames: commaList(envName).optional(),
});

const preflightSchema = z.discriminatedUnion('kind', [ciPreflight, sourcePreflight, servicePreflight]);

const checkBase = {
  name: stepName,
  severity,
  /** Milliseconds; absent: a default per kind (see `withDefaultTimeout`). */
  timeout: checkTimeout.optional(),
  /** Checks that must finish before this one starts. */
  after: commaList(stepName).default([]),
};

const jsonPath = z.string().regex(/^[A-Za-z_$][\w$-]*(?:\.[\w$-]+)*$/, 'must be a dot path like analysis.summary');

const jsonExpectation = strict({
  path: jsonPath,
  equals: z.json().optional(),
  exists: flag.optional(),
  oneOf: z.array(z.json()).min(1).optional(),
}).superRefine((expectation, ctx) => {
  const given = (['equals', 'exists', 'oneOf'] as const).filter((key) => expectation[key] !== undefined);
  if (given.length !== 1) {
    ctx.addIssue({
      code: 'custom',
      message: given.length === 0 ? 'give one of equals, exists, oneOf' : `give only one of ${given.join(', ')}`,
    });
  }
});

const httpStatus = numeric(z.number().int().min(100).max(599));

const latencyExpectation = strict({
  min: duration({ min: 0 }).optional(),
  max: duration().optional(),
  p95: duration().optional(),
}).superRefine((latency, ctx) => {
  if (latency.min === undefined && latency.max === undefined && latency.p95 === undefined) {
    ctx.addIssue({ code: 'custom', message: 'give at least one of min, max, p95' });
  }
  if (latency.min !== undefined && latency.max !== undefined && latency.min > latency.max) {
    ctx.addIssue({ code: 'custom', path: ['min'], message: 'must not be more than max' });
  }
});

const httpCheck = strict({
  ...checkBase,
  kind: z.literal('http'),
  method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD']).default('GET'),
  path: z.string().regex(/^\/\S*$/, 'must be a path starting with /, e.g. /api/health'),
  body: z.json().optional(),
  headers: z.record(z.string().regex(/^[A-Za-z0-9-]+$/, 'must be a header name'), z.string()).optional(),
  /** Calls to make; latency expectations apply over all of them. */
  samples: numeric(z.number().int().min(1).max(100)).default(1),
  expect: strict({
    status: z
      .union([httpStatus, z.array(httpStatus).min(1)])
      .transform((status) => (Array.isArray(status) ? status : [status])),
    json: z.array(jsonExpectation).optional(),
    latency: latencyExpectation.optional(),
  }),
});

const familyExpectation = strict({
  name: metricName.optional(),
  prefix: z
    .string()
    .regex(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/, 'must be the start of a Prometheus metric name')
    .optional(),
  /** How many families must match (only meaningful with prefix). */
  minCount: numeric(z.number().int().min(1)).default(1),
}).superRefine((family, ctx) => {
  if ((family.name === undefined) === (family.prefix === undefined)) {
    ctx.addIssue({ code: 'custom', message: 'give name or prefix (one of them)' });
  } else if (family.name !== undefined && family.minCount > 1) {
    ctx.addIssue({
      code: 'custom',
      path: ['minCount'],
      message: 'one name matches one family: use prefix to count several',
    });
  }
});

const metricsCheck = strict({
  ...checkBase,
  kind: z.literal('metrics'),
  path: z.string().regex(/^\/\S*$/, 'must be a path starting with /, e.g. /api/metrics'),
  expect: strict({
    families: z.array(familyExpectation).min(1).optional(),
    /** A counter must have grown by at least this much since just before another check ran. */
    counterDeltas: z
      .array(strict({ series: seriesSelector, atLeast: numeric(z.number().min(0)), since: stepName }))
      .min(1)
      .optional(),
    /** A histogram must expose exactly these finite bucket bounds (besides +Inf). */
    histograms: z
      .array(
        strict({
          name: metricName,
          buckets: commaList(numeric(z.number().positive()))
            .pipe(z.array(z.number()).min(1))
            .refine(
              (buckets) => buckets.every((bound, index) => index === 0 || bound > (buckets[index - 1] ?? -Infinity)),
              {
                error: 'must be in increasing order',
              },
            ),
        }),
      )
      .min(1)
      .optional(),
    values: z
      .array(
        strict({
          series: seriesSelector,
          lessThan: numeric(z.number()).optional(),
          greaterThan: numeric(z.number()).optional(),
        }).superRefine((value, ctx) => {
          if (value.lessThan === undefined && value.greaterThan === undefined) {
            ctx.addIssue({ code: 'custom', message: 'give lessThan, greaterThan or both' });
          }
        }),
      )
      .min(1)
      .optional(),
  }).superRefine((expect, ctx) => {
    if (Object.values(expect).every((value) => value === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'give at least one of families, counterDeltas, histograms, values' });
    }
  }),
});

const logSeverity = z.enum([
  'DEFAULT',
  'DEBUG',
  'INFO',
  'NOTICE',
  'WARNING',
  'ERROR',
  'CRITICAL',
  'ALERT',
  'EMERGENCY',
]);

const logsCheck = strict({
  ...checkBase,
  kind: z.literal('logs'),
  /** How long to let logs arrive (Cloud Logging is not instant) before reading them. */
  waitFor: duration({ min: 0, max: 10 * MINUTE }),
  mustContain: textList(text).optional(),
  mustNotContain: textList(text).optional(),
  /** The highest severity allowed: WARNING means no ERROR or above. */
  maxSeverity: logSeverity.optional(),
  /** No request log with a status at or above this. */
  noHttpStatusAtLeast: httpStatus.optional(),
}).superRefine((check, ctx) => {
  const { mustContain, mustNotContain, maxSeverity, noHttpStatusAtLeast } = check;
  if ([mustContain, mustNotContain, maxSeverity, noHttpStatusAtLeast].every((value) => value === undefined)) {
    ctx.addIssue({
      code: 'custom',
      message: 'give at least one of mustContain, mustNotContain, maxSeverity, noHttpStatusAtLeast',
    });
  }
});

const startupCheck = strict({
  ...checkBase,
  kind: z.literal('startup'),
  /** From the deploy's start to the revision's Ready condition. */
  maxSeconds: numeric(z.number().positive().max(3600)),
});

/** A check's timeout when the runbook gives none: long enough for its own waiting. */
function defaultTimeout(
  check: z.output<typeof httpCheck | typeof metricsCheck | typeof logsCheck | typeof startupCheck>,
): number {
  switch (check.kind) {
    case 'logs':
      return check.waitFor + 30_000;
    case 'startup':
      return check.maxSeconds * 1000;
    default:
      return 30_000;
  }
}

const checkSchema = z
  .discriminatedUnion('kind', [httpCheck, metricsCheck, logsCheck, startupCheck])
  .transform((check) => ({ ...check, timeout: check.timeout ?? defaultTimeout(check) }))
  .superRefine((check, ctx) => {
    if (check.kind === 'logs' && check.timeout <= check.waitFor) {
      ctx.addIssue({
        code: 'custom',
        path: ['timeout'],
        message: `must be longer than waitFor (${formatDuration(check.waitFor)})`,
      });
    }
  });

/** Names that appear twice in a list of steps, with the index of each repeat. */
function repeatedNames(steps: readonly { readonly name: string }[]): { index: number; name: string }[] {
  const seen = new Set<string>();
  const repeats: { index: number; name: string }[] = [];
  steps.forEach((step, index) => {
    if (seen.has(step.name)) repeats.push({ index, name: step.name });
    seen.add(step.name);
  });
  return repeats;
}

const verifySchema = strict({
  /** The session the checks analyse (a real one, with messages). */
  session: text,
  checks: z.array(checkSchema).min(1),
}).superRefine((verify, ctx) => {
  const checks = verify.checks;
  for (const { index, name } of repeatedNames(checks)) {
    ctx.addIssue({
      code: 'custom',
      path: ['checks', index, 'name'],
      message: `another check is already named "${name}"`,
    });
  }
  const byName = new Map(checks.map((check) => [check.name, check]));
  checks.forEach((check, index) => {
    check.after.forEach((dependency, position) => {
      if (dependency === check.name) {
        ctx.addIssue({
          code: 'custom',
          path: ['checks', index, 'after', position],
          message: 'a check cannot wait for itself',
        });
      } else if (!byName.has(dependency)) {
        ctx.addIssue({
          code: 'custom',
          path: ['checks', index, 'after', position],
          message: `no check is named "${dependency}" (checks: ${[...byName.keys()].join(', ')})`,
        });
      }
    });
  });

  // Everything a check waits for, directly or not; a check found among its own dependencies is a cycle.
  const ancestors = (start: string): Set<string> => {
    const found = new Set<string>();
    const pending = [...(byName.get(start)?.after ?? [])];
    for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
      if (found.has(next)) continue;
      found.add(next);
      pending.push(...(byName.get(next)?.after ?? []));
    }
    return found;
  };
  checks.forEach((check, index) => {
    const before = ancestors(check.name);
    if (before.has(check.name) && check.after.length > 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['checks', index, 'after'],
        message: `"${check.name}" waits for itself through other checks`,
      });
    }
    if (check.kind !== 'metrics') return;
    check.expect.counterDeltas?.forEach((delta, position) => {
      const path = ['checks', index, 'expect', 'counterDeltas', position, 'since'];
      if (!byName.has(delta.since)) {
        ctx.addIssue({ code: 'custom', path, message: `no check is named "${delta.since}"` });
      } else if (!before.has(delta.since)) {
        ctx.addIssue({
          code: 'custom',
          path,
          message: `"${check.name}" must run after "${delta.since}" to measure a change since it: add it to after`,
        });
      }
    });
  });
});

const rate = numeric(z.number().min(0).max(1));

const targetsSchema = strict({
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

const deployLogSchema = strict({
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

// ---------------------------------------------------------------------------------------------------------------
// Monitoring files (the seed's step 4: prometheus.yml and the Grafana dashboard, committed with the deploy record)

/** A relative path in the repository (no `..`, no leading `/`) ending with one of the extensions. */
function repositoryFile(extensions: readonly string[], example: string) {
  return z
    .string()
    .trim()
    .regex(
      new RegExp(`^(?!/)(?!.*(?:^|/)\\.\\.(?:/|$))[^\\s\\\\]+\\.(?:${extensions.join('|')})$`),
      `must be a relative path in the repository ending with .${extensions.join(' or .')}, e.g. ${example}`,
    );
}

/** YAML's `prometheus:` with nothing under it arrives as null: the same as `{}`, every default. */
function defaultsWhenNull<T extends z.ZodType>(schema: T) {
  return z.preprocess((value) => (value === null ? {} : value), schema);
}

const DEFAULT_PROMETHEUS_PATH = 'monitoring/prometheus.yml';

const prometheusFileSchema = strict({
  path: repositoryFile(['yml', 'yaml'], DEFAULT_PROMETHEUS_PATH).default(DEFAULT_PROMETHEUS_PATH),
  /** The scrape job's name; absent: `<service>_production`. */
  jobName: z
    .string()
    .trim()
    .regex(
      /^[A-Za-z_][A-Za-z0-9_.:-]{0,99}$/,
      'must be a job name: letters, digits, _ . : -, e.g. emergence_production',
    )
    .optional(),
  // At most 2m: the dashboard's rate(...[5m]) needs at least two samples inside its window.
  scrapeInterval: duration({ min: 1_000, max: 2 * MINUTE }).default(15_000),
});

const grafanaFileSchema = strict({
  /** Absent: `monitoring/grafana/<service>-dashboard.json`. */
  path: repositoryFile(['json'], 'monitoring/grafana/emergence-app-dashboard.json').optional(),
});

const monitoringSchema = strict({
  prometheus: defaultsWhenNull(prometheusFileSchema).optional(),
  grafana: defaultsWhenNull(grafanaFileSchema).optional(),
});

/** The monitoring section once the defaults that depend on the service name are filled in. */
export interface MonitoringSpec {
  prometheus?: { path: string; jobName: string; scrapeInterval: number };
  grafana?: { path: string };
}

function resolveMonitoring(monitoring: z.output<typeof monitoringSchema>, service: string): MonitoringSpec {
  const { prometheus, grafana } = monitoring;
  return {
    ...(prometheus === undefined
      ? {}
      : { prometheus: { ...prometheus, jobName: prometheus.jobName ?? `${service}_production` } }),
    ...(grafana === undefined
      ? {}
      : { grafana: { path: grafana.path ?? `monitoring/grafana/${service}-dashboard.json` } }),
  };
}

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
  approval: strict({ timeout: duration({ min: 60_000, max: 7 * 24 * HOUR }).default(15 * MINUTE) }).prefault({}),
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

// ---------------------------------------------------------------------------------------------------------------
// Validation

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
