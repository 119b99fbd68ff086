import { RevisionsClient, ServicesClient, protos } from '@google-cloud/run';
import { status as GrpcStatus } from '@grpc/grpc-js';

import { gcpClientOptions } from '../../../sandbox/gcp/client-options.js';
import type { GcpEmulator } from '../../../sandbox/gcp/emulator.js';
import { FakeRuntime, httpGet, IMAGE, PROJECT, REGION, rejectionOf, startEmulator } from './helpers.js';

type IService = protos.google.cloud.run.v2.IService;
type ITrafficTarget = protos.google.cloud.run.v2.ITrafficTarget;

const LATEST = 'TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST';
const REVISION = 'TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION';

let emulator: GcpEmulator;
let runtime: FakeRuntime;
let services: ServicesClient;
let revisions: RevisionsClient;
let serial = 0;

beforeAll(async () => {
  runtime = new FakeRuntime();
  emulator = await startEmulator(runtime);
  services = new ServicesClient(gcpClientOptions(emulator.endpoint));
  revisions = new RevisionsClient(gcpClientOptions(emulator.endpoint));
});

afterAll(async () => {
  await services.close();
  await revisions.close();
  await emulator.close();
});

afterEach(() => emulator.faults.reset());

/** A fresh service (unique name) deployed like `gcloud run deploy --allow-unauthenticated`. */
async function seed(
  options: { traffic?: 'latest' | 'pinned'; revisions?: number; allowUnauthenticated?: boolean } = {},
): Promise<{ name: string; id: string; uri: string; revisions: readonly string[] }> {
  serial += 1;
  const id = `emergence-app-${serial}`;
  const seeded = await emulator.seedService({
    project: PROJECT,
    region: REGION,
    name: id,
    image: `${IMAGE}:v1`,
    env: { EMERGENCE_ENV: 'production', PYTHONPATH: '/app' },
    allowUnauthenticated: options.allowUnauthenticated ?? true,
    ...(options.traffic ? { traffic: options.traffic } : {}),
    ...(options.revisions ? { revisions: options.revisions } : {}),
  });
  return { ...seeded, id };
}

async function getService(name: string): Promise<IService> {
  const [service] = await services.getService({ name });
  return service;
}

/** The service read back, with a new image and (optionally) a revision name. */
function withImage(service: IService, image: string, revision = ''): IService {
  const container = service.template?.containers?.[0] ?? {};
  return { ...service, template: { ...service.template, revision, containers: [{ ...container, image }] } };
}

function shortName(revision: string | null | undefined): string {
  return (revision ?? '').split('/').pop() ?? '';
}

describe('a deploy that pins the serving revision and adds the new one tagged at 0 %', () => {
  it('serves the new revision on its tag URL only, while the service URL stays on the old one', async () => {
    const { name, id, uri } = await seed();
    const before = await getService(name);
    const current = shortName(before.latestReadyRevision);
    expect(before.trafficStatuses).toEqual([expect.objectContaining({ type: LATEST, percent: 100, tag: '' })]);
    emulator.seedImage(`${IMAGE}:deploy-20251009-073931`);
    const next = `${id}-deploy-20251009-073931`;
    const traffic: ITrafficTarget[] = [
      { type: REVISION, revision: current, percent: 100 },
      { type: REVISION, revision: next, percent: 0, tag: 'deploy-20251009-073931' },
    ];

    const [operation] = await services.updateService({
      service: { ...withImage(before, `${IMAGE}:deploy-20251009-073931`, next), traffic },
    });
    expect(operation.done).toBe(false);
    expect(operation.name).toMatch(new RegExp(`^projects/${PROJECT}/locations/${REGION}/operations/`));
    const [result] = await operation.promise();
    expect(shortName(result.latestReadyRevision)).toBe(next);

    const after = await getService(name);
    expect(after.reconciling).toBe(false);
    expect(after.generation).toBe(String(Number(before.generation) + 1));
    expect(after.observedGeneration).toBe(after.generation);
    expect(after.terminalCondition?.state).toBe('CONDITION_SUCCEEDED');
    expect(shortName(after.latestCreatedRevision)).toBe(next);
    expect(after.uri).toBe(uri);
    const tagged = after.trafficStatuses?.find((status) => status.tag === 'deploy-20251009-073931');
    expect(tagged).toMatchObject({ type: REVISION, revision: next, percent: 0 });
    expect(tagged?.uri).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(tagged?.uri).not.toBe(after.uri);
    expect(after.trafficStatuses?.find((status) => status.revision === current)).toMatchObject({ percent: 100 });

    expect((await httpGet(`${tagged?.uri ?? ''}/api/health`)).body).toBe(next);
    for (let index = 0; index < 5; index += 1) {
      expect((await httpGet(`${after.uri ?? ''}/api/health`)).body).toBe(current);
    }

    // Promotion: all traffic to the new revision by name, the tag kept; only the traffic, under an update mask.
    const [promote] = await services.updateService({
      service: {
        name,
        etag: after.etag ?? '',
        traffic: [{ type: REVISION, revision: next, percent: 100, tag: 'deploy-20251009-073931' }],
      },
      updateMask: { paths: ['traffic'] },
    });
    await promote.promise();
    expect((await httpGet(after.uri ?? '')).body).toBe(next);
    const promoted = await getService(name);
    expect(promoted.latestCreatedRevision).toBe(after.latestCreatedRevision);
    expect(promoted.trafficStatuses?.[0]?.uri).toBe(tagged?.uri);
  });
});

