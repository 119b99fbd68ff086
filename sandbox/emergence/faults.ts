/**
 * Faults a sample ÉMERGENCE revision can be put in. The server reads the object on every request,
 * so whoever holds it (a test, the sandbox console through `emergenceRuntime().faults(revision)`)
 * can flip a fault on a running revision by assigning a property.
 */
export interface EmergenceFaults {
  /** `GET /api/health` answers 503 and logs an ERROR (the real one never does: it checks nothing). */
  unhealthy?: boolean | undefined;
  /**
   * Every analysis provider fails (neo_analysis, then the Nexus and Anima fallbacks), so
   * `POST /api/memory/analyze` answers 500. A string names the Python exception type recorded in
   * `memory_analysis_failure_total{error_type}`; `true` means `TimeoutError`.
   */
  analyzeFails?: boolean | string | undefined;
  /** The `already_analyzed` skip path takes this many milliseconds instead of about 2. */
  slowCacheHitMs?: number | undefined;
  /** `POST /api/memory/analyze` answers 503 (the service container is unavailable). */
  unavailable?: boolean | undefined;
  /** `/api/metrics` answers the "Metrics disabled" sentence whatever the environment says. */
  metricsDisabled?: boolean | undefined;
  /** `process_resident_memory_bytes` reports this value (e.g. 2.5 GiB, over the runbook's 2Gi). */
  memoryBytes?: number | undefined;
  /**
   * `GET /api/health` also logs this line at ERROR, as a service that prints a credential in an error message would:
   * the logs check then quotes it, so the line travels to the thread and the deploy log.
   */
  errorLogLine?: string | undefined;
  /** This share (0–1) of every request answers 500, an unhandled exception (seen by synthetic checks too, by chance). */
  errorRate?: number | undefined;
  /** Every request takes this many milliseconds longer. */
  extraLatencyMs?: number | undefined;
  /**
   * Only under real traffic: this share (0–1) of analyses of users' sessions, every session but the revision's
   * `EMERGENCE_TEST_SESSION`, answers 500, as a regression on data the synthetic checks never send would. Checks on the
   * tag URL with the test session all pass; a canary sees it in the users' own requests.
   */
  userErrorRate?: number | undefined;
}

/** The exception type recorded when `analyzeFails` is `true`. */
export const DEFAULT_ANALYSIS_ERROR_TYPE = 'TimeoutError';

/**
 * Markers in an image tag that start a revision with a fault (`…:deploy-20251008-183707-unhealthy`).
 * They let a scenario pick a broken build by its image alone.
 */
export const IMAGE_TAG_FAULT_MARKERS = {
  '-unhealthy': { unhealthy: true },
  '-analyze-fails': { analyzeFails: true },
  '-unavailable': { unavailable: true },
  '-metrics-off': { metricsDisabled: true },
  '-slow-cache': { slowCacheHitMs: 1500 },
  '-memory-hog': { memoryBytes: 2_684_354_560 },
  '-user-errors': { userErrorRate: 0.04 },
  '-slow-requests': { extraLatencyMs: 400 },
} as const satisfies Record<string, EmergenceFaults>;

/** The faults an image's tag asks for (empty when its tag has no marker). */
export function faultsFromImage(image: string): EmergenceFaults {
  const tag = imageTag(image);
  const faults: EmergenceFaults = {};
  if (tag === undefined) return faults;
  for (const [marker, fault] of Object.entries(IMAGE_TAG_FAULT_MARKERS)) {
    if (tag.includes(marker)) Object.assign(faults, fault);
  }
  return faults;
}

/** The tag of `registry/path/name:tag` (undefined for a digest or no tag). */
export function imageTag(image: string): string | undefined {
  const withoutDigest = image.split('@')[0] ?? image;
  const lastSlash = withoutDigest.lastIndexOf('/');
  const colon = withoutDigest.indexOf(':', lastSlash + 1);
  return colon === -1 ? undefined : withoutDigest.slice(colon + 1);
}
