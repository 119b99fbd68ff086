export type RollbackCommand =
  | { readonly kind: 'list'; readonly runbook: string | undefined }
  | { readonly kind: 'to'; readonly runbook: string | undefined; readonly revision: string }
  | { readonly kind: 'stop'; readonly runbook: string | undefined }
  | { readonly kind: 'invalid'; readonly problem: string; readonly input: string };

const NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;

/** Parses `/rollback [<runbook>] [<revision>] [--stop]`; a first word that is not a known runbook is a revision. */
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
  const unknownFlag = flags.find((f) => f !== '--stop');
  if (unknownFlag !== undefined)
    return {
      kind: 'invalid',
      problem: `unknown option \`${unknownFlag}\` (the only option is \`--stop\`)`,
      input: text,
    };
  const bad = names.find((n) => !NAME.test(n));
  if (bad !== undefined)
    return {
      kind: 'invalid',
      problem: 'runbook and revision names are lowercase letters, digits and dashes',
      input: text,
    };
  let runbook: string | undefined;
  let rest = names;
  if (names[0] !== undefined && knownRunbooks.includes(names[0])) {
    runbook = names[0];
    rest = names.slice(1);
  }
  if (rest.length > 1) return { kind: 'invalid', problem: 'write `/rollback [<runbook>] [<revision>]`', input: text };
  if (flags.includes('--stop'))
    return rest.length === 0
      ? { kind: 'stop', runbook }
      : { kind: 'invalid', problem: '`--stop` takes no revision', input: text };
  return rest[0] === undefined ? { kind: 'list', runbook } : { kind: 'to', runbook, revision: rest[0] };
}
