/**
 * The emulator with its real collaborators: the sample ÉMERGENCE service as the revision
 * runtime and the Cloud Logging filter language of `logging-filter.ts`.
 */
import { Logging } from '@google-cloud/logging';
import { ServicesClient } from '@google-cloud/run';
import { status as GrpcStatus } from '@grpc/grpc-js';

import { emergenceRuntime, type EmergenceRuntime } from '../../../sandbox/emergence/index.js';
import { gcpClientOptions, startGcpEmulator, type GcpEmulator } from '../../../sandbox/gcp/index.js';
import { httpGet, IMAGE, PROJECT, REGION, rejectionOf, SERVICE, SERVICE_NAME } from './helpers.js';

let emulator: GcpEmulator;
let runtime: EmergenceRuntime;
let services: ServicesClient;
let logging: Logging;
let uri: string;

beforeAll(async () => {
  runtime = emergenceRuntime();
  emulator = await startGcpEmulator({ runtime, timings: { revisionReadyMs: 20, trafficUpdateMs: 5 } });
  ({ uri } = await emulator.seedService({
    project: PROJECT,
    region: REGION,
    name: SERVICE,
    image: `${IMAGE}:deploy-20251008-183707`,
    env: { PYTHONPATH: '/app', EMERGENCE_ENV: 'production' },
    allowUnauthenticated: true,
  }));
  services = new ServicesClient(gcpClientOptions(emulator.endpoint));
  logging = new Logging({ ...gcpClientOptions(emulator.endpoint), projectId: PROJECT });
});

afterAll(async () => {
  await services.close();
  await emulator.close();
  await runtime.stopAll();
});

it('serves the sample service on the service URL and finds its request log with a real filter', async () => {
  const health = await httpGet(`${uri}/api/health`);
  expect(health.status).toBe(200);
  expect(JSON.parse(health.body)).toEqual({ status: 'ok', message: 'Emergence Backend is running.' });

  const [entries] = await logging.getEntries({
    filter: `log_id("run.googleapis.com/requests") AND resource.labels.service_name="${SERVICE}" AND httpRequest.status=200`,
  });
  expect(entries.map((entry) => entry.metadata.httpRequest?.requestUrl)).toContain(`${uri}/api/health`);

  const invalid = await rejectionOf(logging.getEntries({ filter: 'severity>=(' }));
  expect(invalid.code).toBe(GrpcStatus.INVALID_ARGUMENT);
});

it('fails a deploy that drops PYTHONPATH with the container start failure, and keeps serving the old revision', async () => {
  emulator.seedImage(`${IMAGE}:deploy-20251009-073931`);
  const [service] = await services.getService({ name: SERVICE_NAME });
  const container = service.template?.containers?.[0] ?? {};
  const [operation] = await services.updateService({
    service: {
      ...service,
      template: {
        ...service.template,
        containers: [
          {
            ...container,
            image: `${IMAGE}:deploy-20251009-073931`,
            env: [{ name: 'EMERGENCE_ENV', value: 'production' }],
          },
        ],
      },
    },
  });
  const error = await rejectionOf(operation.promise());
  expect(error.message).toContain('is not ready and cannot serve traffic');
  expect(error.message).toContain("No module named 'backend'");
  expect((await httpGet(`${uri}/api/health`)).status).toBe(200);
});
