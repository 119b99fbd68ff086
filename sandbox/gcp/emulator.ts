/**
 * One plaintext gRPC server on 127.0.0.1 that speaks Cloud Build v1, Cloud Run Admin v2,
 * Cloud Logging v2, Cloud Monitoring v3 (ListTimeSeries) and google.longrunning.Operations, for the real Google client libraries
 * pointed at it (`GCP_API_ENDPOINT`). It is meant to be as strict as the platform, never
 * kinder; the modules say where each rule comes from and where a choice had to be made.
 */
import { Server, ServerCredentials } from '@grpc/grpc-js';

import { CloudBuild, type BuildView, type TriggerSeed } from './cloud-build.js';
import { CloudLogging, type StoredLogEntry } from './cloud-logging.js';
import { CloudMonitoring } from './cloud-monitoring.js';
import {
  CloudRun,
  type RevisionView,
  type SeededService,
  type SeedServiceOptions,
  type ServiceView,
} from './cloud-run.js';
import { Faults, type GcpFaults } from './faults.js';
import { DEFAULT_MONITORING_OPTIONS, type MonitoringOptions, type RequestSample } from './monitoring/metrics.js';
import { OperationStore } from './operations.js';
import { loadGcpProtos } from './protos.js';
import { ArtifactRegistry, type StoredImage } from './registry.js';
import { implement, type RpcContext } from './rpc.js';
import { Scheduler } from './scheduler.js';
import {
  DEFAULT_TIMINGS,
  type Clock,
  type CompileLogFilter,
  type GcpTimings,
  type LogEntryForFilter,
  type RecordedCall,
  type RevisionRuntime,
} from './types.js';

export interface GcpEmulatorOptions {
  /** Port on 127.0.0.1; 0 (the default) picks a free one. */
  readonly port?: number;
  /** Starts the container of each revision that becomes Ready. */
  readonly runtime: RevisionRuntime;
  readonly clock?: Clock;
  readonly timings?: Partial<GcpTimings>;
  /** The Cloud Logging filter language; `startGcpEmulator` from `index.ts` supplies the real one. */
  readonly compileLogFilter: CompileLogFilter;
  /**
   * Draws each service URL request's revision by the traffic split, uniform in [0, 1) (default `Math.random`);
   * `seededRandom(seed)` makes a run repeatable.
   */
  readonly random?: () => number;
  /** Cloud Monitoring: the reporting delay (default 180 s, as Cloud Run's request metrics) and latency buckets. */
  readonly monitoring?: Partial<MonitoringOptions>;
}

export interface GcpEmulator {
  /** `127.0.0.1:PORT`, the value for `GCP_API_ENDPOINT`. */
  readonly endpoint: string;
  readonly port: number;
  readonly faults: GcpFaults;
  /** Every RPC received, oldest first. */
  readonly calls: readonly RecordedCall[];
  /** Creates a service as `gcloud run deploy` would, its revisions Ready and running. */
  seedService(options: SeedServiceOptions): Promise<SeededService>;
  /** Creates a build trigger; returns its id. */
  seedTrigger(trigger: TriggerSeed): string;
  /** Puts an image in the registry (creating its Artifact Registry repository); returns its digest. */
  seedImage(image: string, digest?: string): string;
  /** Creates an Artifact Registry repository, `LOCATION-docker.pkg.dev/PROJECT/REPOSITORY`. */
  seedRepository(repository: string): void;
  /** Creates a Secret Manager secret version that revisions can read. */
  seedSecret(project: string, secret: string, value: string, version?: string): void;
  /** Writes a log entry as if a revision or the platform had. */
  writeLogEntry(entry: LogEntryForFilter): void;
  services(): ServiceView[];
  revisions(): RevisionView[];
  builds(): BuildView[];
  images(): StoredImage[];
  logEntries(): readonly StoredLogEntry[];
  /** Every request a revision got through a service or tag URL, as Cloud Monitoring counts them, oldest first. */
  requestSamples(): readonly RequestSample[];
  /** Stops every build and rollout, closes every URL and the gRPC server, stops the revisions. */
  close(): Promise<void>;
}

/** Starts the emulator with an explicit log filter compiler. */
export async function startGcpEmulatorWith(options: GcpEmulatorOptions): Promise<GcpEmulator> {
  const protos = loadGcpProtos();
  const clock = options.clock ?? { now: () => new Date() };
  const timings: GcpTimings = { ...DEFAULT_TIMINGS, ...options.timings };
  const faults = new Faults();
  const scheduler = new Scheduler();
  const calls: RecordedCall[] = [];
  const registry = new ArtifactRegistry();
  const logging = new CloudLogging(clock, options.compileLogFilter);
  const operations = new OperationStore(protos);
  const monitoring = new CloudMonitoring(clock, { ...DEFAULT_MONITORING_OPTIONS, ...options.monitoring });
  const build = new CloudBuild({
    clock,
    faults,
    scheduler,
    timings,
    registry,
    logging,
    operations,
    definition: protos.cloudBuild,
  });
  const run = new CloudRun({
    clock,
    faults,
    scheduler,
    timings,
    registry,
    logging,
    operations,
    runtime: options.runtime,
    servicesDefinition: protos.runServices,
    random: options.random ?? Math.random,
    requestMetrics: monitoring,
  });

  const context: RpcContext = { clock, faults, calls, sleep: (ms) => scheduler.sleep(ms) };
  const server = new Server();
  server.addService(protos.cloudBuild, implement(protos.cloudBuild, context, build.handlers()));
  server.addService(protos.runServices, implement(protos.runServices, context, run.servicesHandlers()));
  server.addService(protos.runRevisions, implement(protos.runRevisions, context, run.revisionsHandlers()));
  server.addService(protos.logging, implement(protos.logging, context, logging.handlers()));
  server.addService(protos.monitoringMetrics, implement(protos.monitoringMetrics, context, monitoring.handlers()));
  server.addService(protos.operations, implement(protos.operations, context, operations.handlers()));

  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`127.0.0.1:${options.port ?? 0}`, ServerCredentials.createInsecure(), (error, bound) => {
      if (error) reject(error);
      else resolve(bound);
    });
  });

  let closing: Promise<void> | undefined;
  return {
    endpoint: `127.0.0.1:${port}`,
    port,
    faults,
    calls,
    seedService: (seed) => run.seedService(seed),
    seedTrigger: (trigger) => build.seedTrigger(trigger),
    seedImage: (image, digest) => registry.seed(image, digest),
    seedRepository: (repository) => registry.createRepository(repository),
    seedSecret: (project, secret, value, version) => run.seedSecret(project, secret, value, version),
    writeLogEntry: (entry) => {
      logging.write(entry);
    },
    services: () => run.listServiceViews(),
    revisions: () => run.listRevisionViews(),
    builds: () => build.list(),
    images: () => registry.list(),
    logEntries: () => logging.entries(),
    requestSamples: () => monitoring.samples(),
    close: () => {
      closing ??= (async () => {
        scheduler.stop();
        await run.close();
        await new Promise<void>((resolve) => {
          const force = setTimeout(() => {
            server.forceShutdown();
            resolve();
          }, 500);
          server.tryShutdown(() => {
            clearTimeout(force);
            resolve();
          });
        });
      })();
      return closing;
    },
  };
}
