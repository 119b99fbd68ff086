/**
 * The types the Google Cloud emulator shares with whoever drives it: the sample service's
 * runtime, the log filter, tests and the sandbox console.
 */

/** The source of time for every timestamp, the log retention window and the quota window. */
export interface Clock {
  now(): Date;
}

/**
 * A log entry as the Cloud Logging filter sees it. Structurally the same type as the one
 * `logging-filter.ts` exports, so its `compileLogFilter` plugs in unchanged.
 */
export interface LogEntryForFilter {
  logName: string;
  timestamp: Date;
  severity: string;
  textPayload?: string;
  jsonPayload?: Record<string, unknown>;
  resource: { type: string; labels: Record<string, string> };
  labels?: Record<string, string>;
  httpRequest?: { status?: number; requestUrl?: string; latency?: string };
}

/** What `compileLogFilter` returns: a matcher, or why the filter is not valid. */
export type CompiledLogFilter = { ok: true; matches(entry: LogEntryForFilter): boolean } | { ok: false; error: string };

export type CompileLogFilter = (filter: string) => CompiledLogFilter;

/** A line a revision's container writes; the emulator stamps `resource` (and `logName` when absent). */
export type RuntimeLogEntry = Omit<LogEntryForFilter, 'resource' | 'logName'> & { logName?: string };

export interface RevisionStartSpec {
  project: string;
  region: string;
  service: string;
  revision: string;
  image: string;
  /** The container's environment as Cloud Run sets it: the template's env (secrets resolved) plus PORT and K_*. */
  env: Record<string, string>;
  writeLog(entry: RuntimeLogEntry): void;
}

export interface RunningRevision {
  /** Where the container answers, e.g. http://127.0.0.1:PORT. */
  url: string;
  stop(): Promise<void>;
}

/** Runs the container of a revision that is becoming Ready (the sample service implements it). */
export interface RevisionRuntime {
  start(spec: RevisionStartSpec): Promise<RunningRevision | { failed: string }>;
}

/** How long things take. Every value is in wall-clock milliseconds unless its name says otherwise. */
export interface GcpTimings {
  /** A build waits this long in QUEUED before WORKING. */
  readonly buildQueueMs: number;
  /** Each build step (and the push of the images) takes this long. */
  readonly buildStepMs: number;
  /** How much build time each step counts against the build's `timeout` (the platform's clock, in seconds). */
  readonly buildStepSeconds: number;
  /** A new revision takes this long to become Ready (before its container is started). */
  readonly revisionReadyMs: number;
  /** A traffic-only update takes this long to be applied. */
  readonly trafficUpdateMs: number;
}

export const DEFAULT_TIMINGS: GcpTimings = Object.freeze({
  buildQueueMs: 20,
  buildStepMs: 30,
  buildStepSeconds: 60,
  revisionReadyMs: 40,
  trafficUpdateMs: 10,
});

/** A terminal Cloud Build status that a fault can force. */
export type ForcedBuildFailure = 'FAILURE' | 'INTERNAL_ERROR' | 'TIMEOUT' | 'EXPIRED';

/** One RPC the emulator received, in arrival order. */
export interface RecordedCall {
  /** The method name alone, e.g. `UpdateService`, `GetOperation`. */
  readonly rpc: string;
  /** The full gRPC path, e.g. `/google.cloud.run.v2.Services/UpdateService`. */
  readonly path: string;
  /** The request as decoded (int64 as strings, enums as names). */
  readonly request: unknown;
  readonly at: Date;
}
