import { Logging, type Entry } from '@google-cloud/logging';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { z } from 'zod';

import { gcpClientOptions } from '../../../sandbox/gcp/client-options.js';
import { SCAN_BUDGET } from '../../../sandbox/gcp/cloud-logging.js';
import type { GcpEmulator } from '../../../sandbox/gcp/emulator.js';
import { FakeRuntime, httpGet, IMAGE, PROJECT, REGION, rejectionOf, SERVICE, startEmulator } from './helpers.js';

const HOUR = 60 * 60 * 1000;

/** A clock the test moves by hand (the quota window and the 24-hour window read it). */
class ManualClock {
  private current = Date.parse('2026-03-02T10:00:00Z');
  now(): Date {
    return new Date(this.current);
  }
  advance(ms: number): void {
    this.current += ms;
  }
}

let emulator: GcpEmulator;
let clock: ManualClock;
let logging: Logging;
let revision: string;
let serviceUri: string;

function loggingClient(endpoint: string): Logging {
  // Logging's option type lacks sslCreds, though it passes it on to the gRPC client.
  return new Logging({ ...gcpClientOptions(endpoint), projectId: PROJECT });
}

function resourceLabels(entry: Entry): Record<string, string> {
  return z.object({ resource: z.object({ labels: z.record(z.string(), z.string()) }) }).parse(entry.metadata).resource
    .labels;
}

/** A ListLogEntries call as the gapic client sends it, without getEntries' own 24-hour clause. */
function listRaw(client: Logging, request: object): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    client.request<unknown>(
      {
        client: 'LoggingServiceV2Client',
        method: 'listLogEntries',
        reqOpts: request,
        gaxOpts: { autoPaginate: false },
      },
      (error, response) => {
        if (error) reject(error);
        else resolve(z.array(z.unknown()).parse(response));
      },
    );
  });
}

beforeAll(async () => {
  clock = new ManualClock();
  // Entries are stamped with the real time by the fake runtime; the emulator's clock only
  // decides the windows, so keep it close to now for the getEntries tests.
  clock.advance(Date.now() - clock.now().getTime());
  emulator = await startEmulator(new FakeRuntime(), { clock });
  const seeded = await emulator.seedService({
    project: PROJECT,
    region: REGION,
    name: SERVICE,
    image: `${IMAGE}:v1`,
    allowUnauthenticated: true,
  });
  revision = seeded.revisions[0] ?? '';
  serviceUri = seeded.uri;
  await httpGet(`${seeded.uri}/api/health`);
  await httpGet(`${seeded.uri}/api/memory/analyze`);
  const now = clock.now();
  emulator.writeLogEntry({
    logName: `projects/${PROJECT}/logs/run.googleapis.com%2Fstderr`,
    timestamp: now,
    severity: 'ERROR',
    textPayload: 'Traceback (most recent call last): ModuleNotFoundError: No module named app',
    resource: {
      type: 'cloud_run_revision',
      labels: {
        project_id: PROJECT,
        service_name: SERVICE,
        revision_name: revision,
        location: REGION,
        configuration_name: SERVICE,
      },
    },
  });
  emulator.writeLogEntry({
    logName: `projects/${PROJECT}/logs/run.googleapis.com%2Fstdout`,
    timestamp: new Date(now.getTime() - 30 * HOUR),
    severity: 'ERROR',
    jsonPayload: { message: 'an old failure', session_id: 'abc' },
    resource: {
      type: 'cloud_run_revision',
      labels: {
        project_id: PROJECT,
        service_name: SERVICE,
        revision_name: revision,
        location: REGION,
        configuration_name: SERVICE,
      },
    },
  });
  emulator.writeLogEntry({
    logName: 'projects/another-project/logs/run.googleapis.com%2Fstdout',
    timestamp: now,
    severity: 'ERROR',
    textPayload: 'not ours',
    resource: {
      type: 'cloud_run_revision',
      labels: {
        project_id: 'another-project',
        service_name: SERVICE,
        revision_name: 'x',
        location: REGION,
        configuration_name: SERVICE,
      },
    },
  });
  logging = loggingClient(emulator.endpoint);
});

afterAll(async () => {
  await emulator.close();
});

