import { SCAN_BUDGET } from '../../../sandbox/gcp/cloud-logging.js';
import { cloudLoggingAdapter } from '../../../src/adapters/gcp/cloud-logging-adapter.js';
import { runChecks } from '../../../src/deploy/checks/run-checks.js';
import type { LogsPort, ServiceLocation } from '../../../src/deploy/ports/index.js';
import type { CheckSpec } from '../../../src/deploy/runbook/schema/index.js';
import { CURRENT_TAG, httpGet, IMAGE, PROJECT, REGION, rejectionOf, startSandbox, type Sandbox } from './helpers.js';

let sandbox: Sandbox;
let logs: LogsPort;
let where: ServiceLocation;
let older: string;
let newer: string;
let uri: string;
let seededAt: Date;

function write(revision: string, at: Date, entry: { textPayload?: string; jsonPayload?: Record<string, unknown> }) {
  sandbox.emulator.writeLogEntry({
    logName: `projects/${PROJECT}/logs/run.googleapis.com%2Fstdout`,
    timestamp: at,
    severity: 'WARNING',
    ...entry,
    resource: {
      type: 'cloud_run_revision',
      labels: { project_id: PROJECT, service_name: where.name, revision_name: revision, location: REGION },
    },
  });
}

beforeAll(async () => {
  sandbox = await startSandbox();
  logs = cloudLoggingAdapter(sandbox.clients);
  where = { project: PROJECT, region: REGION, name: 'emergence-app' };
  seededAt = new Date(Date.now() - 1000);
  const seeded = await sandbox.emulator.seedService({
    ...where,
    image: `${IMAGE}:${CURRENT_TAG}`,
    env: { PYTHONPATH: '/app' },
    allowUnauthenticated: true,
    revisions: 2,
    traffic: 'pinned',
  });
  [older = '', newer = ''] = seeded.revisions;
  uri = seeded.uri;
});

afterAll(() => sandbox.close());

function listCalls(): number {
  return sandbox.emulator.calls.filter((call) => call.rpc === 'ListLogEntries').length;
}

/** Writes `count` entries of `revision`, 1 ms apart from `from` on; returns the time after the last one. */
function writeMany(revision: string, from: Date, count: number, severity: string, text: (index: number) => string) {
  for (let index = 0; index < count; index += 1) {
    sandbox.emulator.writeLogEntry({
      logName: `projects/${PROJECT}/logs/run.googleapis.com%2Fstdout`,
      timestamp: new Date(from.getTime() + index),
      severity,
      textPayload: text(index),
      resource: {
        type: 'cloud_run_revision',
        labels: { project_id: PROJECT, service_name: where.name, revision_name: revision, location: REGION },
      },
    });
  }
  return new Date(from.getTime() + count);
}

function lastListRequest(): unknown {
  return sandbox.emulator.calls.filter((call) => call.rpc === 'ListLogEntries').at(-1)?.request;
}

it('reads one revision’s entries since a time, oldest first, with the filter and order it must send', async () => {
  const since = new Date();
  await httpGet(`${uri}/api/health`);
  await httpGet(`${uri}/api/nope`);
  write(older, new Date(), { textPayload: 'from the older revision' });
  write(newer, new Date(since.getTime() - 60_000), { textPayload: 'before the time asked' });

  const { entries } = await logs.entriesOfRevision({ service: where, revision: newer, since, limit: 50 });

  expect(entries.map((entry) => [entry.httpStatus, entry.severity])).toEqual([
    [200, 'INFO'],
    [404, 'WARNING'],
  ]);
  expect(entries.every((entry) => entry.timestamp >= since)).toBe(true);
  expect(entries[0]?.timestamp.getTime()).toBeLessThanOrEqual(entries[1]?.timestamp.getTime() ?? 0);
  expect(lastListRequest()).toMatchObject({
    resourceNames: [`projects/${PROJECT}`],
    filter:
      `resource.type="cloud_run_revision" AND resource.labels.service_name="emergence-app" AND ` +
      `resource.labels.revision_name="${newer}" AND timestamp>="${since.toISOString()}"`,
    orderBy: 'timestamp asc',
    pageSize: 50,
  });
});

