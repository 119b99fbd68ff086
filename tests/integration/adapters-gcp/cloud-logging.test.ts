import { cloudLoggingAdapter } from '../../../src/adapters/gcp/cloud-logging-adapter.js';
import type { LogsPort, ServiceLocation } from '../../../src/deploy/pipeline/ports.js';
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

function lastListRequest(): unknown {
  return sandbox.emulator.calls.filter((call) => call.rpc === 'ListLogEntries').at(-1)?.request;
}

it('reads one revision’s entries since a time, oldest first, with the filter and order it must send', async () => {
  const since = new Date();
  await httpGet(`${uri}/api/health`);
  await httpGet(`${uri}/api/nope`);
  write(older, new Date(), { textPayload: 'from the older revision' });
  write(newer, new Date(since.getTime() - 60_000), { textPayload: 'before the time asked' });

  const entries = await logs.entriesOfRevision({ service: where, revision: newer, since, limit: 50 });

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

  const entries = await logs.entriesOfRevision({ service: where, revision: newer, since: seededAt, limit: 1000 });
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
  const requests = await logs.entriesOfRevision({
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
  ).toEqual([]);
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
