/** The building blocks the runbook's sections are made of: strict mappings, lenient numbers and lists, durations. */
import { z } from 'zod';

import { formatDuration, parseDuration } from '../../duration.js';
import { describe, unknownKeysMessage } from './messages.js';

/** A mapping that refuses unknown keys, suggesting the closest known one. */
export function strict<T extends z.core.$ZodLooseShape>(shape: T) {
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
export function numeric<T extends z.ZodType<number>>(schema: T) {
  return z.preprocess(
    (value) => (typeof value === 'string' && NUMERIC_TEXT.test(value.trim()) ? Number(value) : value),
    schema,
  );
}

/** true/false, also accepted as the text `true` / `false`. */
export const flag = z.preprocess((value) => (value === 'true' ? true : value === 'false' ? false : value), z.boolean());

export const text = z.string().trim().min(1);

/** A list that may also be written as one comma-separated string; empty items are dropped. */
export function commaList<T extends z.ZodType>(item: T) {
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
export function textList<T extends z.ZodType>(item: T) {
  return z.preprocess((value) => (typeof value === 'string' ? [value] : value), z.array(item));
}

/** A duration written `30s`, `15m`, `2h`, `1h30m`; parsed to milliseconds. */
export function duration(limits: { readonly min?: number; readonly max?: number } = {}) {
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

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;

/** Names of checks and preflight steps: shown in Slack and referenced by `after` and `since`. */
export const stepName = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9_-]{0,62}$/,
    'must be lowercase letters, digits, - and _ (e.g. cache-hit), at most 63 characters',
  );

export const severity = z.enum(['required', 'advisory']).default('required');

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

export const envName = z
  .string()
  .regex(ENV_NAME, 'must be an environment variable name: letters, digits and _, not starting with a digit')
  .refine((name) => !RESERVED_ENV_NAMES.includes(name) && !name.startsWith('X_GOOGLE_'), {
    error: (issue) => `${describe(issue.input)} is reserved by Cloud Run (it sets it itself)`,
  });

/** Slack user (U…, W…) or user-group (S…) ids. */
export const slackIds = commaList(
  z.string().regex(/^[UWS][A-Z0-9]{2,}$/, 'must be a Slack user id (U…, W…) or user-group id (S…), e.g. U024BE7LH'),
).default([]);

/** A Prometheus series selector: `name` or `name{label="value",...}`. */
export const seriesSelector = z
  .string()
  .trim()
  .regex(
    /^[a-zA-Z_:][a-zA-Z0-9_:]*(?:\{\s*(?:[a-zA-Z_][a-zA-Z0-9_]*\s*(?:=|!=|=~|!~)\s*"(?:[^"\\]|\\.)*"\s*(?:,\s*)?)*\})?$/,
    'must be a Prometheus series like name or name{label="value"}',
  );

export const metricName = z.string().regex(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/, 'must be a Prometheus metric name');
