/**
 * The normalisation at the adapter edge, on the shapes the SDKs really produce: plain calls (int64 as strings,
 * enum names) and long-running operations (Long objects, numeric enums); and the failure mappings the emulator
 * cannot produce (the older FAILED_PRECONDITION etag refusal, a lost poll), through small fakes of the SDK calls.
 */
import { status as GrpcStatus } from '@grpc/grpc-js';

import { createGcpClients, parseApiEndpoint } from '../../../src/adapters/gcp/clients.js';
import { buildSnapshot, stepLabel } from '../../../src/adapters/gcp/cloud-build-adapter.js';
import {
  entryText,
  logEntry,
  quoteFilterValue,
  revisionFilter,
} from '../../../src/adapters/gcp/cloud-logging-adapter.js';
import {
  cloudRunAdapter,
  revisionSnapshot,
  type RunRevisionsCalls,
  type RunServicesCalls,
} from '../../../src/adapters/gcp/cloud-run-adapter.js';
import { toExternalError } from '../../../src/adapters/gcp/errors.js';
import { normalizeCpu, serviceSnapshot } from '../../../src/adapters/gcp/run-template.js';
import { int64, timestampSchema } from '../../../src/adapters/gcp/wire.js';
import { ExternalError } from '../../../src/deploy/ports/index.js';
import { SleepDrivenClock } from './helpers.js';

const long = (value: number) => ({ low: value, high: 0, unsigned: false });

describe('wire values', () => {
  it('reads int64 as a string, a number or a Long', () => {
    expect(int64.parse('1759948627')).toBe(1759948627);
    expect(int64.parse(42)).toBe(42);
    expect(int64.parse(long(300))).toBe(300);
    expect(int64.parse({ low: 0, high: 1, unsigned: false })).toBe(2 ** 32);
    expect(int64.parse({ low: -1, high: -1, unsigned: false })).toBe(-1);
  });

  it('reads timestamps in every form, and an unset one as null', () => {
    const at = new Date('2025-10-09T07:39:31.250Z');
    expect(timestampSchema.parse({ seconds: '1759995571', nanos: 250_000_000 })).toEqual(at);
    expect(timestampSchema.parse({ seconds: long(1759995571), nanos: 250_000_000 })).toEqual(at);
    expect(timestampSchema.parse(at)).toBe(at);
    expect(timestampSchema.parse(null)).toBeNull();
    expect(timestampSchema.parse({ seconds: '0', nanos: 0 })).toBeNull();
  });
});

describe('Cloud Build', () => {
  it('normalises a Build from an operation’s metadata (numeric enums, Long)', () => {
    // What BuildOperationMetadata.build looks like decoded by gax: numeric enums, Long seconds.
    const snapshot = buildSnapshot({
      id: 'b-1',
      status: 2,
      statusDetail: '',
      logUrl: 'https://console.cloud.google.com/cloud-build/builds;region=europe-west1/b-1',
      createTime: { seconds: long(1), nanos: 0 },
      startTime: { seconds: long(2), nanos: 0 },
      steps: [
        { name: 'gcr.io/cloud-builders/docker', args: ['build', '-t', 'x', '.'], status: 3 },
        { id: 'push-latest', name: 'gcr.io/cloud-builders/docker', args: ['push'], status: 2 },
        { name: 'gcr.io/google.com/cloudsdktool/cloud-sdk:slim', args: ['gcloud'], status: 1 },
      ],
      images: ['a', 'b'],
      results: { images: [{ name: 'b', digest: 'sha256:bb' }] },
    });
    expect(snapshot).toEqual({
      id: 'b-1',
      status: 'WORKING',
      statusDetail: null,
      logUrl: 'https://console.cloud.google.com/cloud-build/builds;region=europe-west1/b-1',
      startedAt: new Date(2000),
      finishedAt: null,
      currentStep: 'push-latest',
      images: [
        { name: 'a', digest: null },
        { name: 'b', digest: 'sha256:bb' },
      ],
    });
    expect(stepLabel({ id: null, name: 'gcr.io/google.com/cloudsdktool/cloud-sdk:slim', args: ['gcloud'] })).toBe(
      'cloud-sdk gcloud',
    );
    expect(stepLabel({ id: null, name: 'ubuntu', args: [] })).toBe('ubuntu');
  });

  it('takes failureInfo.detail when statusDetail is empty', () => {
    const snapshot = buildSnapshot({
      id: 'b-2',
      status: 'FAILURE',
      statusDetail: '',
      failureInfo: { type: 'PUSH_FAILED', detail: 'failed to push: denied' },
      steps: [{ name: 'gcr.io/cloud-builders/docker', args: ['build'], status: 'QUEUED' }],
    });
    expect(snapshot).toMatchObject({ statusDetail: 'failed to push: denied', currentStep: null });
  });
});

