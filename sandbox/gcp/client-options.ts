/**
 * Options that point the real Google client libraries at a plaintext gRPC endpoint such as
 * the emulator, without looking for Google credentials.
 */
import { credentials, type ChannelCredentials } from '@grpc/grpc-js';
import { PassThroughClient } from 'google-auth-library';

// A type alias rather than an interface: the clients' option types have an index signature.
export type GcpClientOptions = {
  apiEndpoint: string;
  port: number;
  sslCreds: ChannelCredentials;
  authClient: PassThroughClient;
};

/**
 * `endpoint` is `host:port` (the `GCP_API_ENDPOINT` form). The result suits `ServicesClient`,
 * `RevisionsClient`, `CloudBuildClient` and, with a `projectId` added, `Logging` (whose option
 * type lacks `sslCreds`, though it passes it on).
 */
export function gcpClientOptions(endpoint: string): GcpClientOptions {
  const match = /^(.+):(\d+)$/.exec(endpoint.trim());
  if (!match?.[1] || !match[2]) throw new Error(`GCP endpoint "${endpoint}" is not of the form host:port`);
  return {
    apiEndpoint: match[1],
    port: Number(match[2]),
    sslCreds: credentials.createInsecure(),
    authClient: new PassThroughClient(),
  };
}
