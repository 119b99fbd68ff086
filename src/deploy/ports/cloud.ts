/**
 * The ports the deploy pipeline needs from the outside world. Adapters implement them with the real SDKs
 * (octokit, @google-cloud/cloudbuild, @google-cloud/run, @google-cloud/logging); tests point those SDKs at the
 * emulators in sandbox/. Values are normalised at the adapter edge: no Long, no numeric enums, no SDK types here.
 */
import type { TrafficTarget } from '../plan.js';
import type { BuildSource } from '../runbook/schema/index.js';

/** Where a Cloud Run service lives. */
export interface ServiceLocation {
  readonly project: string;
  readonly region: string;
  readonly name: string;
}

/** A failure of an outside service, with a stable code the pipeline can act on and a message for people. */
export class ExternalError extends Error {
  constructor(
    readonly service: 'github' | 'cloud-build' | 'cloud-run' | 'cloud-logging' | 'http',
    readonly code:
      'unavailable' | 'not_found' | 'conflict' | 'rejected' | 'rate_limited' | 'unauthenticated' | 'timeout',
    message: string,
  ) {
    super(message);
    this.name = 'ExternalError';
  }
}

// ---------------------------------------------------------------- Cloud Build

export const BUILD_STATUSES = [
  'STATUS_UNKNOWN',
  'PENDING',
  'QUEUED',
  'WORKING',
  'SUCCESS',
  'FAILURE',
  'INTERNAL_ERROR',
  'TIMEOUT',
  'CANCELLED',
  'EXPIRED',
] as const;
export type BuildStatus = (typeof BUILD_STATUSES)[number];
export const TERMINAL_BUILD_STATUSES: readonly BuildStatus[] = [
  'SUCCESS',
  'FAILURE',
  'INTERNAL_ERROR',
  'TIMEOUT',
  'CANCELLED',
  'EXPIRED',
];

export interface BuildSnapshot {
  readonly id: string;
  readonly status: BuildStatus;
  /** Cloud Build's own explanation of a failure, when it gives one. */
  readonly statusDetail: string | null;
  readonly logUrl: string | null;
  readonly startedAt: Date | null;
  readonly finishedAt: Date | null;
  /** The step running now (or the last one), e.g. 'docker build'. */
  readonly currentStep: string | null;
  readonly images: readonly { readonly name: string; readonly digest: string | null }[];
}

export interface BuildPort {
  /** Starts the build and returns as soon as Cloud Build has given it an id (before it finishes). */
  startBuild(input: {
    readonly project: string;
    readonly region: string;
    readonly source: BuildSource;
    /** owner/name of the GitHub repository, for sources that need it. */
    readonly repo: string;
    readonly commitSha: string;
    readonly image: string;
    readonly timeoutMs: number;
    readonly machineType?: string;
    /** Written on the build as a tag, so a restarted Liftoff finds the build instead of starting another. */
    readonly runId: string;
  }): Promise<{ readonly buildId: string; readonly logUrl: string | null }>;
  /** The build carrying this run's tag, if one was started. */
  findBuildOfRun(input: {
    readonly project: string;
    readonly region: string;
    readonly runId: string;
  }): Promise<BuildSnapshot | undefined>;
  getBuild(input: {
    readonly project: string;
    readonly region: string;
    readonly buildId: string;
  }): Promise<BuildSnapshot>;
  cancelBuild(input: { readonly project: string; readonly region: string; readonly buildId: string }): Promise<void>;
}

// ---------------------------------------------------------------- Cloud Run

export interface TrafficStatus {
  readonly revision: string | null;
  readonly latest: boolean;
  readonly percent: number;
  readonly tag: string | null;
  /** The URL Cloud Run reports for a tagged target: the only URL a tagged revision is verified through. */
  readonly uri: string | null;
}

/**
 * Service-level scaling (google.cloud.run.v2.ServiceScaling), which applies to every revision that receives traffic
 * and changes without a new revision. `manual` with 0 instances is the emergency stop.
 */
export type ServiceScaling =
  | {
      readonly mode: 'automatic';
      /** 0 when unset. */
      readonly minInstances: number;
      /** null when unset: Cloud Run's default (quota-bound) applies. */
      readonly maxInstances: number | null;
    }
  | { readonly mode: 'manual'; readonly instances: number };

export interface ServiceSnapshot {
  readonly etag: string;
  readonly uri: string | null;
  /** The traffic as configured (spec). */
  readonly traffic: readonly TrafficTarget[];
  /** The traffic as Cloud Run serves it, with the tag URLs. */
  readonly trafficStatuses: readonly TrafficStatus[];
  /** Short revision names. */
  readonly latestReadyRevision: string | null;
  readonly latestCreatedRevision: string | null;
  readonly image: string | null;
  /** Env var names and whether each is a plain value or a secret reference. Values never leave the adapter. */
  readonly env: readonly { readonly name: string; readonly source: 'value' | 'secret' }[];
  /** memory, cpu, timeoutSeconds, minInstances, maxInstances, as strings (for the plan). */
  readonly settings: Readonly<Record<string, string>>;
  /** Service-level scaling; `automatic` with nothing set when the service has none. */
  readonly scaling: ServiceScaling;
}

export interface RevisionSnapshot {
  readonly name: string;
  readonly state: 'ready' | 'failed' | 'pending';
  /** Cloud Run's own condition message when it is not ready. */
  readonly message: string | null;
  readonly image: string | null;
  readonly createdAt: Date | null;
}

