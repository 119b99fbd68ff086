import { parseRollbackCommand } from '../../../src/deploy/rollback-command.js';

const KNOWN = ['phase3', 'staging'];

describe('parseRollbackCommand', () => {
  it.each([
    ['', { kind: 'list', runbook: undefined }],
    ['phase3', { kind: 'list', runbook: 'phase3' }],
    ['emergence-app-00274-old', { kind: 'to', runbook: undefined, revision: 'emergence-app-00274-old' }],
    ['phase3 emergence-app-00274-old', { kind: 'to', runbook: 'phase3', revision: 'emergence-app-00274-old' }],
    ['phase3 --stop', { kind: 'stop', runbook: 'phase3' }],
    ['--stop phase3', { kind: 'stop', runbook: 'phase3' }],
    ['  --stop  ', { kind: 'stop', runbook: undefined }],
    ['phase3 --resume', { kind: 'resume', runbook: 'phase3' }],
    ['--resume', { kind: 'resume', runbook: undefined }],
    ['phase3 --stop --stop', { kind: 'stop', runbook: 'phase3' }],
    // A name beside --stop is a runbook even when unknown, so the answer lists the runbooks there are.
    ['prod --stop', { kind: 'stop', runbook: 'prod' }],
  ])('reads %j', (text, expected) => {
    expect(parseRollbackCommand(text, KNOWN)).toEqual(expected);
  });

  it.each([
    ['phase3 --force', /unknown option `--force`.*`--stop` and `--resume`/],
    ['phase3 --stop --resume', /do not go together/],
    ['phase3 emergence-app-00274-old --stop', /`--stop` takes a runbook name and no revision/],
    ['phase3 emergence-app-00274-old --resume', /`--resume` takes a runbook name and no revision/],
    ['phase3 a b', /write `\/rollback \[<runbook>\] \[<revision>\]`/],
    ['Phase3 --stop', /lowercase letters, digits and dashes/],
    ['<!channel> --resume', /lowercase letters, digits and dashes/],
  ])('refuses %j with a reason', (text, problem) => {
    const parsed = parseRollbackCommand(text, KNOWN);
    expect(parsed.kind).toBe('invalid');
    if (parsed.kind === 'invalid') expect(parsed.problem).toMatch(problem);
  });

  it('refuses text longer than 300 characters before reading it', () => {
    const parsed = parseRollbackCommand(`phase3 --stop ${'x'.repeat(300)}`, KNOWN);
    expect(parsed.kind).toBe('invalid');
    if (parsed.kind === 'invalid') expect(parsed.problem).toMatch(/characters/);
  });
});
