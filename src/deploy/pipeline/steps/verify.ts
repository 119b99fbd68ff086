import { blocksPromotion } from '../../checks/check-result.js';
import { scrapeMetrics } from '../../checks/metrics-check.js';
import { runChecks } from '../../checks/run-checks.js';
import { snapshotAgainstTargets } from '../../prometheus/evaluate.js';
import type { InitialMetrics } from '../step-facts.js';
import { failure, next, type StepContext, type StepOutcome } from '../step-context.js';

/**
 * Runs the runbook's checks against the tagged revision's own URL, each result posted and kept as it comes; a
 * required check that did not pass stops the promotion.
 */
export async function verify(ctx: StepContext): Promise<StepOutcome> {
  const { deploy, candidate } = ctx.data;
  if (deploy === undefined || candidate === undefined)
    return failure('verify', 'the deploy step left no candidate revision');
  const results = await runChecks(
    ctx.runbook.verify.checks,
    {
      prober: ctx.deps.prober,
      logs: ctx.deps.logs,
      baseUrl: candidate.url,
      service: ctx.service,
      revision: deploy.revision,
      deployStartedAt: new Date(deploy.startedAt),
      revisionReadyAt: candidate.readyAt === null ? null : new Date(candidate.readyAt),
      clock: ctx.deps.clock,
      sleep: ctx.deps.sleep,
    },
    async (result) => {
      await ctx.report(`check:${result.name}`, { type: 'check', result });
      await ctx.save((data) => ({ checks: [...(data.checks ?? []).filter((c) => c.name !== result.name), result] }));
      await ctx.progress();
    },
  );
  const blocking = results.find(blocksPromotion);
  if (blocking !== undefined) {
    return failure(
      'verify',
      `check ${blocking.name} ${blocking.outcome === 'skipped' ? 'was skipped' : 'failed'}: measured ${blocking.measured}${blocking.bound === '' ? '' : `, expected ${blocking.bound}`}`,
    );
  }
  await recordInitialMetrics(ctx, candidate.url);
  return next(ctx.runbook.deploy.strategy === 'canary' ? 'canary' : 'promoting');
}

/** The seed's 'Métriques Initiales' (success rate, p95, cache hit rate), scraped once the checks passed. */
async function recordInitialMetrics(ctx: StepContext, url: string): Promise<void> {
  const path = ctx.runbook.verify.checks.find((c) => c.kind === 'metrics')?.path;
  if (path === undefined) return;
  const scrape = await scrapeMetrics(url, path, ctx.deps.prober).catch((error: unknown) => ({
    ok: false as const,
    reason: String(error),
  }));
  const metrics: InitialMetrics = scrape.ok
    ? { ok: true, verdicts: snapshotAgainstTargets(scrape, ctx.runbook.targets ?? {}).verdicts }
    : { ok: false, reason: scrape.reason };
  await ctx.save({ initialMetrics: ctx.deps.text.initialMetrics(metrics) });
}
