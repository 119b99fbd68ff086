import { parseMetricsCommand } from '../../../src/deploy/metrics-command.js';

describe('parseMetricsCommand', () => {
  it.each([
    ['', { kind: 'snapshot', runbook: undefined, compare: false }],
    ['phase3', { kind: 'snapshot', runbook: 'phase3', compare: false }],
    ['--compare', { kind: 'snapshot', runbook: undefined, compare: true }],
    ['phase3 --compare', { kind: 'snapshot', runbook: 'phase3', compare: true }],
  ])('reads %j', (text, expected) => {
    expect(parseMetricsCommand(text)).toEqual(expected);
  });

  it.each([['phase3 --all'], ['phase3 phase4'], ['<!here>'], ['x'.repeat(300)]])('refuses %j', (text) => {
    expect(parseMetricsCommand(text).kind).toBe('invalid');
  });
});
