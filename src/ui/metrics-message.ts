import type { KnownBlock } from '@slack/types';
import type { LiveMetricsResult, ScrapedTarget } from '../deploy/live-metrics.js';
import type { TargetVerdict } from '../deploy/prometheus/evaluate.js';
import { escapeMrkdwn, inlineCode, truncate } from './escape.js';
import type { SlackMessage } from './plan-message.js';
import { runbookChoiceReply } from './replies.js';

const ICON: Record<string, string> = {
  true: ':white_check_mark:',
  false: ':warning:',
  'no data': ':grey_question:',
  'no target': ':information_source:',
};

function verdictLine(v: TargetVerdict): string {
  return `${ICON[String(v.ok)] ?? ''} ${escapeMrkdwn(v.label, 80)}: *${escapeMrkdwn(v.measured, 120)}* (target ${escapeMrkdwn(v.bound, 60)})`;
}

function targetBlock(t: ScrapedTarget): KnownBlock {
  const title = `*${t.label === 'service' ? 'Service URL' : escapeMrkdwn(t.label)}*${t.revision === null ? '' : ` · ${inlineCode(t.revision)}`}${t.label === 'service' ? '' : ` · ${t.percent} %`}`;
  if (!t.result.ok)
    return {
      type: 'section',
      text: { type: 'mrkdwn', text: truncate(`${title}\n:x: ${escapeMrkdwn(t.result.reason, 400)}`, 3000) },
    };
  const s = t.result.snapshot;
  const lines = [
    ...s.verdicts.map(verdictLine),
    `Failures by error_type: ${s.failuresByErrorType.length === 0 ? 'none' : s.failuresByErrorType.map((f) => `${escapeMrkdwn(f.errorType, 40)} ${f.count}`).join(', ')}`,
  ];
  return { type: 'section', text: { type: 'mrkdwn', text: truncate(`${title}\n${lines.join('\n')}`, 3000) } };
}

/** `/metrics`: the live snapshot against the runbook's targets, new beside previous with --compare. */
export function metricsMessage(result: Extract<LiveMetricsResult, { kind: 'snapshot' }>): SlackMessage {
  const blocks: KnownBlock[] = [
    {
      type: 'header',
      text: { type: 'plain_text', text: truncate(`Metrics · ${result.runbook} → ${result.service}`, 150) },
    },
    {
      type: 'context',
      elements: [
        {
          type: 'mrkdwn',
          text: truncate(
            `Serving ${escapeMrkdwn(result.serving, 300)}${result.serviceUrl === null ? '' : ` · ${escapeMrkdwn(result.serviceUrl, 200)}`} · counters since each instance started`,
            3000,
          ),
        },
      ],
    },
    ...result.targets.slice(0, 20).map(targetBlock),
  ];
  if (result.targets.length === 0)
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: 'The service reports no URL to scrape.' } });
  return { text: `Metrics of ${result.service}`, blocks };
}

/** Every /metrics answer but the snapshot. */
export function metricsRefusal(result: Exclude<LiveMetricsResult, { kind: 'snapshot' }>): SlackMessage {
  if (result.kind !== 'unavailable') return runbookChoiceReply(result);
  const text = `:x: Could not read ${inlineCode(result.runbook)}'s service: ${escapeMrkdwn(result.reason, 500)}`;
  return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] };
}
