import type { KnownBlock } from '@slack/types';
import type {
  RedeployResult,
  RevisionChoice,
  RepromoteResult,
  RollbackListResult,
  RollbackPlanResult,
  RollbackResult,
} from '../deploy/rollback-results.js';
import { ACTION_IDS } from './action-ids.js';
import { escapeMrkdwn, inlineCode, mention, truncate } from './escape.js';
import { plainText, utcDateTime } from './format.js';
import type { SlackMessage } from './plan-message.js';
import { lockDescription, runbookChoiceReply, whoCanText } from './replies.js';

const say = (text: string): SlackMessage => ({
  text: truncate(text, 3000),
  blocks: [{ type: 'section', text: { type: 'mrkdwn', text: truncate(text, 3000) } }],
});

/** The value a rollback pick or self-serve confirm carries: runbook and revision, both plain names. */
export function rollbackValue(runbook: string, revision: string): string {
  return `${runbook} ${revision}`;
}

/**
 * The value of an approver's confirm: only the id of the stored request (who asked, for what), with a prefix
 * no runbook name can have. The click reads the rest from the store.
 */
const REQUEST_VALUE_PREFIX = 'request:';

export function rollbackRequestValue(requestId: string): string {
  return `${REQUEST_VALUE_PREFIX}${requestId}`;
}

export function parseRollbackValue(
  value: string,
): { readonly requestId: string } | { readonly runbook: string; readonly revision: string } | null {
  if (value.startsWith(REQUEST_VALUE_PREFIX)) {
    const requestId = value.slice(REQUEST_VALUE_PREFIX.length);
    return /^[\w-]{1,80}$/.test(requestId) ? { requestId } : null;
  }
  const [runbook, revision, ...rest] = value.split(' ');
  if (runbook === undefined || revision === undefined || runbook === '' || revision === '' || rest.length > 0)
    return null;
  return { runbook, revision };
}

/** Offered when the rollback target is unusable: a new revision from the last image that served. */
function redeployActions(runbook: string, image: string): KnownBlock {
  // `repo@sha256:<64 hex>` reads as its short digest; `repo:tag` as its tag.
  const tag = image.includes('@')
    ? image.slice(image.indexOf('@') + 1, image.indexOf('@') + 20)
    : image.includes(':')
      ? image.slice(image.lastIndexOf(':') + 1)
      : image;
  return {
    type: 'actions',
    elements: [
      {
        type: 'button',
        action_id: ACTION_IDS.redeploy,
        style: 'danger',
        text: plainText(truncate(`Redeploy ${tag}`, 75)),
        value: `${runbook} ${image}`,
        confirm: {
          title: plainText('Redeploy this image?'),
          text: {
            type: 'mrkdwn',
            text: truncate(
              `A new revision of ${inlineCode(runbook)} from ${inlineCode(image, 200)}, checked at 0 %, then all the traffic. The service stays frozen afterwards.`,
              300,
            ),
          },
          confirm: plainText('Redeploy'),
          deny: plainText('Back'),
        },
      },
    ],
  };
}

/** An approver's button that puts a revision back in front after a rollback and lifts the freeze. */
export function repromoteActions(runbook: string, revision: string, freezeOwnerId: string): KnownBlock {
  return {
    type: 'actions',
    elements: [
      {
        type: 'button',
        action_id: ACTION_IDS.repromote,
        text: plainText(truncate(`Re-promote ${revision}`, 75)),
        // The freeze's id only narrows the button to the rollback it was offered for; it authorizes nobody.
        value: `${runbook} ${revision} ${freezeOwnerId}`,
        confirm: {
          title: plainText('Re-promote?'),
          text: {
            type: 'mrkdwn',
            text: truncate(
              `All traffic of ${inlineCode(runbook)} goes to ${inlineCode(revision)} and the freeze is lifted. Approvers only.`,
              300,
            ),
          },
          confirm: plainText('Re-promote'),
          deny: plainText('Back'),
        },
      },
    ],
  };
}

/** What Liftoff's runs say of a revision, for the list. */
function verdictText(verdict: RevisionChoice['verdict']): string {
  switch (verdict?.kind) {
    case 'verified':
      return `:white_check_mark: served and verified (${inlineCode(verdict.runId)})`;
    case 'failed':
      return `:x: failed verification (${inlineCode(verdict.runId)})`;
    case 'served':
      return ':ballot_box_with_check: served before Liftoff checked it';
    case undefined:
      return ':grey_question: never served, as far as Liftoff knows';
  }
}