describe('LATEST', () => {
  it('sends all traffic to a new revision as soon as it is ready when the current one is not pinned', async () => {
    const { name, uri, revisions: seeded } = await seed({ traffic: 'latest' });
    const old = seeded[0] ?? '';
    emulator.seedImage(`${IMAGE}:v2`);
    const service = await getService(name);
    const release = runtime.holdStarts();
    const [operation] = await services.updateService({ service: withImage(service, `${IMAGE}:v2`) });
    // Until the new revision is ready, the old one keeps serving.
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect((await getService(name)).reconciling).toBe(true);
    expect((await httpGet(uri)).body).toBe(old);
    release();
    const [result] = await operation.promise();
    const fresh = shortName(result.latestReadyRevision);
    expect(fresh).not.toBe(old);
    expect(fresh).toMatch(new RegExp(`^${service.name?.split('/').pop() ?? ''}-00002-[a-z]{3}$`));
    expect((await httpGet(uri)).body).toBe(fresh);
    const after = await getService(name);
    // The status reports the allocation; which revision it resolved to is latestReadyRevision.
    expect(after.trafficStatuses).toEqual([expect.objectContaining({ type: LATEST, percent: 100, revision: '' })]);
  });

  it('creates no revision when the template is unchanged', async () => {
    const { name } = await seed();
    const service = await getService(name);
    const [operation] = await services.updateService({ service: { ...service, labels: { team: 'emergence' } } });
    const [result] = await operation.promise();
    expect(result.latestCreatedRevision).toBe(service.latestCreatedRevision);
    expect((await getService(name)).labels).toEqual({ team: 'emergence' });
  });
});

