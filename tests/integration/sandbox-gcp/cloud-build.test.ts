import { CloudBuildClient, protos } from '@google-cloud/cloudbuild';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { z } from 'zod';

import { gcpClientOptions } from '../../../sandbox/gcp/client-options.js';
import type { GcpEmulator } from '../../../sandbox/gcp/emulator.js';
import { IMAGE, PROJECT, REGION, rejectionOf, startEmulator } from './helpers.js';

type IBuild = protos.google.devtools.cloudbuild.v1.IBuild;
const Status = protos.google.devtools.cloudbuild.v1.Build.Status;

let emulator: GcpEmulator;
let client: CloudBuildClient;

const TAG = 'deploy-20251008-183707';
const image = `${IMAGE}:${TAG}`;

function dockerBuild(target = image, extra: Partial<IBuild> = {}): IBuild {
  return {
    steps: [
      { name: 'gcr.io/cloud-builders/docker', args: ['build', '-t', target, '.'] },
      { name: 'gcr.io/cloud-builders/docker', args: ['run', '--rm', target, 'pytest'] },
    ],
    images: [target],
    timeout: { seconds: 1200 },
    ...extra,
  };
}

/** LRO metadata arrives untyped (`Metadata`): parse what we read, as an adapter would. */
const BuildOperationMetadata = z.object({ build: z.object({ id: z.string(), status: z.number() }) });
function buildOf(operation: { metadata: unknown }): { id: string; status: number } {
  return BuildOperationMetadata.parse(operation.metadata).build;
}

async function waitForStatus(id: string, wanted: string): Promise<IBuild> {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    const [build] = await client.getBuild({ projectId: PROJECT, id });
    if (build.status === wanted) return build;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`build ${id} never reached ${wanted}`);
}

beforeAll(async () => {
  emulator = await startEmulator();
  emulator.seedRepository(`${REGION}-docker.pkg.dev/${PROJECT}/app`);
  client = new CloudBuildClient(gcpClientOptions(emulator.endpoint));
});

afterAll(async () => {
  await client.close();
  await emulator.close();
});

afterEach(() => emulator.faults.reset());

