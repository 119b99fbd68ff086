import type { KnownBlock } from '@slack/types';
import type { ResumeResult, StopRequestResult, StopResult } from '../deploy/emergency-stop.js';
import type { ServiceLocation, ServiceScaling } from '../deploy/ports/index.js';
import { ACTION_IDS } from './action-ids.js';
import { escapeMrkdwn, inlineCode, mention, truncate } from './escape.js';
import { plainText, utcTime } from './format.js';
import type { SlackMessage } from './plan-message.js';
import { lockDescription, runbookChoiceReply, whoCanText } from './replies.js';

const say = (text: string): SlackMessage => ({
  text: truncate(text, 3000),
  blocks: [{ type: 'section', text: { type: 'mrkdwn', text: truncate(text, 3000) } }],
});

/** The value the Stop button carries: the runbook and who asked, both plain ids. */
export function emergencyStopValue(runbook: string, requestedBy: string): string {
  return `${runbook} ${requestedBy}`;
}

/** 'automatic, 0 to 10 instances', 'manual, 0 instances', for people. */
export function describeScaling(scaling: ServiceScaling): string {
  if (scaling.mode === 'manual') return `manual, ${scaling.instances} instance${scaling.instances === 1 ? '' : 's'}`;
  return scaling.maxInstances === null
    ? `automatic, at least ${scaling.minInstances} instances, up to Cloud Run's default maximum`
    : `automatic, ${scaling.minInstances} to ${scaling.maxInstances} instances`;
}

/**
 * The gcloud command that sets this service-level scaling (`--scaling`, and the service-level `--min`/`--max`,
 * not the revision-level `--min-instances`/`--max-instances`). gcloud wants both or neither of `--min` and `--max`
 * when it switches back to automatic; an unset maximum is written as 100, Cloud Run's long-standing default.
 */
export function gcloudScalingCommand(service: ServiceLocation, scaling: ServiceScaling): string {
  const base = `gcloud run services update ${service.name} --project ${service.project} --region ${service.region}`;
  if (scaling.mode === 'manual') return `${base} --scaling=${scaling.instances}`;
  if (scaling.minInstances === 0 && scaling.maxInstances === null) return `${base} --scaling=auto`;
  return `${base} --scaling=auto --min=${scaling.minInstances} --max=${scaling.maxInstances ?? 100}`;
}

/**
 * The request, posted in the channel: who asks, what a stop does, the danger button (with Slack's confirm dialog)
 * that only an approver's click acts on.
 */
export function emergencyStopRequestMessage(plan: Extract<StopRequestResult, { kind: 'confirm' }>): SlackMessage {
  const name = plan.service.name;
  const text =
    `:octagonal_sign: *${mention(plan.requestedBy)} asks for an emergency stop of ${inlineCode(name)}* (runbook ${inlineCode(plan.runbook)}).\n` +
    `What happens: Cloud Run keeps 0 instances of the service (service-level manual scaling, no new revision), so *every request to it fails until an approver resumes it*. ` +
    `The traffic split stays as it is (${escapeMrkdwn(plan.serving, 300)}); only a tag URL of a revision at 0 % can still answer. Deploys are locked meanwhile.\n` +
    `Scaling now: ${escapeMrkdwn(describeScaling(plan.scaling))}.\n` +
    `_Not \`--max-instances 0\`: in the Cloud Run API a maximum of 0 means "unset", so that command stops nothing._`;
  const blocks: KnownBlock[] = [
    { type: 'section', text: { type: 'mrkdwn', text: truncate(text, 3000) } },
    {
      type: 'actions',
      elements: [
        {
          type: 'button',
          action_id: ACTION_IDS.emergencyStop,
          style: 'danger',
          text: plainText(truncate(`Stop ${name}`, 75)),
          value: emergencyStopValue(plan.runbook, plan.requestedBy),
          confirm: {
            title: plainText(truncate(`Stop ${name}?`, 100)),
            text: {
              type: 'mrkdwn',
              text: truncate(
                `0 instances: every request to ${inlineCode(name)} fails until an approver runs ${inlineCode(`/rollback ${plan.runbook} --resume`)}.`,
                300,
              ),
            },
            confirm: plainText('Stop it'),
            deny: plainText('Back'),
            style: 'danger',
          },
        },
      ],
    },
    {
      type: 'context',
      elements: [
        { type: 'mrkdwn', text: truncate(`Only an approver can confirm: ${whoCanText(plan.approvers)}.`, 3000) },
      ],
    },
  ];
  return { text: `Emergency stop of ${name} requested`, blocks };
}