describe('Cloud Run', () => {
  it('normalises a Service from an operation result (numeric enums, Long, full names)', () => {
    const snapshot = serviceSnapshot({
      name: 'projects/p/locations/r/services/s',
      etag: '"e1"',
      uri: 'https://s-xyz.a.run.app',
      traffic: [
        { type: 2, revision: 's-00001', percent: 90, tag: '' },
        { type: 1, revision: '', percent: 10, tag: 'canary' },
      ],
      trafficStatuses: [
        { type: 2, revision: 's-00001', percent: 100, tag: 'old', uri: 'https://old---s-xyz.a.run.app' },
      ],
      latestReadyRevision: 'projects/p/locations/r/services/s/revisions/s-00001',
      latestCreatedRevision: 'projects/p/locations/r/services/s/revisions/s-00002',
      template: {
        timeout: { seconds: long(900), nanos: 0 },
        scaling: { minInstanceCount: 1, maxInstanceCount: 0 },
        containers: [
          { image: 'otel', ports: [], env: [] },
          {
            image: 'app:1',
            ports: [{ containerPort: 8080 }],
            env: [
              { name: 'K', value: 'secret-looking value' },
              { name: 'S', valueSource: { secretKeyRef: { secret: 's' } } },
            ],
            resources: { limits: { memory: '4Gi', cpu: '4000m' } },
          },
        ],
      },
    });
    expect(snapshot).toEqual({
      etag: '"e1"',
      uri: 'https://s-xyz.a.run.app',
      traffic: [
        { revision: 's-00001', latest: false, percent: 90, tag: null },
        { revision: null, latest: true, percent: 10, tag: 'canary' },
      ],
      trafficStatuses: [
        { revision: 's-00001', latest: false, percent: 100, tag: 'old', uri: 'https://old---s-xyz.a.run.app' },
      ],
      latestReadyRevision: 's-00001',
      latestCreatedRevision: 's-00002',
      image: 'app:1',
      env: [
        { name: 'K', source: 'value' },
        { name: 'S', source: 'secret' },
      ],
      settings: { memory: '4Gi', cpu: '4', timeoutSeconds: '900', minInstances: '1' },
      scaling: { mode: 'automatic', minInstances: 0, maxInstances: null },
    });
  });

  it('reads service-level scaling, numeric or named, with MANUAL 0 kept apart from unset', () => {
    const base = { etag: '"e"', template: { containers: [{ image: 'app:1' }] } };
    const scaling = (value: unknown) => serviceSnapshot({ ...base, scaling: value }).scaling;
    expect(scaling(null)).toEqual({ mode: 'automatic', minInstances: 0, maxInstances: null });
    expect(scaling({ scalingMode: 2, manualInstanceCount: 0 })).toEqual({ mode: 'manual', instances: 0 });
    expect(scaling({ scalingMode: 'MANUAL', minInstanceCount: 2 })).toEqual({ mode: 'manual', instances: 2 });
    expect(scaling({ scalingMode: 'AUTOMATIC', minInstanceCount: 1, maxInstanceCount: 10 })).toEqual({
      mode: 'automatic',
      minInstances: 1,
      maxInstances: 10,
    });
  });

  it('keeps a cpu Cloud Run holds in another form', () => {
    expect(normalizeCpu('1000m')).toBe('1');
    expect(normalizeCpu('500m')).toBe('500m');
    expect(normalizeCpu('2')).toBe('2');
  });

  it('reads a revision’s readiness from its Ready condition, numeric or named', () => {
    const revision = (state: string | number, message = '') => ({
      name: 'projects/p/locations/r/services/s/revisions/s-2',
      createTime: { seconds: '10', nanos: 0 },
      conditions: [
        { type: 'Ready', state, message },
        { type: 'ContainerHealthy', state: 'CONDITION_FAILED', message: 'container crashed' },
      ],
      containers: [{ image: 'app:2', ports: [{ containerPort: 8080 }] }],
    });
    expect(revisionSnapshot(revision(4))).toEqual({
      name: 's-2',
      state: 'ready',
      message: null,
      image: 'app:2',
      createdAt: new Date(10_000),
    });
    expect(revisionSnapshot(revision('CONDITION_FAILED', 'Revision s-2 is not ready'))).toMatchObject({
      state: 'failed',
      message: 'Revision s-2 is not ready',
    });
    expect(revisionSnapshot(revision(3))).toMatchObject({ state: 'failed', message: 'container crashed' });
    expect(revisionSnapshot(revision('CONDITION_RECONCILING'))).toMatchObject({ state: 'pending' });
    expect(revisionSnapshot(revision(1))).toMatchObject({ state: 'pending' });
  });

  describe('update failures the emulator does not produce', () => {
    const where = { project: 'p', region: 'r', name: 's' };
    const service = {
      name: 'projects/p/locations/r/services/s',
      etag: '"e"',
      template: { containers: [{ image: 'a' }] },
    };
    const grpcError = (code: GrpcStatus, details: string) =>
      Object.assign(new Error(`${code} ${GrpcStatus[code]}: ${details}`), { code, details });

    const unused = (): Promise<never> => Promise.reject(new Error('not called by these tests'));

    function adapterWith(
      update: RunServicesCalls['updateService'],
      progress: RunServicesCalls['checkUpdateServiceProgress'] = unused,
    ) {
      const clock = new SleepDrivenClock();
      const services = {
        getService: () => Promise.resolve([service] as const),
        updateService: update,
        checkUpdateServiceProgress: progress,
        getIamPolicy: unused,
        setIamPolicy: unused,
      } satisfies RunServicesCalls;
      const revisions = {
        getRevision: () => Promise.reject(grpcError(GrpcStatus.NOT_FOUND, 'no revision')),
        listRevisions: unused,
      } satisfies RunRevisionsCalls;
      return cloudRunAdapter({ services, revisions }, { clock, sleep: clock.sleep, pollIntervalMs: 100 });
    }
    const traffic = [{ revision: null, latest: true, percent: 100, tag: null }];

    it('maps the older FAILED_PRECONDITION etag refusal to conflict, another precondition to rejected', async () => {
      const stale = adapterWith(() => Promise.reject(grpcError(GrpcStatus.FAILED_PRECONDITION, 'etag mismatch')));
      expect(
        await stale.setTraffic({ service: where, etag: '"old"', traffic, deadline: new Date(Date.now() + 1000) }),
      ).toEqual({
        ok: false,
        reason: 'conflict',
        message: 'etag mismatch',
      });
      const other = adapterWith(() =>
        Promise.reject(grpcError(GrpcStatus.FAILED_PRECONDITION, 'quota project not set')),
      );
      expect(
        await other.setTraffic({ service: where, etag: '"e"', traffic, deadline: new Date(Date.now() + 1000) }),
      ).toMatchObject({
        ok: false,
        reason: 'rejected',
      });
    });

    it('throws unavailable when the update could not be sent, and keeps polling through a lost poll', async () => {
      const down = adapterWith(() => Promise.reject(grpcError(GrpcStatus.UNAVAILABLE, 'connection refused')));
      const error = await down
        .setTraffic({ service: where, etag: '"e"', traffic, deadline: new Date(Date.now() + 1000) })
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(ExternalError);
      expect(error).toMatchObject({ service: 'cloud-run', code: 'unavailable' });

      let polls = 0;
      const flaky = adapterWith(
        () => Promise.resolve([{ name: 'operations/1', done: false }] as const),
        () => {
          polls += 1;
          return polls === 1
            ? Promise.reject(grpcError(GrpcStatus.UNAVAILABLE, 'blip'))
            : Promise.resolve({
                name: 'operations/1',
                done: true,
                error: grpcError(GrpcStatus.INVALID_ARGUMENT, 'bad traffic'),
              });
        },
      );
      expect(
        await flaky.setTraffic({ service: where, etag: '"e"', traffic, deadline: new Date(Date.now() + 60_000) }),
      ).toEqual({
        ok: false,
        reason: 'rejected',
        message: 'bad traffic',
      });
      expect(polls).toBe(2);
    });
  });
});

