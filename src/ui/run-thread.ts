import type { KnownBlock } from '@slack/types';
import type { CheckResult } from '../deploy/checks/check-result.js';
import type { FinalReport, ProgressView, StepReport } from '../deploy/ports/index.js';
import { escapeMrkdwn, inlineCode, mention, truncate } from './escape.js';
import { utcTime } from './format.js';
import { redact } from './redact.js';
import type { SlackMessage } from './plan-message.js';
import { repromoteActions } from './rollback-message.js';

const SECTION_LIMIT = 3000;
const STATE_LABEL: Record<string, string> = {
  approved: ':white_check_mark: Approved, starting',
  tagging: ':label: Committing the build tag',
  building: ':hammer_and_wrench: Building',
  deploying: ':package: Deploying the revision (no traffic)',
  verifying: ':mag: Verifying the new revision',
  canary: ':bird: Canary on real traffic',
  promoting: ':arrows_counterclockwise: Moving traffic',
  recording: ':memo: Recording',
  succeeded: ':rocket: Promoted',
  rolled_back: ':rewind: Rolled back',
  failed: ':x: Failed',
  cancelled: ':wastebasket: Cancelled',
};

const section = (text: string): KnownBlock => ({
  type: 'section',
  text: { type: 'mrkdwn', text: truncate(text, SECTION_LIMIT) },
});

export function checkIcon(result: CheckResult): string {
  if (result.outcome === 'pass') return ':white_check_mark:';
  if (result.outcome === 'skipped') return ':black_right_pointing_double_triangle_with_vertical_bar:';
  return result.severity === 'advisory' ? ':warning:' : ':x:';
}

function elapsed(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
}

/** The run's status message, edited in place as the run moves. */
export function progressMessage(view: ProgressView): SlackMessage {
  const lines = [
    `*${STATE_LABEL[view.state] ?? view.state}* · ${inlineCode(view.runId)} · ${escapeMrkdwn(view.runbook)} → ${inlineCode(view.service)}`,
  ];
  if (view.tag !== null)
    lines.push(`Tag ${inlineCode(view.tag)}${view.image === null ? '' : ` · image ${inlineCode(view.image, 300)}`}`);
  if (view.build !== null) {
    const link = view.build.logUrl === null ? '' : ` · <${view.build.logUrl}|build log>`;
    lines.push(
      `Build ${inlineCode(view.build.status)}${view.build.step === null ? '' : ` · step ${inlineCode(view.build.step, 80)}`} · ${elapsed(view.build.elapsedMs)}${link}`,
    );
  }
  if (view.revision !== null)
    lines.push(
      `Revision ${inlineCode(view.revision)}${view.candidateUrl === null ? '' : ` · ${escapeMrkdwn(view.candidateUrl, 300)}`}`,
    );
  if (view.checks.length > 0)
    lines.push(`Checks ${view.checks.map((c) => `${checkIcon(c)} ${escapeMrkdwn(c.name, 40)}`).join('  ')}`);
  return {
    text: `${view.runbook} ${view.state}`,
    blocks: [
      section(lines.join('\n')),
      {
        type: 'context',
        elements: [
          { type: 'mrkdwn', text: `Updated ${utcTime(view.updatedAt)} · requested by ${mention(view.requesterId)}` },
        ],
      },
    ],
  };
}

const KIND_ICON: Record<StepReport['kind'], string> = {
  ok: ':white_check_mark:',
  warning: ':warning:',
  failure: ':x:',
  info: ':information_source:',
};

/** A step's reply; long details are cut to Slack's section limit with a note. */
export function stepMessage(report: StepReport): SlackMessage {
  const body = report.lines.map((line) => escapeMrkdwn(line, 1200)).join('\n');
  const link = report.link === undefined ? '' : `\n<${report.link.url}|${escapeMrkdwn(report.link.text, 80)}>`;
  const text = `${KIND_ICON[report.kind]} *${escapeMrkdwn(report.title, 300)}*${body === '' ? '' : `\n${body}`}${link}`;
  const cut =
    text.length > SECTION_LIMIT
      ? `${text.slice(0, SECTION_LIMIT - 80)}…\n_(cut: the rest is in the deploy log)_`
      : text;
  // The notification text is shown raw by Slack's clients: it is redacted like the blocks.
  return { text: truncate(redact(report.title), 300), blocks: [section(cut)] };
}

/** The last reply: the requester is mentioned with the outcome and where to look. */
export function finalMessage(report: FinalReport): SlackMessage {
  const headline = {
    succeeded: `:rocket: ${mention(report.requesterId)} ${inlineCode(report.runbook)} is live: ${report.revision === null ? '' : `${inlineCode(report.revision)} `}serves 100 %.`,
    rolled_back: `:rewind: ${mention(report.requesterId)} ${inlineCode(report.runbook)} was rolled back: the previous revision serves again.`,
    failed: `:x: ${mention(report.requesterId)} ${inlineCode(report.runbook)} failed.`,
    cancelled: `:wastebasket: ${mention(report.requesterId)} ${inlineCode(report.runbook)} was cancelled; the service is as it was.`,
  }[report.outcome];
  const lines = [headline];
  if (report.reason !== null) lines.push(`Why: ${escapeMrkdwn(report.reason, 1500)}`);
  if (report.serviceUrl !== null) lines.push(`Service: ${escapeMrkdwn(report.serviceUrl, 300)}`);
  if (report.deployLogUrl !== null)
    lines.push(`<${report.deployLogUrl}|Deploy log> (committed once GitHub accepts it)`);
  if (report.frozenWithCandidate === null || report.freezeOwnerId === null)
    return { text: lines[0] ?? report.outcome, blocks: [section(lines.join('\n'))] };
  lines.push(
    `:lock: ${inlineCode(report.service)} is frozen: no deploy until an approver re-promotes ${inlineCode(report.frozenWithCandidate)} (it keeps its tag at 0 %) or runs ${inlineCode(`/deploy unlock ${report.runbook}`)}.`,
  );
  return {
    text: lines[0] ?? report.outcome,
    blocks: [
      section(lines.join('\n')),
      repromoteActions(report.runbook, report.frozenWithCandidate, report.freezeOwnerId),
    ],
  };
}