describe('a build', () => {
  it('is created QUEUED with its id in the operation metadata, then succeeds and pushes its image', async () => {
    const [operation] = await client.createBuild({ projectId: PROJECT, build: dockerBuild() });
    expect(operation.done).toBe(false);
    expect(operation.name).toMatch(new RegExp(`^operations/build/${PROJECT}/`));
    // The build id is in the metadata before the build finishes: save it before waiting.
    const { id, status } = buildOf(operation);
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(status).toBe(Status.QUEUED);

    const [result] = await operation.promise();
    // Results of long-running operations come back with numeric enums.
    expect(result.status).toBe(Status.SUCCESS);
    expect(result.id).toBe(id);

    const [build] = await client.getBuild({ projectId: PROJECT, id });
    expect(build.status).toBe('SUCCESS');
    expect(build.steps?.map((step) => step.status)).toEqual(['SUCCESS', 'SUCCESS']);
    expect(build.steps?.[0]?.timing?.startTime).toBeTruthy();
    expect(build.startTime).toBeTruthy();
    expect(build.finishTime).toBeTruthy();
    expect(build.logUrl).toContain(String(id));
    expect(Object.keys(build.timing ?? {})).toEqual(expect.arrayContaining(['BUILD', 'PUSH']));
    expect(build.results?.images?.[0]?.name).toBe(image);
    expect(build.results?.images?.[0]?.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(emulator.images().some((stored) => stored.tags.includes(TAG))).toBe(true);
  });

  it('moves QUEUED → WORKING and stays WORKING while builds are held', async () => {
    emulator.faults.holdBuilds(true);
    const [operation] = await client.createBuild({ projectId: PROJECT, build: dockerBuild() });
    const id = buildOf(operation).id;
    const working = await waitForStatus(id, 'WORKING');
    expect(working.steps?.[0]?.status).toBe('WORKING');
    await new Promise((resolve) => setTimeout(resolve, 80));
    const [still] = await client.getBuild({ projectId: PROJECT, id });
    expect(still.status).toBe('WORKING');
    emulator.faults.holdBuilds(false);
    const [result] = await operation.promise();
    expect(result.status).toBe(Status.SUCCESS);
  });

  it.each([
    ['FAILURE', GrpcStatus.UNKNOWN, 'step exited with non-zero status'],
    ['INTERNAL_ERROR', GrpcStatus.INTERNAL, 'INTERNAL_ERROR'],
    ['TIMEOUT', GrpcStatus.DEADLINE_EXCEEDED, 'TIMEOUT'],
    ['EXPIRED', GrpcStatus.DEADLINE_EXCEEDED, 'EXPIRED'],
  ] as const)(
    'ends %s when failNextBuild says so; the operation fails and nothing is pushed',
    async (status, code, text) => {
      const target = `${IMAGE}:failed-${status.toLowerCase()}`;
      emulator.faults.failNextBuild(status);
      const [operation] = await client.createBuild({ projectId: PROJECT, build: dockerBuild(target) });
      const id = buildOf(operation).id;
      const error = await rejectionOf(operation.promise());
      expect(error.code).toBe(code);
      expect(error.message).toContain(text);
      const [build] = await client.getBuild({ projectId: PROJECT, id });
      expect(build.status).toBe(status);
      expect(build.finishTime).toBeTruthy();
      if (status === 'EXPIRED') expect(build.startTime).toBeFalsy();
      if (status === 'FAILURE') expect(build.failureInfo?.type).toBe('USER_BUILD_STEP');
      expect(emulator.images().some((stored) => stored.tags.includes(`failed-${status.toLowerCase()}`))).toBe(false);
    },
  );

  it('times out when its steps take longer than its timeout', async () => {
    // Each step counts 60 s of build time; 90 s is exceeded during the second step.
    const [operation] = await client.createBuild({
      projectId: PROJECT,
      build: dockerBuild(`${IMAGE}:slow`, { timeout: { seconds: 90 } }),
    });
    const error = await rejectionOf(operation.promise());
    expect(error.code).toBe(GrpcStatus.DEADLINE_EXCEEDED);
    const [build] = await client.getBuild({ projectId: PROJECT, id: buildOf(operation).id });
    expect(build.status).toBe('TIMEOUT');
    expect(build.steps?.map((step) => step.status)).toEqual(['SUCCESS', 'TIMEOUT']);
  });

  it('is cancelled while running, and a finished build cannot be cancelled', async () => {
    emulator.faults.holdBuilds(true);
    const [operation] = await client.createBuild({ projectId: PROJECT, build: dockerBuild() });
    const id = buildOf(operation).id;
    await waitForStatus(id, 'WORKING');
    const [cancelled] = await client.cancelBuild({ projectId: PROJECT, id });
    expect(cancelled.status).toBe('CANCELLED');
    expect(cancelled.steps?.[0]?.status).toBe('CANCELLED');
    expect((await rejectionOf(operation.promise())).code).toBe(GrpcStatus.CANCELLED);
    emulator.faults.holdBuilds(false);

    const again = await rejectionOf(client.cancelBuild({ projectId: PROJECT, id }));
    expect(again.code).toBe(GrpcStatus.FAILED_PRECONDITION);
  });

  it('cannot push to gcr.io after the Container Registry shutdown', async () => {
    const [operation] = await client.createBuild({
      projectId: PROJECT,
      build: dockerBuild(`gcr.io/${PROJECT}/emergence-app:${TAG}`),
    });
    const error = await rejectionOf(operation.promise());
    expect(error.code).toBe(GrpcStatus.UNKNOWN);
    const [build] = await client.getBuild({ projectId: PROJECT, id: buildOf(operation).id });
    expect(build.status).toBe('FAILURE');
    expect(build.failureInfo?.type).toBe('PUSH_NOT_AUTHORIZED');
    expect(build.statusDetail).toContain('Container Registry');
  });

  it('fails the push of an image no step built, and of an image in a repository that does not exist', async () => {
    const [unbuilt] = await client.createBuild({
      projectId: PROJECT,
      build: { ...dockerBuild(), images: [`${IMAGE}:never-built`] },
    });
    await rejectionOf(unbuilt.promise());
    const [first] = await client.getBuild({ projectId: PROJECT, id: buildOf(unbuilt).id });
    expect(first.failureInfo?.type).toBe('PUSH_IMAGE_NOT_FOUND');

    const [missingRepo] = await client.createBuild({
      projectId: PROJECT,
      build: dockerBuild(`${REGION}-docker.pkg.dev/${PROJECT}/nope/emergence-app:${TAG}`),
    });
    await rejectionOf(missingRepo.promise());
    const [second] = await client.getBuild({ projectId: PROJECT, id: buildOf(missingRepo).id });
    expect(second.statusDetail).toContain('Repository "nope" not found');
  });

  it('refuses bad substitutions like Cloud Build', async () => {
    const undefinedKey = await rejectionOf(
      client.createBuild({ projectId: PROJECT, build: dockerBuild(`${IMAGE}:$_TAG`) }),
    );
    expect(undefinedKey.code).toBe(GrpcStatus.INVALID_ARGUMENT);
    expect(undefinedKey.message).toContain('_TAG');

    const unused = await rejectionOf(
      client.createBuild({ projectId: PROJECT, build: dockerBuild(image, { substitutions: { _UNUSED: 'x' } }) }),
    );
    expect(unused.message).toContain('not matched in the template');

    const badKey = await rejectionOf(
      client.createBuild({ projectId: PROJECT, build: dockerBuild(image, { substitutions: { tag: 'x' } }) }),
    );
    expect(badKey.message).toContain('^_[A-Z0-9_]+$');

    const [ok] = await client.createBuild({
      projectId: PROJECT,
      build: dockerBuild(`${IMAGE}:$_TAG`, { substitutions: { _TAG: 'subst-1' } }),
    });
    const [result] = await ok.promise();
    expect(result.images).toEqual([`${IMAGE}:subst-1`]);
  });

  it('refuses a build without steps and an unknown build', async () => {
    const empty = await rejectionOf(client.createBuild({ projectId: PROJECT, build: { steps: [] } }));
    expect(empty.code).toBe(GrpcStatus.INVALID_ARGUMENT);
    const unknown = await rejectionOf(
      client.getBuild({ projectId: PROJECT, id: '00000000-0000-0000-0000-000000000000' }),
    );
    expect(unknown.code).toBe(GrpcStatus.NOT_FOUND);
  });
});

describe('triggers', () => {
  it('runs a trigger with source substitutions, and refuses an unknown trigger', async () => {
    const triggerId = emulator.seedTrigger({
      project: PROJECT,
      name: 'emergence-deploy',
      repository: 'emergence/emergence-app',
      build: {
        steps: [
          {
            name: 'gcr.io/cloud-builders/docker',
            args: ['build', '-t', `${IMAGE}:$_TAG`, '--label', 'sha=$SHORT_SHA', '.'],
          },
        ],
        images: [`${IMAGE}:$_TAG`],
        substitutions: { _TAG: 'default' },
        timeout: { seconds: 1200 },
      },
    });
    const [operation] = await client.runBuildTrigger({
      projectId: PROJECT,
      triggerId,
      source: { branchName: 'main', substitutions: { _TAG: 'deploy-20251009-073931' } },
    });
    const [build] = await operation.promise();
    expect(build.buildTriggerId).toBe(triggerId);
    expect(build.images).toEqual([`${IMAGE}:deploy-20251009-073931`]);
    expect(build.steps?.[0]?.args?.[4]).toMatch(/^sha=[0-9a-f]{7}$/);

    const unknown = await rejectionOf(
      client.runBuildTrigger({ projectId: PROJECT, triggerId: 'no-such-trigger', source: {} }),
    );
    expect(unknown.code).toBe(GrpcStatus.NOT_FOUND);
  });
});

describe('listing and faults', () => {
  it('lists builds newest first, filtered by status', async () => {
    emulator.faults.holdBuilds(true);
    const [held] = await client.createBuild({ projectId: PROJECT, build: dockerBuild() });
    const heldId = buildOf(held).id;
    await waitForStatus(heldId, 'WORKING');
    const [working] = await client.listBuilds({ projectId: PROJECT, filter: 'status="WORKING"' });
    expect(working.map((build) => build.id)).toEqual([heldId]);
    const [all] = await client.listBuilds({ projectId: PROJECT });
    expect(all[0]?.id).toBe(heldId);
    const bad = await rejectionOf(client.listBuilds({ projectId: PROJECT, filter: 'colour="red"' }));
    expect(bad.code).toBe(GrpcStatus.INVALID_ARGUMENT);
    emulator.faults.holdBuilds(false);
    await held.promise();
  });

  it('answers UNAVAILABLE as scripted; GetBuild is retried by the client, CreateBuild is not', async () => {
    const [operation] = await client.createBuild({ projectId: PROJECT, build: dockerBuild() });
    const id = buildOf(operation).id;
    emulator.faults.unavailable('GetBuild', 2);
    const before = emulator.calls.filter((call) => call.rpc === 'GetBuild').length;
    const [build] = await client.getBuild({ projectId: PROJECT, id });
    expect(build.id).toBe(id);
    expect(emulator.calls.filter((call) => call.rpc === 'GetBuild').length - before).toBe(3);

    emulator.faults.unavailable('CreateBuild', 1);
    const refused = await rejectionOf(client.createBuild({ projectId: PROJECT, build: dockerBuild() }));
    expect(refused.code).toBe(GrpcStatus.UNAVAILABLE);
    await operation.promise();
  });

  it('delays an RPC as scripted', async () => {
    emulator.faults.delay('ListBuilds', 120);
    const started = Date.now();
    await client.listBuilds({ projectId: PROJECT, pageSize: 1 }, { autoPaginate: false });
    expect(Date.now() - started).toBeGreaterThanOrEqual(110);
  });
});
