import { randomBytes } from 'node:crypto';
import type { Logger } from '@slack/logger';
import { cloudBuildAdapter } from '../adapters/gcp/cloud-build-adapter.js';
import { createGcpClients } from '../adapters/gcp/clients.js';
import { cloudLoggingAdapter } from '../adapters/gcp/cloud-logging-adapter.js';
import { cloudMonitoringAdapter } from '../adapters/gcp/cloud-monitoring-adapter.js';
import { cloudRunAdapter } from '../adapters/gcp/cloud-run-adapter.js';
import { createOctokit } from '../adapters/github/github-client.js';
import { githubRepoAdapter } from '../adapters/github/github-repo-adapter.js';
import { httpProber } from '../adapters/http/http-prober.js';
import { liveFactsFromPorts } from '../deploy/live-facts.js';

import type {
  BuildPort,
  CanaryMeasurementsPort,
  CloudRunPort,
  LiveFactsReader,
  LogsPort,
  Prober,
  RepoPort,
} from '../deploy/ports/index.js';
import type { Clock } from '../deploy/ports/index.js';
import type { Config } from './config.js';

export interface CloudPorts {
  readonly repo: RepoPort;
  readonly build: BuildPort;
  readonly cloudRun: CloudRunPort;
  readonly logs: LogsPort;
  readonly prober: Prober;
  /** Per-revision request counts and latencies from Cloud Monitoring, which a canary is judged on. */
  readonly canaryMeasurements?: CanaryMeasurementsPort;
  readonly liveFacts: LiveFactsReader;
  /** This process in leases and outbox claims. */
  readonly instanceId: string;
  close(): Promise<void>;
}

/**
 * The real adapters over the official SDKs: Google Cloud at GCP_API_ENDPOINT (or Google's own endpoints with
 * Application Default Credentials), GitHub at GITHUB_API_URL with GITHUB_TOKEN.
 */
export function createCloudPorts(options: {
  readonly config: Config;
  readonly clock: Clock;
  readonly logger: Logger;
  /** 'test' turns octokit's throttling and retries off (tests and the sandbox see every failure once). */
  readonly githubMode?: 'production' | 'test';
}): CloudPorts {
  const { config, clock, logger } = options;
  const clients = createGcpClients({
    ...(config.gcpApiEndpoint === undefined
      ? {}
      : { apiEndpoint: config.gcpApiEndpoint, projectId: 'liftoff-emulated' }),
  });
  const octokit = createOctokit({
    mode: options.githubMode ?? 'production',
    ...(config.github.token === undefined ? {} : { token: config.github.token }),
    ...(config.github.apiUrl === undefined ? {} : { baseUrl: config.github.apiUrl }),
    log: { warn: (m) => logger.warn(m), info: (m) => logger.debug(m) },
  });
  const repo = githubRepoAdapter(octokit);
  const cloudRun = cloudRunAdapter(clients, { clock });
  return {
    repo,
    build: cloudBuildAdapter(clients, { clock }),
    cloudRun,
    logs: cloudLoggingAdapter(clients, {}),
    prober: httpProber({}),
    canaryMeasurements: cloudMonitoringAdapter(clients, { clock }),
    liveFacts: liveFactsFromPorts({ repo, cloudRun, clock }),
    instanceId: `liftoff-${process.pid}-${randomBytes(3).toString('hex')}`,
    close: () => clients.close(),
  };
}
