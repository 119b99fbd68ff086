export {
  startEmergenceService,
  EmergenceStartupError,
  HEALTH_BODY,
  METRICS_DISABLED_BODY,
  MISSING_PYTHONPATH_ERROR,
  ANALYSIS_PROVIDER,
  type EmergenceLogEntry,
  type EmergenceService,
  type EmergenceServiceOptions,
  type EmergenceSeverity,
} from './service.js';
export {
  emergenceRuntime,
  type EmergenceRuntime,
  type EmergenceRuntimeOptions,
  type RevisionRuntime,
  type RevisionStartSpec,
} from './runtime.js';
export {
  DEFAULT_ANALYSIS_ERROR_TYPE,
  IMAGE_TAG_FAULT_MARKERS,
  faultsFromImage,
  imageTag,
  type EmergenceFaults,
} from './faults.js';
export {
  ANALYSED_SESSION_ID,
  EMPTY_HISTORY_SESSION_ID,
  NO_CHANGES_SESSION_ID,
  SEED_RUNBOOK_SESSION_ID,
  USER_SESSION_IDS,
  EmergenceSessionStore,
  defaultSessionSeeds,
  type EmergenceMessage,
  type EmergenceSessionSeed,
  type SessionAnalysis,
} from './sessions.js';
export { ANALYSIS_DURATION_BUCKETS } from './metrics.js';
export { PROMETHEUS_CONTENT_TYPES, renderPrometheusText, type ExpositionVersion } from './prometheus.js';