/** The request message once an approver stopped the service: no button left, and how to undo it. */
export function emergencyStoppedMessage(
  result: Extract<StopResult, { kind: 'stopped' }>,
  byUserId: string,
  requestedBy: string | undefined,
): SlackMessage {
  const name = result.service.name;
  const asked = requestedBy === undefined || requestedBy === byUserId ? '' : ` (asked by ${mention(requestedBy)})`;
  const freeze =
    result.freeze === null
      ? ':warning: The service could not be frozen (a deploy took its lock): deploys are NOT held off.'
      : result.recorded
        ? `:lock: Deploys are locked: ${lockDescription(result.freeze)}.`
        : `:lock: Deploys stay locked by the earlier freeze: ${lockDescription(result.freeze)}. It stays after a resume, and ${inlineCode('--resume')} will use the runbook's minInstances/maxInstances: to get the scaling below back, use the gcloud command.`;
  return say(
    `:octagonal_sign: *${inlineCode(name)} stopped by ${mention(byUserId)} at ${utcTime(result.at)}*${asked}.\n` +
      `0 instances: every request to it fails. The traffic split is unchanged (${escapeMrkdwn(result.serving, 300)}).\n` +
      `${freeze}\n` +
      `Scaling before: ${escapeMrkdwn(describeScaling(result.before))}.\n` +
      `To undo: ${inlineCode(`/rollback ${result.runbook} --resume`)} (an approver), or ${inlineCode(gcloudScalingCommand(result.service, result.before), 400)}.`,
  );
}

/** The channel's report of a resume. */
export function emergencyResumedMessage(
  result: Extract<ResumeResult, { kind: 'resumed' }>,
  byUserId: string,
): SlackMessage {
  const source =
    result.source === 'before_stop'
      ? 'as it was before the stop'
      : "from the runbook's minInstances/maxInstances: the scaling before the stop was not on record";
  const freeze =
    result.keptFreeze !== null
      ? `:lock: The service stays locked by another freeze: ${lockDescription(result.keptFreeze)}.`
      : ':unlock: Deploys may go again.';
  return say(
    `:arrow_forward: ${mention(byUserId)} resumed ${inlineCode(result.service.name)} (runbook ${inlineCode(result.runbook)}): scaling ${escapeMrkdwn(describeScaling(result.scaling))}, ${source}. It serves requests again.\n${freeze}`,
  );
}

/** Every other answer of the stop and resume flow, for the person who asked. */
export function emergencyStopReply(
  result:
    | Exclude<StopResult, { kind: 'stopped' }>
    | Exclude<ResumeResult, { kind: 'resumed' }>
    | Exclude<StopRequestResult, { kind: 'confirm' }>,
): SlackMessage {
  switch (result.kind) {
    case 'already_stopped':
      return say(
        `:octagonal_sign: ${inlineCode(result.service.name)} is already stopped (0 instances). An approver undoes it with ${inlineCode(`/rollback ${result.runbook} --resume`)}.`,
      );
    case 'in_progress':
      return say(
        `:hourglass: Another stop or resume of ${inlineCode(result.service.name)} is under way; its report will be in the channel.`,
      );
    case 'not_stopped':
      return say(
        `${inlineCode(result.service.name)} is not stopped (scaling: ${escapeMrkdwn(describeScaling(result.scaling))}).${result.lifted === null ? '' : ' :unlock: Its emergency freeze is lifted: deploys may go again.'}`,
      );
    case 'not_changed':
      return say(
        `:x: Cloud Run did not apply the change: ${escapeMrkdwn(result.message, 500)}. Nothing was overwritten; look at the service and try again.`,
      );
    case 'deploy_running':
      return say(
        `:no_entry: A deploy holds the service: ${lockDescription(result.lock)}. Cancel it with ${inlineCode('/deploy cancel')} (after its deploy step, cancelling returns the traffic to what served before), then stop.`,
      );
    case 'unavailable':
      return say(`:x: ${escapeMrkdwn(result.reason, 500)}`);
    case 'choose_runbook':
    case 'unknown_runbook':
    case 'invalid_runbook':
      return runbookChoiceReply(result);
    case 'forbidden':
      return say(
        result.role === 'deploy'
          ? `:no_entry: Only deployers may ask for an emergency stop. Who can: ${whoCanText(result.decision.whoCan)}.`
          : `:no_entry: Only an approver may stop or resume a service. Who can: ${whoCanText(result.decision.whoCan)}.`,
      );
  }
}
