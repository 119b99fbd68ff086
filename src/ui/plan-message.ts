import type { ActionsBlock, KnownBlock } from '@slack/types';
import { approvalProgressOf } from '../deploy/approvals.js';
import type { Plan, TrafficTarget } from '../deploy/plan.js';
import { queueData, type Run } from '../deploy/run.js';
import { ACTION_IDS } from './action-ids.js';
import { escapeMrkdwn, inlineCode, mention, truncate } from './escape.js';
import { plainText, slackDate, utcTime } from './format.js';
import { approvalCount } from './approval-count.js';

export interface SlackMessage {
  readonly text: string;
  readonly blocks: KnownBlock[];
}

const SECTION_LIMIT = 3000;

function section(text: string): KnownBlock {
  return { type: 'section', text: { type: 'mrkdwn', text: truncate(text, SECTION_LIMIT) } };
}

function context(text: string): KnownBlock {
  return { type: 'context', elements: [{ type: 'mrkdwn', text: truncate(text, SECTION_LIMIT) }] };
}

function trafficLine(traffic: readonly TrafficTarget[]): string {
  if (traffic.length === 0) return 'no traffic';
  return traffic
    .map((t) => {
      const target = t.latest ? 'LATEST' : (t.revision ?? '?');
      return `${inlineCode(target)} ${t.percent} %${t.tag === null ? '' : ` (tag ${inlineCode(t.tag)})`}`;
    })
    .join(', ');
}

const notRead = (reason: string): string => `_not yet read: ${escapeMrkdwn(reason)}_`;

/** The plan's facts, shared by the request, the dry run and every later state of the message. */
export function planBlocks(plan: Plan): KnownBlock[] {
  const svc = plan.service;
  const tag =
    plan.buildTag.status === 'read'
      ? `${inlineCode(plan.buildTag.value.current)} → ${inlineCode(plan.buildTag.value.next)}`
      : notRead(plan.buildTag.reason);
  const serving =
    plan.serving.status === 'read'
      ? `${plan.serving.value.revision === null ? '_none_' : inlineCode(plan.serving.value.revision)} · traffic ${trafficLine(plan.serving.value.traffic)}`
      : notRead(plan.serving.reason);
  const settings = plan.settings
    .map((s) => {
      const changed = s.current !== null && s.current !== s.target;
      return `${s.name} ${inlineCode(s.target)}${s.current === null ? '' : changed ? ` (now ${inlineCode(s.current)})` : ' (unchanged)'}`;
    })
    .join(' · ');
  const env =
    plan.env.length === 0
      ? '_none_'
      : plan.env.map((e) => `${inlineCode(e.name)}${e.change === 'unknown' ? '' : ` (${e.change})`}`).join(', ');
  const blocks: KnownBlock[] = [
    section(
      [
        `*Service* ${inlineCode(svc.name)} · project ${inlineCode(svc.project)} · region ${inlineCode(svc.region)}`,
        `*Source* ${inlineCode(`${plan.source.repo}@${plan.source.branch}`)} · tag file ${inlineCode(plan.source.tagFile)} (${plan.source.scheme})`,
        `*Build tag* ${tag}`,
        `*Image* ${inlineCode(plan.image ?? plan.imageTemplate, 300)}`,
        `*Serving now* ${serving}`,
        `*Strategy* ${plan.strategy === 'direct' ? 'direct (100 % at deploy, verified after)' : 'verify-then-promote (0 % tagged revision, verified, then 100 %)'}`,
      ].join('\n'),
    ),
    section(`*Deploy settings* ${settings}\n*Env vars set (names only, merged into the service's env)* ${env}`),
  ];
  if (plan.changes.length > 0) {
    blocks.push(section(`*Changes*\n${plan.changes.map((c) => `• ${escapeMrkdwn(c, 300)}`).join('\n')}`));
  }
  const checkLine = (c: { name: string; kind: string; severity: string }): string =>
    `• ${escapeMrkdwn(c.name, 100)} _(${c.kind}${c.severity === 'advisory' ? ', advisory' : ''})_`;
  const preflightLine = (c: Plan['preflight'][number]): string =>
    c.ok === null
      ? `${checkLine(c)} _not run_`
      : `${c.ok ? ':white_check_mark:' : c.severity === 'advisory' ? ':warning:' : ':x:'} ${escapeMrkdwn(c.name, 100)}: ${escapeMrkdwn(c.measured ?? '', 200)}`;
  if (plan.preflight.length > 0) blocks.push(section(`*Preflight*\n${plan.preflight.map(preflightLine).join('\n')}`));
  if (plan.checks.length > 0) blocks.push(section(`*Checks before traffic*\n${plan.checks.map(checkLine).join('\n')}`));
  if (plan.warnings.length > 0) {
    blocks.push(section(plan.warnings.map((w) => `:warning: ${escapeMrkdwn(w, 500)}`).join('\n')));
  }
  return blocks;
}

function whoMayApprove(plan: Plan): string {
  const list =
    plan.approvers.length === 0
      ? ':warning: nobody: this runbook lists no approvers, so no one can approve it; set `access.approvers` (phase3: LIFTOFF_APPROVERS)'
      : plan.approvers.map(mention).join(', ');
  return plan.selfApproval ? list : `${list} (not the requester)`;
}

function header(plan: Plan, status: string): KnownBlock {
  return { type: 'header', text: plainText(truncate(`${status} ${plan.runbook} → ${plan.service.name}`, 150)) };
}

/** The request in the channel, waiting for a decision. */
/** A required preflight that failed at request time: the request can only be denied. */
export function failedPreflight(plan: Plan): Plan['preflight'][number] | undefined {
  return plan.preflight.find((p) => p.severity === 'required' && p.ok === false);
}