describe('ListLogEntries', () => {
  it('returns the revision logs and request logs, stamped with the cloud_run_revision resource', async () => {
    const [entries] = await logging.getEntries({
      filter: `resource.type="cloud_run_revision" AND resource.labels.revision_name="${revision}"`,
    });
    expect(entries.length).toBeGreaterThanOrEqual(4);
    for (const entry of entries) {
      expect(resourceLabels(entry)).toEqual({
        project_id: PROJECT,
        service_name: SERVICE,
        revision_name: revision,
        location: REGION,
        configuration_name: SERVICE,
      });
    }
    const requests = entries.filter((entry) => entry.metadata.httpRequest?.status === 200);
    expect(requests.map((entry) => entry.metadata.httpRequest?.requestUrl)).toEqual(
      expect.arrayContaining([`${serviceUri}/api/health`, `${serviceUri}/api/memory/analyze`]),
    );
    const texts = entries
      .map((entry): unknown => entry.data)
      .filter((data): data is string => typeof data === 'string');
    expect(texts).toEqual(expect.arrayContaining([expect.stringContaining(`served by ${revision}`)]));
  });

  it('filters by severity, only in the projects asked for', async () => {
    const [entries] = await logging.getEntries({ filter: 'severity>=ERROR' });
    expect(entries.map((entry): unknown => entry.data)).toEqual([
      'Traceback (most recent call last): ModuleNotFoundError: No module named app',
    ]);
  });

  it('only sees the last 24 hours when the filter has no timestamp clause', async () => {
    const recent = await listRaw(logging, { resourceNames: [`projects/${PROJECT}`], filter: 'severity>=ERROR' });
    expect(recent).toHaveLength(1);
    const since = new Date(clock.now().getTime() - 48 * HOUR).toISOString();
    const [older] = await logging.getEntries({ filter: `severity>=ERROR AND timestamp>="${since}"` });
    expect(older).toHaveLength(2);
    expect(older.map((entry): unknown => entry.data)).toEqual(
      expect.arrayContaining([{ message: 'an old failure', session_id: 'abc' }]),
    );
  });

  it('pages with page_size and page_token, oldest first unless told otherwise', async () => {
    const filter = 'resource.type="cloud_run_revision"';
    const [first, next] = await logging.getEntries({ filter, pageSize: 2, autoPaginate: false });
    expect(first).toHaveLength(2);
    expect(next?.pageToken).toBeTruthy();
    // The next page is asked with the previous request's parameters (its filter included).
    const [second] = await logging.getEntries({
      filter: next?.filter ?? '',
      pageSize: 2,
      pageToken: next?.pageToken ?? '',
      autoPaginate: false,
    });
    expect(second.length).toBeGreaterThan(0);
    expect(second.map((entry) => entry.metadata.insertId)).not.toContain(first[0]?.metadata.insertId);
    const forged = await rejectionOf(logging.getEntries({ filter, pageToken: 'not-a-token', autoPaginate: false }));
    expect(forged.code).toBe(GrpcStatus.INVALID_ARGUMENT);
    const [all] = await logging.getEntries({ filter: 'resource.type="cloud_run_revision"', orderBy: 'timestamp asc' });
    const times = all.map((entry) =>
      entry.metadata.timestamp instanceof Date ? entry.metadata.timestamp.getTime() : 0,
    );
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });

  it('refuses an invalid filter, order_by or page_size with INVALID_ARGUMENT', async () => {
    const filter = await rejectionOf(logging.getEntries({ filter: '(severity>=ERROR' }));
    expect(filter.code).toBe(GrpcStatus.INVALID_ARGUMENT);
    expect(filter.message).toContain('unparseable clause');
    const order = await rejectionOf(logging.getEntries({ orderBy: 'severity desc' }));
    expect(order.code).toBe(GrpcStatus.INVALID_ARGUMENT);
    const size = await rejectionOf(listRaw(logging, { resourceNames: [`projects/${PROJECT}`], pageSize: 1001 }));
    expect(size.code).toBe(GrpcStatus.INVALID_ARGUMENT);
  });
});

