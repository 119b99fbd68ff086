/**
 * The Google Cloud emulator: Cloud Build v1, Cloud Run Admin v2, Cloud Logging v2, Cloud Monitoring v3
 * (ListTimeSeries) and google.longrunning.Operations on one plaintext gRPC port, for `GCP_API_ENDPOINT`.
 */
import { startGcpEmulatorWith, type GcpEmulator, type GcpEmulatorOptions } from './emulator.js';
import { compileLogFilter } from './logging-filter.js';

export { gcpClientOptions, type GcpClientOptions } from './client-options.js';
export { startGcpEmulatorWith, type GcpEmulator, type GcpEmulatorOptions } from './emulator.js';
export type { GcpFaults } from './faults.js';
export type { BuildView, TriggerSeed } from './cloud-build.js';
export type { RevisionView, SeededService, SeedServiceOptions, ServiceView } from './cloud-run.js';
export type { StoredLogEntry } from './cloud-logging.js';
export {
  CLOUD_RUN_LATENCY_BUCKETS,
  DEFAULT_MONITORING_OPTIONS,
  REQUEST_COUNT,
  REQUEST_LATENCIES,
  type ExponentialBuckets,
  type MonitoringOptions,
  type RequestSample,
} from './monitoring/metrics.js';
export type { StoredImage } from './registry.js';
export {
  DEFAULT_TIMINGS,
  type Clock,
  type CompileLogFilter,
  type ForcedBuildFailure,
  type GcpTimings,
  type LogEntryForFilter,
  type RecordedCall,
  type RevisionRuntime,
  type RevisionStartSpec,
  type RunningRevision,
  type RuntimeLogEntry,
} from './types.js';

/**
 * Starts the emulator on 127.0.0.1 with the Cloud Logging filter language of
 * `logging-filter.ts`. `endpoint` is the value for `GCP_API_ENDPOINT`; `close()` stops it all.
 */
export function startGcpEmulator(
  options: Omit<GcpEmulatorOptions, 'compileLogFilter'> & Partial<Pick<GcpEmulatorOptions, 'compileLogFilter'>>,
): Promise<GcpEmulator> {
  return startGcpEmulatorWith({ ...options, compileLogFilter: options.compileLogFilter ?? compileLogFilter });
}
