import {
  ACTIVE_STATES,
  AFTER_DEPLOY_STATES,
  CANCEL_AT_ONCE_STATES,
  CANCEL_ON_REQUEST_STATES,
  CANCELLABLE_STATES,
  inGroup,
  isActive,
  isTerminal,
  RUN_STATES,
  TERMINAL_STATES,
  WAITING_STATES,
  type RunState,
} from '../../../src/deploy/run.js';

const sorted = (states: readonly RunState[]): RunState[] => [...states].sort();

describe('the state groups of a run', () => {
  it('pins each group', () => {
    expect(sorted(WAITING_STATES)).toEqual(['queued', 'requested']);
    expect(sorted(ACTIVE_STATES)).toEqual(
      ['approved', 'building', 'canary', 'deploying', 'promoting', 'recording', 'tagging', 'verifying'].sort(),
    );
    expect(sorted(TERMINAL_STATES)).toEqual(
      ['cancelled', 'denied', 'expired', 'failed', 'rolled_back', 'succeeded'].sort(),
    );
    expect(sorted(AFTER_DEPLOY_STATES)).toEqual(['canary', 'deploying', 'promoting', 'verifying']);
    expect(sorted(CANCEL_AT_ONCE_STATES)).toEqual(['approved', 'queued', 'requested']);
    expect(sorted(CANCEL_ON_REQUEST_STATES)).toEqual(['building', 'canary', 'deploying', 'tagging', 'verifying']);
    expect(sorted(CANCELLABLE_STATES)).toEqual(
      ['approved', 'building', 'canary', 'deploying', 'queued', 'requested', 'tagging', 'verifying'].sort(),
    );
  });

  it('puts every state in exactly one of waiting, active and terminal', () => {
    for (const state of RUN_STATES) {
      const groups = [WAITING_STATES, ACTIVE_STATES, TERMINAL_STATES].filter((group) => inGroup(group, state));
      expect([state, groups.length]).toEqual([state, 1]);
    }
    expect(WAITING_STATES.length + ACTIVE_STATES.length + TERMINAL_STATES.length).toBe(RUN_STATES.length);
  });

  it('splits the cancellable states between the desk (at once) and the pipeline (on request), without overlap', () => {
    expect(CANCEL_AT_ONCE_STATES.filter((state) => inGroup(CANCEL_ON_REQUEST_STATES, state))).toEqual([]);
    expect(sorted([...CANCEL_AT_ONCE_STATES, ...CANCEL_ON_REQUEST_STATES])).toEqual(sorted(CANCELLABLE_STATES));
    // The pipeline carries every run it is asked to cancel; a promotion under way is not cancelled.
    expect(CANCEL_ON_REQUEST_STATES.every(isActive)).toBe(true);
    expect(inGroup(CANCELLABLE_STATES, 'promoting')).toBe(false);
    expect(CANCELLABLE_STATES.some(isTerminal)).toBe(false);
  });

  it('keeps the after-deploy states inside the active ones', () => {
    expect(AFTER_DEPLOY_STATES.every(isActive)).toBe(true);
    expect(inGroup(AFTER_DEPLOY_STATES, 'building')).toBe(false);
  });

  it('answers the predicates from the groups', () => {
    expect(isTerminal('rolled_back')).toBe(true);
    expect(isTerminal('recording')).toBe(false);
    expect(isActive('building')).toBe(true);
    expect(isActive('queued')).toBe(false);
  });
});
