import { MAX_COMMAND_TEXT, parseDeployCommand } from '../../../src/deploy/deploy-command.js';

describe('parseDeployCommand', () => {
  it.each([
    ['', { kind: 'help' }],
    ['help', { kind: 'help' }],
    ['  list ', { kind: 'list' }],
    ['status', { kind: 'status' }],
    ['phase3', { kind: 'deploy', runbook: 'phase3', dryRun: false }],
    ['phase3 --dry-run', { kind: 'deploy', runbook: 'phase3', dryRun: true }],
    ['cancel', { kind: 'cancel', target: { kind: 'latest' } }],
    ['cancel run-0a1b2c3d4e5f', { kind: 'cancel', target: { kind: 'run', runId: 'run-0a1b2c3d4e5f' } }],
    ['cancel phase3', { kind: 'cancel', target: { kind: 'runbook', runbook: 'phase3' } }],
    ['lock phase3 release freeze', { kind: 'lock', runbook: 'phase3', reason: 'release freeze', durationMs: null }],
    [
      'lock phase3 incident 42 for 2h',
      { kind: 'lock', runbook: 'phase3', reason: 'incident 42', durationMs: 7_200_000 },
    ],
    ['unlock phase3', { kind: 'unlock', runbook: 'phase3' }],
  ])('reads %j', (text, expected) => {
    expect(parseDeployCommand(text)).toEqual(expected);
  });

  it.each([
    ['phase3 --force', /unknown option `--force`/],
    ['--dry-run phase3', /runbook name comes first/],
    ['<!channel>', /not a runbook name/],
    ['Phase3', /not a runbook name/],
    ['\u202Ephase3', /not a runbook name/],
    ['list all', /takes no arguments/],
    ['lock phase3', /needs a reason/],
    ['lock phase3 freeze for ever', /lock duration/],
    ['unlock', /unlock <runbook>/],
    ['cancel a b', /cancel/],
  ])('refuses %j with a reason', (text, problem) => {
    const parsed = parseDeployCommand(text);
    expect(parsed.kind).toBe('invalid');
    if (parsed.kind === 'invalid') expect(parsed.problem).toMatch(problem);
  });

  it('refuses text longer than the limit before reading it', () => {
    const parsed = parseDeployCommand('x'.repeat(4000));
    expect(parsed.kind).toBe('invalid');
    if (parsed.kind === 'invalid') expect(parsed.problem).toContain(`at most ${MAX_COMMAND_TEXT}`);
  });
});
