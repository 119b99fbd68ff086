import type { FinalReport } from '../../../src/deploy/ports/index.js';
import { finalMessage, stepMessage } from '../../../src/ui/run-thread.js';
import { FAKE, HOSTILE_LINES } from './hostile.js';

const SHAPED = Object.values(FAKE).filter((value) => value !== FAKE.envValue);

describe('the run thread redacts what it quotes', () => {
  it('hides credentials in a step reply, its title and its notification text', () => {
    const message = stepMessage({
      kind: 'failure',
      title: `logs failed: Bearer ${FAKE.bearer}`,
      lines: HOSTILE_LINES,
    });
    const sent = JSON.stringify(message);
    for (const secret of SHAPED) expect(sent).not.toContain(secret);
    expect(message.text).toBe('logs failed: Bearer [redacted]');
  });

  it('hides credentials in the final reason', () => {
    const report: FinalReport = {
      outcome: 'rolled_back',
      requesterId: 'U0DEV',
      runbook: 'phase3',
      service: 'emergence-app',
      revision: null,
      serviceUrl: null,
      deployLogUrl: null,
      reason: `check logs failed: a log above WARNING: ERROR "${HOSTILE_LINES.join(' ')}"`,
      frozenWithCandidate: null,
      freezeOwnerId: null,
    };
    const sent = JSON.stringify(finalMessage(report));
    for (const secret of SHAPED) expect(sent).not.toContain(secret);
  });
});