export function rollbackChoicesMessage(result: Extract<RollbackListResult, { kind: 'choices' }>): SlackMessage {
  const blocks: KnownBlock[] = [
    { type: 'header', text: plainText(truncate(`Roll back ${result.runbook} → ${result.service}`, 150)) },
    {
      type: 'context',
      elements: [{ type: 'mrkdwn', text: truncate(`Serving now: ${escapeMrkdwn(result.serving, 400)}`, 3000) }],
    },
  ];
  for (const r of result.revisions.slice(0, 20)) {
    const facts = [
      `${r.state === 'ready' ? ':large_green_circle: Ready' : r.state === 'failed' ? ':red_circle: not Ready' : ':large_yellow_circle: pending'}`,
      verdictText(r.verdict),
      `${r.percent} %`,
      ...(r.tags.length === 0 ? [] : [`tags ${r.tags.map((t) => inlineCode(t)).join(' ')}`]),
      ...(r.createdAt === null ? [] : [utcDateTime(r.createdAt)]),
    ].join(' · ');
    const canTarget = r.canTarget;
    blocks.push({
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: truncate(`${inlineCode(r.name)}\n${facts}\n${r.image === null ? '' : escapeMrkdwn(r.image, 300)}`, 3000),
      },
      ...(canTarget
        ? {
            accessory: {
              type: 'button',
              action_id: ACTION_IDS.rollbackPick,
              text: plainText('Roll back to this'),
              value: rollbackValue(result.runbook, r.name),
            },
          }
        : {}),
    });
  }
  return { text: `Revisions of ${result.service}`, blocks };
}

/**
 * The confirmation: ephemeral for the deployer who confirms it, or posted in the channel for an approver
 * when the runbook says a rollback needs approval (`requestedBy` is then who asked).
 */
export function rollbackConfirmMessage(
  plan: Extract<RollbackPlanResult, { kind: 'confirm' }>,
  requestedBy?: string,
): SlackMessage {
  const value =
    plan.requestId === null ? rollbackValue(plan.runbook, plan.revision) : rollbackRequestValue(plan.requestId);
  const question =
    requestedBy === undefined
      ? `*Roll back ${escapeMrkdwn(plan.runbook)} to ${inlineCode(plan.revision)}?*`
      : `*${mention(requestedBy)} asks to roll back ${escapeMrkdwn(plan.runbook)} to ${inlineCode(plan.revision)}.* The runbook needs an approver to confirm.`;
  return {
    text: `Roll back ${plan.runbook} to ${plan.revision}?`,
    blocks: [
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: truncate(
            `${question}\nBefore: ${escapeMrkdwn(plan.before, 500)}\nAfter: ${escapeMrkdwn(plan.after, 500)}\nThe service stays locked afterwards until someone runs ${inlineCode(`/deploy unlock ${plan.runbook}`)} or re-promotes.`,
            3000,
          ),
        },
      },
      {
        type: 'actions',
        elements: [
          {
            type: 'button',
            action_id: ACTION_IDS.rollbackConfirm,
            style: 'danger',
            text: plainText('Roll back'),
            value,
            confirm: {
              title: plainText('Move production traffic?'),
              text: {
                type: 'mrkdwn',
                text: truncate(`${escapeMrkdwn(plan.before, 200)} → ${escapeMrkdwn(plan.after, 200)}`, 300),
              },
              confirm: plainText('Roll back'),
              deny: plainText('Back'),
            },
          },
        ],
      },
    ],
  };
}

function requestClosedText(result: Extract<RollbackResult, { kind: 'request_closed' }>): string {
  const again = inlineCode(`/rollback ${result.runbook ?? '<runbook>'}`);
  switch (result.why) {
    case 'unknown':
      return ':no_entry: This rollback request is not one this Liftoff holds. Nothing changed.';
    case 'decided':
      return `:no_entry: This rollback request was already confirmed${result.decidedBy === null ? '' : ` by ${mention(result.decidedBy)}`}. Nothing changed.`;
    case 'expired':
      return `:hourglass: This rollback request expired. Nothing changed; ask again with ${again}.`;
    case 'needs_approval':
      return `:no_entry: This runbook needs an approver to confirm a rollback. Nothing changed; ask with ${again}.`;
  }
}

