/**
 * The canary card (one message, edited in place) and the words of a canary's step replies and deploy log section.
 * Per step and metric: canary | baseline, the compared value, the interval of the effect, n against minRequests,
 * the verdict. Pure.
 */
import type { KnownBlock } from '@slack/types';

import type { CanaryLook, CanaryStep, StepEnding } from '../deploy/canary/progress.js';
import type { CanaryCardView } from '../deploy/ports/index.js';
import { ACTION_IDS } from './action-ids.js';
import { escapeMrkdwn, inlineCode, truncate } from './escape.js';
import { plainText, utcTime } from './format.js';
import type { SlackMessage } from './plan-message.js';

type MetricLook = CanaryLook['metrics'][number];

const METRIC_LABEL: Readonly<Record<string, string>> = {
  error_rate: 'error rate',
  latency_shift: 'p50 shift',
  latency_tail: 'p95 tail',
  latency_bound: 'p95 bound',
};

const VERDICT_ICON: Readonly<Record<string, string>> = {
  pass: ':white_check_mark:',
  fail: ':x:',
  inconclusive: ':hourglass_flowing_sand:',
};

export const STEP_ENDING_TEXT: Readonly<Record<StepEnding, string>> = {
  pass: 'passed',
  fail: 'failed',
  max_hold: 'maxHold reached (advise: moved on)',
  promote_anyway: 'promoted anyway',
  roll_back: 'rolled back by an approver',
  cancel: 'cancelled',
};

function value(v: number | null, unit: string): string {
  if (v === null) return '–';
  if (unit === 'fraction') return `${(v * 100).toFixed(2)} %`;
  if (unit === 'ms') return `${v.toFixed(v < 10 ? 1 : 0)} ms`;
  return v.toFixed(3);
}

function effect(v: number, unit: string): string {
  const sign = v >= 0 ? '+' : '';
  if (unit === 'fraction') return `${sign}${(v * 100).toFixed(2)} pp`;
  if (unit === 'ratio') return `${sign}${(v * 100).toFixed(1)} %`;
  return `${sign}${v.toFixed(1)} ms`;
}

/** The cells of one metric's row, shared by the card and the deploy log. */
export function metricCells(m: MetricLook): {
  metric: string;
  canary: string;
  baseline: string;
  interval: string;
  n: string;
  verdict: string;
} {
  const interval =
    m.reason === 'too_few_requests'
      ? '–'
      : `${effect(m.effect, m.effectUnit)} [${effect(m.interval[0], m.effectUnit)}, ${effect(m.interval[1], m.effectUnit)}] (limit ${effect(m.limit, m.effectUnit)})`;
  return {
    metric: `${METRIC_LABEL[m.metric] ?? m.metric}${m.required ? '' : ' (advisory)'}`,
    canary: value(m.canary, m.valueUnit),
    baseline: m.metric === 'latency_bound' ? '–' : value(m.baseline, m.valueUnit),
    interval,
    n: `${m.n.canary} | ${m.n.baseline}`,
    verdict: `${m.verdict}${m.reason === 'too_few_requests' ? ' (too few requests)' : ''}`,
  };
}

/** n of each revision against the minimum sample: `canary 40 | baseline 700 of min 20`. */
function sample(m: MetricLook, minRequests: number): string {
  return `${m.n.canary} | ${m.n.baseline} of min ${minRequests}`;
}

function windowText(look: CanaryLook): string {
  const minutes = Math.round((Date.parse(look.window.end) - Date.parse(look.window.start)) / 60_000);
  return `${utcTime(new Date(look.window.start))}–${utcTime(new Date(look.window.end))} (${minutes} complete min)`;
}

/** The lines of one look, one per metric; `markup` false for replies, whose lines are escaped. */
export function lookLines(look: CanaryLook, minRequests: number, markup = true): string[] {
  return look.metrics.map((m) => {
    const c = metricCells(m);
    const name = markup ? `${VERDICT_ICON[m.verdict] ?? ''} *${escapeMrkdwn(c.metric)}*` : c.metric;
    return `${name}: canary ${c.canary} | baseline ${c.baseline} · ${c.interval} · n ${sample(m, minRequests)} · ${c.verdict}`;
  });
}

function stepHeader(step: CanaryStep, index: number, current: number): string {
  const status =
    step.ended !== undefined
      ? STEP_ENDING_TEXT[step.ended.how]
      : step.held !== undefined
        ? '*held: waiting for an approver*'
        : index === current
          ? step.startedAt === null
            ? 'moving traffic'
            : `judging since ${utcTime(new Date(step.startedAt))}`
          : 'waiting';
  return `*Step ${index + 1} · ${step.percent} %* · ${status}${step.looks > 0 ? ` · ${step.looks} look${step.looks === 1 ? '' : 's'}` : ''}`;
}

