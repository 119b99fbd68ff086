import type { DeployLogInput } from '../deploy/pipeline/deploy-log-input.js';
import type { RecordFile } from '../deploy/pipeline/outbox-worker.js';
import { grafanaDashboard, prometheusDuration, prometheusScrapeConfig } from './monitoring-files.js';
import type { CheckResult } from '../deploy/checks/check-result.js';
import type { TrafficTarget } from '../deploy/plan.js';
import type { TrafficMoveRecord } from '../deploy/rollback-results.js';
import { describeTraffic } from '../deploy/traffic.js';
import type { CanaryStep } from '../deploy/canary/progress.js';
import { canarySpecOf } from '../deploy/runbook/schema/index.js';
import { canaryLogSection } from './canary-card.js';
import { escapeMarkdown } from './escape.js';
import { secretEnvValues } from './redact.js';

export interface DeployLogFacts {
  readonly date: Date;
  readonly runbook: string;
  readonly runId: string;
  readonly requesterId: string;
  readonly approverId: string | null;
  readonly outcome: 'succeeded' | 'rolled_back' | 'failed';
  readonly tag: string;
  readonly revision: string;
  readonly image: string;
  readonly changes: readonly string[];
  readonly checks: readonly CheckResult[];
  readonly metrics: readonly string[];
  readonly trafficBefore: readonly TrafficTarget[];
  readonly trafficAfter: readonly TrafficTarget[];
  readonly issues: readonly string[];
  readonly project: string;
  readonly region: string;
  readonly service: string;
  /** The revision to go back to: the one serving before this deploy. */
  readonly previousRevision: string | null;
  readonly threadUrl: string | null;
  /** `HH:MM:SS UTC  state` lines from the run's journal. */
  readonly timeline: readonly string[];
  readonly durationMs: number | null;
  /** Values hidden wherever they appear (the plaintext env values the deploy set), beside the known secret shapes. */
  readonly secrets?: readonly string[];
  /** Strategy canary: every step with its last look (the card's numbers), and the minimum sample. */
  readonly canary?: { readonly steps: readonly CanaryStep[]; readonly minRequests: number };
}

const ICON: Record<CheckResult['outcome'], string> = { pass: '✅', fail: '❌', no_data: '❌', skipped: '⏭️' };

type Text = (text: string) => string;

function checkLine(c: CheckResult, md: Text): string {
  const icon = c.outcome === 'pass' ? ICON.pass : c.severity === 'advisory' ? '⚠️' : ICON[c.outcome];
  const bound = c.bound === '' ? '' : ` (attendu : ${md(c.bound)})`;
  return `- ${icon} ${md(c.name)}${c.severity === 'advisory' ? ' (indicatif)' : ''} : ${md(c.measured)}${bound}`;
}

/** What may stand in a shell command inside a code fence: no backslash escaping exists there, so nothing else. */
const SHELL_WORD = /^[A-Za-z0-9][A-Za-z0-9._:@/-]*$/;

