import { LogLevel, type Logger } from '@slack/logger';

import type { ThreadReporter } from '../../../src/deploy/ports/index.js';
import type { Run } from '../../../src/deploy/run.js';
import { redactingLogger, redactingReporter } from '../../../src/bot/redaction.js';
import { FAKE } from '../ui/hostile.js';

function capturingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const write = (...msg: unknown[]): void => {
    lines.push(msg.map(String).join(' '));
  };
  return {
    lines,
    debug: write,
    info: write,
    warn: write,
    error: write,
    setLevel: () => undefined,
    getLevel: () => LogLevel.DEBUG,
    setName: () => undefined,
  };
}

describe('redactingLogger', () => {
  it('redacts strings, errors and objects at every level, known shapes and the listed values', () => {
    const inner = capturingLogger();
    const logger = redactingLogger(inner, () => [FAKE.envValue]);
    logger.info(`posting with ${FAKE.slack}`);
    logger.warn('env', { PARTNER_API_KEY: FAKE.envValue });
    logger.error('upload failed', new Error(`401 for Bearer ${FAKE.bearer}`));
    logger.debug(`token=${FAKE.github}`, 42);
    const all = inner.lines.join('\n');
    for (const secret of [FAKE.slack, FAKE.envValue, FAKE.bearer, FAKE.github]) expect(all).not.toContain(secret);
    expect(inner.lines[0]).toBe('posting with [redacted]');
    expect(inner.lines[3]).toBe('token=[redacted] 42');
    expect(logger.getLevel()).toBe(LogLevel.DEBUG);
  });
});

describe('redactingReporter', () => {
  it("redacts the run's runbook env values from everything the thread is given", async () => {
    const seen: unknown[] = [];
    const inner: ThreadReporter = {
      postStatus: (_run, view) => {
        seen.push(view);
        return Promise.resolve('1.1');
      },
      updateStatus: (_run, _ts, view) => {
        seen.push(view);
        return Promise.resolve();
      },
      postStep: (_run, report) => {
        seen.push(report);
        return Promise.resolve('1.2');
      },
      postFinal: (_run, report) => {
        seen.push(report);
        return Promise.resolve('1.3');
      },
      postCanary: () => Promise.resolve('1.4'),
      updateCanary: () => Promise.resolve(),
      permalink: () => Promise.resolve(null),
    };
    const reporter = redactingReporter(inner, (run) => (run.runbook === 'phase3' ? [FAKE.envValue] : []));
    const run = { runbook: 'phase3' } as Run;
    await reporter.postStep(run, { kind: 'failure', title: `key ${FAKE.envValue}`, lines: [`x ${FAKE.envValue}`] });
    await reporter.postFinal(run, {
      outcome: 'failed',
      requesterId: 'U0DEV',
      runbook: 'phase3',
      service: 'emergence-app',
      revision: null,
      serviceUrl: null,
      deployLogUrl: null,
      reason: `refused ${FAKE.envValue}`,
      frozenWithCandidate: null,
      freezeOwnerId: null,
    });
    expect(JSON.stringify(seen)).not.toContain(FAKE.envValue);
    expect(JSON.stringify(seen)).toContain('[redacted]');
  });
});
