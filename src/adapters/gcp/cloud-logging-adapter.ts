/**
 * `LogsPort` over Cloud Logging v2 (`@google-cloud/logging`).
 *
 * One page per call: `entries.list` is limited to 60 requests a minute a project, and a 429 carries no
 * Retry-After (FACTS.md), so this adapter never paginates on its own and reports the limit as `rate_limited`
 * for the caller to space its reads.
 */
import type { Logging } from '@google-cloud/logging';
import type { CallOptions } from 'google-gax';
import { z } from 'zod';

import type { LogEntry, LogsPort, ServiceLocation } from '../../deploy/pipeline/ports.js';
import { calling } from './errors.js';
import { int64, parseResponse, timestampSchema } from './wire.js';

export interface CloudLoggingAdapterOptions {
  /** Per-call deadline, retries included (default 30 s). */
  readonly callTimeoutMs?: number;
}

/** Cloud Logging's maximum page size. */
export const MAX_PAGE_SIZE = 1000;

/** LogSeverity by number, for entries that arrive with numeric enums. */
const SEVERITY_BY_NUMBER: Readonly<Record<number, string>> = {
  0: 'DEFAULT',
  100: 'DEBUG',
  200: 'INFO',
  300: 'NOTICE',
  400: 'WARNING',
  500: 'ERROR',
  600: 'CRITICAL',
  700: 'ALERT',
  800: 'EMERGENCY',
};

const metadataSchema = z.object({
  timestamp: timestampSchema,
  severity: z
    .union([z.string(), z.number()])
    .nullish()
    .transform((value) =>
      typeof value === 'number' ? (SEVERITY_BY_NUMBER[value] ?? String(value)) : value || 'DEFAULT',
    ),
  httpRequest: z.object({ status: int64.nullish() }).nullish(),
});

const entrySchema = z.object({ metadata: metadataSchema, data: z.unknown() });

/** A quoted string in the Logging query language. */
export function quoteFilterValue(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** The filter for one revision's entries since a time, with the caller's extra clause in parentheses. */
export function revisionFilter(input: {
  readonly service: ServiceLocation;
  readonly revision: string;
  readonly since: Date;
  readonly extraFilter?: string;
}): string {
  const clauses = [
    'resource.type="cloud_run_revision"',
    `resource.labels.service_name=${quoteFilterValue(input.service.name)}`,
    `resource.labels.revision_name=${quoteFilterValue(input.revision)}`,
    // Always present: without a timestamp clause getEntries would add its own 24-hour one (FACTS.md).
    `timestamp>=${quoteFilterValue(input.since.toISOString())}`,
  ];
  const extra = input.extraFilter?.trim();
  if (extra) clauses.push(`(${extra})`);
  return clauses.join(' AND ');
}

/** The text of an entry: its text payload, a JSON payload's `message`, or the JSON payload itself. */
export function entryText(data: unknown): string {
  if (typeof data === 'string') return data;
  if (data === null || data === undefined) return '';
  if (typeof data === 'object' && !Array.isArray(data) && !Buffer.isBuffer(data)) {
    const message: unknown = Reflect.get(data, 'message');
    if (typeof message === 'string') return message;
    return JSON.stringify(data);
  }
  return JSON.stringify(data) ?? '';
}

/** An entry as `getEntries` returns it (an `Entry` with `metadata` and `data`), as the port's LogEntry. */
export function logEntry(entry: unknown): LogEntry {
  const parsed = parseResponse(entrySchema, entry, 'LogEntry');
  const status = parsed.metadata.httpRequest?.status ?? null;
  return {
    timestamp: parsed.metadata.timestamp ?? new Date(0),
    severity: parsed.metadata.severity,
    text: entryText(parsed.data),
    // proto3 reports an unset status as 0.
    httpStatus: status === null || status === 0 ? null : status,
  };
}

/** A `LogsPort` over Cloud Logging. */
export function cloudLoggingAdapter(
  clients: { readonly logging: Pick<Logging, 'getEntries'> },
  options: CloudLoggingAdapterOptions = {},
): LogsPort {
  const gaxOptions: CallOptions = { timeout: options.callTimeoutMs ?? 30_000 };
  return {
    async entriesOfRevision(input) {
      if (input.limit < 1) return [];
      const limit = Math.min(Math.floor(input.limit), MAX_PAGE_SIZE);
      const [entries] = await calling('cloud-logging', `reading the logs of revision ${input.revision}`, () =>
        clients.logging.getEntries({
          resourceNames: [`projects/${input.service.project}`],
          filter: revisionFilter(input),
          orderBy: 'timestamp asc',
          pageSize: limit,
          autoPaginate: false,
          gaxOptions,
        }),
      );
      return entries.slice(0, limit).map(logEntry);
    },
  };
}