/** A URL for a link destination or as text: characters that would end it, or start markup, percent-encoded. */
function safeUrl(url: string): string {
  return url
    .trim()
    .replace(/[\s()<>|\\[\]`*_~]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}

/** The `gcloud` command that puts the previous revision back, as the team's runbook writes it. */
export function rollbackCommand(
  facts: Pick<DeployLogFacts, 'service' | 'region' | 'project' | 'previousRevision'>,
): string {
  if (facts.previousRevision === null) return `# aucune révision précédente : rien à restaurer`;
  // The names come from the runbook and from Cloud Run: one that is not a plain word could close the code fence.
  if (![facts.service, facts.previousRevision, facts.region, facts.project].every((word) => SHELL_WORD.test(word)))
    return `# nom de service ou de révision illisible : voir la console Cloud Run`;
  return `gcloud run services update-traffic ${facts.service} \\\n  --to-revisions ${facts.previousRevision}=100 \\\n  --region ${facts.region} --project ${facts.project}`;
}

/**
 * Markdown has no escaping for `{{`: a value is inserted as text, and values never reintroduce placeholders. Every
 * value from outside (log lines, check results, failure messages, journal details, runbook text, ids) goes through
 * the one markdown escaper, which redacts secrets first: the log is committed, and git history keeps it forever.
 */
export function renderDeployLog(template: string, facts: DeployLogFacts): string {
  const md: Text = (text) => escapeMarkdown(text, { secrets: facts.secrets ?? [] });
  const list = (items: readonly string[], none: string): string =>
    items.length === 0 ? none : items.map((item) => `- ${md(item)}`).join('\n');
  const values: Record<string, string> = {
    date: facts.date.toISOString().slice(0, 10),
    tag: md(facts.tag),
    revision: md(facts.revision),
    image: md(facts.image),
    changes: list(facts.changes, '- (aucun)'),
    checks: facts.checks.length === 0 ? '- (aucun contrôle)' : facts.checks.map((c) => checkLine(c, md)).join('\n'),
    metrics: list(facts.metrics, '- (pas de données)'),
    trafficBefore: md(describeTraffic(facts.trafficBefore)),
    trafficAfter: md(describeTraffic(facts.trafficAfter)),
    issues: list(facts.issues, '- Aucune'),
    rollbackCommand: rollbackCommand(facts),
    outcome: { succeeded: 'promu', rolled_back: 'annulé (rollback automatique)', failed: 'échoué' }[facts.outcome],
    runId: md(facts.runId),
    requester: md(facts.requesterId),
    approver: md(facts.approverId ?? ''),
    thread: facts.threadUrl === null ? '(indisponible)' : safeUrl(facts.threadUrl),
    deployedBy: md(facts.requesterId),
    approvedBy: facts.approverId === null ? '(personne)' : md(facts.approverId),
    timeline: list(facts.timeline, '- (aucune)'),
    duration: facts.durationMs === null ? 'inconnue' : formatDuration(facts.durationMs),
    canary:
      facts.canary === undefined ? '' : canaryLogSection(facts.canary.steps, facts.canary.minRequests, md).join('\n'),
  };
  const filled = template.replace(/\{\{(\w+)\}\}/g, (whole, key: string) => values[key] ?? whole);
  // A template without {{canary}} still gets the canary's section, after its own.
  const body =
    facts.canary === undefined || template.includes('{{canary}}') ? filled : `${filled.trimEnd()}\n\n${values.canary}`;
  const footer = [
    '',
    '---',
    `_Liftoff ${values.runId} · ${values.outcome} · demandé par ${values.requester}${facts.approverId === null ? '' : `, approuvé par ${values.approver}`}${facts.threadUrl === null ? '' : ` · [fil Slack](${safeUrl(facts.threadUrl)})`}_`,
    '',
  ].join('\n');
  return `${body.trimEnd()}\n${footer}`;
}

/** Where the log goes: `docs/deployments/{date}-deploy-{name}.md`. */
export function deployLogPath(
  pattern: string,
  facts: { readonly date: Date; readonly runbook: string; readonly tag: string },
): string {
  return pattern
    .replaceAll('{date}', facts.date.toISOString().slice(0, 10))
    .replaceAll('{name}', facts.runbook)
    .replaceAll('{tag}', facts.tag);
}

function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
}

const DEFAULT_TEMPLATE = `# Deploy {{tag}}

**Date**: {{date}}
**Revision**: {{revision}}
**Image**: {{image}}

## Changes
{{changes}}

## Checks
{{checks}}

## Metrics
{{metrics}}

## Timeline (UTC)
{{timeline}}

Total: {{duration}}

## Traffic
- Before: {{trafficBefore}}
- After: {{trafficAfter}}

## Issues
{{issues}}

## Rollback
\`\`\`bash
{{rollbackCommand}}
\`\`\`
`;

const STATUS_TEXT: Record<DeployLogFacts['outcome'], string> = {
  succeeded: '✅ promu',
  rolled_back: '⏪ annulé (rollback)',
  failed: '❌ échoué',
};

/**
 * The pipeline's view of a finished run, turned into the files of the record commit: the runbook's deploy log
 * (appended to the day's file) and its row in the deploy index beside it.
 */
export function recordFilesFromRun(input: DeployLogInput): { logPath: string; files: RecordFile[] } | undefined {
  const { run, runbook, data } = input;
  if (data.tag === undefined || data.deploy === undefined) return undefined;
  const spec = runbook.deployLog ?? { path: DEFAULT_LOG_PATH, template: '' };
  const checks = data.checks ?? [];
  const issues = [
    ...(data.failure === undefined ? [] : [`${data.failure.step} : ${data.failure.message}`]),
    ...(data.rollback === undefined ? [] : [`rollback : ${data.rollback.message}`]),
    ...checks
      .filter((c) => c.outcome !== 'pass' && c.severity === 'advisory')
      .map((c) => `${c.name} (indicatif) : ${c.measured}`),
  ];
  const first = input.journal[0]?.at ?? run.createdAt;
  const content = renderDeployLog(input.template ?? DEFAULT_TEMPLATE, {
    date: input.now,
    runbook: runbook.name,
    runId: run.id,
    requesterId: run.requesterId,
    approverId: run.decidedBy,
    outcome: input.outcome,
    tag: data.tag.next,
    revision: data.deploy.revision,
    // What shipped: the tag as built, and the digest the revision was deployed by.
    image: data.build?.digest === undefined ? data.tag.image : `${data.tag.image} (${data.build.digest})`,
    changes: runbook.changes,
    checks,
    metrics: data.initialMetrics ?? [],
    trafficBefore: data.deploy.previousTraffic,
    trafficAfter: input.trafficAfter,
    issues,
    project: runbook.service.project,
    region: runbook.service.region,
    service: runbook.service.name,
    previousRevision: data.deploy.previousRevision,
    threadUrl: input.threadUrl,
    timeline: [
      `${first.toISOString().slice(11, 19)}  demandé par ${run.requesterId}`,
      ...input.journal.map(
        (t) =>
          `${t.at.toISOString().slice(11, 19)}  ${t.to}${t.actorId === null ? '' : ` (${t.actorId})`}${t.detail === null ? '' : ` — ${t.detail}`}`,
      ),
      `${input.now.toISOString().slice(11, 19)}  ${input.outcome}`,
    ],
    durationMs: input.now.getTime() - first.getTime(),
    secrets: secretEnvValues(runbook.deploy.env),
    ...(data.canary === undefined
      ? {}
      : { canary: { steps: data.canary.steps, minRequests: canarySpecOf(runbook.deploy).minRequests } }),
  });
  const logPath = deployLogPath(spec.path, { date: input.now, runbook: runbook.name, tag: data.tag.next });
  const directory = logPath.includes('/') ? logPath.slice(0, logPath.lastIndexOf('/')) : '';
  const indexPath = directory === '' ? 'README.md' : `${directory}/README.md`;
  return {
    logPath,
    files: [
      { kind: 'deploy-log', path: logPath, content },
      ...monitoringFiles(input),
      {
        kind: 'index-row',
        path: indexPath,
        row: {
          date: input.now.toISOString().slice(0, 10),
          revision: data.deploy.revision,
          tag: data.tag.next,
          description: runbook.description,
          status: STATUS_TEXT[input.outcome],
          logPath: logPath.slice(directory === '' ? 0 : directory.length + 1),
        },
      },
    ],
  };
}

const DEFAULT_LOG_PATH = 'docs/deployments/{date}-deploy-{name}.md';

/**
 * A traffic move made from Slack (a manual rollback, a re-promote) has no build and no log of its own: it
 * becomes a row of the deploy index, which names who did it and the operation (the marker a retried commit
 * looks for, so a lost answer never writes the row twice).
 */
export function trafficMoveIndexFile(input: TrafficMoveRecord): RecordFile {
  const pattern = input.runbook.deployLog?.path ?? DEFAULT_LOG_PATH;
  const logPath = deployLogPath(pattern, { date: input.at, runbook: input.runbook.name, tag: 'tag' });
  const directory = logPath.includes('/') ? logPath.slice(0, logPath.lastIndexOf('/')) : '';
  const tag = input.image?.includes(':') === true ? input.image.slice(input.image.lastIndexOf(':') + 1) : '—';
  const what = input.move === 'rollback' ? 'Rollback manuel' : 'Re-promotion';
  return {
    kind: 'index-row',
    path: directory === '' ? 'README.md' : `${directory}/README.md`,
    row: {
      date: input.at.toISOString().slice(0, 10),
      revision: input.revision,
      tag,
      description: `${what} par ${input.by} (${input.operationId})`,
      status: `${input.move === 'rollback' ? '⏪ rollback' : '⏫ re-promu'}${input.healthy ? '' : ' — santé KO'}`,
    },
  };
}

/** The seed's step 4, automated: a Prometheus scrape job and the five-panel Grafana dashboard, once promoted. */
function monitoringFiles(input: DeployLogInput): RecordFile[] {
  const { runbook, data } = input;
  const serviceUrl = data.promoted?.serviceUrl;
  if (input.outcome !== 'succeeded' || runbook.monitoring === undefined || serviceUrl == null) return [];
  const files: RecordFile[] = [];
  const { prometheus, grafana } = runbook.monitoring;
  if (prometheus !== undefined) {
    const metricsPath = runbook.verify.checks.find((c) => c.kind === 'metrics')?.path ?? '/api/metrics';
    files.push({
      kind: 'replace',
      path: prometheus.path,
      content: prometheusScrapeConfig({
        serviceUrl,
        metricsPath,
        jobName: prometheus.jobName,
        scrapeInterval: prometheusDuration(prometheus.scrapeInterval),
      }),
    });
  }
  if (grafana !== undefined) {
    files.push({
      kind: 'replace',
      path: grafana.path,
      content: grafanaDashboard({ service: runbook.service.name, targets: runbook.targets ?? {} }),
    });
  }
  return files;
}