it('reads the startup lines of a revision, the text of text payloads and of JSON payloads', async () => {
  const at = new Date();
  write(newer, at, { jsonPayload: { message: 'Cache SAVED for session abc', severity: 'WARNING' } });
  write(newer, at, { jsonPayload: { event: 'no message here', count: 2 } });

  const { entries } = await logs.entriesOfRevision({ service: where, revision: newer, since: seededAt, limit: 1000 });
  const texts = entries.map((entry) => entry.text);

  expect(texts).toContain('INFO:     Started server process [1]');
  expect(texts).toContain('Cache SAVED for session abc');
  expect(texts).toContain(JSON.stringify({ event: 'no message here', count: 2 }));
  expect(texts).not.toContain('from the older revision');
  const startup = entries.find((entry) => entry.text === 'INFO:     Started server process [1]');
  expect(startup).toMatchObject({ severity: 'INFO', httpStatus: null, timestamp: expect.any(Date) as unknown });
});

it('adds the extra filter in parentheses and honours the limit', async () => {
  await httpGet(`${uri}/api/health`);
  await httpGet(`${uri}/api/health`);
  const { entries: requests } = await logs.entriesOfRevision({
    service: where,
    revision: newer,
    since: seededAt,
    extraFilter: 'httpRequest.status>=200 OR severity>=ERROR',
    limit: 2,
  });
  expect(requests).toHaveLength(2);
  expect(requests.every((entry) => entry.httpStatus !== null && entry.httpStatus >= 200)).toBe(true);
  expect(lastListRequest()).toMatchObject({
    filter: expect.stringMatching(/ AND \(httpRequest\.status>=200 OR severity>=ERROR\)$/) as unknown,
    pageSize: 2,
  });

  expect(
    await logs.entriesOfRevision({ service: where, revision: newer, since: new Date(Date.now() + 60_000), limit: 5 }),
  ).toEqual({ entries: [], cursor: null, more: false });
});

it('says rejected for a filter Cloud Logging cannot read', async () => {
  const error = await rejectionOf(
    logs.entriesOfRevision({ service: where, revision: newer, since: seededAt, extraFilter: 'severity>=(', limit: 5 }),
  );
  expect(error).toMatchObject({ name: 'ExternalError', service: 'cloud-logging', code: 'rejected' });
});

it('says rate_limited once the 60 reads a minute of a project are spent', async () => {
  // Another project, so the quota of the service's project is left for the other tests.
  const elsewhere = { ...where, project: 'emergence-quota' };
  const read = () => logs.entriesOfRevision({ service: elsewhere, revision: newer, since: seededAt, limit: 1 });
  for (let index = 0; index < 60; index += 1) await read();
  const error = await rejectionOf(read());
  expect(error).toMatchObject({ name: 'ExternalError', service: 'cloud-logging', code: 'rate_limited' });
  expect((error as Error).message).toContain('Quota exceeded');
});

