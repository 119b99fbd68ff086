import type { HomeView, KnownBlock } from '@slack/types';
import type { RunbookOverview, RunSummary } from '../deploy/home-overview.js';
import { escapeMrkdwn, inlineCode, mention, truncate } from './escape.js';
import { plainText, utcDateTime } from './format.js';
import { lockDescription } from './replies.js';

const OUTCOME: Partial<Record<RunSummary['state'], string>> = {
  succeeded: ':rocket: promoted',
  rolled_back: ':rewind: rolled back',
  failed: ':x: failed',
  denied: ':no_entry: denied',
  expired: ':hourglass: expired',
  cancelled: ':wastebasket: cancelled',
};

function runLine(run: RunSummary): string {
  const thread =
    run.messageTs === null
      ? ''
      : ` · <https://slack.com/app_redirect?channel=${run.channelId}&message_ts=${run.messageTs}|thread>`;
  const log = run.deployLogUrl === null ? '' : ` · <${run.deployLogUrl}|deploy log>`;
  return `${OUTCOME[run.state] ?? `:arrows_counterclockwise: ${run.state}`} ${run.tag === null ? inlineCode(run.id) : inlineCode(run.tag)} · ${mention(run.requesterId)}${run.decidedBy === null ? '' : ` → ${mention(run.decidedBy)}`} · ${utcDateTime(run.createdAt)}${thread}${log}`;
}

/** The App Home tab: per runbook, what serves, the lock, the last ten runs. */
export function appHomeView(overview: readonly RunbookOverview[]): HomeView {
  const blocks: KnownBlock[] = [{ type: 'header', text: plainText('Liftoff') }];
  if (overview.length === 0) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: 'No runbook is loaded.' } });
  for (const o of overview) {
    const serving =
      o.serving === null
        ? '_not read: no cloud access configured_'
        : o.serving.ok
          ? escapeMrkdwn(o.serving.text, 500)
          : `_could not read: ${escapeMrkdwn(o.serving.reason, 300)}_`;
    blocks.push(
      { type: 'divider' },
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: truncate(
            `*${escapeMrkdwn(o.runbook)}* → ${inlineCode(o.service)}\n*Serving* ${serving}\n${o.lock === undefined ? ':unlock: not locked' : `:lock: ${lockDescription(o.lock)}`}`,
            3000,
          ),
        },
      },
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: truncate(o.runs.length === 0 ? '_no runs yet_' : o.runs.map(runLine).join('\n'), 3000),
        },
      },
    );
  }
  return { type: 'home', blocks: blocks.slice(0, 100) };
}
