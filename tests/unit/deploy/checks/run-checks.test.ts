import { runChecks, type CheckRunContext } from '../../../../src/deploy/checks/run-checks.js';
import type { HttpProbe, HttpProbeResult, LogsPort, Prober, StartTimer } from '../../../../src/deploy/ports/index.js';
import type { CheckSpec } from '../../../../src/deploy/runbook/schema/index.js';

const STARTED = new Date('2026-03-02T10:00:00Z');

/** A prober whose requests never answer until their signal fires; counts what it was sent. */
class HangingProber implements Prober {
  readonly sent: HttpProbe[] = [];
  readonly aborted: HttpProbe[] = [];
  request(probe: HttpProbe, signal?: AbortSignal): Promise<HttpProbeResult> {
    this.sent.push(probe);
    return new Promise((resolve) => {
      signal?.addEventListener('abort', () => {
        this.aborted.push(probe);
        resolve({ ok: false, error: 'aborted', latencyMs: 0 });
      });
    });
  }
}

function context(fields: Partial<CheckRunContext>): CheckRunContext {
  const logs: LogsPort = { entriesOfRevision: () => Promise.resolve({ entries: [], cursor: null, more: false }) };
  return {
    prober: new HangingProber(),
    logs,
    baseUrl: 'https://candidate---emergence-app.a.run.app',
    service: { project: 'p', region: 'r', name: 'emergence-app' },
    revision: 'emergence-app-00042',
    deployStartedAt: STARTED,
    revisionReadyAt: STARTED,
    // A clock that never moves: only a check's deadline can end a check that waits on it.
    clock: { now: () => new Date(STARTED.getTime() + 1000) },
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.min(ms, 10))),
    ...fields,
  };
}

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('runChecks deadlines', () => {
  it('stops a logs check at its deadline: no read is issued after it', async () => {
    let reads = 0;
    const logs: LogsPort = {
      entriesOfRevision: () => {
        reads += 1;
        return Promise.resolve({ entries: [], cursor: null, more: false });
      },
    };
    const check: CheckSpec = {
      name: 'no-errors',
      kind: 'logs',
      severity: 'required',
      after: [],
      timeout: 100,
      waitFor: 60_000,
      maxSeverity: 'WARNING',
    };
    const [result] = await runChecks([check], context({ logs }), () => Promise.resolve());
    expect(result).toMatchObject({ outcome: 'no_data', measured: 'no answer within 100 ms' });
    const atDeadline = reads;
    expect(atDeadline).toBeGreaterThan(0);
    await pause(100);
    expect(reads).toBe(atDeadline);
  });

  it('aborts the request in flight of an http check at its deadline and sends no further sample', async () => {
    const prober = new HangingProber();
    const check: CheckSpec = {
      name: 'health',
      kind: 'http',
      severity: 'required',
      after: [],
      timeout: 100,
      method: 'GET',
      path: '/api/health',
      samples: 5,
      expect: { status: [200] },
    };
    const [result] = await runChecks([check], context({ prober }), () => Promise.resolve());
    expect(result).toMatchObject({ outcome: 'no_data', measured: 'no answer within 100 ms' });
    await pause(50);
    expect(prober.sent).toHaveLength(1);
    expect(prober.aborted).toHaveLength(1);
  });

  it('ends a check through the injected timer: a one-minute deadline passes at once, and is cancelled when unused', async () => {
    const prober = new HangingProber();
    const timers: { fire: () => void; ms: number; cancelled: boolean }[] = [];
    const startTimer: StartTimer = (fire, ms) => {
      const timer = { fire, ms, cancelled: false };
      timers.push(timer);
      return () => (timer.cancelled = true);
    };
    const check: CheckSpec = {
      name: 'health',
      kind: 'http',
      severity: 'required',
      after: [],
      timeout: 60_000,
      method: 'GET',
      path: '/api/health',
      samples: 1,
      expect: { status: [200] },
    };
    const running = runChecks([check], context({ prober, startTimer }), () => Promise.resolve());
    await pause(0);
    expect(timers.map((t) => t.ms)).toEqual([60_000]);
    timers[0]?.fire();
    const [result] = await running;
    expect(result).toMatchObject({ outcome: 'no_data', measured: 'no answer within 60.00 s' });
    expect(prober.aborted).toHaveLength(1);

    const startup: CheckSpec = {
      name: 'startup',
      kind: 'startup',
      severity: 'required',
      after: [],
      timeout: 60_000,
      maxSeconds: 30,
    };
    await runChecks([startup], context({ startTimer }), () => Promise.resolve());
    expect(timers[1]).toMatchObject({ ms: 60_000, cancelled: true });
  });
});
