import { combinedMeasurements } from '../../../src/deploy/canary/baseline.js';
import { decideLook } from '../../../src/deploy/canary/progress.js';
import { baselineRevisions, canaryStepTraffic } from '../../../src/deploy/canary/traffic-plan.js';
import { canarySpecOf } from '../../../src/deploy/runbook/schema/canary.js';

const candidate = { revision: 'app-new', tag: 'build-7' };
const at = (revision: string, percent: number, tag: string | null = null) => ({
  revision,
  latest: false,
  percent,
  tag,
});

describe('the traffic of a canary step', () => {
  it.each([
    ['one serving revision', [at('old', 100)], 5, [at('old', 95), at('app-new', 5, 'build-7')]],
    [
      'a split keeps its proportions, with integer shares summing to 100',
      [at('a', 67), at('b', 33)],
      25,
      [at('a', 50), at('b', 25), at('app-new', 25, 'build-7')],
    ],
    [
      'tags at 0 % stay, the old revision keeps its tag, the candidate replaces its earlier entry',
      [at('old', 100, 'stable'), at('x', 0, 'build-6'), at('app-new', 0, 'build-7')],
      50,
      [at('old', 50, 'stable'), at('x', 0, 'build-6'), at('app-new', 50, 'build-7')],
    ],
  ])('%s', (_name, previous, percent, expected) => {
    const traffic = canaryStepTraffic(previous, candidate, percent);
    expect(traffic).toEqual(expected);
    expect(traffic.reduce((sum, t) => sum + t.percent, 0)).toBe(100);
  });

  it('takes as baseline the revisions that served', () => {
    expect(baselineRevisions([at('a', 60), at('b', 40), at('c', 0, 'old')])).toEqual(['a', 'b']);
  });
});

describe('a look decides', () => {
  const until = new Date('2026-01-01T00:15:00Z');
  const before = new Date('2026-01-01T00:10:00Z');
  const after = new Date('2026-01-01T00:16:00Z');
  it.each([
    ['pass', 'enforce', before, 'advance'],
    ['fail', 'enforce', before, 'roll_back'],
    ['inconclusive', 'enforce', before, 'wait'],
    ['inconclusive', 'enforce', after, 'ask'],
    ['fail', 'advise', before, 'wait'],
    ['fail', 'advise', after, 'advance'],
    ['pass', 'advise', before, 'advance'],
  ] as const)('%s under %s', (verdict, mode, now, kind) => {
    expect(decideLook({ verdict }, mode, until, now).kind).toBe(kind);
  });
});

describe('the serving baseline adds up its revisions', () => {
  it('adds counts and buckets of one layout', () => {
    const latency = (counts: number[]) => ({ kind: 'buckets' as const, boundsMs: [10, 20], counts });
    expect(
      combinedMeasurements([
        { errors: 1, nonErrors: 9, completeMinutes: 2, latency: latency([1, 8, 1]) },
        { errors: 0, nonErrors: 5, completeMinutes: 3, latency: latency([0, 5]) },
      ]),
    ).toEqual({ errors: 1, nonErrors: 14, completeMinutes: 3, latency: latency([1, 13, 1]) });
  });
});

describe('deploy.canary defaults', () => {
  it('gives every default and lays the overrides and minRequests over the judge config', () => {
    const defaults = canarySpecOf({});
    expect(defaults).toMatchObject({ steps: [5, 25, 50], minRequests: 250, interval: 60_000, maxHold: 900_000 });
    expect(defaults).toMatchObject({ baseline: 'serving', judge: 'enforce' });
    expect(defaults.judgeConfig.minRequests).toBe(250);
  });
});
