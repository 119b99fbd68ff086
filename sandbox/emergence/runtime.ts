/**
 * Runs sample ÉMERGENCE revisions for the Cloud Run emulator: each revision its own server on
 * 127.0.0.1, its own metrics and in-memory cache, its own live faults; revisions of one service
 * share a session store, as real revisions share the database.
 *
 * Faults of a revision come from, in order: the object `faultsFor(revision, image)` returns
 * (used as is, so its holder keeps a live handle), then markers in the image tag for any fault
 * that object leaves unset (see {@link IMAGE_TAG_FAULT_MARKERS}: `…:deploy-20251008-183707-unhealthy`
 * starts unhealthy). `runtime.faults(revision)` returns the same live object while the revision runs.
 */
import { faultsFromImage, type EmergenceFaults } from './faults.js';
import type { ExpositionVersion } from './prometheus.js';
import {
  EmergenceStartupError,
  startEmergenceService,
  type EmergenceService,
  type EmergenceSeverity,
} from './service.js';
import { EmergenceSessionStore, type EmergenceSessionSeed } from './sessions.js';

export { IMAGE_TAG_FAULT_MARKERS } from './faults.js';

/** What the Cloud Run emulator asks of a revision's container (structurally shared with it). */
export interface RevisionRuntime {
  start(spec: {
    project: string;
    region: string;
    service: string;
    revision: string;
    image: string;
    env: Record<string, string>;
    writeLog(entry: {
      timestamp: Date;
      severity: string;
      textPayload?: string;
      jsonPayload?: Record<string, unknown>;
      httpRequest?: { requestMethod?: string; requestUrl?: string; status?: number; latency?: string };
      logName?: string;
    }): void;
  }): Promise<{ url: string; stop(): Promise<void> } | { failed: string }>;
}

export type RevisionStartSpec = Parameters<RevisionRuntime['start']>[0];

export interface EmergenceRuntimeOptions {
  /** Initial faults for a revision; the returned object itself becomes the live faults. */
  faultsFor?(revision: string, image: string): EmergenceFaults | undefined;
  /** How long a forced analysis takes, in ms (default 1500; production took 4.6–6.3 s). */
  readonly analysisMs?: number;
  readonly skipPathMs?: number;
  readonly startupMs?: number;
  readonly exposition?: ExpositionVersion;
  readonly rateLimitPerMinute?: number;
  readonly maxBodyBytes?: number;
  /** Sessions each service's database starts with (default: the seed runbook's and a few more). */
  readonly sessions?: readonly EmergenceSessionSeed[];
  readonly forceCountsCacheMiss?: boolean;
  readonly plainTextSeverity?: EmergenceSeverity;
  readonly clock?: { now(): Date };
  readonly sleep?: (ms: number) => Promise<void>;
}

export interface EmergenceRuntime extends RevisionRuntime {
  /** The live faults of a started (or starting) revision; assign properties to flip them. */
  faults(revision: string): EmergenceFaults | undefined;
  /** The running service of a revision, for tests that want its metrics or URL. */
  service(revision: string): EmergenceService | undefined;
  /** The database shared by a service's revisions. */
  store(project: string, region: string, service: string): EmergenceSessionStore;
  /** Stops every revision still running. */
  stopAll(): Promise<void>;
}

/** A {@link RevisionRuntime} whose containers are sample ÉMERGENCE backends. */
export function emergenceRuntime(options: EmergenceRuntimeOptions = {}): EmergenceRuntime {
  const faultsByRevision = new Map<string, EmergenceFaults>();
  const services = new Map<string, EmergenceService>();
  const stores = new Map<string, EmergenceSessionStore>();

  const store = (project: string, region: string, service: string): EmergenceSessionStore => {
    const key = `${project}/${region}/${service}`;
    let found = stores.get(key);
    if (found === undefined) {
      found = new EmergenceSessionStore(options.sessions);
      stores.set(key, found);
    }
    return found;
  };

  const initialFaults = (revision: string, image: string): EmergenceFaults => {
    const fromImage = faultsFromImage(image);
    const given = options.faultsFor?.(revision, image);
    if (given === undefined) return fromImage;
    for (const [key, value] of Object.entries(fromImage) as [keyof EmergenceFaults, unknown][]) {
      if (given[key] === undefined) Object.assign(given, { [key]: value });
    }
    return given;
  };

  return {
    async start(spec) {
      const faults = initialFaults(spec.revision, spec.image);
      faultsByRevision.set(spec.revision, faults);
      try {
        const service = await startEmergenceService({
          revision: spec.revision,
          env: spec.env,
          faults,
          writeLog: (entry) => spec.writeLog(entry),
          project: spec.project,
          store: store(spec.project, spec.region, spec.service),
          ...definedOnly({
            clock: options.clock,
            sleep: options.sleep,
            analysisMs: options.analysisMs,
            skipPathMs: options.skipPathMs,
            startupMs: options.startupMs,
            exposition: options.exposition,
            rateLimitPerMinute: options.rateLimitPerMinute,
            maxBodyBytes: options.maxBodyBytes,
            forceCountsCacheMiss: options.forceCountsCacheMiss,
            plainTextSeverity: options.plainTextSeverity,
          }),
        });
        services.set(spec.revision, service);
        return {
          url: service.url,
          stop: async () => {
            services.delete(spec.revision);
            faultsByRevision.delete(spec.revision);
            await service.stop();
          },
        };
      } catch (error: unknown) {
        faultsByRevision.delete(spec.revision);
        if (error instanceof EmergenceStartupError) return { failed: error.message };
        throw error;
      }
    },
    faults: (revision) => faultsByRevision.get(revision),
    service: (revision) => services.get(revision),
    store,
    async stopAll() {
      const running = [...services.values()];
      services.clear();
      faultsByRevision.clear();
      await Promise.all(running.map((service) => service.stop()));
    },
  };
}

/** Drops undefined properties, so optional options stay absent under exactOptionalPropertyTypes. */
function definedOnly<T extends Record<string, unknown>>(record: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined)) as {
    [K in keyof T]?: Exclude<T[K], undefined>;
  };
}
