export type MetricsCommand =
  | { readonly kind: 'snapshot'; readonly runbook: string | undefined; readonly compare: boolean }
  | { readonly kind: 'invalid'; readonly problem: string; readonly input: string };

const RUNBOOK_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;

/** Parses the text after `/metrics`: `[runbook] [--compare]`. */
export function parseMetricsCommand(rawText: string): MetricsCommand {
  const text = rawText.trim();
  if (text.length > 200)
    return {
      kind: 'invalid',
      problem: `that is ${text.length} characters; /metrics takes a runbook name and --compare`,
      input: text,
    };
  let runbook: string | undefined;
  let compare = false;
  for (const word of text.split(/\s+/).filter((w) => w !== '')) {
    if (word === '--compare') compare = true;
    else if (word.startsWith('-'))
      return { kind: 'invalid', problem: `unknown option \`${word}\` (the only option is \`--compare\`)`, input: text };
    else if (runbook === undefined && RUNBOOK_NAME.test(word)) runbook = word;
    else return { kind: 'invalid', problem: 'write `/metrics [<runbook>] [--compare]`', input: text };
  }
  return { kind: 'snapshot', runbook, compare };
}
