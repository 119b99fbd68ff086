/** The Google Cloud adapters: Cloud Build, Cloud Run, Cloud Logging and Cloud Monitoring behind the domain's ports. */
export { createGcpClients, parseApiEndpoint, type GcpClients, type GcpClientsOptions } from './clients.js';
export { cloudBuildAdapter, type CloudBuildAdapterOptions } from './cloud-build-adapter.js';
export { cloudRunAdapter, type CloudRunAdapterOptions } from './cloud-run-adapter.js';
export { cloudLoggingAdapter, type CloudLoggingAdapterOptions } from './cloud-logging-adapter.js';
export {
  cloudMonitoringAdapter,
  type CloudMonitoringAdapterOptions,
  type TimeSeriesLister,
} from './cloud-monitoring-adapter.js';
export { mergeEnv, type SecretRef } from './run-template.js';