describe('reading past the first page', () => {
  it('finds an ERROR written after 1,500 INFO lines, following the page token', async () => {
    const revision = 'emergence-app-bulk-1';
    const since = new Date(Date.now() - 10 * 60_000);
    const after = writeMany(revision, since, 1500, 'INFO', (index) => `GET /api/health ${index}`);
    writeMany(revision, after, 1, 'ERROR', () => 'Traceback: KeyError neo_analysis');
    const before = listCalls();

    const read = await logs.entriesOfRevision({ service: where, revision, since, limit: 3000 });

    expect(read.entries).toHaveLength(1501);
    expect(read.entries.at(-1)).toMatchObject({ severity: 'ERROR', text: 'Traceback: KeyError neo_analysis' });
    expect(read.more).toBe(false);
    expect(listCalls() - before).toBe(2);
  });

  it('goes on past a short page that ends at the scan budget with a token', async () => {
    const revision = 'emergence-app-bulk-2';
    const since = new Date(Date.now() - 9 * 60_000);
    let at = writeMany(revision, since, 1, 'INFO', () => 'INFO:     Started server process [1]');
    // Entries of another revision in between: the backend scans them for this query without returning them.
    at = writeMany('emergence-app-noisy', at, SCAN_BUDGET + 500, 'INFO', (index) => `noise ${index}`);
    writeMany(revision, at, 1, 'ERROR', () => 'Worker exited with code 3');

    const read = await logs.entriesOfRevision({ service: where, revision, since, limit: 1000 });

    expect(read.entries.map((entry) => entry.severity)).toEqual(['INFO', 'ERROR']);
  });

  it('reads only the entries a second read has not seen, those of the last instant included', async () => {
    const revision = 'emergence-app-bulk-3';
    const since = new Date(Date.now() - 8 * 60_000);
    const at = writeMany(revision, since, 3, 'INFO', (index) => `first ${index}`);
    const first = await logs.entriesOfRevision({ service: where, revision, since, limit: 1000 });
    expect(first.entries.map((entry) => entry.text)).toEqual(['first 0', 'first 1', 'first 2']);
    const last = first.entries.at(-1);
    expect(first.cursor).toEqual({ timestamp: last?.timestamp, insertIds: [last?.insertId] });

    // One entry at the very instant of the last one read, one later.
    writeMany(revision, new Date(at.getTime() - 1), 1, 'WARNING', () => 'same instant');
    writeMany(revision, at, 1, 'ERROR', () => 'later');
    const second = await logs.entriesOfRevision({ service: where, revision, since, limit: 1000, cursor: first.cursor });

    expect(second.entries.map((entry) => entry.text)).toEqual(['same instant', 'later']);
    expect(lastListRequest()).toMatchObject({
      filter: expect.stringContaining(`timestamp>="${last?.timestamp.toISOString() ?? ''}"`) as unknown,
    });
    const third = await logs.entriesOfRevision({ service: where, revision, since, limit: 1000, cursor: second.cursor });
    expect(third).toEqual({ entries: [], cursor: second.cursor, more: false });
  });

  it('stops at its budget of requests a read and says more may be waiting', async () => {
    const revision = 'emergence-app-bulk-4';
    const since = new Date(Date.now() - 7 * 60_000);
    writeMany(revision, since, 25, 'INFO', (index) => `line ${index}`);
    const small = cloudLoggingAdapter(sandbox.clients, { maxPagesPerRead: 2 });
    const before = listCalls();

    const read = await small.entriesOfRevision({ service: where, revision, since, limit: 20 });

    expect(read.entries).toHaveLength(20);
    expect(read.more).toBe(true);
    expect(listCalls() - before).toBe(1);
    const rest = await small.entriesOfRevision({ service: where, revision, since, limit: 20, cursor: read.cursor });
    expect(rest.entries.map((entry) => entry.text)).toEqual(['line 20', 'line 21', 'line 22', 'line 23', 'line 24']);
  });
});

describe('cancelling', () => {
  afterEach(() => sandbox.emulator.faults.delay('ListLogEntries', 0));

  it('issues no request once the signal has fired, and gives up a request in flight when it fires', async () => {
    const before = listCalls();
    const fired = new AbortController();
    fired.abort(new Error('deadline passed'));
    const early = await rejectionOf(
      logs.entriesOfRevision({ service: where, revision: newer, since: seededAt, limit: 5, signal: fired.signal }),
    );
    expect(early).toMatchObject({ message: 'deadline passed' });
    expect(listCalls()).toBe(before);

    sandbox.emulator.faults.delay('ListLogEntries', 3000);
    const controller = new AbortController();
    const started = Date.now();
    const pending = rejectionOf(
      logs.entriesOfRevision({ service: where, revision: newer, since: seededAt, limit: 5, signal: controller.signal }),
    );
    setTimeout(() => controller.abort(new Error('deadline passed')), 100);
    expect(await pending).toMatchObject({ message: 'deadline passed' });
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('a logs check past its deadline stops reading the logs', async () => {
    const check = {
      name: 'no-errors',
      kind: 'logs',
      severity: 'required',
      after: [],
      timeout: 300,
      waitFor: 60_000,
      maxSeverity: 'WARNING',
    } as const satisfies Extract<CheckSpec, { kind: 'logs' }>;
    // A clock that never moves: only the check's deadline can end it.
    const stillClock = { now: () => new Date(seededAt.getTime() + 1000) };
    const results = await runChecks(
      [check],
      {
        prober: { request: () => Promise.reject(new Error('no HTTP in this test')) },
        logs,
        baseUrl: uri,
        service: where,
        // A revision with no entries: the check keeps waiting for some.
        revision: 'emergence-app-quiet',
        deployStartedAt: seededAt,
        revisionReadyAt: null,
        clock: stillClock,
        sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.min(ms, 40))),
      },
      () => Promise.resolve(),
    );
    expect(results[0]).toMatchObject({ outcome: 'no_data', measured: 'no answer within 300 ms' });
    const atDeadline = listCalls();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(listCalls()).toBe(atDeadline);
  });
});