export interface DeploySettings {
  readonly memory: string;
  readonly cpu: string;
  readonly timeoutSeconds: number;
  readonly minInstances: number;
  readonly maxInstances: number;
  readonly concurrency?: number;
}

export type ServiceUpdateResult =
  | { readonly ok: true; readonly service: ServiceSnapshot }
  /** The etag moved: someone else changed the service. Nothing was written. */
  | { readonly ok: false; readonly reason: 'conflict'; readonly message: string }
  /** The new revision could not get ready (image import, startup probe, crash): Cloud Run's own message. */
  | { readonly ok: false; readonly reason: 'revision_failed'; readonly message: string }
  /** Cloud Run refused the request (invalid argument, permission). */
  | { readonly ok: false; readonly reason: 'rejected'; readonly message: string }
  /** The deadline passed before the operation finished. */
  | { readonly ok: false; readonly reason: 'timeout'; readonly message: string };

export interface CloudRunPort {
  getService(service: ServiceLocation): Promise<ServiceSnapshot>;
  /**
   * Creates the revision `revision` with the image and settings; `env` is MERGED into the service's current env
   * (other variables and secret references are kept); `traffic` is the full list to send. Sends the etag and waits
   * until the operation is done (the revision Ready) or the deadline passes.
   */
  deployRevision(input: {
    readonly service: ServiceLocation;
    readonly etag: string;
    readonly revision: string;
    readonly image: string;
    readonly settings: DeploySettings;
    readonly env: Readonly<Record<string, string>>;
    /** Env vars taken from Secret Manager, merged the same way. */
    readonly secrets: Readonly<Record<string, { readonly secret: string; readonly version: string }>>;
    readonly traffic: readonly TrafficTarget[];
    readonly deadline: Date;
  }): Promise<ServiceUpdateResult>;
  /** Sends the full traffic list (with the etag) and waits for it to be served. */
  setTraffic(input: {
    readonly service: ServiceLocation;
    readonly etag: string;
    readonly traffic: readonly TrafficTarget[];
    readonly deadline: Date;
  }): Promise<ServiceUpdateResult>;
  /**
   * Changes only the service-level scaling (with the etag), which creates no revision and leaves the traffic as it
   * is, and waits until Cloud Run applies it.
   */
  setServiceScaling(input: {
    readonly service: ServiceLocation;
    readonly etag: string;
    readonly scaling: ServiceScaling;
    readonly deadline: Date;
  }): Promise<ServiceUpdateResult>;
  getRevision(service: ServiceLocation, revision: string): Promise<RevisionSnapshot | undefined>;
  /** Newest first. */
  listRevisions(service: ServiceLocation, limit: number): Promise<readonly RevisionSnapshot[]>;
  /** Makes sure `allUsers` has `roles/run.invoker` on the service; says whether it had to add it. */
  ensurePublicInvoker(service: ServiceLocation): Promise<'present' | 'added'>;
}

// ---------------------------------------------------------------- Cloud Logging

export interface LogEntry {
  /** Unique among the entries of a timestamp: what tells apart entries already read from new ones. */
  readonly insertId: string;
  readonly timestamp: Date;
  readonly severity: string;
  readonly text: string;
  readonly httpStatus: number | null;
}

/** Where a read of a revision's logs stopped: the newest entry read, so the next read starts after it. */
export interface LogCursor {
  readonly timestamp: Date;
  /** The ids of the entries read at `timestamp` (several entries may share one), skipped by the next read. */
  readonly insertIds: readonly string[];
}

/** One read of a revision's logs. */
export interface LogsRead {
  /** New entries since the cursor given, oldest first. */
  readonly entries: readonly LogEntry[];
  /** Give it to the next read to get only newer entries (the cursor given when nothing was read). */
  readonly cursor: LogCursor | null;
  /** The read stopped at its budget (entries or requests), not at the end: more entries may be waiting. */
  readonly more: boolean;
}

export interface LogsPort {
  /**
   * Entries of one revision since a time (resource.type="cloud_run_revision", service_name, revision_name and a
   * timestamp clause are always in the filter), oldest first, at most `limit`, after `cursor` when given. Several
   * requests may be made, within the adapter's budget; a refusal of the first is `rate_limited`. Stops issuing
   * requests, and rejects with the signal's reason, once `signal` fires.
   */
  entriesOfRevision(input: {
    readonly service: ServiceLocation;
    readonly revision: string;
    readonly since: Date;
    readonly extraFilter?: string;
    readonly limit: number;
    readonly cursor?: LogCursor | null;
    readonly signal?: AbortSignal;
  }): Promise<LogsRead>;
}

// ---------------------------------------------------------------- HTTP

export interface HttpProbe {
  readonly baseUrl: string;
  readonly method: string;
  readonly path: string;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
}

export type HttpProbeResult =
  | {
      readonly ok: true;
      readonly status: number;
      readonly contentType: string | null;
      readonly body: string;
      readonly latencyMs: number;
    }
  | { readonly ok: false; readonly error: string; readonly latencyMs: number };

export interface Prober {
  /** Sends the probe; when `signal` fires, an in-flight request is aborted and answered `ok: false`. */
  request(probe: HttpProbe, signal?: AbortSignal): Promise<HttpProbeResult>;
}