describe('the entries.list quota', () => {
  it('allows 60 requests a minute a project, then answers RESOURCE_EXHAUSTED until the minute has passed', async () => {
    const local = await startEmulator(new FakeRuntime(), { clock });
    const client = loggingClient(local.endpoint);
    for (let index = 0; index < 60; index += 1) {
      await client.getEntries({ filter: 'severity>=ERROR', pageSize: 1, autoPaginate: false });
    }
    const refused = await rejectionOf(client.getEntries({ filter: 'severity>=ERROR' }));
    expect(refused.code).toBe(GrpcStatus.RESOURCE_EXHAUSTED);
    expect(refused.message).toContain('Quota exceeded');
    clock.advance(61_000);
    await expect(client.getEntries({ filter: 'severity>=ERROR' })).resolves.toBeDefined();
    await local.close();
  });
});

describe('pages cut short by the scan budget', () => {
  it('answers a short, then an empty page with a next page token, as the real backend may', async () => {
    const local = await startEmulator(new FakeRuntime(), { clock });
    const client = loggingClient(local.endpoint);
    const start = clock.now().getTime() - HOUR;
    const write = (revisionName: string, at: number, textPayload: string): void =>
      local.writeLogEntry({
        logName: `projects/${PROJECT}/logs/run.googleapis.com%2Fstdout`,
        timestamp: new Date(at),
        severity: 'INFO',
        textPayload,
        resource: { type: 'cloud_run_revision', labels: { project_id: PROJECT, revision_name: revisionName } },
      });
    // One entry of ours, then two budgets' worth of another revision's, then ours again.
    write('ours', start, 'first');
    for (let index = 1; index <= 2 * SCAN_BUDGET; index += 1) write('noisy', start + index, `noise ${index}`);
    write('ours', start + 2 * SCAN_BUDGET + 1, 'last');
    const filter = `resource.labels.revision_name="ours" AND timestamp>="${new Date(start).toISOString()}"`;

    const pages: { texts: unknown[]; token: string | undefined }[] = [];
    let pageToken: string | undefined;
    do {
      const [entries, next] = await client.getEntries({
        filter,
        orderBy: 'timestamp asc',
        pageSize: 10,
        autoPaginate: false,
        ...(pageToken === undefined ? {} : { pageToken }),
      });
      pageToken = next?.pageToken ?? undefined;
      pages.push({ texts: entries.map((entry): unknown => entry.data), token: pageToken });
    } while (pageToken !== undefined && pages.length < 10);

    expect(pages.map((page) => page.texts)).toEqual([['first'], [], ['last']]);
    expect(pages.map((page) => page.token !== undefined)).toEqual([true, true, false]);
    await local.close();
  });

  it('resumes after the last entry scanned, so entries written between two pages are read once', async () => {
    const local = await startEmulator(new FakeRuntime(), { clock });
    const client = loggingClient(local.endpoint);
    const start = clock.now().getTime() - HOUR;
    const write = (at: number, textPayload: string): void =>
      local.writeLogEntry({
        logName: `projects/${PROJECT}/logs/run.googleapis.com%2Fstdout`,
        timestamp: new Date(at),
        severity: 'INFO',
        textPayload,
        resource: { type: 'cloud_run_revision', labels: { project_id: PROJECT, revision_name: 'ours' } },
      });
    for (let index = 0; index < 4; index += 1) write(start + index, `line ${index}`);
    const filter = `resource.labels.revision_name="ours" AND timestamp>="${new Date(start).toISOString()}"`;
    const [first, next] = await client.getEntries({
      filter,
      orderBy: 'timestamp asc',
      pageSize: 2,
      autoPaginate: false,
    });
    // Behind the boundary (the instant of the first entry): an offset would read an entry twice.
    write(start, 'behind the page boundary');
    write(start + 10, 'line 10');
    const [second] = await client.getEntries({
      filter,
      orderBy: 'timestamp asc',
      pageSize: 10,
      pageToken: next?.pageToken ?? '',
      autoPaginate: false,
    });
    expect([...first, ...second].map((entry): unknown => entry.data)).toEqual([
      'line 0',
      'line 1',
      'line 2',
      'line 3',
      'line 10',
    ]);
    await local.close();
  });
});
