import { ServicesClient } from '@google-cloud/run';
import { status as GrpcStatus } from '@grpc/grpc-js';

import { gcpClientOptions } from '../../../sandbox/gcp/client-options.js';
import type { GcpEmulator } from '../../../sandbox/gcp/emulator.js';
import { httpGet, IMAGE, PROJECT, REGION, rejectionOf, startEmulator } from './helpers.js';

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

afterEach(() => emulator.faults.reset());

async function seedPrivate(): Promise<{ name: string; uri: string; revisions: readonly string[] }> {
  serial += 1;
  return emulator.seedService({
    project: PROJECT,
    region: REGION,
    name: `private-app-${serial}`,
    image: `${IMAGE}:v1`,
  });
}

describe('invoker IAM', () => {
  it('answers 403 without the allUsers invoker binding, like production once did, and logs it', async () => {
    const { name, uri, revisions } = await seedPrivate();
    const refused = await httpGet(`${uri}/api/health`);
    expect(refused.status).toBe(403);
    expect(refused.body).toContain('Error: Forbidden');
    expect(refused.body).toContain('/api/health');
    const withToken = await httpGet(`${uri}/api/health`, { authorization: 'Bearer some-identity-token' });
    expect(withToken).toEqual({ status: 200, body: revisions[0] });

    const log = emulator
      .logEntries()
      .find(
        (entry) => entry.httpRequest?.status === 403 && entry.resource.labels['service_name'] === name.split('/').pop(),
      );
    expect(log?.severity).toBe('WARNING');
    expect(log?.textPayload).toContain('The request was not authenticated.');
  });

  it('lets everyone in once allUsers has roles/run.invoker, with an etag-guarded read-modify-write', async () => {
    const { name, uri } = await seedPrivate();
    const [policy] = await services.getIamPolicy({ resource: name });
    expect(policy.bindings).toEqual([]);
    expect(Buffer.from(policy.etag ?? '').length).toBeGreaterThan(0);

    const [updated] = await services.setIamPolicy({
      resource: name,
      policy: { ...policy, bindings: [{ role: 'roles/run.invoker', members: ['allUsers'] }] },
    });
    expect(updated.bindings).toEqual([expect.objectContaining({ role: 'roles/run.invoker', members: ['allUsers'] })]);
    expect((await httpGet(uri)).status).toBe(200);

    // The policy read before the change is stale now.
    const stale = await rejectionOf(services.setIamPolicy({ resource: name, policy: { ...policy, bindings: [] } }));
    expect(stale.code).toBe(GrpcStatus.ABORTED);
    expect((await httpGet(uri)).status).toBe(200);
  });

  it('refuses allUsers when an organization policy restricts public access', async () => {
    const { name, uri } = await seedPrivate();
    emulator.faults.restrictPublicAccess(true);
    const [policy] = await services.getIamPolicy({ resource: name });
    const error = await rejectionOf(
      services.setIamPolicy({
        resource: name,
        policy: { ...policy, bindings: [{ role: 'roles/run.invoker', members: ['allUsers'] }] },
      }),
    );
    expect(error.code).toBe(GrpcStatus.FAILED_PRECONDITION);
    expect(error.message).toContain('permitted customer');
    expect((await httpGet(uri)).status).toBe(403);
  });

  it('refuses unknown roles and malformed members', async () => {
    const { name } = await seedPrivate();
    const [policy] = await services.getIamPolicy({ resource: name });
    const role = await rejectionOf(
      services.setIamPolicy({
        resource: name,
        policy: { ...policy, bindings: [{ role: 'roles/storage.admin', members: ['allUsers'] }] },
      }),
    );
    expect(role.code).toBe(GrpcStatus.INVALID_ARGUMENT);
    const member = await rejectionOf(
      services.setIamPolicy({
        resource: name,
        policy: { ...policy, bindings: [{ role: 'roles/run.invoker', members: ['alice@example.com'] }] },
      }),
    );
    expect(member.code).toBe(GrpcStatus.INVALID_ARGUMENT);
  });
});

describe('service and tag URLs', () => {
  it('splits the service URL by traffic percent and guards tag URLs with the same IAM check', async () => {
    serial += 1;
    const id = `split-app-${serial}`;
    const { name, uri, revisions } = await emulator.seedService({
      project: PROJECT,
      region: REGION,
      name: id,
      image: `${IMAGE}:v1`,
      revisions: 2,
      revisionNames: [`${id}-blue`, `${id}-green`],
      traffic: [
        { revision: `${id}-blue`, percent: 50, tag: 'blue' },
        { revision: `${id}-green`, percent: 50, tag: 'green' },
      ],
    });
    expect(revisions).toEqual([`${id}-blue`, `${id}-green`]);
    const [service] = await services.getService({ name });
    const urls = new Set(service.trafficStatuses?.map((status) => status.uri));
    expect(urls.size).toBe(2);
    expect(service.urls).toEqual([uri]);

    const auth = { authorization: 'Bearer token' };
    const seen = new Map<string, number>();
    for (let index = 0; index < 60; index += 1) {
      const { body } = await httpGet(uri, auth);
      seen.set(body, (seen.get(body) ?? 0) + 1);
    }
    expect(seen.get(`${id}-blue`)).toBeGreaterThan(5);
    expect(seen.get(`${id}-green`)).toBeGreaterThan(5);

    const blue = service.trafficStatuses?.find((status) => status.tag === 'blue')?.uri ?? '';
    expect((await httpGet(blue)).status).toBe(403);
    expect((await httpGet(blue, auth)).body).toBe(`${id}-blue`);
  });

  it('closes a tag URL when its tag is removed, and every URL on close', async () => {
    const local = await startEmulator();
    const { name, revisions } = await local.seedService({
      project: PROJECT,
      region: REGION,
      name: 'tagged-app',
      image: `${IMAGE}:v1`,
      allowUnauthenticated: true,
      traffic: [{ revision: 'LATEST', percent: 100, tag: 'current' }],
    });
    const client = new ServicesClient(gcpClientOptions(local.endpoint));
    const [service] = await client.getService({ name });
    const tagUri = service.trafficStatuses?.[0]?.uri ?? '';
    expect((await httpGet(tagUri)).body).toBe(revisions[0]);
    const [operation] = await client.updateService({
      service: { ...service, traffic: [{ type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST', percent: 100 }] },
    });
    await operation.promise();
    await expect(fetch(tagUri)).rejects.toThrow();
    await client.close();
    await local.close();
    await expect(fetch(service.uri ?? '')).rejects.toThrow();
  });
});