describe('conflicts and validation', () => {
  it('answers ABORTED to an update with a stale etag, and when someone else changed the service first', async () => {
    const { name } = await seed();
    const stale = await getService(name);
    const [first] = await services.updateService({ service: { ...stale, labels: { by: 'someone-else' } } });
    await first.promise();
    const conflict = await rejectionOf(services.updateService({ service: { ...stale, labels: { by: 'liftoff' } } }));
    expect(conflict.code).toBe(GrpcStatus.ABORTED);

    const fresh = await getService(name);
    emulator.faults.abortNextUpdate();
    const aborted = await rejectionOf(services.updateService({ service: { ...fresh, labels: { by: 'liftoff' } } }));
    expect(aborted.code).toBe(GrpcStatus.ABORTED);
    expect((await getService(name)).etag).not.toBe(fresh.etag);
    expect((await getService(name)).labels).toEqual({ by: 'someone-else' });
  });

  it('refuses a request timeout of 120000 s before creating anything', async () => {
    const { name } = await seed();
    const service = await getService(name);
    const error = await rejectionOf(
      services.updateService({
        service: { ...service, template: { ...service.template, timeout: { seconds: 120000 } } },
      }),
    );
    expect(error.code).toBe(GrpcStatus.INVALID_ARGUMENT);
    expect(error.message).toContain('timeout');
    const after = await getService(name);
    expect(after.generation).toBe(service.generation);
    expect(after.latestCreatedRevision).toBe(service.latestCreatedRevision);
  });

  it('refuses to reuse a revision name with a different configuration', async () => {
    const { name, id } = await seed();
    emulator.seedImage(`${IMAGE}:v2`);
    emulator.seedImage(`${IMAGE}:v3`);
    const service = await getService(name);
    const [first] = await services.updateService({ service: withImage(service, `${IMAGE}:v2`, `${id}-run-1`) });
    await first.promise();
    const again = await getService(name);
    const error = await rejectionOf(
      services.updateService({ service: withImage(again, `${IMAGE}:v3`, `${id}-run-1`) }),
    );
    expect(error.code).toBe(GrpcStatus.ALREADY_EXISTS);
    expect(error.message).toContain(`Revision named '${id}-run-1' with different configuration already exists.`);
  });

  it('refuses a read-modify-write whose template names an existing revision, as Cloud Run does (409)', async () => {
    const { name, id, revisions: seeded } = await seed({ traffic: 'pinned' });
    const old = seeded[0] ?? '';
    emulator.seedImage(`${IMAGE}:v2`);
    const [deploy] = await services.updateService({
      service: {
        ...withImage(await getService(name), `${IMAGE}:v2`, `${id}-run-2`),
        traffic: [
          { type: REVISION, revision: old, percent: 100 },
          { type: REVISION, revision: `${id}-run-2`, percent: 0, tag: 'build-2' },
        ],
      },
    });
    await deploy.promise();
    const read = await getService(name);
    expect(read.template?.revision).toBe(`${id}-run-2`);

    // Traffic only (googleapis/google-cloud-python#11870), then service scaling only (#14259): the whole service
    // read back goes with them, its template unchanged.
    const promote = await rejectionOf(
      services.updateService({
        service: { ...read, traffic: [{ type: REVISION, revision: `${id}-run-2`, percent: 100 }] },
      }),
    );
    expect(promote.code).toBe(GrpcStatus.ALREADY_EXISTS);
    expect(promote.message).toContain(`Revision named '${id}-run-2' with different configuration already exists.`);
    // A mask path in its JSON spelling names no proto field: ignored, so the whole service is applied and refused.
    const scale = await rejectionOf(
      services.updateService({
        service: { ...read, scaling: { minInstanceCount: 2 } },
        updateMask: { paths: ['scaling.minInstanceCount'] },
      }),
    );
    expect(scale.code).toBe(GrpcStatus.ALREADY_EXISTS);
    const unchanged = await getService(name);
    expect(unchanged.etag).toBe(read.etag);
    expect(unchanged.trafficStatuses?.find((status) => status.percent === 100)?.revision).toBe(old);

    // The same changes under a mask of proto field names apply, and the template is left as it is.
    const [moved] = await services.updateService({
      service: { ...read, traffic: [{ type: REVISION, revision: `${id}-run-2`, percent: 100 }] },
      updateMask: { paths: ['traffic'] },
    });
    await moved.promise();
    const [scaled] = await services.updateService({
      service: { name, etag: (await getService(name)).etag ?? '', scaling: { minInstanceCount: 2 } },
      updateMask: { paths: ['scaling.min_instance_count'] },
    });
    await scaled.promise();
    const after = await getService(name);
    expect(after.trafficStatuses?.find((status) => status.percent === 100)?.revision).toBe(`${id}-run-2`);
    expect(after.scaling?.minInstanceCount).toBe(2);
    expect(after.template?.revision).toBe(`${id}-run-2`);
    expect(after.latestCreatedRevision).toBe(read.latestCreatedRevision);
    expect(after.template?.containers?.[0]?.image).toBe(`${IMAGE}:v2`);
  });

  it('accepts a replay of the request that created a named revision, and creates nothing', async () => {
    const { name, id } = await seed();
    emulator.seedImage(`${IMAGE}:v2`);
    const request = { service: withImage(await getService(name), `${IMAGE}:v2`, `${id}-run-1`) };
    const [first] = await services.updateService(request);
    await first.promise();
    const created = await getService(name);
    const [again] = await services.updateService({ service: { ...request.service, etag: created.etag ?? '' } });
    await again.promise();
    expect((await getService(name)).latestCreatedRevision).toBe(created.latestCreatedRevision);
  });

  it.each([
    [
      'a revision name without the service prefix',
      'as a prefix',
      (service: IService, id: string): IService => withImage(service, `${IMAGE}:v1`, `other-${id}`),
    ],
    [
      'an upper-case revision name',
      'lowercase letters',
      (service: IService, id: string): IService => withImage(service, `${IMAGE}:v1`, `${id}-Deploy`),
    ],
    [
      'percentages that do not add up to 100',
      'add up to 100, got 90',
      (service: IService): IService => ({ ...service, traffic: [{ type: LATEST, percent: 90 }] }),
    ],
    [
      'an upper-case tag',
      'tag "Candidate"',
      (service: IService): IService => ({ ...service, traffic: [{ type: LATEST, percent: 100, tag: 'Candidate' }] }),
    ],
    [
      'a tag that makes the tag URL too long',
      'cannot exceed 46 characters',
      (service: IService): IService => ({
        ...service,
        traffic: [{ type: LATEST, percent: 100, tag: 'deploy-20251009-073931-candidate' }],
      }),
    ],
    [
      'duplicate tags',
      'duplicate tag "candidate"',
      (service: IService): IService => ({
        ...service,
        traffic: [
          { type: LATEST, percent: 100, tag: 'candidate' },
          { type: REVISION, revision: shortName(service.latestReadyRevision), percent: 0, tag: 'candidate' },
        ],
      }),
    ],
    [
      'a memory limit that does not parse',
      '"2 gigs" is not a valid memory quantity',
      (service: IService): IService => ({
        ...service,
        template: {
          ...service.template,
          containers: [{ ...service.template?.containers?.[0], resources: { limits: { memory: '2 gigs' } } }],
        },
      }),
    ],
    [
      'a reserved environment variable',
      'reserved env names were provided: PORT',
      (service: IService): IService => ({
        ...service,
        template: {
          ...service.template,
          containers: [{ ...service.template?.containers?.[0], env: [{ name: 'PORT', value: '80' }] }],
        },
      }),
    ],
  ])('refuses %s with INVALID_ARGUMENT', async (_what, message, change) => {
    const { name, id } = await seed();
    const service = await getService(name);
    const error = await rejectionOf(services.updateService({ service: change(service, id) }));
    expect(error.code).toBe(GrpcStatus.INVALID_ARGUMENT);
    expect(error.message).toContain(message);
  });

  it('answers NOT_FOUND for an unknown service unless allow_missing is set', async () => {
    const missing = `projects/${PROJECT}/locations/${REGION}/services/nowhere`;
    const error = await rejectionOf(
      services.updateService({ service: { name: missing, template: { containers: [{ image: `${IMAGE}:v1` }] } } }),
    );
    expect(error.code).toBe(GrpcStatus.NOT_FOUND);
    expect((await rejectionOf(services.getService({ name: missing }))).code).toBe(GrpcStatus.NOT_FOUND);
  });

  it('answers UNAVAILABLE as scripted, and the client does not retry UpdateService', async () => {
    const { name } = await seed();
    const service = await getService(name);
    emulator.faults.unavailable('UpdateService', 1);
    const error = await rejectionOf(services.updateService({ service }));
    expect(error.code).toBe(GrpcStatus.UNAVAILABLE);
    expect(
      emulator.calls.filter((call) => call.rpc === 'UpdateService' && JSON.stringify(call.request).includes(name)),
    ).toHaveLength(1);
  });
});

