import type { Clock } from '../ports.js';
import { ExternalError, type LogEntry, type LogsPort, type ServiceLocation } from '../pipeline/ports.js';
import type { LogsCheckSpec } from '../runbook/schema.js';
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

export interface LogsCheckContext {
  readonly logs: LogsPort;
  readonly service: ServiceLocation;
  readonly revision: string;
  readonly since: Date;
  readonly clock: Clock;
  readonly sleep: (ms: number) => Promise<void>;
}

function judge(
  spec: LogsCheckSpec,
  entries: readonly LogEntry[],
): { missing: string[]; forbidden: string | undefined } {
  const missing = (spec.mustContain ?? []).filter((line) => !entries.some((e) => e.text.includes(line)));
  let forbidden: string | undefined;
  for (const entry of entries) {
    const quoted = `${entry.severity} "${entry.text.slice(0, 160)}"`;
    const banned = (spec.mustNotContain ?? []).find((line) => entry.text.includes(line));
    if (banned !== undefined) forbidden = `found "${banned}": ${quoted}`;
    else if (spec.maxSeverity !== undefined && rank(entry.severity) > rank(spec.maxSeverity))
      forbidden = `a log above ${spec.maxSeverity}: ${quoted}`;
    else if (
      spec.noHttpStatusAtLeast !== undefined &&
      entry.httpStatus !== null &&
      entry.httpStatus >= spec.noHttpStatusAtLeast
    ) {
      forbidden = `a request answered ${entry.httpStatus}: ${quoted}`;
    }
    if (forbidden !== undefined) break;
  }
  return { missing, forbidden };
}

/**
 * Reads the new revision's Cloud Logging entries since the deploy began: lines that must appear may take up to
 * `waitFor` to arrive; a forbidden line, severity or 5xx fails at once.
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
  let entries: readonly LogEntry[] = [];
  let read = false;
  for (;;) {
    try {
      entries = await ctx.logs.entriesOfRevision({
        service: ctx.service,
        revision: ctx.revision,
        since: ctx.since,
        limit: 1000,
      });
      read = true;
    } catch (error) {
      if (!(error instanceof ExternalError && error.code === 'rate_limited')) throw error;
      if (ctx.clock.now().getTime() + RATE_LIMITED_BACKOFF_MS > deadline) break;
      await ctx.sleep(RATE_LIMITED_BACKOFF_MS);
      continue;
    }
    const { missing, forbidden } = judge(spec, entries);
    if (forbidden !== undefined) return { ok: false, measured: forbidden, bound, detail: forbidden };
    if (missing.length === 0 && (spec.mustContain ?? []).length > 0) break;
    if (ctx.clock.now().getTime() + LOG_POLL_MS > deadline) break;
    await ctx.sleep(LOG_POLL_MS);
  }
  if (!read)
    return { ok: false, measured: 'no data: Cloud Logging kept refusing (quota)', bound, detail: null, noData: true };
  const { missing, forbidden } = judge(spec, entries);
  if (forbidden !== undefined) return { ok: false, measured: forbidden, bound, detail: forbidden };
  if (missing.length > 0) {
    return {
      ok: false,
      measured: `${entries.length} entries, missing "${missing[0]?.slice(0, 80) ?? ''}"`,
      bound,
      detail: `not found in ${entries.length} log entries of ${ctx.revision}: ${missing.map((m) => `"${m}"`).join(', ')}`,
    };
  }
  return { ok: true, measured: `${entries.length} entries, all as expected`, bound, detail: null };
}
