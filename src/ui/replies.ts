import type { KnownBlock } from '@slack/types';
import type { AccessDecision } from '../deploy/access.js';
import type {
  CancelResult,
  DecisionResult,
  DeskStatus,
  LockCommandResult,
  RequestResult,
} from '../deploy/deploy-desk.js';
import type { LockLease } from '../deploy/ports/index.js';
import { AFTER_DEPLOY_STATES, inGroup, type Run } from '../deploy/run.js';
import { approvalCount } from './approval-count.js';
import { escapeMrkdwn, inlineCode, mention, truncate } from './escape.js';
import { slackDate, utcDateTime } from './format.js';
import type { SlackMessage } from './plan-message.js';

const say = (text: string): SlackMessage => ({
  // The notification text without bold and italics marks; Slack's `<…>` tokens (dates, mentions) stay whole.
  text: truncate(
    text.replace(/<[^>]*>|[*_]/g, (match) => (match.length > 1 ? match : '')),
    3000,
  ),
  blocks: [{ type: 'section', text: { type: 'mrkdwn', text: truncate(text, 3000) } }],
});

export const HELP_TEXT = [
  '*Liftoff* runs a deploy runbook for a Cloud Run service: plan, approval, build, deploy, verification, promotion or rollback.',
  '`/deploy help` · this help',
  '`/deploy list` · the runbooks, their service and who may deploy',
  '`/deploy <runbook>` · post the plan here with Approve / Deny',
  '`/deploy <runbook> --dry-run` · show the plan to you alone',
  '`/deploy status` · waiting approvals, runs in line, runs in progress and locks',
  '`/deploy cancel [<runbook> | <run id>]` · cancel your latest waiting, queued or running run, or a given one (after the deploy step: roll it back)',
  '`/deploy lock <runbook> <reason> [for 2h]` · `/deploy unlock <runbook>` · freeze a service (approvers)',
  '`/rollback [<runbook>] [<revision>]` · move traffic back to an earlier revision (the service stays frozen until re-promoted or unlocked)',
  '`/rollback <runbook> --stop` · `--resume` · emergency stop: scale the service to 0 instances, confirmed by an approver; and back',
  '`/metrics [<runbook>] [--compare]` · the live service against the runbook targets',
  'Durations are written `30s`, `15m`, `2h`.',
].join('\n');

export function helpMessage(): SlackMessage {
  return say(HELP_TEXT);
}

export function invalidCommandMessage(command: string, problem: string, input: string): SlackMessage {
  const echoed = input === '' ? '' : ` (you wrote ${inlineCode(input, 80)})`;
  return say(`:warning: ${problem}${echoed}. Try ${inlineCode(`${command} help`)}.`);
}

function who(ids: readonly string[], nobody: string): string {
  return ids.length === 0 ? nobody : ids.map(mention).join(', ');
}

/**
 * Who may do what a refusal is about. Only an approvers list can be empty in a refusal (an empty deployers list
 * lets anyone ask), and an empty one approves nothing.
 */
export function whoCanText(ids: readonly string[]): string {
  return who(ids, 'nobody: the runbook lists no approvers (access.approvers)');
}

export interface RunbookListing {
  readonly valid: readonly {
    name: string;
    description: string;
    service: string;
    deployers: readonly string[];
    approvers: readonly string[];
    warnings: readonly string[];
  }[];
  readonly invalid: readonly { file: string; name: string | undefined; errors: readonly string[] }[];
}

export function runbookListMessage(listing: RunbookListing): SlackMessage {
  const blocks: KnownBlock[] = [];
  if (listing.valid.length === 0 && listing.invalid.length === 0) return say('No runbooks are loaded.');
  for (const r of listing.valid) {
    blocks.push({
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: truncate(
          `*${escapeMrkdwn(r.name)}* → ${inlineCode(r.service)}\n${escapeMrkdwn(r.description, 300)}\nDeploy: ${who(r.deployers, 'anyone in the channel')} · approve: ${who(r.approvers, ':warning: nobody (access.approvers is empty)')}${r.warnings.map((w) => `\n:warning: ${escapeMrkdwn(w, 300)}`).join('')}`,
          3000,
        ),
      },
    });
  }
  for (const r of listing.invalid) {
    blocks.push({
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: truncate(
          `:x: *${escapeMrkdwn(r.name ?? r.file)}* (${escapeMrkdwn(r.file)}) is invalid:\n${r.errors.map((e) => `• ${escapeMrkdwn(e, 300)}`).join('\n')}`,
          3000,
        ),
      },
    });
  }
  return { text: `${listing.valid.length} runbook(s), ${listing.invalid.length} invalid`, blocks: blocks.slice(0, 50) };
}

