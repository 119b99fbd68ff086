export type RollbackCommand =
  | { readonly kind: 'list'; readonly runbook: string | undefined }
  | { readonly kind: 'to'; readonly runbook: string | undefined; readonly revision: string }
  /** The emergency stop: the service scaled to 0 instances. */
  | { readonly kind: 'stop'; readonly runbook: string | undefined }
  /** Its undo: the scaling from before the stop. */
  | { readonly kind: 'resume'; readonly runbook: string | undefined }
  | { readonly kind: 'invalid'; readonly problem: string; readonly input: string };

const NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;
const FLAGS = ['--stop', '--resume'] as const;
const isFlag = (word: string): word is (typeof FLAGS)[number] => (FLAGS as readonly string[]).includes(word);

/**
 * Parses `/rollback [<runbook>] [<revision>] [--stop | --resume]`; a first word that is not a known runbook is a
 * revision.
 */
export function parseRollbackCommand(rawText: string, knownRunbooks: readonly string[]): RollbackCommand {
  const text = rawText.trim();
  if (text.length > 300)
    return {
      kind: 'invalid',
      problem: `that is ${text.length} characters; write \`/rollback [<runbook>] [<revision>]\``,
      input: text,
    };
  const words = text.split(/\s+/).filter((w) => w !== '');
  const flags = words.filter((w) => w.startsWith('-'));
  const names = words.filter((w) => !w.startsWith('-'));
  const unknownFlag = flags.find((f) => !isFlag(f));
  if (unknownFlag !== undefined)
    return {
      kind: 'invalid',
      problem: `unknown option \`${unknownFlag}\` (the options are \`--stop\` and \`--resume\`)`,
      input: text,
    };
  const flag = flags.filter(isFlag)[0];
  if (new Set(flags).size > 1)
    return { kind: 'invalid', problem: '`--stop` and `--resume` do not go together', input: text };
  const bad = names.find((n) => !NAME.test(n));
  if (bad !== undefined)
    return {
      kind: 'invalid',
      problem: 'runbook and revision names are lowercase letters, digits and dashes',
      input: text,
    };
  // With --stop or --resume a name can only be a runbook: an unknown one is reported as such, not as a revision.
  if (flag !== undefined)
    return names.length <= 1
      ? { kind: flag === '--stop' ? 'stop' : 'resume', runbook: names[0] }
      : { kind: 'invalid', problem: `\`${flag}\` takes a runbook name and no revision`, input: text };
  let runbook: string | undefined;
  let rest = names;
  if (names[0] !== undefined && knownRunbooks.includes(names[0])) {
    runbook = names[0];
    rest = names.slice(1);
  }
  if (rest.length > 1) return { kind: 'invalid', problem: 'write `/rollback [<runbook>] [<revision>]`', input: text };
  return rest[0] === undefined ? { kind: 'list', runbook } : { kind: 'to', runbook, revision: rest[0] };
}