describe('a revision that cannot get ready', () => {
  it('fails the operation with the condition message and leaves traffic where it was', async () => {
    const { name, id, uri, revisions: seeded } = await seed({ traffic: 'latest' });
    const old = seeded[0] ?? '';
    emulator.seedImage(`${IMAGE}:v2`);
    emulator.faults.revisionNeverReady(
      'Startup probe deadline exceeded: the container did not answer on port 8080 within 240s.',
    );
    const before = await getService(name);
    const [operation] = await services.updateService({ service: withImage(before, `${IMAGE}:v2`, `${id}-broken`) });
    const error = await rejectionOf(operation.promise());
    expect(error.code).toBe(GrpcStatus.INTERNAL);
    expect(error.message).toContain(`Revision '${id}-broken' is not ready and cannot serve traffic.`);
    expect(error.message).toContain('Startup probe deadline exceeded');

    const after = await getService(name);
    expect(after.terminalCondition?.state).toBe('CONDITION_FAILED');
    expect(shortName(after.latestCreatedRevision)).toBe(`${id}-broken`);
    expect(shortName(after.latestReadyRevision)).toBe(old);
    expect(after.observedGeneration).toBe(before.observedGeneration);
    expect(after.trafficStatuses).toEqual(before.trafficStatuses);
    expect((await httpGet(uri)).body).toBe(old);
    const [broken] = await revisions.getRevision({ name: `${name}/revisions/${id}-broken` });
    expect(broken.conditions?.[0]).toMatchObject({ type: 'Ready', state: 'CONDITION_FAILED' });
  });

  it('fails when the image is not in the registry, or its import fails, or the container does not start', async () => {
    const { name, id } = await seed();
    const service = await getService(name);
    const [missing] = await services.updateService({ service: withImage(service, `${IMAGE}:never-pushed`) });
    expect((await rejectionOf(missing.promise())).message).toContain(`Image '${IMAGE}:never-pushed' not found.`);

    emulator.faults.imageImportFails();
    const [imported] = await services.updateService({
      service: withImage(await getService(name), `${IMAGE}:v1`, `${id}-import`),
    });
    expect((await rejectionOf(imported.promise())).message).toContain('could not be imported');

    runtime.failures.set(
      `${id}-crash`,
      'The user-provided container failed to start and listen on the port defined provided by the PORT=8080 environment variable.',
    );
    const [crashed] = await services.updateService({
      service: withImage(await getService(name), `${IMAGE}:v1`, `${id}-crash`),
    });
    expect((await rejectionOf(crashed.promise())).message).toContain('failed to start and listen');
  });

  it('fails the operation when traffic names a revision that does not exist, keeping the desired traffic', async () => {
    const { name } = await seed();
    const service = await getService(name);
    const [operation] = await services.updateService({
      service: { ...service, traffic: [{ type: REVISION, revision: 'emergence-app-ghost', percent: 100 }] },
    });
    const error = await rejectionOf(operation.promise());
    expect(error.code).toBe(GrpcStatus.INTERNAL);
    expect(error.message).toContain("Revision 'emergence-app-ghost' does not exist or is deleted.");
    const after = await getService(name);
    expect(after.traffic).toEqual([expect.objectContaining({ revision: 'emergence-app-ghost', percent: 100 })]);
    expect(after.trafficStatuses).toEqual(service.trafficStatuses);
  });
});

