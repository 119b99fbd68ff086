import { mergeEnv } from '../../../src/adapters/gcp/cloud-run-adapter.js';
import { nextTemplate, trafficTargets } from '../../../src/adapters/gcp/run-template.js';
import type { DeploySettings } from '../../../src/deploy/ports/index.js';

const secretRef = (secret: string, version = 'latest') => ({ valueSource: { secretKeyRef: { secret, version } } });

/** The service as the team's gcloud deploys left it. */
const CURRENT = [
  { name: 'PYTHONPATH', value: '/app' },
  { name: 'OPENAI_API_KEY', ...secretRef('openai-api-key') },
  { name: 'EMERGENCE_ENV', value: 'staging' },
  { name: 'ANTHROPIC_API_KEY', ...secretRef('anthropic-api-key', '3') },
];

describe('mergeEnv', () => {
  it('keeps every current variable the runbook does not name, plain values and secret references alike', () => {
    expect(mergeEnv(CURRENT, {}, {})).toEqual(CURRENT);
    const merged = mergeEnv(CURRENT, { CONCEPT_RECALL_METRICS_ENABLED: 'true' }, {});
    expect(merged.slice(0, CURRENT.length)).toEqual(CURRENT);
    expect(merged.map((variable) => variable.name)).toContain('PYTHONPATH');
  });

  it('replaces a named variable in place and appends new ones, plain values then secrets, by name', () => {
    const merged = mergeEnv(
      CURRENT,
      { EMERGENCE_ENV: 'production', ZETA: '1', ALPHA: '2' },
      { NEO_KEY: { secret: 'neo', version: '2' } },
    );
    expect(merged).toEqual([
      { name: 'PYTHONPATH', value: '/app' },
      { name: 'OPENAI_API_KEY', ...secretRef('openai-api-key') },
      { name: 'EMERGENCE_ENV', value: 'production' },
      { name: 'ANTHROPIC_API_KEY', ...secretRef('anthropic-api-key', '3') },
      { name: 'ALPHA', value: '2' },
      { name: 'ZETA', value: '1' },
      { name: 'NEO_KEY', ...secretRef('neo', '2') },
    ]);
  });

  it('turns a plain value into a secret reference and back, never leaving both', () => {
    const toSecret = mergeEnv(CURRENT, {}, { EMERGENCE_ENV: { secret: 'env', version: 'latest' } });
    expect(toSecret.find((variable) => variable.name === 'EMERGENCE_ENV')).toEqual({
      name: 'EMERGENCE_ENV',
      ...secretRef('env'),
    });
    const toPlain = mergeEnv(CURRENT, { OPENAI_API_KEY: 'inline' }, {});
    expect(toPlain.find((variable) => variable.name === 'OPENAI_API_KEY')).toEqual({
      name: 'OPENAI_API_KEY',
      value: 'inline',
    });
  });

  it('lets a secret win when the same name is set both ways, and never duplicates a name', () => {
    const merged = mergeEnv(CURRENT, { PYTHONPATH: '/srv' }, { PYTHONPATH: { secret: 'pp', version: '1' } });
    expect(merged.filter((variable) => variable.name === 'PYTHONPATH')).toEqual([
      { name: 'PYTHONPATH', ...secretRef('pp', '1') },
    ]);
    expect(mergeEnv([...CURRENT, { name: 'PYTHONPATH', value: '/dup' }], { PYTHONPATH: '/x' }, {})).toHaveLength(
      CURRENT.length,
    );
  });

  it('does not modify its inputs', () => {
    const current = structuredClone(CURRENT);
    mergeEnv(current, { EMERGENCE_ENV: 'production' }, { NEW: { secret: 'n', version: '1' } });
    expect(current).toEqual(CURRENT);
  });
});

describe('nextTemplate', () => {
  const settings: DeploySettings = {
    memory: '2Gi',
    cpu: '2',
    timeoutSeconds: 300,
    minInstances: 1,
    maxInstances: 10,
  };

  it('changes the ingress container only and keeps probes, volumes, sidecars and the service account', () => {
    const sidecar = { name: 'otel', image: 'otel/collector:1', env: [{ name: 'A', value: 'b' }] };
    const current = {
      revision: 'emergence-app-old',
      serviceAccount: 'sa@p.iam.gserviceaccount.com',
      volumes: [{ name: 'cache', emptyDir: {} }],
      scaling: { minInstanceCount: 0, maxInstanceCount: 3 },
      maxInstanceRequestConcurrency: 80,
      containers: [
        sidecar,
        {
          name: 'app',
          image: 'old',
          ports: [{ containerPort: 8080 }],
          env: CURRENT,
          startupProbe: { tcpSocket: { port: 8080 } },
          resources: { limits: { memory: '512Mi', cpu: '1000m', 'nvidia.com/gpu': '0' }, cpuIdle: true },
        },
      ],
    };
    const next = nextTemplate(current, { revision: 'emergence-app-new', image: 'new', settings, env: {}, secrets: {} });
    expect(next).toEqual({
      ...current,
      revision: 'emergence-app-new',
      timeout: { seconds: 300, nanos: 0 },
      scaling: { minInstanceCount: 1, maxInstanceCount: 10 },
      containers: [
        sidecar,
        {
          ...current.containers[1],
          image: 'new',
          env: CURRENT,
          resources: { limits: { memory: '2Gi', cpu: '2', 'nvidia.com/gpu': '0' }, cpuIdle: true },
        },
      ],
    });
    expect(
      nextTemplate(current, {
        revision: 'r',
        image: 'i',
        settings: { ...settings, concurrency: 40 },
        env: {},
        secrets: {},
      }),
    ).toMatchObject({ maxInstanceRequestConcurrency: 40 });
  });
});

describe('trafficTargets', () => {
  it('sends LATEST as its type and revisions by short name, tags as given', () => {
    expect(
      trafficTargets([
        { revision: null, latest: true, percent: 0, tag: 'latest-tag' },
        { revision: 'projects/p/locations/r/services/s/revisions/s-1', latest: false, percent: 100, tag: null },
      ]),
    ).toEqual([
      { type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST', percent: 0, tag: 'latest-tag' },
      { type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION', revision: 's-1', percent: 100, tag: '' },
    ]);
    expect(trafficTargets([{ revision: null, latest: false, percent: 100, tag: null }])).toEqual({
      error: expect.any(String) as unknown,
    });
  });
});
