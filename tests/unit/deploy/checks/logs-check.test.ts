import { runLogsCheck, type LogsCheckContext } from '../../../../src/deploy/checks/logs-check.js';
import {
  ExternalError,
  type LogCursor,
  type LogEntry,
  type LogsPort,
  type LogsRead,
} from '../../../../src/deploy/ports/index.js';
import type { LogsCheckSpec } from '../../../../src/deploy/runbook/schema/index.js';

const SINCE = new Date('2026-03-02T10:00:00Z');

let sequence = 0;
function entry(text: string, severity = 'INFO', httpStatus: number | null = null): LogEntry {
  sequence += 1;
  return { insertId: `id-${sequence}`, timestamp: new Date(SINCE.getTime() + sequence), severity, text, httpStatus };
}

/** A LogsPort answering one scripted read per call (then nothing new), recording what it was asked. */
class ScriptedLogs implements LogsPort {
  readonly asked: { cursor: LogCursor | null }[] = [];
  constructor(private readonly reads: (LogEntry[] | Error | { readonly backlog: LogEntry[] })[]) {}

  entriesOfRevision(input: Parameters<LogsPort['entriesOfRevision']>[0]): Promise<LogsRead> {
    const cursor = input.cursor ?? null;
    this.asked.push({ cursor });
    const next = this.reads.shift() ?? [];
    if (next instanceof Error) return Promise.reject(next);
    const entries = 'backlog' in next ? next.backlog : next;
    const last = entries.at(-1);
    return Promise.resolve({
      entries,
      cursor: last === undefined ? cursor : { timestamp: last.timestamp, insertIds: [last.insertId] },
      more: 'backlog' in next,
    });
  }
}

function context(logs: LogsPort): LogsCheckContext & { readonly slept: number[] } {
  let now = Date.parse('2026-03-02T10:01:00Z');
  const slept: number[] = [];
  return {
    logs,
    service: { project: 'p', region: 'r', name: 'emergence-app' },
    revision: 'emergence-app-00042',
    since: SINCE,
    clock: { now: () => new Date(now) },
    sleep: (ms) => {
      slept.push(ms);
      now += ms;
      return Promise.resolve();
    },
    slept,
  };
}

function spec(fields: Partial<LogsCheckSpec>): LogsCheckSpec {
  return { name: 'logs', kind: 'logs', severity: 'required', after: [], timeout: 60_000, waitFor: 20_000, ...fields };
}

