/**
 * Cloud Logging v2 `LoggingServiceV2.ListLogEntries` over the entries revisions, request logs
 * and builds write. Limits are the documented ones
 * (https://cloud.google.com/logging/docs/reference/v2/rest/v2/entries/list and
 * https://cloud.google.com/logging/quotas):
 * - `resource_names` is required (at most 100); only `projects/PROJECT` holds entries here;
 * - `order_by` is `timestamp asc` (the default) or `timestamp desc`, nothing else;
 * - `page_size` defaults to 50 and is refused when negative or above 1000;
 * - a filter is at most 20,000 characters; one that does not parse is INVALID_ARGUMENT;
 * - a filter with no timestamp clause only sees the last 24 hours (what the client
 *   libraries and gcloud apply; enforced here so a query that forgets it sees the same);
 * - 60 `entries.list` requests a minute a project, then RESOURCE_EXHAUSTED;
 * - one request scans a bounded number of entries (`SCAN_BUDGET` here, from the filter's top-level
 *   `timestamp>=` bound on, as the backend's time index allows): a page that reaches it before it is full
 *   is answered short, even empty, with a next page token ("if the response's nextPageToken is set, there
 *   may be more results even if the entries list is short or empty"). A page token names the last entry
 *   scanned, so entries written meanwhile are neither skipped nor read twice.
 */
import { createHash, randomBytes } from 'node:crypto';

import { z } from 'zod';

import { GrpcStatus, invalidArgument, parseRequest, RpcError, type UnaryHandler } from './rpc.js';
import { earliestTimestamp } from './logging-filter.js';
import type { Clock, CompileLogFilter, LogEntryForFilter } from './types.js';
import { timestamp } from './wire.js';

export const LIST_ENTRIES_QUOTA_PER_MINUTE = 60;
export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 1000;
export const MAX_FILTER_LENGTH = 20_000;
/** Entries one request examines, matching or not, before it answers with what it found. */
export const SCAN_BUDGET = 2_000;
const DAY_MS = 24 * 60 * 60 * 1000;

export const SEVERITIES = [
  'DEFAULT',
  'DEBUG',
  'INFO',
  'NOTICE',
  'WARNING',
  'ERROR',
  'CRITICAL',
  'ALERT',
  'EMERGENCY',
] as const;
export type Severity = (typeof SEVERITIES)[number];

export function isSeverity(value: string): value is Severity {
  return (SEVERITIES as readonly string[]).includes(value);
}

export interface StoredHttpRequest {
  status?: number;
  requestUrl?: string;
  latency?: string;
  requestMethod?: string;
  userAgent?: string;
  remoteIp?: string;
  responseSize?: number;
}

/** An entry as written: what the filter sees, with the request log's other fields. */
export interface LogEntryInput extends LogEntryForFilter {
  httpRequest?: StoredHttpRequest;
}

/** An entry as stored: what was written plus what Cloud Logging adds on ingestion. */
export interface StoredLogEntry extends LogEntryInput {
  insertId: string;
  receiveTimestamp: Date;
}

const ListLogEntriesRequest = z.object({
  resourceNames: z.array(z.string()),
  filter: z.string(),
  orderBy: z.string(),
  pageSize: z.number().int(),
  pageToken: z.string(),
});

/** The sort key of the last entry a request scanned (timestamp in ms, insertId), and the query it belongs to. */
const PageToken = z.object({ after: z.tuple([z.number(), z.string()]), query: z.string() });

type EntryKey = [number, string];
const keyOf = (entry: StoredLogEntry): EntryKey => [entry.timestamp.getTime(), entry.insertId];
const compareKeys = (a: EntryKey, b: EntryKey): number => a[0] - b[0] || a[1].localeCompare(b[1]);

export class CloudLogging {
  private readonly stored: StoredLogEntry[] = [];
  private readonly requestTimes = new Map<string, number[]>();
  private sequence = 0;

  constructor(
    private readonly clock: Clock,
    private readonly compileFilter: CompileLogFilter,
    private readonly scanBudget: number = SCAN_BUDGET,
  ) {}

  /** Ingests an entry (its `logName` must be `projects/PROJECT/logs/LOG_ID`). */
  write(entry: LogEntryInput): StoredLogEntry {
    const severity: Severity = isSeverity(entry.severity) ? entry.severity : 'DEFAULT';
    this.sequence += 1;
    const stored: StoredLogEntry = {
      ...entry,
      severity,
      insertId: `${this.sequence.toString(36).padStart(8, '0')}${randomBytes(3).toString('hex')}`,
      receiveTimestamp: this.clock.now(),
    };
    this.stored.push(stored);
    return stored;
  }

