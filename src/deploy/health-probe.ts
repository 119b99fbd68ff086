import type { Prober } from './ports/index.js';
import type { Runbook } from './runbook/schema/index.js';

/** A GET of the runbook's health path and what it answered. */
export interface HealthProbe {
  readonly path: string;
  readonly passed: boolean;
  readonly answer: { readonly status: number } | { readonly error: string };
}

/**
 * The runbook's first required GET check, sent to `baseUrl`: how a rollback, a re-promote or a redeploy tells a
 * revision that serves again is healthy. Null when the runbook has no such check (no evidence, never a pass).
 */
export async function probeRequiredHealth(
  runbook: Runbook,
  prober: Prober,
  baseUrl: string,
): Promise<HealthProbe | null> {
  const check = runbook.verify.checks.find((c) => c.kind === 'http' && c.severity === 'required' && c.method === 'GET');
  if (check === undefined || check.kind !== 'http') return null;
  const answer = await prober.request({ baseUrl, method: 'GET', path: check.path, timeoutMs: check.timeout });
  return {
    path: check.path,
    passed: answer.ok && check.expect.status.includes(answer.status),
    answer: answer.ok ? { status: answer.status } : { error: answer.error },
  };
}
