/**
 * The Google Cloud SDK clients Liftoff uses (Cloud Build, Cloud Run, Cloud Logging, Cloud Monitoring), built once by the composition root.
 *
 * With `apiEndpoint` (`GCP_API_ENDPOINT`, `host:port`) every client talks plaintext gRPC to that endpoint and never
 * looks for Google credentials (FACTS.md: without a `PassThroughClient` the first call wastes time searching for
 * them). Without it the clients use Google's own endpoints with Application Default Credentials.
 */
import { CloudBuildClient } from '@google-cloud/cloudbuild';
import { Logging } from '@google-cloud/logging';
import { MetricServiceClient } from '@google-cloud/monitoring';
import { RevisionsClient, ServicesClient } from '@google-cloud/run';
import { credentials } from '@grpc/grpc-js';
import { PassThroughClient } from 'google-auth-library';
import type { ClientOptions } from 'google-gax';

export interface GcpClients {
  readonly cloudBuild: CloudBuildClient;
  readonly services: ServicesClient;
  readonly revisions: RevisionsClient;
  readonly logging: Logging;
  readonly monitoring: MetricServiceClient;
  /** Closes every gRPC channel the clients opened. */
  close(): Promise<void>;
}

export interface GcpClientsOptions {
  /** `host:port` of a plaintext gRPC server (the emulator); unset: Google's endpoints with ADC. */
  readonly apiEndpoint?: string;
  /** Needed by Cloud Logging against an endpoint; with ADC it is detected when unset. */
  readonly projectId?: string;
}

/** Splits `host:port`; a bracketed IPv6 host keeps its address without the brackets. */
export function parseApiEndpoint(endpoint: string): { readonly host: string; readonly port: number } {
  const match = /^\[?([^\]]+?)\]?:(\d{1,5})$/.exec(endpoint.trim());
  const host = match?.[1];
  const port = Number(match?.[2]);
  if (host === undefined || !Number.isInteger(port) || port < 1 || port > 65_535) {
    throw new Error(`GCP_API_ENDPOINT "${endpoint}" is not of the form host:port`);
  }
  return { host, port };
}

/** Creates the clients. Nothing connects until the first call. */
export function createGcpClients(options: GcpClientsOptions = {}): GcpClients {
  const projectId = options.projectId === undefined ? {} : { projectId: options.projectId };
  let common: ClientOptions = projectId;
  if (options.apiEndpoint !== undefined) {
    const { host, port } = parseApiEndpoint(options.apiEndpoint);
    common = {
      ...projectId,
      apiEndpoint: host,
      port,
      sslCreds: credentials.createInsecure(),
      authClient: new PassThroughClient(),
    };
  }
  const cloudBuild = new CloudBuildClient(common);
  const services = new ServicesClient(common);
  const revisions = new RevisionsClient(common);
  // Logging's option type lacks sslCreds, though it hands it on to its gRPC clients.
  const logging = new Logging(common);
  const monitoring = new MetricServiceClient(common);
  let closing: Promise<void> | undefined;
  return {
    cloudBuild,
    services,
    revisions,
    logging,
    monitoring,
    close() {
      closing ??= Promise.all([
        cloudBuild.close(),
        services.close(),
        revisions.close(),
        monitoring.close(),
        closeInner(logging, 'loggingService'),
        closeInner(logging, 'configService'),
      ]).then(() => undefined);
      return closing;
    },
  };
}

/**
 * `Logging` has no `close()`; its generated clients do, but its type declares them as constructors rather than
 * the instances they are, so they are reached by name and checked before use.
 */
async function closeInner(owner: object, key: string): Promise<void> {
  const inner: unknown = Reflect.get(owner, key);
  if (inner === null || typeof inner !== 'object') return;
  const close: unknown = Reflect.get(inner, 'close');
  if (typeof close === 'function') await Promise.resolve(close.call(inner));
}
