import {
  startEmergenceService,
  type EmergenceLogEntry,
  type EmergenceService,
  type EmergenceServiceOptions,
} from '../../../sandbox/emergence/index.js';

export const BASE_ENV = { PYTHONPATH: '/app/src', CONCEPT_RECALL_METRICS_ENABLED: 'true' } as const;

export interface Started {
  readonly service: EmergenceService;
  readonly logs: EmergenceLogEntry[];
  readonly url: (path: string) => string;
}

/** Starts a service with fast analyses and collects its log entries. */
export async function startService(overrides: Partial<EmergenceServiceOptions> = {}): Promise<Started> {
  const logs: EmergenceLogEntry[] = [];
  const service = await startEmergenceService({
    revision: 'emergence-app-00275-abc',
    env: BASE_ENV,
    analysisMs: 20,
    project: 'emergence-469005',
    writeLog: (entry) => logs.push(entry),
    ...overrides,
  });
  return { service, logs, url: (path) => `${service.url}${path}` };
}

export async function postAnalyze(started: Started, body: unknown): Promise<{ status: number; body: unknown }> {
  const response = await fetch(started.url('/api/memory/analyze'), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

export async function scrape(started: Started): Promise<string> {
  const response = await fetch(started.url('/api/metrics'));
  expect(response.status).toBe(200);
  return response.text();
}

export interface Series {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly value: number;
}

/** Parses the text exposition's sample lines (the label values in this service need no unescaping). */
export function parseSamples(text: string): Series[] {
  return text
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
      if (!match) throw new Error(`not a sample line: ${line}`);
      const labels: Record<string, string> = {};
      for (const pair of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
        labels[pair[1] ?? ''] = pair[2] ?? '';
      }
      const raw = match[3] ?? '';
      const value = raw === '+Inf' ? Infinity : raw === '-Inf' ? -Infinity : Number(raw);
      return { name: match[1] ?? '', labels, value };
    });
}

/** The value of one series, or undefined when the exposition does not have it. */
export function valueOf(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const wanted = Object.entries(labels);
  return parseSamples(text).find(
    (series) =>
      series.name === name &&
      Object.keys(series.labels).length === wanted.length &&
      wanted.every(([key, value]) => series.labels[key] === value),
  )?.value;
}

export function textLines(logs: readonly EmergenceLogEntry[]): string[] {
  return logs.flatMap((entry) => (entry.textPayload === undefined ? [] : [entry.textPayload]));
}

/** A clock that only moves when the service sleeps, so long analyses take no real time. */
export function steppingClock(start = Date.UTC(2026, 10, 24, 10, 0, 0)): {
  clock: { now(): Date };
  sleep: (ms: number) => Promise<void>;
  advance: (ms: number) => void;
} {
  let now = start;
  return {
    clock: { now: () => new Date(now) },
    sleep: (ms) => {
      now += ms;
      return Promise.resolve();
    },
    advance: (ms) => {
      now += ms;
    },
  };
}
