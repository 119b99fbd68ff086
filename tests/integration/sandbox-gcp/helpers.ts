/**
 * Small fakes for the emulator's two collaborators, so these tests do not depend on the
 * sample service or the real log filter: a runtime whose revisions are tiny HTTP servers,
 * and a filter compiler for the handful of clauses the tests use.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

import { startGcpEmulatorWith, type GcpEmulator } from '../../../sandbox/gcp/emulator.js';
import type {
  CompiledLogFilter,
  GcpTimings,
  LogEntryForFilter,
  RevisionRuntime,
  RevisionStartSpec,
} from '../../../sandbox/gcp/types.js';

export const PROJECT = 'emergence-prod';
export const REGION = 'europe-west1';
export const SERVICE = 'emergence-app';
export const SERVICE_NAME = `projects/${PROJECT}/locations/${REGION}/services/${SERVICE}`;
export const IMAGE = `${REGION}-docker.pkg.dev/${PROJECT}/app/emergence-app`;

/** A runtime whose containers answer every request with 200 and their revision name. */
export class FakeRuntime implements RevisionRuntime {
  readonly started: RevisionStartSpec[] = [];
  readonly stopped: string[] = [];
  /** Revisions whose start fails with this message. */
  readonly failures = new Map<string, string>();

  private gate: Promise<void> | undefined;

  /** Containers starting from now on wait until the returned function is called. */
  holdStarts(): () => void {
    let release = (): void => undefined;
    this.gate = new Promise<void>((resolve) => {
      release = () => {
        this.gate = undefined;
        resolve();
      };
    });
    return release;
  }

  async start(spec: RevisionStartSpec): Promise<{ url: string; stop(): Promise<void> } | { failed: string }> {
    if (this.gate) await this.gate;
    const failure = this.failures.get(spec.revision);
    if (failure !== undefined) return { failed: failure };
    this.started.push(spec);
    const server = createServer((request, response) => {
      const started = new Date();
      spec.writeLog({
        timestamp: started,
        severity: 'INFO',
        textPayload: `${request.method} ${request.url} served by ${spec.revision}`,
      });
      response.writeHead(200, { 'content-type': 'text/plain' });
      response.end(spec.revision);
      // Like the sample service, the container writes Cloud Run's request log itself.
      spec.writeLog({
        timestamp: started,
        severity: 'INFO',
        logName: `projects/${spec.project}/logs/run.googleapis.com%2Frequests`,
        httpRequest: {
          status: 200,
          requestUrl: `http://${request.headers.host ?? ''}${request.url ?? '/'}`,
          latency: `${(Date.now() - started.getTime()) / 1000}s`,
        },
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    spec.writeLog({ timestamp: new Date(), severity: 'INFO', textPayload: `Listening on port ${port}` });
    return {
      url: `http://127.0.0.1:${port}`,
      stop: async () => {
        this.stopped.push(spec.revision);
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      },
    };
  }
}

/**
 * A stand-in for the Cloud Logging filter language: clauses joined by AND, each
 * `path OP value` with OP one of = != >= <= > < : and a quoted or bare value.
 */
export function fakeCompileLogFilter(filter: string): CompiledLogFilter {
  const clauses: Array<(entry: LogEntryForFilter) => boolean> = [];
  for (const clause of filter.split(/\s+AND\s+/)) {
    const match = /^\s*([A-Za-z_][\w.]*)\s*(>=|<=|!=|=|>|<|:)\s*(?:"([^"]*)"|(\S+))\s*$/.exec(clause);
    if (!match?.[1] || !match[2]) return { ok: false, error: `unparseable clause "${clause}"` };
    const [, path, operator] = match;
    const expected = match[3] ?? match[4] ?? '';
    clauses.push((entry) => compare(read(entry, path), operator, expected));
  }
  return { ok: true, matches: (entry) => clauses.every((clause) => clause(entry)) };
}

const SEVERITY_ORDER = ['DEFAULT', 'DEBUG', 'INFO', 'NOTICE', 'WARNING', 'ERROR', 'CRITICAL', 'ALERT', 'EMERGENCY'];

function read(entry: LogEntryForFilter, path: string): unknown {
  let value: unknown = entry;
  for (const part of path.split('.')) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

function compare(actual: unknown, operator: string, expected: string): boolean {
  if (actual === undefined) return operator === '!=';
  if (actual instanceof Date) {
    const expectedTime = Date.parse(expected);
    return numeric(actual.getTime(), operator, expectedTime);
  }
  if (typeof actual === 'number') return numeric(actual, operator, Number(expected));
  const text = typeof actual === 'string' ? actual : JSON.stringify(actual);
  if (SEVERITY_ORDER.includes(text) && SEVERITY_ORDER.includes(expected)) {
    return numeric(SEVERITY_ORDER.indexOf(text), operator, SEVERITY_ORDER.indexOf(expected));
  }
  if (operator === ':') return text.includes(expected);
  if (operator === '=') return text === expected;
  if (operator === '!=') return text !== expected;
  return false;
}

function numeric(actual: number, operator: string, expected: number): boolean {
  switch (operator) {
    case '=':
    case ':':
      return actual === expected;
    case '!=':
      return actual !== expected;
    case '>=':
      return actual >= expected;
    case '<=':
      return actual <= expected;
    case '>':
      return actual > expected;
    case '<':
      return actual < expected;
    default:
      return false;
  }
}

export const FAST_TIMINGS: Partial<GcpTimings> = {
  buildQueueMs: 10,
  buildStepMs: 15,
  revisionReadyMs: 20,
  trafficUpdateMs: 5,
};

export async function startEmulator(
  runtime: RevisionRuntime = new FakeRuntime(),
  extra: { clock?: { now(): Date }; timings?: Partial<GcpTimings> } = {},
): Promise<GcpEmulator> {
  return startGcpEmulatorWith({
    runtime,
    compileLogFilter: fakeCompileLogFilter,
    timings: { ...FAST_TIMINGS, ...extra.timings },
    ...(extra.clock ? { clock: extra.clock } : {}),
  });
}

/** The gRPC code of a rejected call (GoogleError and ServiceError both carry `code`). */
export async function rejectionOf(promise: Promise<unknown>): Promise<{ code: number; message: string }> {
  try {
    await promise;
  } catch (error: unknown) {
    if (error instanceof Error && 'code' in error && typeof error.code === 'number') {
      return { code: error.code, message: error.message };
    }
    throw error;
  }
  throw new Error('expected the call to fail');
}

export async function httpGet(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  const response = await fetch(url, { headers });
  return { status: response.status, body: await response.text() };
}