describe('Cloud Logging', () => {
  it('quotes filter values and builds the revision filter', () => {
    expect(quoteFilterValue('a"b\\c')).toBe('"a\\"b\\\\c"');
    expect(
      revisionFilter({
        service: { project: 'p', region: 'r', name: 's' },
        revision: 's-1',
        since: new Date('2025-10-09T07:39:31.000Z'),
        extraFilter: '  severity>=ERROR OR httpRequest.status>=500 ',
      }),
    ).toBe(
      'resource.type="cloud_run_revision" AND resource.labels.service_name="s" AND resource.labels.revision_name="s-1" ' +
        'AND timestamp>="2025-10-09T07:39:31.000Z" AND (severity>=ERROR OR httpRequest.status>=500)',
    );
  });

  it('normalises entries: text or JSON message, numeric severity, status 0 as none', () => {
    expect(entryText('plain')).toBe('plain');
    expect(entryText({ message: 'hello', extra: 1 })).toBe('hello');
    expect(entryText({ event: 'x' })).toBe('{"event":"x"}');
    expect(
      logEntry({ metadata: { timestamp: new Date(5), severity: 500, httpRequest: { status: 0 } }, data: 'boom' }),
    ).toEqual({
      timestamp: new Date(5),
      severity: 'ERROR',
      text: 'boom',
      httpStatus: null,
      // No insertId from Cloud Logging: one derived from what the entry holds, so the cursor can still skip it.
      insertId: '~1970-01-01T00:00:00.005Z ERROR boom',
    });
    expect(
      logEntry({ metadata: { timestamp: new Date(6), severity: 'INFO', httpRequest: { status: 503 } }, data: {} }),
    ).toMatchObject({
      severity: 'INFO',
      httpStatus: 503,
    });
  });
});

