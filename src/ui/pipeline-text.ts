/**
 * The words of the deploy pipeline: its thread replies, and the lines a run keeps for its deploy log. The steps in
 * src/deploy/pipeline/steps state facts; these functions, handed to the pipeline at the composition root, say them.
 */
import { formatMs, type CheckResult } from '../deploy/checks/check-result.js';
import type { InitialMetrics, PipelineText, RollbackOutcome, StepFact } from '../deploy/pipeline/step-facts.js';
import type { StepReport } from '../deploy/ports/index.js';
import { describeTraffic } from '../deploy/traffic.js';
import { canaryStepReply } from './canary-card.js';

function buildLog(url: string | null): Pick<StepReport, 'link'> {
  return url === null ? {} : { link: { url, text: 'Build log' } };
}

/** A step's reply in the run's thread (rendered to Block Kit by `stepMessage`). */
export function stepReport(fact: StepFact): StepReport {
  switch (fact.type) {
    case 'tagged':
      return {
        kind: 'ok',
        title: `Build tag ${fact.current === '' ? '' : `${fact.current} → `}${fact.next}`,
        lines: [
          `Committed ${fact.file} on ${fact.branch} (${fact.commitSha.slice(0, 7)}); the build is of that commit.`,
        ],
      };
    case 'build-started':
      return {
        kind: 'info',
        title: `Build ${fact.buildId} started`,
        lines: [`Image ${fact.image}`, `Timeout ${formatMs(fact.timeoutMs)}`],
        ...buildLog(fact.logUrl),
      };
    case 'build-failed':
      return {
        kind: 'failure',
        title: `Build ${fact.buildId} ${fact.status}`,
        lines: [fact.reason],
        ...buildLog(fact.logUrl),
      };
    case 'build-succeeded':
      return {
        kind: 'ok',
        title: `Build ${fact.buildId} succeeded in ${formatMs(fact.elapsedMs)}`,
        lines: fact.images.map((i) => `${i.name}${i.digest === null ? '' : ` @ ${i.digest.slice(0, 19)}`}`),
        ...buildLog(fact.logUrl),
      };
    case 'public-access-restored':
      return {
        kind: 'warning',
        title: 'Public access restored',
        lines: [
          'allUsers had no roles/run.invoker on the service although the runbook says allowUnauthenticated; Liftoff added it.',
        ],
      };
    case 'revision-ready':
      return {
        kind: 'ok',
        title: `Revision ${fact.revision} is Ready (${fact.strategy === 'direct' ? '100 %' : `0 %, tag ${fact.trafficTag}`})`,
        lines: [
          `Started to Ready in ${formatMs(fact.startedToReadyMs)}`,
          `Serving before: ${describeTraffic(fact.previousTraffic)}`,
          `Candidate URL: ${fact.candidateUrl}`,
        ],
      };
    case 'check':
      return checkReport(fact.result);
    case 'promoted':
      return {
        kind: 'ok',
        title: `Promoted: ${fact.revision} serves 100 %`,
        lines: [
          `Before: ${describeTraffic(fact.before)}`,
          `After: ${describeTraffic(fact.after)}`,
          ...(fact.serviceUrl === null ? [] : [`Service URL: ${fact.serviceUrl}`]),
        ],
      };
    case 'canary-step':
      return canaryStepReply(fact.step, fact.index, fact.minRequests);
    case 'canary-held':
      return {
        kind: 'warning',
        title: `Canary step ${fact.index + 1} (${fact.percent} %) is held: approvers, decide on the canary card`,
        lines: [
          `Still inconclusive after ${formatMs(fact.heldForMs)}: the traffic stays as it is until an approver answers Promote anyway, Roll back or Hold 15 min more.`,
        ],
      };
    case 'rolling-back':
      return { kind: 'failure', title: `${fact.step} failed: rolling back`, lines: [fact.reason] };
    case 'rolled-back':
      return {
        kind: fact.trafficRestored && fact.verified ? 'warning' : 'failure',
        title: fact.trafficRestored ? 'Rolled back' : 'ROLLBACK FAILED: act now',
        lines: [fact.summary],
      };
  }
}

function checkReport(result: CheckResult): StepReport {
  const kind = result.outcome === 'pass' ? 'ok' : result.severity === 'advisory' ? 'warning' : 'failure';
  return {
    kind,
    title: `${result.name}: ${result.measured}`,
    lines: [
      ...(result.bound === '' ? [] : [`expected ${result.bound}`]),
      ...(result.outcome === 'no_data' ? ['no data: this never counts as a pass'] : []),
      ...(result.severity === 'advisory' && result.outcome !== 'pass'
        ? ['advisory: reported, does not block the promotion']
        : []),
      ...(result.detail === null || result.outcome === 'pass' ? [] : [result.detail]),
    ],
  };
}

/** The seed's 'Métriques Initiales', in the deploy log's French. */
export function initialMetricsLines(metrics: InitialMetrics): string[] {
  return metrics.ok
    ? metrics.verdicts.map((v) => `${v.label} : ${v.measured} (cible ${v.bound})`)
    : [`pas de données : ${metrics.reason}`];
}

/** What the automatic rollback did, in one line. */
export function rollbackSummary(outcome: RollbackOutcome): string {
  const traffic =
    outcome.trafficError === null
      ? `traffic restored: ${describeTraffic(outcome.restored)}`
      : `putting the traffic back failed: ${outcome.trafficError}`;
  const { health } = outcome;
  if (health === null) return traffic;
  const answered = 'status' in health.answer ? health.answer.status : health.answer.error;
  return health.passed
    ? `${traffic}; ${health.path} answers ${answered} on the service URL`
    : `${traffic}; but ${health.path} on the service URL answered ${answered}`;
}

/** The pipeline's words, as the composition root hands them to it. */
export const pipelineText = {
  step: stepReport,
  initialMetrics: initialMetricsLines,
  rollbackSummary,
} as const satisfies PipelineText;