describe('creating and overlapping updates', () => {
  it('creates a service with CreateService, and with UpdateService when allow_missing is set', async () => {
    emulator.seedImage(`${IMAGE}:v1`);
    const parent = `projects/${PROJECT}/locations/${REGION}`;
    const [created] = await services.createService({
      parent,
      serviceId: 'created-app',
      service: { template: { containers: [{ image: `${IMAGE}:v1` }] } },
    });
    const [service] = await created.promise();
    expect(service.name).toBe(`${parent}/services/created-app`);
    expect(shortName(service.latestReadyRevision)).toMatch(/^created-app-00001-[a-z]{3}$/);
    const again = await rejectionOf(
      services.createService({
        parent,
        serviceId: 'created-app',
        service: { template: { containers: [{ image: `${IMAGE}:v1` }] } },
      }),
    );
    expect(again.code).toBe(GrpcStatus.ALREADY_EXISTS);
    const badId = await rejectionOf(
      services.createService({
        parent,
        serviceId: 'Bad_Name',
        service: { template: { containers: [{ image: `${IMAGE}:v1` }] } },
      }),
    );
    expect(badId.code).toBe(GrpcStatus.INVALID_ARGUMENT);

    const [upserted] = await services.updateService({
      allowMissing: true,
      service: { name: `${parent}/services/upserted-app`, template: { containers: [{ image: `${IMAGE}:v1` }] } },
    });
    const [upsert] = await upserted.promise();
    expect(upsert.terminalCondition?.state).toBe(protos.google.cloud.run.v2.Condition.State.CONDITION_SUCCEEDED);
  });

  it('settles an update that overlaps a rollout in progress with the outcome of the newest state', async () => {
    const { name, id, uri } = await seed();
    emulator.seedImage(`${IMAGE}:v2`);
    const service = await getService(name);
    const release = runtime.holdStarts();
    const [rollout] = await services.updateService({ service: withImage(service, `${IMAGE}:v2`, `${id}-v2`) });
    const during = await getService(name);
    expect(during.reconciling).toBe(true);
    expect(during.terminalCondition?.state).toBe('CONDITION_RECONCILING');
    const [labels] = await services.updateService({
      service: { ...during, labels: { during: 'rollout' } },
      updateMask: { paths: ['labels'] },
    });
    release();
    const [first] = await rollout.promise();
    const [second] = await labels.promise();
    expect(shortName(first.latestReadyRevision)).toBe(`${id}-v2`);
    expect(second.labels).toEqual({ during: 'rollout' });
    expect((await httpGet(uri)).body).toBe(`${id}-v2`);
  });
});

