import type { Prober } from '../ports/index.js';
import { evaluateMetricsExpectations } from '../prometheus/evaluate.js';
import { parseExposition } from '../prometheus/parse.js';
import type { MetricsCheckSpec } from '../runbook/schema/index.js';
import type { Measurement } from './http-check.js';

type Parsed = ReturnType<typeof parseExposition>;
export type Scrape = Extract<Parsed, { ok: true }> | { readonly ok: false; readonly reason: string };

/** Fetches and parses an exposition; a 200 that is not one (metrics disabled) is a failure with its sentence. */
export async function scrapeMetrics(
  baseUrl: string,
  path: string,
  prober: Prober,
  signal?: AbortSignal,
): Promise<Scrape> {
  const response = await prober.request({ baseUrl, method: 'GET', path, timeoutMs: 10_000 }, signal);
  if (!response.ok) return { ok: false, reason: `GET ${path} failed: ${response.error}` };
  if (response.status !== 200) return { ok: false, reason: `GET ${path} answered HTTP ${response.status}` };
  return parseExposition(response.body, response.contentType);
}

/**
 * Scrapes the candidate's metrics and judges the runbook's expectations: families present, counters that grew
 * since an earlier check, histogram sanity, value bounds. Missing data never passes.
 */
export async function runMetricsCheck(
  spec: MetricsCheckSpec,
  ctx: {
    readonly baseUrl: string;
    readonly prober: Prober;
    readonly baselines: ReadonlyMap<string, Scrape>;
    readonly signal?: AbortSignal;
  },
): Promise<Measurement> {
  const scrape = await scrapeMetrics(ctx.baseUrl, spec.path, ctx.prober, ctx.signal);
  if (!scrape.ok)
    return { ok: false, measured: scrape.reason, bound: `an exposition on ${spec.path}`, detail: scrape.reason };
  const baselines = new Map<string, Extract<Scrape, { ok: true }>>();
  for (const delta of spec.expect.counterDeltas ?? []) {
    const baseline = ctx.baselines.get(`${delta.since} ${spec.path}`);
    if (baseline?.ok === true) baselines.set(delta.since, baseline);
  }
  const verdicts = evaluateMetricsExpectations(spec.expect, scrape, baselines);
  const failed = verdicts.filter((v) => !v.ok);
  const summary = (v: (typeof verdicts)[number]): string => `${v.label}: ${v.measured} (${v.bound})`;
  if (failed.length > 0) {
    return {
      ok: false,
      measured: failed.map(summary).join('; '),
      bound: `${verdicts.length} expectations`,
      detail: failed.map(summary).join('\n'),
      noData: failed.every((v) => v.noData === true),
    };
  }
  return {
    ok: true,
    measured: `${verdicts.length}/${verdicts.length} expectations met`,
    bound: verdicts.map((v) => v.label).join('; '),
    detail: verdicts.map(summary).join('\n'),
  };
}
