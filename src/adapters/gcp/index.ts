/** The Google Cloud adapters: Cloud Build, Cloud Run and Cloud Logging behind the pipeline's ports. */
export { createGcpClients, parseApiEndpoint, type GcpClients, type GcpClientsOptions } from './clients.js';
export { cloudBuildAdapter, type CloudBuildAdapterOptions } from './cloud-build-adapter.js';
export { cloudRunAdapter, type CloudRunAdapterOptions } from './cloud-run-adapter.js';
export { cloudLoggingAdapter, type CloudLoggingAdapterOptions } from './cloud-logging-adapter.js';
export { mergeEnv, type SecretRef } from './run-template.js';