export function requestMessage(run: Run, plan: Plan): SlackMessage {
  const blocked = failedPreflight(plan);
  const progress = approvalProgressOf(run);
  const approve: ActionsBlock['elements'][number] = {
    type: 'button',
    action_id: ACTION_IDS.approve,
    style: 'primary',
    text: plainText('Approve'),
    value: run.id,
    confirm: {
      title: plainText('Deploy to production?'),
      text: {
        type: 'mrkdwn',
        text: `Build and deploy ${inlineCode(plan.runbook)} to ${inlineCode(plan.service.name)}.`,
      },
      confirm: plainText('Approve'),
      deny: plainText('Back'),
    },
  };
  const actions: ActionsBlock = {
    type: 'actions',
    block_id: 'liftoff_decision',
    elements: [
      ...(blocked === undefined ? [approve] : []),
      { type: 'button', action_id: ACTION_IDS.deny, style: 'danger', text: plainText('Deny'), value: run.id },
    ],
  };
  return {
    text: `Deploy request ${plan.runbook} → ${plan.service.name} by <@${run.requesterId}>, waiting for approval`,
    blocks: [
      header(plan, ':rocket: Deploy'),
      context(
        `${inlineCode(run.id)} · requested by ${mention(run.requesterId)} · ${escapeMrkdwn(plan.description, 300)}`,
      ),
      ...planBlocks(plan),
      { type: 'divider' },
      context(
        `*Who may approve:* ${whoMayApprove(plan)}${plan.approvalsRequired > 1 ? ` · *${plan.approvalsRequired} different approvers needed*` : ''} · *expires* ${slackDate(run.expiresAt)}`,
      ),
      ...(progress === undefined || progress.by.length === 0
        ? []
        : [section(`:ballot_box_with_check: *Approvals:* ${approvalCount(progress)}`)]),
      ...(blocked === undefined
        ? []
        : [
            section(
              `:no_entry: *Approve is disabled:* the required preflight check ${inlineCode(blocked.name)} fails: ${escapeMrkdwn(blocked.measured ?? '', 300)}`,
            ),
          ]),
      actions,
    ],
  };
}

/** The plan shown to the requester alone. */
export function dryRunMessage(plan: Plan): SlackMessage {
  return {
    text: `Dry run: the plan for ${plan.runbook} (nothing was requested)`,
    blocks: [
      header(plan, ':mag: Dry run'),
      context('Only you see this; nothing was requested. Run it without `--dry-run` to ask for approval.'),
      ...planBlocks(plan),
      context(`*Who may approve:* ${whoMayApprove(plan)}`),
    ],
  };
}

/** The request after its decision: the plan stays, the buttons go, the outcome is said. */
export function decidedMessage(run: Run, plan: Plan): SlackMessage {
  // Some approvals counted, not enough yet: the request keeps its buttons and shows who approved.
  if (run.state === 'requested') return requestMessage(run, plan);
  const outcome = decisionLine(run);
  return {
    text: `Deploy request ${plan.runbook} → ${plan.service.name}: ${outcome.text}`,
    blocks: [
      header(plan, outcome.emoji),
      context(
        `${inlineCode(run.id)} · requested by ${mention(run.requesterId)} · ${escapeMrkdwn(plan.description, 300)}`,
      ),
      ...planBlocks(plan),
      { type: 'divider' },
      section(outcome.mrkdwn),
    ],
  };
}

function decisionLine(run: Run): { emoji: string; text: string; mrkdwn: string } {
  const at = run.decidedAt ?? run.updatedAt;
  const by = run.decidedBy === null ? '' : ` by ${mention(run.decidedBy)}`;
  const byText = run.decidedBy === null ? '' : ` by <@${run.decidedBy}>`;
  switch (run.state) {
    case 'denied':
      return {
        emoji: ':no_entry: Denied',
        text: `Denied${byText}`,
        mrkdwn: `:no_entry: *Denied*${by} at ${utcTime(at)}`,
      };
    case 'expired':
      return {
        emoji: ':hourglass: Expired',
        text: 'Expired',
        mrkdwn: `:hourglass: *Expired*: no decision by ${utcTime(run.expiresAt)}. Request it again with ${inlineCode(`/deploy ${run.runbook}`)}.`,
      };
    case 'cancelled': {
      const refused = run.data['startRefused'];
      if (typeof refused === 'string')
        return {
          emoji: ':wastebasket: Not started',
          text: 'Not started when its turn came',
          mrkdwn: `:wastebasket: *Not started* when its turn came at ${utcTime(run.updatedAt)}: ${escapeMrkdwn(refused, 500)}. Request it again with ${inlineCode(`/deploy ${run.runbook}`)} once fixed.`,
        };
      return {
        emoji: ':wastebasket: Cancelled',
        text: `Cancelled${byText}`,
        mrkdwn: `:wastebasket: *Cancelled*${by} at ${utcTime(at)}`,
      };
    }
    case 'queued': {
      const position = queueData(run)?.position;
      const place = position == null ? 'in line' : `number ${position} in line`;
      return {
        emoji: ':hourglass_flowing_sand: Queued',
        text: `Approved${byText} at ${utcTime(at)}, queued: ${place}`,
        mrkdwn: `:hourglass_flowing_sand: *Approved*${by} at ${utcTime(at)} · *queued*, ${place}: it starts by itself when the service's lock frees. ${inlineCode(`/deploy cancel ${run.id}`)} takes it out of the line.`,
      };
    }
    default:
      return {
        emoji: ':white_check_mark: Approved',
        text: `Approved${byText} at ${utcTime(at)}`,
        mrkdwn: `:white_check_mark: *Approved*${by} at ${utcTime(at)} · state ${inlineCode(run.state)}`,
      };
  }
}
