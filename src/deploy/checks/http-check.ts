import type { HttpProbeResult, Prober } from '../ports/index.js';
import type { HttpCheckSpec } from '../runbook/schema/index.js';
import { abortReason, isAborted } from './abortable.js';
import { formatMs } from './check-result.js';
import { unmetJsonExpectation } from './json-expectations.js';

export interface Measurement {
  readonly ok: boolean;
  readonly measured: string;
  readonly bound: string;
  readonly detail: string | null;
  /** Nothing could be measured at all. */
  readonly noData?: boolean;
}

/** The nearest-rank p95 of samples: with 5 samples, the slowest. */
export function p95(samples: readonly number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(0.95 * sorted.length) - 1)] ?? Number.NaN;
}

function boundOf(spec: HttpCheckSpec): string {
  const parts = [`HTTP ${spec.expect.status.join('/')}`];
  const l = spec.expect.latency;
  if (l?.min !== undefined && l.max !== undefined) parts.push(`${formatMs(l.min)}–${formatMs(l.max)}`);
  else if (l?.max !== undefined) parts.push(`≤ ${formatMs(l.max)}`);
  else if (l?.min !== undefined) parts.push(`≥ ${formatMs(l.min)}`);
  if (l?.p95 !== undefined) parts.push(`p95 < ${formatMs(l.p95)}${spec.samples > 1 ? ` over ${spec.samples}` : ''}`);
  if (spec.expect.json !== undefined) parts.push(spec.expect.json.map((j) => j.path).join(', '));
  return parts.join(' · ');
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * Calls the endpoint `samples` times, one after the other, and judges status, JSON fields and latency. Once
 * `signal` fires, the request in flight is aborted and no further sample is sent.
 */
export async function runHttpCheck(
  spec: HttpCheckSpec,
  baseUrl: string,
  prober: Prober,
  signal?: AbortSignal,
): Promise<Measurement> {
  const bound = boundOf(spec);
  const results: Extract<HttpProbeResult, { ok: true }>[] = [];
  for (let i = 0; i < spec.samples; i++) {
    if (signal !== undefined && isAborted(signal)) throw abortReason(signal);
    const result = await prober.request(
      {
        baseUrl,
        method: spec.method,
        path: spec.path,
        timeoutMs: spec.timeout,
        ...(spec.body === undefined ? {} : { body: spec.body }),
        ...(spec.headers === undefined ? {} : { headers: spec.headers }),
      },
      signal,
    );
    if (!result.ok) {
      return {
        ok: false,
        measured: result.error,
        bound,
        detail: `${spec.method} ${spec.path} failed: ${result.error}`,
        noData: results.length === 0,
      };
    }
    results.push(result);
    if (!spec.expect.status.includes(result.status)) {
      return {
        ok: false,
        measured: `HTTP ${result.status}`,
        bound,
        detail: `${spec.method} ${spec.path} answered ${result.status}: ${result.body.slice(0, 200)}`,
      };
    }
    if (spec.expect.json !== undefined) {
      const unmet = unmetJsonExpectation(parseJson(result.body), spec.expect.json);
      if (unmet !== undefined)
        return { ok: false, measured: unmet, bound, detail: `${spec.method} ${spec.path}: ${unmet}` };
    }
  }
  const latencies = results.map((r) => r.latencyMs);
  const latency = spec.expect.latency;
  const slowest = Math.max(...latencies);
  const fastest = Math.min(...latencies);
  const measuredLatency =
    spec.samples > 1
      ? `p95 ${formatMs(p95(latencies))} over ${latencies.length}`
      : formatMs(latencies[0] ?? Number.NaN);
  const measured = `HTTP ${results.at(-1)?.status ?? '?'} · ${measuredLatency}`;
  if (latency?.p95 !== undefined && !(p95(latencies) < latency.p95)) {
    return {
      ok: false,
      measured,
      bound,
      detail: `p95 latency ${formatMs(p95(latencies))} is not under ${formatMs(latency.p95)}`,
    };
  }
  if (latency?.max !== undefined && slowest > latency.max) {
    return { ok: false, measured, bound, detail: `latency ${formatMs(slowest)} is over ${formatMs(latency.max)}` };
  }
  if (latency?.min !== undefined && fastest < latency.min) {
    return { ok: false, measured, bound, detail: `latency ${formatMs(fastest)} is under ${formatMs(latency.min)}` };
  }
  return { ok: true, measured, bound, detail: null };
}