/** Every answer of the rollback flow but the list and the confirmation. */
export function rollbackReply(
  result: Exclude<
    RollbackResult | RollbackPlanResult | RollbackListResult | RepromoteResult | RedeployResult,
    { kind: 'confirm' | 'choices' }
  >,
  byUserId: string,
): SlackMessage {
  switch (result.kind) {
    case 'rolled_back': {
      const message = say(
        `:rewind: ${mention(byUserId)} rolled ${inlineCode(result.runbook)} back to ${inlineCode(result.revision)}.\nBefore: ${escapeMrkdwn(result.before, 500)}\nAfter: ${escapeMrkdwn(result.after, 500)}\nHealth: ${escapeMrkdwn(result.health, 300)}\n:lock: ${lockDescription(result.freeze)}`,
      );
      return result.previousRevision === null
        ? message
        : {
            ...message,
            blocks: [
              ...message.blocks,
              repromoteActions(result.runbook, result.previousRevision, result.freeze.ownerId),
            ],
          };
    }
    case 'repromoted':
      return say(
        `:arrow_up: ${mention(byUserId)} re-promoted ${inlineCode(result.revision)}: it serves all the traffic of ${inlineCode(result.runbook)} again.\nBefore: ${escapeMrkdwn(result.before, 500)}\nAfter: ${escapeMrkdwn(result.after, 500)}\nHealth: ${escapeMrkdwn(result.health, 300)}\n${result.lifted === null ? 'The service was not frozen.' : ':unlock: The freeze is lifted: deploys may go again.'}`,
      );
    case 'target_unusable': {
      const message = say(
        `:x: Cannot roll back to ${inlineCode(result.revision)}: ${escapeMrkdwn(result.why, 300)}.${result.lastGoodImage === null ? ` Pick another revision with ${inlineCode(`/rollback ${result.runbook}`)}.` : ` The last good image is ${inlineCode(result.lastGoodImage, 300)}: redeploy it as a new revision (checked at 0 % first, then all the traffic), or pick another revision with ${inlineCode(`/rollback ${result.runbook}`)}.`}`,
      );
      return result.lastGoodImage === null
        ? message
        : { ...message, blocks: [...message.blocks, redeployActions(result.runbook, result.lastGoodImage)] };
    }
    case 'unknown_image':
      return say(
        `:x: ${inlineCode(result.image, 300)} is not the image of a Ready revision of ${inlineCode(result.runbook)}: Liftoff redeploys only what already served.`,
      );
    case 'redeploy_running':
      return say(
        `:hourglass_flowing_sand: A redeploy of ${inlineCode(result.runbook)} is already under way (${lockDescription(result.lock)}); its report comes in the channel.`,
      );
    case 'redeploy_failed':
      return say(`:x: The redeploy failed, traffic untouched: ${escapeMrkdwn(result.message, 800)}`);
    case 'deploy_running':
      return say(
        `:no_entry: A deploy holds the service: ${lockDescription(result.lock)}. Cancel it with ${inlineCode('/deploy cancel')}: after its deploy step, cancelling rolls it back to the traffic that served before.`,
      );
    case 'stale':
      return say(
        result.lock === null
          ? `:no_entry: This Re-promote no longer applies: the freeze of the rollback it was offered for has been lifted, and the service may have moved on since. Nothing changed. See ${inlineCode(`/rollback ${result.runbook}`)}.`
          : `:no_entry: This Re-promote no longer applies: the service is held by another lock, left alone: ${lockDescription(result.lock)}. Nothing changed.`,
      );
    case 'request_closed':
      return say(requestClosedText(result));
    case 'already_serving':
      return say(`${inlineCode(result.revision)} already serves all the traffic of ${inlineCode(result.runbook)}.`);
    case 'conflict':
      return say(
        `:x: Cloud Run refused the traffic change: ${escapeMrkdwn(result.message, 500)}. Nothing was overwritten; look at the service and try again.`,
      );
    case 'unavailable':
      return say(`:x: ${escapeMrkdwn(result.reason, 500)}`);
    case 'choose_runbook':
    case 'unknown_runbook':
    case 'invalid_runbook':
      return runbookChoiceReply(result);
    case 'forbidden': {
      const who = whoCanText(result.decision.whoCan);
      if (result.role === 'deploy') return say(`:no_entry: Only deployers may roll back. Who can: ${who}.`);
      return say(
        result.decision.reason === 'own_request'
          ? `:no_entry: You asked for this: another approver confirms it. Who can: ${who}.`
          : `:no_entry: Only an approver may do this. Who can: ${who}.`,
      );
    }
  }
}
