/**
 * `LogsPort` over Cloud Logging v2 (`@google-cloud/logging`).
 *
 * A read follows `nextPageToken` (Cloud Logging may answer a short or even empty page with a token: the scan it
 * does for one request is bounded, so an empty page does not mean the end), within a budget of requests per read:
 * `entries.list` is limited to 60 requests a minute a project, and a 429 carries no Retry-After (FACTS.md). A
 * refused first request is `rate_limited` for the caller to space its reads; a refusal of a later page ends the
 * read with what it has, and the cursor it returns loses nothing.
 */
import type { Logging } from '@google-cloud/logging';
import type { CallOptions } from 'google-gax';
import { z } from 'zod';

import { abortReason, isAborted } from '../../deploy/checks/abortable.js';
import {
  ExternalError,
  type LogCursor,
  type LogEntry,
  type LogsPort,
  type ServiceLocation,
} from '../../deploy/ports/index.js';
import { calling } from './errors.js';
import { int64, parseResponse, timestampSchema } from './wire.js';

export interface CloudLoggingAdapterOptions {
  /** Per-call deadline, retries included (default 30 s). */
  readonly callTimeoutMs?: number;
  /** Requests one read may make, following page tokens (default 3). */
  readonly maxPagesPerRead?: number;
}

/**
 * The default budget of requests a read: a logs check reads every few seconds, and two of them may run at once,
 * against a quota of 60 a minute shared with every other reader of the project.
 */
export const DEFAULT_MAX_PAGES_PER_READ = 3;

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
  insertId: z.string().nullish(),
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

/** What `getEntries` answers with `autoPaginate: false`: the entries, the next request (or null) and the response. */
const pageSchema = z.tuple([z.array(z.unknown()), z.unknown(), z.unknown()], z.unknown());
const responseSchema = z.object({ nextPageToken: z.string().nullish() }).nullish();

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
  const text = entryText(parsed.data);
  const timestamp = parsed.metadata.timestamp ?? new Date(0);
  return {
    // Cloud Logging always assigns one; an entry without one is told apart by what it says.
    insertId: parsed.metadata.insertId || `~${timestamp.toISOString()} ${parsed.metadata.severity} ${text}`,
    timestamp,
    severity: parsed.metadata.severity,
    text,
    // proto3 reports an unset status as 0.
    httpStatus: status === null || status === 0 ? null : status,
  };
}

/** Whether the entry comes after the cursor: a later timestamp, or the same one and not yet read. */
function isAfter(entry: LogEntry, cursor: LogCursor | null): boolean {
  if (cursor === null) return true;
  const at = entry.timestamp.getTime();
  const last = cursor.timestamp.getTime();
  return at > last || (at === last && !cursor.insertIds.includes(entry.insertId));
}

/** The cursor after `entries` (oldest first), read after `cursor`. */
export function advanceCursor(cursor: LogCursor | null, entries: readonly LogEntry[]): LogCursor | null {
  let current = cursor;
  for (const entry of entries) {
    const at = entry.timestamp.getTime();
    if (current === null || at > current.timestamp.getTime()) current = { timestamp: entry.timestamp, insertIds: [] };
    if (at === current.timestamp.getTime() && !current.insertIds.includes(entry.insertId))
      current = { timestamp: current.timestamp, insertIds: [...current.insertIds, entry.insertId] };
  }
  return current;
}

/** A `LogsPort` over Cloud Logging. */
export function cloudLoggingAdapter(
  clients: { readonly logging: Pick<Logging, 'getEntries'> },
  options: CloudLoggingAdapterOptions = {},
): LogsPort {
  const callTimeoutMs = options.callTimeoutMs ?? 30_000;
  const maxPages = Math.max(1, Math.floor(options.maxPagesPerRead ?? DEFAULT_MAX_PAGES_PER_READ));
  return {
    async entriesOfRevision(input) {
      const given = input.cursor ?? null;
      if (input.limit < 1) return { entries: [], cursor: given, more: false };
      const limit = Math.floor(input.limit);
      // The filter starts at the cursor's timestamp: entries of that instant already read are skipped below.
      const since = given !== null && given.timestamp.getTime() > input.since.getTime() ? given.timestamp : input.since;
      const filter = revisionFilter({ ...input, since });
      const entries: LogEntry[] = [];
      let cursor = given;
      let pageToken: string | undefined;
      for (let page = 0; page < maxPages; page += 1) {
        if (input.signal !== undefined && isAborted(input.signal)) throw abortReason(input.signal);
        const gaxOptions: CallOptions = {
          timeout: callTimeoutMs,
          ...(input.signal === undefined ? {} : { signal: input.signal }),
        };
        let answer: z.infer<typeof pageSchema>;
        try {
          answer = parseResponse(
            pageSchema,
            await calling('cloud-logging', `reading the logs of revision ${input.revision}`, () =>
              clients.logging.getEntries({
                resourceNames: [`projects/${input.service.project}`],
                filter,
                orderBy: 'timestamp asc',
                // Asking for no more than is wanted keeps the cursor exactly at the last entry returned.
                pageSize: Math.min(limit - entries.length, MAX_PAGE_SIZE),
                ...(pageToken === undefined ? {} : { pageToken }),
                autoPaginate: false,
                gaxOptions,
              }),
            ),
            'ListLogEntriesResponse',
          );
        } catch (error) {
          if (input.signal !== undefined && isAborted(input.signal)) throw abortReason(input.signal);
          if (page > 0 && error instanceof ExternalError && error.code === 'rate_limited')
            return { entries, cursor, more: true };
          throw error;
        }
        const fresh = answer[0].map(logEntry).filter((entry) => isAfter(entry, cursor));
        entries.push(...fresh);
        cursor = advanceCursor(cursor, fresh);
        pageToken = parseResponse(responseSchema, answer[2], 'ListLogEntriesResponse')?.nextPageToken || undefined;
        if (pageToken === undefined) return { entries, cursor, more: false };
        if (entries.length >= limit) break;
      }
      return { entries, cursor, more: true };
    },
  };
}
