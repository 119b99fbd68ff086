import { ServicesClient, type protos } from '@google-cloud/run';
import { status as GrpcStatus } from '@grpc/grpc-js';

import { gcpClientOptions } from '../../../sandbox/gcp/client-options.js';
import type { GcpEmulator } from '../../../sandbox/gcp/emulator.js';
import { httpGet, IMAGE, PROJECT, REGION, rejectionOf, startEmulator } from './helpers.js';

type IService = protos.google.cloud.run.v2.IService;
type IServiceScaling = protos.google.cloud.run.v2.IServiceScaling;

let emulator: GcpEmulator;
let services: ServicesClient;
let serial = 0;

beforeAll(async () => {
  emulator = await startEmulator();
  services = new ServicesClient(gcpClientOptions(emulator.endpoint));
});

afterAll(async () => {
  await services.close();
  await emulator.close();
});

/** Two revisions: the newer one serves 100 % under tag `live`, the older one is reachable only through tag `old`. */
async function seed(): Promise<{ name: string; uri: string; serving: string; tagOnly: string }> {
  serial += 1;
  const id = `scaled-app-${serial}`;
  const names = [`${id}-00001-old`, `${id}-00002-new`] as const;
  const seeded = await emulator.seedService({
    project: PROJECT,
    region: REGION,
    name: id,
    image: `${IMAGE}:v1`,
    allowUnauthenticated: true,
    revisions: 2,
    revisionNames: names,
    traffic: [
      { revision: names[1], percent: 100, tag: 'live' },
      { revision: names[0], percent: 0, tag: 'old' },
    ],
  });
  return { name: seeded.name, uri: seeded.uri, serving: names[1], tagOnly: names[0] };
}

async function read(name: string): Promise<IService> {
  const [service] = await services.getService({ name });
  return service;
}

/** UpdateService of the service as read, with only `scaling` named in the mask, and waits for it. */
async function setScaling(service: IService, scaling: IServiceScaling): Promise<IService> {
  const [operation] = await services.updateService({
    service: { ...service, scaling },
    updateMask: { paths: ['scaling'] },
  });
  const [result] = await operation.promise();
  return result;
}

const tagUri = (service: IService, tag: string): string => {
  const uri = service.trafficStatuses?.find((status) => status.tag === tag)?.uri;
  if (!uri) throw new Error(`no URL for tag ${tag}`);
  return uri;
};

describe('service-level scaling (google.cloud.run.v2.ServiceScaling)', () => {
  it('stops the traffic split with MANUAL 0, without a revision, and serves again once AUTOMATIC', async () => {
    const { name, uri, serving, tagOnly } = await seed();
    const before = await read(name);
    expect(before.scaling ?? null).toBeNull();
    expect((await httpGet(`${uri}/api/health`)).status).toBe(200);
    const revisionsBefore = emulator.revisions().length;

    await setScaling(before, { scalingMode: 'MANUAL', manualInstanceCount: 0 });
    const stopped = await read(name);
    expect(stopped.scaling).toMatchObject({ scalingMode: 'MANUAL', manualInstanceCount: 0 });
    expect(stopped.etag).not.toBe(before.etag);
    expect(stopped.latestCreatedRevision).toBe(before.latestCreatedRevision);
    expect(stopped.traffic).toEqual(before.traffic);
    expect(emulator.revisions()).toHaveLength(revisionsBefore);

    const refused = await httpGet(`${uri}/api/health`);
    expect(refused.status).toBe(503);
    expect(refused.body).toContain('scaled to 0 instances');
    expect((await httpGet(tagUri(stopped, 'live'))).status).toBe(503);
    // A tag-only revision is outside the split: the docs give it up to one instance for its tag URL.
    expect(await httpGet(tagUri(stopped, 'old'))).toEqual({ status: 200, body: tagOnly });
    const log = emulator
      .logEntries()
      .find((entry) => entry.httpRequest?.status === 503 && entry.resource.labels['revision_name'] === serving);
    expect(log?.severity).toBe('ERROR');

    await setScaling(stopped, { scalingMode: 'AUTOMATIC', minInstanceCount: 1, maxInstanceCount: 4 });
    const resumed = await read(name);
    expect(resumed.scaling).toMatchObject({ scalingMode: 'AUTOMATIC', minInstanceCount: 1, maxInstanceCount: 4 });
    // Back to automatic, the manual count is unset.
    expect(resumed.scaling?.manualInstanceCount ?? null).toBeNull();
    expect(await httpGet(`${uri}/api/health`)).toEqual({ status: 200, body: serving });
    expect(emulator.revisions()).toHaveLength(revisionsBefore);
  });

  it('changes nothing but the masked field, and refuses a stale etag without writing', async () => {
    const { name } = await seed();
    const before = await read(name);
    await setScaling({ ...before, description: 'not in the mask' }, { scalingMode: 'MANUAL', manualInstanceCount: 2 });
    const after = await read(name);
    expect(after.description ?? '').toBe('');
    expect(after.scaling).toMatchObject({ scalingMode: 'MANUAL', manualInstanceCount: 2 });

    const stale = await rejectionOf(
      services.updateService({
        service: { ...before, scaling: { scalingMode: 'MANUAL', manualInstanceCount: 0 } },
        updateMask: { paths: ['scaling'] },
      }),
    );
    expect(stale.code).toBe(GrpcStatus.ABORTED);
    expect((await read(name)).scaling).toMatchObject({ manualInstanceCount: 2 });
  });

  it('takes the service-level minimum as the count when MANUAL comes without one, and unsets min and max', async () => {
    const { name } = await seed();
    await setScaling(await read(name), { scalingMode: 'MANUAL', minInstanceCount: 3 });
    expect((await read(name)).scaling).toMatchObject({
      scalingMode: 'MANUAL',
      manualInstanceCount: 3,
      minInstanceCount: 0,
      maxInstanceCount: 0,
    });
  });

  it.each<[string, IServiceScaling, RegExp]>([
    ['a negative manual count', { scalingMode: 'MANUAL', manualInstanceCount: -1 }, /manual_instance_count/],
    ['a negative minimum', { scalingMode: 'AUTOMATIC', minInstanceCount: -2 }, /min_instance_count/],
    [
      'a minimum above the maximum',
      { scalingMode: 'AUTOMATIC', minInstanceCount: 5, maxInstanceCount: 2 },
      /must not exceed max_instance_count/,
    ],
  ])('refuses %s with INVALID_ARGUMENT and keeps the service as it was', async (_what, scaling, message) => {
    const { name } = await seed();
    const before = await read(name);
    const error = await rejectionOf(
      services.updateService({ service: { ...before, scaling }, updateMask: { paths: ['scaling'] } }),
    );
    expect(error.code).toBe(GrpcStatus.INVALID_ARGUMENT);
    expect(error.message).toMatch(message);
    const after = await read(name);
    expect(after.etag).toBe(before.etag);
    expect(after.scaling ?? null).toBeNull();
  });
});
