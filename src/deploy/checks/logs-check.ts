import type { Clock } from '../ports/index.js';
import { ExternalError, type LogCursor, type LogEntry, type LogsPort, type ServiceLocation } from '../ports/index.js';
import type { LogsCheckSpec } from '../runbook/schema/index.js';
import { abortableSleep } from './abortable.js';
import { formatMs } from './check-result.js';
import type { Measurement } from './http-check.js';

const SEVERITY_ORDER = ['DEFAULT', 'DEBUG', 'INFO', 'NOTICE', 'WARNING', 'ERROR', 'CRITICAL', 'ALERT', 'EMERGENCY'];
const rank = (severity: string): number => Math.max(0, SEVERITY_ORDER.indexOf(severity.toUpperCase()));

/**
 * entries.list allows 60 requests a minute a project (FACTS.md), shared with every other reader: poll every
 * few seconds, and back off on a 429, which carries no Retry-After.
 */
export const LOG_POLL_MS = 5_000;
const RATE_LIMITED_BACKOFF_MS = 15_000;

/** Entries asked for a read; the adapter bounds its requests a read on its own. */
const READ_LIMIT = 3_000;

export interface LogsCheckContext {
  readonly logs: LogsPort;
  readonly service: ServiceLocation;
  readonly revision: string;
  readonly since: Date;
  readonly clock: Clock;
  readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Fires at the check's deadline: no further read is issued, and the wait between reads ends. */
  readonly signal?: AbortSignal;
}

/** What the entries read so far show: a verdict over every poll, not only the last one. */
interface LogsJudgement {
  read: number;
  readonly found: Set<string>;
  readonly settledBy: Set<string>;
  forbidden: string | undefined;
}

function forbiddenBy(spec: LogsCheckSpec, entry: LogEntry): string | undefined {
  const quoted = `${entry.severity} "${entry.text.slice(0, 160)}"`;
  const banned = (spec.mustNotContain ?? []).find((line) => entry.text.includes(line));
  if (banned !== undefined) return `found "${banned}": ${quoted}`;
  if (spec.maxSeverity !== undefined && rank(entry.severity) > rank(spec.maxSeverity))
    return `a log above ${spec.maxSeverity}: ${quoted}`;
  if (
    spec.noHttpStatusAtLeast !== undefined &&
    entry.httpStatus !== null &&
    entry.httpStatus >= spec.noHttpStatusAtLeast
  )
    return `a request answered ${entry.httpStatus}: ${quoted}`;
  return undefined;
}

function observe(spec: LogsCheckSpec, judgement: LogsJudgement, entries: readonly LogEntry[]): void {
  for (const entry of entries) {
    judgement.read += 1;
    for (const line of spec.mustContain ?? []) if (entry.text.includes(line)) judgement.found.add(line);
    for (const line of spec.settledBy ?? []) if (entry.text.includes(line)) judgement.settledBy.add(line);
    judgement.forbidden ??= forbiddenBy(spec, entry);
  }
}

const missingLines = (spec: LogsCheckSpec, judgement: LogsJudgement): string[] =>
  (spec.mustContain ?? []).filter((line) => !judgement.found.has(line));

/** Every `settledBy` line has been read: what the work was going to log, it has logged. */
const settled = (spec: LogsCheckSpec, judgement: LogsJudgement): boolean =>
  spec.settledBy !== undefined && spec.settledBy.every((line) => judgement.settledBy.has(line));

/**
 * Reads the new revision's Cloud Logging entries since the deploy began, each poll only the entries the last one
 * had not read (a cursor), and judges everything read: lines that must appear may take up to `waitFor` to arrive;
 * a forbidden line, severity or 5xx fails at once. A backlog the reads have not finished keeps the check reading
 * past `waitFor`, until its deadline (`signal`).
 */
export async function runLogsCheck(spec: LogsCheckSpec, ctx: LogsCheckContext): Promise<Measurement> {
  const boundParts = [
    ...(spec.mustContain ?? []).map((l) => `contains "${l.slice(0, 60)}"`),
    ...(spec.mustNotContain ?? []).map((l) => `no "${l.slice(0, 60)}"`),
    ...(spec.maxSeverity === undefined ? [] : [`nothing above ${spec.maxSeverity}`]),
    ...(spec.noHttpStatusAtLeast === undefined ? [] : [`no HTTP ≥ ${spec.noHttpStatusAtLeast}`]),
  ];
  const bound = `${boundParts.join(' · ')} within ${formatMs(spec.waitFor)}`;
  const deadline = ctx.clock.now().getTime() + spec.waitFor;
  const judgement: LogsJudgement = { read: 0, found: new Set(), settledBy: new Set(), forbidden: undefined };
  const wantsLines = (spec.mustContain ?? []).length > 0;
  let cursor: LogCursor | null = null;
  let more = false;
  let read = false;
  let settledAfterRead = false;
  for (;;) {
    try {
      const answer = await ctx.logs.entriesOfRevision({
        service: ctx.service,
        revision: ctx.revision,
        since: ctx.since,
        limit: READ_LIMIT,
        cursor,
        ...(ctx.signal === undefined ? {} : { signal: ctx.signal }),
      });
      read = true;
      cursor = answer.cursor;
      more = answer.more;
      observe(spec, judgement, answer.entries);
    } catch (error) {
      if (!(error instanceof ExternalError && error.code === 'rate_limited')) throw error;
      if (ctx.clock.now().getTime() + RATE_LIMITED_BACKOFF_MS > deadline) break;
      await abortableSleep(ctx.sleep, RATE_LIMITED_BACKOFF_MS, ctx.signal);
      continue;
    }
    const forbidden = judgement.forbidden;
    if (forbidden !== undefined) return { ok: false, measured: forbidden, bound, detail: forbidden };
    if (wantsLines && missingLines(spec, judgement).length === 0) break;
    // Entries are not ingested strictly in order: one read after the settling lines, then the answer is in.
    if (!more && settledAfterRead) break;
    if (!more && settled(spec, judgement)) settledAfterRead = true;
    if (!more && ctx.clock.now().getTime() + LOG_POLL_MS > deadline) break;
    await abortableSleep(ctx.sleep, LOG_POLL_MS, ctx.signal);
  }
  if (!read)
    return { ok: false, measured: 'no data: Cloud Logging kept refusing (quota)', bound, detail: null, noData: true };
  // The checks this one runs after have just called the revision, and Cloud Run writes a request log for every
  // request: reading none means the logs were not visible (ingestion late, a filter or permission wrong), not that
  // the revision is clean. The runbook has no key to say otherwise, so nothing read is never a pass.
  if (judgement.read === 0) {
    return {
      ok: false,
      measured: `no data: 0 log entries of ${ctx.revision} read within ${formatMs(spec.waitFor)}`,
      bound,
      detail: null,
      noData: true,
    };
  }
  const missing = missingLines(spec, judgement);
  if (missing.length > 0) {
    return {
      ok: false,
      measured: `${judgement.read} entries read, missing "${missing[0]?.slice(0, 80) ?? ''}"${settled(spec, judgement) ? ' (its work had finished)' : ''}`,
      bound,
      detail: `not found in ${judgement.read} log entries of ${ctx.revision}: ${missing.map((m) => `"${m}"`).join(', ')}`,
    };
  }
  const measured = wantsLines
    ? `${judgement.read} entries read, all as expected`
    : `${judgement.read} entries read, none forbidden`;
  return { ok: true, measured, bound, detail: null };
}