  entries(): readonly StoredLogEntry[] {
    return this.stored;
  }

  handlers(): Record<string, UnaryHandler> {
    return { ListLogEntries: (request) => this.listLogEntries(request) };
  }

  private listLogEntries(request: unknown): object {
    const req = parseRequest(ListLogEntriesRequest, request, 'ListLogEntriesRequest');
    if (req.resourceNames.length === 0) throw invalidArgument('resource_names: at least one resource name is required');
    if (req.resourceNames.length > 100) throw invalidArgument('resource_names: at most 100 resource names are allowed');
    const projects = new Set<string>();
    for (const name of req.resourceNames) {
      const project = /^projects\/([^/]+)$/.exec(name)?.[1];
      const other = /^(organizations|folders|billingAccounts)\/[^/]+$/.test(name);
      const view =
        /^(projects|organizations|folders|billingAccounts)\/[^/]+\/locations\/[^/]+\/buckets\/[^/]+\/views\/[^/]+$/.test(
          name,
        );
      if (project) projects.add(project);
      else if (!other && !view) throw invalidArgument(`Invalid resource name: "${name}"`);
    }
    if (req.filter.length > MAX_FILTER_LENGTH) {
      throw invalidArgument(
        `filter: the filter is ${req.filter.length} characters long; at most ${MAX_FILTER_LENGTH} are allowed`,
      );
    }
    const order = req.orderBy.trim().toLowerCase().replace(/\s+/g, ' ');
    if (order !== '' && order !== 'timestamp asc' && order !== 'timestamp desc') {
      throw invalidArgument(
        `Invalid order_by: "${req.orderBy}". Only "timestamp asc" and "timestamp desc" are supported.`,
      );
    }
    if (req.pageSize < 0 || req.pageSize > MAX_PAGE_SIZE) {
      throw invalidArgument(`page_size must be between 0 and ${MAX_PAGE_SIZE}; got ${req.pageSize}`);
    }
    const compiled = req.filter.trim() === '' ? undefined : this.compileFilter(req.filter);
    if (compiled && !compiled.ok) throw invalidArgument(`Invalid filter: ${compiled.error}`);

    const query = fingerprint([[...req.resourceNames].sort().join(','), req.filter, order]);
    let after: EntryKey | undefined;
    if (req.pageToken !== '') {
      const token = decodePageToken(req.pageToken);
      if (!token || token.query !== query) {
        throw invalidArgument(
          'page_token: the token is invalid or does not match the other parameters of this request',
        );
      }
      after = token.after;
    }

    // Quota is charged to every project named, and only for requests that get this far.
    this.charge(projects);

    const now = this.clock.now().getTime();
    const since = /\btimestamp\b/.test(req.filter)
      ? (earliestTimestamp(req.filter)?.getTime() ?? Number.NEGATIVE_INFINITY)
      : now - DAY_MS;
    const descending = order === 'timestamp desc';
    const inOrder = (a: EntryKey, b: EntryKey): number => (descending ? -compareKeys(a, b) : compareKeys(a, b));
    // What the backend walks through for this query: the projects' entries from the time bound on, in order.
    const scanned = this.stored
      .filter((entry) => {
        const project = /^projects\/([^/]+)\/logs\//.exec(entry.logName)?.[1];
        return project !== undefined && projects.has(project) && entry.timestamp.getTime() >= since;
      })
      .sort((a, b) => inOrder(keyOf(a), keyOf(b)));
    const size = req.pageSize === 0 ? DEFAULT_PAGE_SIZE : req.pageSize;
    let index = after === undefined ? 0 : scanned.findIndex((entry) => inOrder(keyOf(entry), after) > 0);
    if (index === -1) index = scanned.length;
    const page: StoredLogEntry[] = [];
    let budget = this.scanBudget;
    let last: StoredLogEntry | undefined;
    while (index < scanned.length && page.length < size && budget > 0) {
      const entry = scanned[index] as StoredLogEntry;
      index += 1;
      budget -= 1;
      last = entry;
      if (compiled === undefined || (compiled.ok && compiled.matches(entry))) page.push(entry);
    }
    const next = index < scanned.length && last !== undefined ? encodePageToken({ after: keyOf(last), query }) : '';
    return { entries: page.map(renderLogEntry), nextPageToken: next };
  }