describe('runLogsCheck', () => {
  it('says how many entries a check that only forbids read, none forbidden', async () => {
    const logs = new ScriptedLogs([[entry('GET /api/health 200'), entry('started')], [entry('GET /api/analyze 200')]]);
    const measured = await runLogsCheck(spec({ maxSeverity: 'WARNING', noHttpStatusAtLeast: 500 }), context(logs));
    expect(measured).toMatchObject({ ok: true, measured: '3 entries read, none forbidden' });
  });

  it('is no data, never a pass, when it read no entry at all', async () => {
    const measured = await runLogsCheck(spec({ mustNotContain: ['Traceback'] }), context(new ScriptedLogs([])));
    expect(measured).toMatchObject({
      ok: false,
      noData: true,
      measured: 'no data: 0 log entries of emergence-app-00042 read within 20.00 s',
    });
  });

  it('reads after the cursor each poll and judges everything read, not only the last poll', async () => {
    const found = entry('[MemoryAnalyzer] Analyse réussie avec neo_analysis pour session s1');
    const logs = new ScriptedLogs([[found], [entry('GET /api/health 200')], [entry('Cache SAVED pour session s1')]]);
    const measured = await runLogsCheck(
      spec({ mustContain: ['Analyse réussie', 'Cache SAVED'], maxSeverity: 'WARNING' }),
      context(logs),
    );
    expect(measured).toMatchObject({ ok: true, measured: '3 entries read, all as expected' });
    expect(logs.asked.map((ask) => ask.cursor?.insertIds)).toEqual([undefined, [found.insertId], [expect.any(String)]]);
  });

  it('with settledBy, ends one read after the settling line instead of waiting out waitFor', async () => {
    const done = entry('[MemoryAnalyzer] Analyse réussie avec neo_analysis pour session s1');
    const logs = new ScriptedLogs([[entry('GET /api/analyze 200')], [done], [], [], []]);
    const ctx = context(logs);
    const measured = await runLogsCheck(
      spec({ mustContain: ['Cache SAVED pour session'], settledBy: ['Analyse réussie'], severity: 'advisory' }),
      ctx,
    );
    expect(measured).toMatchObject({
      ok: false,
      measured: '2 entries read, missing "Cache SAVED pour session" (its work had finished)',
    });
    // Reads: the first, the one with the settling line, one more; then the answer is in (20 s would be 5 reads).
    expect(logs.asked).toHaveLength(3);
    expect(ctx.slept.reduce((a, b) => a + b, 0)).toBeLessThan(20_000);
  });

  it('with settledBy, a line that arrives in the read after the settling line still counts', async () => {
    const logs = new ScriptedLogs([[entry('Analyse réussie pour session s1')], [entry('Cache SAVED pour session s1')]]);
    const measured = await runLogsCheck(
      spec({ mustContain: ['Cache SAVED pour session'], settledBy: ['Analyse réussie'] }),
      context(logs),
    );
    expect(measured).toMatchObject({ ok: true, measured: '2 entries read, all as expected' });
  });

  it('fails on a forbidden line read in an earlier poll', async () => {
    const logs = new ScriptedLogs([[entry('Traceback: boom', 'ERROR')], [entry('fine')]]);
    const measured = await runLogsCheck(spec({ maxSeverity: 'WARNING' }), context(logs));
    expect(measured).toMatchObject({ ok: false, measured: 'a log above WARNING: ERROR "Traceback: boom"' });
  });

  it('keeps reading a backlog past waitFor until the read is complete', async () => {
    const ctx = context(
      new ScriptedLogs([
        { backlog: [entry('INFO line')] },
        { backlog: [entry('INFO line')] },
        { backlog: [entry('INFO line')] },
        { backlog: [entry('INFO line')] },
        { backlog: [entry('INFO line')] },
        [entry('Worker exited', 'ERROR')],
      ]),
    );
    const measured = await runLogsCheck(spec({ waitFor: 10_000, maxSeverity: 'WARNING' }), ctx);
    expect(measured).toMatchObject({ ok: false, measured: 'a log above WARNING: ERROR "Worker exited"' });
    expect(ctx.slept.reduce((a, b) => a + b, 0)).toBeGreaterThan(10_000);
  });

  it('backs off on rate_limited and is no data when Cloud Logging refused every read', async () => {
    const limited = new ExternalError('cloud-logging', 'rate_limited', 'Quota exceeded');
    const logs = new ScriptedLogs([limited, limited, limited]);
    const measured = await runLogsCheck(spec({ maxSeverity: 'WARNING' }), context(logs));
    expect(measured).toMatchObject({
      ok: false,
      noData: true,
      measured: 'no data: Cloud Logging kept refusing (quota)',
    });
  });

  it('stops polling and sleeping when its signal fires', async () => {
    const controller = new AbortController();
    let reads = 0;
    const logs: LogsPort = {
      entriesOfRevision: () => {
        reads += 1;
        return Promise.resolve({ entries: [], cursor: null, more: false });
      },
    };
    const ctx = context(logs);
    // A sleep that never ends by itself: only the signal can end it.
    const never = new Promise<void>(() => undefined);
    const pending = runLogsCheck(spec({ maxSeverity: 'WARNING' }), {
      ...ctx,
      sleep: () => never,
      signal: controller.signal,
    });
    await new Promise((resolve) => setImmediate(resolve));
    controller.abort(new Error('deadline passed'));
    await expect(pending).rejects.toThrow('deadline passed');
    expect(reads).toBe(1);
  });
});
