import {
  wallTimer,
  type Clock,
  type LogsPort,
  type Prober,
  type ServiceLocation,
  type StartTimer,
} from '../ports/index.js';
import type { CheckSpec } from '../runbook/schema/index.js';
import { formatMs, type CheckResult } from './check-result.js';
import { runHttpCheck, type Measurement } from './http-check.js';
import { runLogsCheck } from './logs-check.js';
import { runMetricsCheck, scrapeMetrics, type Scrape } from './metrics-check.js';

export interface CheckRunContext {
  readonly prober: Prober;
  readonly logs: LogsPort;
  /** The tagged revision's URL as Cloud Run reports it. */
  readonly baseUrl: string;
  readonly service: ServiceLocation;
  readonly revision: string;
  readonly deployStartedAt: Date;
  readonly revisionReadyAt: Date | null;
  readonly clock: Clock;
  /** Given the check's signal, so a sleep that takes one ends at the check's deadline. */
  readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** The timer of each check's deadline (default: wall time, `setTimeout`). */
  readonly startTimer?: StartTimer;
}

function runStartupCheck(spec: Extract<CheckSpec, { kind: 'startup' }>, ctx: CheckRunContext): Measurement {
  const bound = `< ${spec.maxSeconds} s`;
  if (ctx.revisionReadyAt === null)
    return { ok: false, measured: 'no data: the revision never reported Ready', bound, detail: null, noData: true };
  const ms = ctx.revisionReadyAt.getTime() - ctx.deployStartedAt.getTime();
  return {
    ok: ms < spec.maxSeconds * 1000,
    measured: formatMs(ms),
    bound,
    detail: ms < spec.maxSeconds * 1000 ? null : `deploy start to Ready took ${formatMs(ms)}`,
  };
}

/** Metrics checks that measure a counter's growth since another check need a scrape taken before that check starts. */
function baselinesNeededBefore(checks: readonly CheckSpec[], name: string): string[] {
  return checks.flatMap((c) =>
    c.kind === 'metrics' && (c.expect.counterDeltas ?? []).some((d) => d.since === name) ? [c.path] : [],
  );
}

/**
 * Runs the runbook's checks against the candidate revision: each starts when the checks it waits for are done
 * (the others run in parallel), each result is handed to `onResult` as it finishes. A check whose required
 * predecessor did not pass is skipped, never counted as a pass.
 */
export async function runChecks(
  checks: readonly CheckSpec[],
  ctx: CheckRunContext,
  onResult: (result: CheckResult) => Promise<void>,
): Promise<CheckResult[]> {
  const finished = new Map<string, Promise<CheckResult>>();
  const baselines = new Map<string, Scrape>();

  const measure = async (spec: CheckSpec, signal: AbortSignal): Promise<Measurement> => {
    switch (spec.kind) {
      case 'http':
        return runHttpCheck(spec, ctx.baseUrl, ctx.prober, signal);
      case 'startup':
        return runStartupCheck(spec, ctx);
      case 'logs':
        return runLogsCheck(spec, {
          logs: ctx.logs,
          service: ctx.service,
          revision: ctx.revision,
          since: ctx.deployStartedAt,
          clock: ctx.clock,
          sleep: ctx.sleep,
          signal,
        });
      case 'metrics':
        return runMetricsCheck(spec, { baseUrl: ctx.baseUrl, prober: ctx.prober, baselines, signal });
    }
  };

  const runOne = async (spec: CheckSpec): Promise<CheckResult> => {
    const before = await Promise.all(spec.after.map((name) => finished.get(name)).filter((p) => p !== undefined));
    const blocker = before.find((r) => r.severity === 'required' && r.outcome !== 'pass');
    const started = ctx.clock.now().getTime();
    let result: CheckResult;
    if (blocker !== undefined) {
      result = {
        name: spec.name,
        kind: spec.kind,
        severity: spec.severity,
        outcome: 'skipped',
        measured: `not run: ${blocker.name} did not pass`,
        bound: '',
        detail: null,
        durationMs: 0,
      };
    } else {
      for (const path of baselinesNeededBefore(checks, spec.name))
        baselines.set(`${spec.name} ${path}`, await scrapeMetrics(ctx.baseUrl, path, ctx.prober));
      const measured = await withDeadline(
        (signal) =>
          measure(spec, signal).catch((error: unknown): Measurement => ({
            ok: false,
            measured: `error: ${error instanceof Error ? error.message : String(error)}`,
            bound: '',
            detail: null,
            noData: true,
          })),
        spec.timeout,
        ctx.startTimer ?? wallTimer,
      );
      result = {
        name: spec.name,
        kind: spec.kind,
        severity: spec.severity,
        outcome: measured.ok ? 'pass' : measured.noData === true ? 'no_data' : 'fail',
        measured: measured.measured,
        bound: measured.bound,
        detail: measured.detail,
        durationMs: ctx.clock.now().getTime() - started,
      };
    }
    await onResult(result);
    return result;
  };

  // Checks are declared with `after` pointing backwards (the schema refuses cycles), so every predecessor's
  // promise exists before its dependents look it up.
  const ordered = topologicalOrder(checks);
  for (const spec of ordered) finished.set(spec.name, runOne(spec));
  return Promise.all(ordered.map((spec) => finished.get(spec.name) as Promise<CheckResult>));
}

/**
 * The check's measurement, or "no answer" once `ms` have passed; then the check is aborted (its signal fires), so
 * it stops sending requests and reading logs instead of running on in the background and spending the quota.
 * Wall time by default, on purpose: the deadline guards against a call that hangs, which moves no injected clock.
 */
function withDeadline(
  work: (signal: AbortSignal) => Promise<Measurement>,
  ms: number,
  startTimer: StartTimer,
): Promise<Measurement> {
  const controller = new AbortController();
  let cancel: (() => void) | undefined;
  const timedOut = new Promise<Measurement>((resolve) => {
    cancel = startTimer(() => {
      // Resolved before the abort, so the race is won by the timeout, not by the abort's own error.
      resolve({
        ok: false,
        measured: `no answer within ${formatMs(ms)}`,
        bound: `within ${formatMs(ms)}`,
        detail: null,
        noData: true,
      });
      controller.abort(new Error(`the check's deadline (${formatMs(ms)}) passed`));
    }, ms);
  });
  return Promise.race([work(controller.signal), timedOut]).finally(() => cancel?.());
}

function topologicalOrder(checks: readonly CheckSpec[]): CheckSpec[] {
  const byName = new Map(checks.map((c) => [c.name, c]));
  const done = new Set<string>();
  const order: CheckSpec[] = [];
  const visit = (spec: CheckSpec): void => {
    if (done.has(spec.name)) return;
    done.add(spec.name);
    for (const name of spec.after) {
      const dep = byName.get(name);
      if (dep !== undefined) visit(dep);
    }
    order.push(spec);
  };
  checks.forEach(visit);
  return order;
}