export function lockDescription(lock: LockLease): string {
  const until =
    lock.expiresAt.getTime() - lock.acquiredAt.getTime() > 365 * 24 * 3600 * 1000
      ? 'until unlocked'
      : `until ${slackDate(lock.expiresAt)}`;
  return `${mention(lock.holderId)} holds it since ${slackDate(lock.acquiredAt)} (${escapeMrkdwn(lock.reason, 200)}), ${until}`;
}

function refusal(
  result:
    | { kind: 'unknown_runbook'; name: string; known: readonly string[] }
    | { kind: 'invalid_runbook'; name: string; errors: readonly string[] }
    | { kind: 'forbidden'; decision: Exclude<AccessDecision, { allowed: true }>; role: 'deploy' | 'approve' | 'lock' },
): SlackMessage {
  switch (result.kind) {
    case 'unknown_runbook':
      return say(
        `:warning: There is no runbook ${inlineCode(result.name, 60)}. ${result.known.length === 0 ? 'No runbook is loaded.' : `Known: ${result.known.map((k) => inlineCode(k)).join(', ')}.`}`,
      );
    case 'invalid_runbook':
      return say(
        `:x: The runbook ${inlineCode(result.name)} is invalid, so it cannot be used until it is fixed:\n${result.errors.map((e) => `• ${escapeMrkdwn(e, 300)}`).join('\n')}`,
      );
    case 'forbidden': {
      const verb = {
        deploy: 'request this deploy',
        approve: 'decide on this request',
        lock: 'lock or unlock this service',
      }[result.role];
      if (result.decision.reason === 'own_request') {
        return say(
          `:no_entry: You requested this deploy, so you cannot approve it. Who can: ${whoCanText(result.decision.whoCan)}.`,
        );
      }
      return say(`:no_entry: You may not ${verb}. Who can: ${whoCanText(result.decision.whoCan)}.`);
    }
  }
}

const cannotDeployText = (runbook: string): string =>
  `:no_entry: This Liftoff cannot deploy: GITHUB_TOKEN is not set, so it reaches neither GitHub nor Google Cloud. Set GITHUB_TOKEN (and Google Cloud credentials) and restart it. ${inlineCode(`/deploy ${runbook} --dry-run`)} still shows the plan.`;

export function requestReply(result: Exclude<RequestResult, { kind: 'dry_run' }>): SlackMessage {
  switch (result.kind) {
    case 'cannot_deploy':
      return say(cannotDeployText(result.runbook));
    case 'locked':
      return say(
        `:lock: ${inlineCode(result.lock.serviceKey)} is locked: ${lockDescription(result.lock)}. Try again when it is free.`,
      );
    case 'requested':
      return say(
        `:rocket: Requested ${inlineCode(result.run.id)}; the plan is in the channel, waiting for an approver.`,
      );
    default:
      return refusal(result);
  }
}

export function decisionReply(result: DecisionResult): SlackMessage | undefined {
  switch (result.kind) {
    case 'approved':
    case 'queued':
    case 'denied':
      return undefined;
    case 'not_found':
      return say(`:warning: The run ${inlineCode(result.runId, 40)} does not exist.`);
    case 'already_decided':
      return say(
        `This request is already ${result.run.state}${result.run.decidedBy === null ? '' : ` (by ${mention(result.run.decidedBy)})`}.`,
      );
    case 'expired':
      return say(
        `:hourglass: This request expired at ${slackDate(result.run.expiresAt)}. Request it again with ${inlineCode(`/deploy ${result.run.runbook}`)}.`,
      );
    case 'locked':
      return say(
        `:lock: Cannot approve: ${inlineCode(result.lock.serviceKey)} is locked: ${lockDescription(result.lock)}.`,
      );
    case 'cannot_deploy':
      return say(cannotDeployText(result.runbook));
    case 'approval_counted': {
      const missing = result.progress.required - result.progress.by.length;
      return say(
        `:ballot_box_with_check: Your approval is counted: ${approvalCount(result.progress)}. ${missing === 1 ? 'One more approver is needed' : `${missing} more approvers are needed`} before ${inlineCode(result.run.id)} starts.`,
      );
    }
    case 'preflight_failed':
      return say(
        `:x: Cannot approve: the preflight check ${inlineCode(result.failed.name)} fails now: ${escapeMrkdwn(result.failed.measured, 500)}. Fix it and request the deploy again.`,
      );
    default:
      return refusal(result);
  }
}

