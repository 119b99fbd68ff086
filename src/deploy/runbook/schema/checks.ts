/** The schemas of preflight steps and verification checks, and the rules that tie checks together by name. */
import { z } from 'zod';

import { formatDuration } from '../../duration.js';
import {
  commaList,
  duration,
  envName,
  flag,
  HOUR,
  metricName,
  MINUTE,
  numeric,
  seriesSelector,
  severity,
  stepName,
  strict,
  text,
  textList,
} from './fields.js';
import { describe } from './messages.js';

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

export const preflightSchema = z.discriminatedUnion('kind', [ciPreflight, sourcePreflight, servicePreflight]);

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
  /**
   * Lines the same work logs after the `mustContain` ones: once all of them are read (and one more read found
   * nothing new of those), a line still missing is not coming, and the check ends instead of waiting out `waitFor`.
   */
  settledBy: textList(text).optional(),
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
  if (check.settledBy !== undefined && mustContain === undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['settledBy'],
      message: 'settledBy ends the wait for mustContain lines: give mustContain too',
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
export function repeatedNames(steps: readonly { readonly name: string }[]): { index: number; name: string }[] {
  const seen = new Set<string>();
  const repeats: { index: number; name: string }[] = [];
  steps.forEach((step, index) => {
    if (seen.has(step.name)) repeats.push({ index, name: step.name });
    seen.add(step.name);
  });
  return repeats;
}

export const verifySchema = strict({
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