describe('errors and clients', () => {
  it('maps gRPC codes to the port’s codes and leaves other errors alone', () => {
    const cases: ReadonlyArray<readonly [GrpcStatus, ExternalError['code']]> = [
      [GrpcStatus.UNAVAILABLE, 'unavailable'],
      [GrpcStatus.NOT_FOUND, 'not_found'],
      [GrpcStatus.INVALID_ARGUMENT, 'rejected'],
      [GrpcStatus.FAILED_PRECONDITION, 'rejected'],
      [GrpcStatus.RESOURCE_EXHAUSTED, 'rate_limited'],
      [GrpcStatus.UNAUTHENTICATED, 'unauthenticated'],
      [GrpcStatus.PERMISSION_DENIED, 'unauthenticated'],
      [GrpcStatus.ABORTED, 'conflict'],
      [GrpcStatus.DEADLINE_EXCEEDED, 'timeout'],
    ];
    for (const [code, expected] of cases) {
      const mapped = toExternalError('cloud-build', Object.assign(new Error('x'), { code, details: 'why' }), 'doing');
      expect(mapped).toMatchObject({ name: 'ExternalError', service: 'cloud-build', code: expected });
      expect(mapped.message).toBe(`doing: ${GrpcStatus[code]}: why`);
    }
    const bug = new TypeError('not a platform answer');
    expect(toExternalError('cloud-run', bug, 'doing')).toBe(bug);
  });

  it('parses GCP_API_ENDPOINT and refuses anything else', () => {
    expect(parseApiEndpoint('127.0.0.1:8085')).toEqual({ host: '127.0.0.1', port: 8085 });
    expect(parseApiEndpoint('[::1]:9000')).toEqual({ host: '::1', port: 9000 });
    expect(() => parseApiEndpoint('localhost')).toThrow(/host:port/);
    expect(() => parseApiEndpoint('localhost:99999')).toThrow(/host:port/);
  });

  it('points every client at the endpoint, never at Google', async () => {
    const clients = createGcpClients({ apiEndpoint: '127.0.0.1:1', projectId: 'p' });
    try {
      // A closed port: the call fails locally and quickly instead of reaching Google's endpoints.
      const error = await clients.services
        .getService({ name: 'projects/p/locations/r/services/s' }, { timeout: 500, retry: null })
        .catch((caught: unknown) => caught);
      expect(error).toMatchObject({ code: expect.any(Number) as unknown });
      expect(String(error)).toMatch(/127\.0\.0\.1:1|UNAVAILABLE|DEADLINE/);
    } finally {
      await clients.close();
    }
  });
});
