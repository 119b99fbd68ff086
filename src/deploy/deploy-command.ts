import { parseDuration } from './duration.js';

/** The longest `/deploy` text we read; Slack allows more, nobody types more. */
export const MAX_COMMAND_TEXT = 500;

const RUNBOOK_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;
const RUN_ID = /^run-[a-z0-9]{6,}$/;

export type DeployCommand =
  | { readonly kind: 'help' }
  | { readonly kind: 'list' }
  | { readonly kind: 'status' }
  | { readonly kind: 'deploy'; readonly runbook: string; readonly dryRun: boolean }
  | { readonly kind: 'cancel'; readonly target: CancelTarget }
  | { readonly kind: 'lock'; readonly runbook: string; readonly reason: string; readonly durationMs: number | null }
  | { readonly kind: 'unlock'; readonly runbook: string }
  | { readonly kind: 'invalid'; readonly problem: string; readonly input: string };

export type CancelTarget =
  | { readonly kind: 'latest' }
  | { readonly kind: 'run'; readonly runId: string }
  | { readonly kind: 'runbook'; readonly runbook: string };

const invalid = (problem: string, input: string): DeployCommand => ({ kind: 'invalid', problem, input });

/** Parses the text after `/deploy`. Pure: never throws, every refusal says what was wrong. */
export function parseDeployCommand(rawText: string): DeployCommand {
  const text = rawText.trim();
  if (text.length > MAX_COMMAND_TEXT) {
    return invalid(`that is ${text.length} characters; a /deploy command is at most ${MAX_COMMAND_TEXT}`, text);
  }
  const words = text.split(/\s+/).filter((word) => word !== '');
  const [first, ...rest] = words;
  if (first === undefined || first === 'help' || first === '--help') {
    return rest.length === 0 ? { kind: 'help' } : invalid('`help` takes no arguments', text);
  }
  switch (first) {
    case 'list':
    case 'status':
      return rest.length === 0 ? { kind: first } : invalid(`\`${first}\` takes no arguments`, text);
    case 'cancel':
      return parseCancel(rest, text);
    case 'lock':
      return parseLock(rest, text);
    case 'unlock': {
      const [runbook, ...extra] = rest;
      if (runbook === undefined || extra.length > 0 || !RUNBOOK_NAME.test(runbook)) {
        return invalid('write `/deploy unlock <runbook>`', text);
      }
      return { kind: 'unlock', runbook };
    }
  }
  if (first.startsWith('-')) return invalid(`a runbook name comes first, before \`${first}\``, text);
  if (!RUNBOOK_NAME.test(first))
    return invalid('that is not a runbook name (lowercase letters, digits and dashes)', text);
  let dryRun = false;
  for (const flag of rest) {
    if (flag === '--dry-run') dryRun = true;
    else return invalid(`unknown option \`${flag}\` (the only option is \`--dry-run\`)`, text);
  }
  return { kind: 'deploy', runbook: first, dryRun };
}

function parseCancel(args: readonly string[], text: string): DeployCommand {
  if (args.length === 0) return { kind: 'cancel', target: { kind: 'latest' } };
  const [target, ...extra] = args;
  if (target === undefined || extra.length > 0) return invalid('write `/deploy cancel [<runbook> | <run id>]`', text);
  if (RUN_ID.test(target)) return { kind: 'cancel', target: { kind: 'run', runId: target } };
  if (RUNBOOK_NAME.test(target)) return { kind: 'cancel', target: { kind: 'runbook', runbook: target } };
  return invalid('write `/deploy cancel [<runbook> | <run id>]`', text);
}

function parseLock(args: readonly string[], text: string): DeployCommand {
  const [runbook, ...words] = args;
  let reasonWords = words;
  if (runbook === undefined || !RUNBOOK_NAME.test(runbook)) {
    return invalid('write `/deploy lock <runbook> <reason> [for <duration>]`', text);
  }
  let durationMs: number | null = null;
  const forAt = reasonWords.length - 2;
  if (forAt >= 0 && reasonWords[forAt] === 'for') {
    const duration = parseDuration(reasonWords[forAt + 1] ?? '');
    if (!duration.ok) return invalid(`the lock duration: ${duration.error.message}`, text);
    durationMs = duration.ms;
    reasonWords = reasonWords.slice(0, forAt);
  }
  const reason = reasonWords.join(' ');
  if (reason === '') return invalid('a lock needs a reason: `/deploy lock <runbook> <reason> [for <duration>]`', text);
  return { kind: 'lock', runbook, reason, durationMs };
}
