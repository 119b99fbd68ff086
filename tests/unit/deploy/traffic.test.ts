import type { TrafficTarget } from '../../../src/deploy/plan.js';
import {
  allTrafficTo,
  describeTraffic,
  pinTraffic,
  withoutBrokenTags,
  withTaggedCandidate,
} from '../../../src/deploy/traffic.js';

const rev = (revision: string, percent: number, tag: string | null = null): TrafficTarget => ({
  revision,
  latest: false,
  percent,
  tag,
});

describe('traffic', () => {
  it('pins LATEST to the revision it serves, so a new revision gets no traffic by accident', () => {
    expect(pinTraffic([{ revision: null, latest: true, percent: 100, tag: null }], 'app-00274')).toEqual([
      rev('app-00274', 100),
    ]);
  });

  it('keeps a split pinned to old revisions as it is', () => {
    const split = [rev('app-00270', 90), rev('app-00272', 10, 'canary')];
    expect(pinTraffic(split, 'app-00274')).toEqual(split);
  });

  it('merges LATEST into a pinned target of the same revision', () => {
    expect(pinTraffic([rev('app-1', 50), { revision: null, latest: true, percent: 50, tag: null }], 'app-1')).toEqual([
      rev('app-1', 100),
    ]);
  });

  it('refuses LATEST traffic when nothing is ready', () => {
    expect(() => pinTraffic([{ revision: null, latest: true, percent: 100, tag: null }], null)).toThrow(
      /no ready revision/,
    );
  });

  it('adds the candidate at 0 % under its tag and leaves every share alone', () => {
    const next = withTaggedCandidate([rev('app-1', 90), rev('app-0', 10)], 'app-2', 'build-42');
    expect(next).toEqual([rev('app-1', 90), rev('app-0', 10), rev('app-2', 0, 'build-42')]);
    expect(next.reduce((sum, t) => sum + t.percent, 0)).toBe(100);
  });

  it('replaces an older target holding the same tag', () => {
    expect(withTaggedCandidate([rev('app-1', 100), rev('app-0', 0, 'build-42')], 'app-2', 'build-42')).toEqual([
      rev('app-1', 100),
      rev('app-2', 0, 'build-42'),
    ]);
  });

  it('promotes: 100 % to the candidate, tags kept at 0 %', () => {
    expect(
      allTrafficTo([rev('app-1', 100), rev('app-2', 0, 'build-42'), rev('app-0', 0, 'build-41')], 'app-2'),
    ).toEqual([rev('app-2', 100, 'build-42'), rev('app-0', 0, 'build-41')]);
    expect(allTrafficTo([rev('app-1', 100)], 'app-0')).toEqual([rev('app-0', 100)]);
  });

  it('describes only the serving revisions', () => {
    expect(describeTraffic([rev('app-1', 90), rev('app-0', 10), rev('app-2', 0, 'x')])).toBe('app-1 90 %, app-0 10 %');
  });

  it('drops the 0 % tag a failed deploy left on a revision that never got Ready, and nothing else', () => {
    const revisions = [
      { name: 'app-2', state: 'failed' as const },
      { name: 'app-1', state: 'ready' as const },
      { name: 'app-3', state: 'pending' as const },
    ];
    expect(
      withoutBrokenTags([rev('app-1', 100), rev('app-2', 0, 'build-42'), rev('app-3', 0, 'build-43')], revisions),
    ).toEqual([rev('app-1', 100), rev('app-3', 0, 'build-43')]);
  });
});