  private charge(projects: ReadonlySet<string>): void {
    const now = this.clock.now().getTime();
    for (const project of projects) {
      const recent = (this.requestTimes.get(project) ?? []).filter((at) => at > now - 60_000);
      if (recent.length >= LIST_ENTRIES_QUOTA_PER_MINUTE) {
        this.requestTimes.set(project, recent);
        throw new RpcError(
          GrpcStatus.RESOURCE_EXHAUSTED,
          `Quota exceeded for quota metric 'Read requests' and limit 'Read requests per minute' of service ` +
            `'logging.googleapis.com' for consumer 'project:${project}'.`,
        );
      }
    }
    for (const project of projects) {
      const recent = (this.requestTimes.get(project) ?? []).filter((at) => at > now - 60_000);
      recent.push(now);
      this.requestTimes.set(project, recent);
    }
  }
}

/** Renders an entry as a google.logging.v2.LogEntry message. */
export function renderLogEntry(entry: StoredLogEntry): object {
  const http = entry.httpRequest;
  return {
    logName: entry.logName,
    resource: { type: entry.resource.type, labels: entry.resource.labels },
    timestamp: timestamp(entry.timestamp),
    receiveTimestamp: timestamp(entry.receiveTimestamp),
    severity: entry.severity,
    insertId: entry.insertId,
    labels: entry.labels ?? {},
    ...(entry.textPayload !== undefined ? { textPayload: entry.textPayload } : {}),
    ...(entry.jsonPayload !== undefined ? { jsonPayload: toStruct(entry.jsonPayload) } : {}),
    ...(http
      ? {
          httpRequest: {
            requestMethod: http.requestMethod ?? '',
            requestUrl: http.requestUrl ?? '',
            status: http.status ?? 0,
            userAgent: http.userAgent ?? '',
            remoteIp: http.remoteIp ?? '',
            responseSize: String(http.responseSize ?? 0),
            ...(http.latency !== undefined ? { latency: durationFromString(http.latency) } : {}),
          },
        }
      : {}),
  };
}

function durationFromString(latency: string): { seconds: string; nanos: number } {
  const value = Number.parseFloat(latency.replace(/s$/, ''));
  const safe = Number.isFinite(value) && value >= 0 ? value : 0;
  const seconds = Math.floor(safe);
  return { seconds: String(seconds), nanos: Math.round((safe - seconds) * 1e9) };
}

type StructValue =
  | { nullValue: 'NULL_VALUE' }
  | { numberValue: number }
  | { stringValue: string }
  | { boolValue: boolean }
  | { structValue: { fields: Record<string, StructValue> } }
  | { listValue: { values: StructValue[] } };

/** A JSON object as google.protobuf.Struct. */
export function toStruct(object: Record<string, unknown>): { fields: Record<string, StructValue> } {
  const fields: Record<string, StructValue> = {};
  for (const [key, value] of Object.entries(object)) {
    if (value !== undefined) fields[key] = toValue(value);
  }
  return { fields };
}

function toValue(value: unknown): StructValue {
  if (value === null || value === undefined) return { nullValue: 'NULL_VALUE' };
  if (typeof value === 'number') return { numberValue: value };
  if (typeof value === 'string') return { stringValue: value };
  if (typeof value === 'boolean') return { boolValue: value };
  if (typeof value === 'bigint') return { numberValue: Number(value) };
  if (value instanceof Date) return { stringValue: value.toISOString() };
  if (Array.isArray(value)) return { listValue: { values: value.map(toValue) } };
  if (typeof value === 'object') return { structValue: toStruct(Object.fromEntries(Object.entries(value))) };
  // Functions and symbols have no JSON form.
  return { nullValue: 'NULL_VALUE' };
}

function fingerprint(parts: string[]): string {
  return createHash('sha256').update(parts.join('\u0000')).digest('base64url').slice(0, 16);
}

function encodePageToken(token: z.infer<typeof PageToken>): string {
  return Buffer.from(JSON.stringify(token)).toString('base64url');
}

function decodePageToken(token: string): z.infer<typeof PageToken> | undefined {
  try {
    const parsed = PageToken.safeParse(JSON.parse(Buffer.from(token, 'base64url').toString('utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