describe('revisions', () => {
  it("starts a revision's container with its env, secrets resolved, and Cloud Run's own variables", async () => {
    const seeded = await emulator.seedService({
      project: PROJECT,
      region: REGION,
      name: 'env-app',
      image: `${IMAGE}:v1`,
      env: { PYTHONPATH: '/app' },
      secretEnv: { OPENAI_API_KEY: { secret: 'openai-key', version: 'latest', value: 'sk-test' } },
    });
    const started = runtime.started.find((spec) => spec.revision === seeded.revisions[0]);
    expect(started?.env).toEqual({
      PYTHONPATH: '/app',
      OPENAI_API_KEY: 'sk-test',
      PORT: '8080',
      K_SERVICE: 'env-app',
      K_REVISION: seeded.revisions[0],
      K_CONFIGURATION: 'env-app',
    });
    const [service] = await services.getService({ name: seeded.name });
    expect(service.template?.containers?.[0]?.env?.[1]).toMatchObject({
      name: 'OPENAI_API_KEY',
      valueSource: { secretKeyRef: { secret: 'openai-key', version: 'latest' } },
    });
    const missing = await rejectionOf(
      services.updateService({
        service: {
          ...service,
          template: {
            ...service.template,
            containers: [
              {
                ...service.template?.containers?.[0],
                env: [{ name: 'TOKEN', valueSource: { secretKeyRef: { secret: 'nope', version: 'latest' } } }],
              },
            ],
          },
        },
      }),
    );
    expect(missing.code).toBe(GrpcStatus.INVALID_ARGUMENT);
    expect(missing.message).toContain('secrets/nope/versions/latest was not found');
  });

  it('lists revisions newest first with their conditions, image and creation time', async () => {
    const { name, revisions: seeded } = await seed({ revisions: 3, traffic: 'pinned' });
    const [listed] = await revisions.listRevisions({ parent: name });
    expect(listed.map((revision) => shortName(revision.name))).toEqual([...seeded].reverse());
    for (const revision of listed) {
      expect(revision.conditions?.[0]).toMatchObject({ type: 'Ready', state: 'CONDITION_SUCCEEDED' });
      expect(revision.containers?.[0]?.image).toBe(`${IMAGE}:v1`);
      expect(revision.createTime?.seconds).toBeTruthy();
      expect(revision.service).toBe(name);
    }
  });

  it('refuses to delete a revision that serves traffic, and deletes one that does not', async () => {
    const { name, revisions: seeded } = await seed({ revisions: 2, traffic: 'pinned' });
    const [oldest, newest] = seeded;
    const serving = await rejectionOf(revisions.deleteRevision({ name: `${name}/revisions/${newest ?? ''}` }));
    expect(serving.code).toBe(GrpcStatus.FAILED_PRECONDITION);
    const [operation] = await revisions.deleteRevision({ name: `${name}/revisions/${oldest ?? ''}` });
    await operation.promise();
    const [left] = await revisions.listRevisions({ parent: name });
    expect(left.map((revision) => shortName(revision.name))).toEqual([newest]);
    expect(runtime.stopped).toContain(oldest);
    const gone = await rejectionOf(revisions.getRevision({ name: `${name}/revisions/${oldest ?? ''}` }));
    expect(gone.code).toBe(GrpcStatus.NOT_FOUND);
  });
});