export function cancelReply(result: CancelResult): SlackMessage {
  switch (result.kind) {
    case 'nothing_to_cancel':
      return say('You have no waiting or approved run to cancel.');
    case 'not_found':
      return say(`:warning: There is no run ${inlineCode(result.target, 40)}.`);
    case 'forbidden':
      return say(
        `:no_entry: Only the requester (${mention(result.run.requesterId)}) or an approver may cancel ${inlineCode(result.run.id)}.`,
      );
    case 'not_cancellable':
      return say(`${inlineCode(result.run.id)} is ${result.run.state}; it cannot be cancelled now.`);
    case 'cancelled':
      return say(`:wastebasket: Cancelled ${inlineCode(result.run.id)} (${escapeMrkdwn(result.run.runbook)}).`);
    case 'cancel_requested':
      return say(
        `:hourglass_flowing_sand: Cancelling ${inlineCode(result.run.id)} (${result.run.state}): ${inGroup(AFTER_DEPLOY_STATES, result.run.state) ? 'the new revision is deployed, so cancelling means rolling back to the previous traffic' : 'the build is being cancelled; no traffic has moved'}. Follow it in the thread.`,
      );
  }
}

export function lockReply(result: LockCommandResult): SlackMessage {
  switch (result.kind) {
    case 'locked':
      return say(`:lock: Locked ${inlineCode(result.lock.serviceKey)}: ${lockDescription(result.lock)}.`);
    case 'already_locked':
      return say(`:lock: ${inlineCode(result.lock.serviceKey)} is already locked: ${lockDescription(result.lock)}.`);
    case 'unlocked':
      return say(`:unlock: Unlocked ${inlineCode(result.serviceKey)}.`);
    case 'not_locked':
      return say(`${inlineCode(result.serviceKey)} is not locked.`);
    case 'held_by_run':
      return say(
        `${inlineCode(result.lock.serviceKey)} is held by a deploy, not a freeze: ${lockDescription(result.lock)}. Use ${inlineCode('/deploy cancel')} instead.`,
      );
    default:
      return refusal(result);
  }
}

function runLine(run: Run): string {
  return `• ${inlineCode(run.id)} ${escapeMrkdwn(run.runbook)} · ${inlineCode(run.state)} · by ${mention(run.requesterId)} · ${utcDateTime(run.createdAt)}`;
}

export function statusMessage(status: DeskStatus): SlackMessage {
  const waiting = status.waiting.map((r) => `${runLine(r)} · expires ${slackDate(r.expiresAt)}`);
  const active = status.active.map(
    (r) => `${runLine(r)}${r.state === 'approved' ? ' · approved, waiting for the pipeline to start it' : ''}`,
  );
  const queued = status.queued.map((r) => `${runLine(r)} · approved by ${mention(r.decidedBy ?? '')}, in line`);
  const locks = status.locks.map((l) => `• ${inlineCode(l.serviceKey)}: ${lockDescription(l)}`);
  return say(
    [
      `*Waiting for approval* (${waiting.length})`,
      ...(waiting.length === 0 ? ['_none_'] : waiting),
      ...(queued.length === 0 ? [] : [`*In line for a busy service* (${queued.length})`, ...queued]),
      `*In progress* (${active.length})`,
      ...(active.length === 0 ? ['_none_'] : active),
      `*Locks* (${locks.length})`,
      ...(locks.length === 0 ? ['_none_'] : locks),
    ].join('\n'),
  );
}

/** The answer when a command names no runbook, an unknown one, or an invalid one. */
export function runbookChoiceReply(
  result:
    | { readonly kind: 'choose_runbook'; readonly known: readonly string[] }
    | { readonly kind: 'unknown_runbook'; readonly name: string; readonly known: readonly string[] }
    | { readonly kind: 'invalid_runbook'; readonly name: string; readonly errors: readonly string[] },
): SlackMessage {
  const known = (list: readonly string[]): string => list.map((k) => inlineCode(k)).join(', ') || 'none';
  switch (result.kind) {
    case 'choose_runbook':
      return say(`Which runbook? ${known(result.known)}`);
    case 'unknown_runbook':
      return say(`:warning: There is no runbook ${inlineCode(result.name, 60)}. Known: ${known(result.known)}.`);
    case 'invalid_runbook':
      return say(
        `:x: The runbook ${inlineCode(result.name)} is invalid:\n${result.errors.map((e) => `• ${escapeMrkdwn(e, 300)}`).join('\n')}`,
      );
  }
}