/** The canary card. */
export function canaryCardMessage(view: CanaryCardView): SlackMessage {
  const { progress } = view;
  const head = `:bird: *Canary* ${inlineCode(view.revision)} · steps ${view.steps.map((s) => `${s} %`).join(' → ')} → 100 % · judge ${view.mode}${view.mode === 'advise' ? ' (reports only)' : ''}\nBaseline ${progress.baseline.map((b) => inlineCode(b)).join(', ')} · a look every ${Math.round(view.intervalMs / 1000)}s · min ${view.minRequests} requests a revision`;
  const blocks: KnownBlock[] = [section(head)];
  progress.steps.forEach((step, index) => {
    const lines = [stepHeader(step, index, progress.index)];
    if (step.last !== undefined) {
      lines.push(`Last look ${utcTime(new Date(step.last.at))} over ${windowText(step.last)}: *${step.last.verdict}*`);
      lines.push(...lookLines(step.last, view.minRequests));
    }
    blocks.push(section(lines.map((l) => truncate(l, 600)).join('\n')));
  });
  const current = progress.steps[progress.index];
  if (current?.held !== undefined && current.ended === undefined && view.state === 'canary')
    blocks.push(heldActions(view.runId, progress.index));
  blocks.push({
    type: 'context',
    elements: [{ type: 'mrkdwn', text: `Updated ${utcTime(view.updatedAt)} · run ${inlineCode(view.runId)}` }],
  });
  return { text: `Canary of ${view.revision}`, blocks: blocks.slice(0, 50) };
}

/** Promote anyway / Roll back / Hold 15 min more: the value names the run and the step, and authorizes nobody. */
export function heldActions(runId: string, index: number): KnownBlock {
  const value = `${runId} ${index}`;
  return {
    type: 'actions',
    elements: [
      {
        type: 'button',
        action_id: ACTION_IDS.canaryPromote,
        text: plainText('Promote anyway'),
        value,
        style: 'primary',
      },
      { type: 'button', action_id: ACTION_IDS.canaryRollBack, text: plainText('Roll back'), value, style: 'danger' },
      { type: 'button', action_id: ACTION_IDS.canaryHold, text: plainText('Hold 15 min more'), value },
    ],
  };
}

function section(text: string): KnownBlock {
  return { type: 'section', text: { type: 'mrkdwn', text: truncate(text, 3000) } };
}

/** The markdown section of the deploy log: one table per step, the same numbers as the card. */
export function canaryLogSection(
  steps: readonly CanaryStep[],
  minRequests: number,
  md: (t: string) => string,
): string[] {
  const out: string[] = ['## Canary', ''];
  steps.forEach((step, index) => {
    const ending = step.ended === undefined ? 'not ended' : STEP_ENDING_TEXT[step.ended.how];
    const by = step.ended?.by === null || step.ended?.by === undefined ? '' : ` (${md(step.ended.by)})`;
    out.push(`### Step ${index + 1}: ${step.percent} % — ${ending}${by}`, '');
    if (step.last === undefined) {
      out.push('No complete look.', '');
      return;
    }
    out.push(
      `Last look ${step.last.at} over ${windowText(step.last)}, ${step.looks} looks: **${step.last.verdict}**`,
      '',
    );
    out.push('| metric | canary | baseline | effect [interval] | n canary \\| baseline (min) | verdict |');
    out.push('| --- | --- | --- | --- | --- | --- |');
    for (const m of step.last.metrics) {
      const c = metricCells(m);
      out.push(
        `| ${md(c.metric)} | ${md(c.canary)} | ${md(c.baseline)} | ${md(c.interval)} | ${m.n.canary} \\| ${m.n.baseline} (${minRequests}) | ${md(c.verdict)} |`,
      );
    }
    out.push('');
  });
  return out;
}

/** The reply when a step ends (never one per look). */
export function canaryStepReply(
  step: CanaryStep,
  index: number,
  minRequests: number,
): { kind: 'ok' | 'warning' | 'failure' | 'info'; title: string; lines: string[] } {
  const how = step.ended?.how ?? 'pass';
  const kind = how === 'pass' || how === 'promote_anyway' ? 'ok' : how === 'max_hold' ? 'warning' : 'failure';
  const by = step.ended?.by === null || step.ended?.by === undefined ? '' : ` by ${step.ended.by}`;
  return {
    kind,
    title: `Canary step ${index + 1} (${step.percent} %) ${STEP_ENDING_TEXT[how]}${by}`,
    lines:
      step.last === undefined
        ? ['no complete minute was measured']
        : [`over ${windowText(step.last)}: ${step.last.verdict}`, ...lookLines(step.last, minRequests, false)],
  };
}

/** The answer to a click on a held canary step's button, for the clicker (refusals) or the channel (done). */
export function canaryAnswerReply(
  result:
    | { readonly kind: 'not_found'; readonly runId: string }
    | { readonly kind: 'forbidden' }
    | { readonly kind: 'stale'; readonly why: string }
    | { readonly kind: 'answered'; readonly action: 'promote' | 'rollback' | 'hold'; readonly index: number },
  userId: string,
): { readonly inChannel: boolean; readonly text: string } {
  switch (result.kind) {
    case 'not_found':
      return { inChannel: false, text: `:warning: No run ${inlineCode(result.runId)}: nothing was changed.` };
    case 'forbidden':
      return { inChannel: false, text: ':no_entry: Only an approver of this runbook may answer a held canary.' };
    case 'stale':
      return {
        inChannel: false,
        text: `:warning: This question is no longer open: ${escapeMrkdwn(result.why, 300)}. Nothing was changed.`,
      };
    case 'answered': {
      const what = {
        promote: 'chose *Promote anyway*: the canary takes 100 % now',
        rollback: 'chose *Roll back*: the split that served before comes back',
        hold: 'chose *Hold 15 min more*: the step keeps measuring for 15 minutes, then asks again',
      }[result.action];
      return { inChannel: true, text: `<@${userId}> ${what} (canary step ${result.index + 1}).` };
    }
  }
}
