import {
  LATEST,
  parseCpu,
  parseMemory,
  REVISION,
  validateServiceId,
  validateTemplate,
  validateTraffic,
  type TemplateInput,
  type TrafficTargetInput,
} from '../../../sandbox/gcp/run-validation.js';
import { parseImageReference } from '../../../sandbox/gcp/registry.js';

const SERVICE = 'emergence-app';

function template(overrides: Partial<TemplateInput> = {}, limits: Record<string, string> = {}): TemplateInput {
  return {
    revision: '',
    labels: {},
    annotations: {},
    scaling: null,
    timeout: null,
    serviceAccount: '',
    executionEnvironment: 'EXECUTION_ENVIRONMENT_UNSPECIFIED',
    maxInstanceRequestConcurrency: 0,
    containers: [
      {
        name: '',
        image: 'europe-west1-docker.pkg.dev/p/app/emergence-app:deploy-20251008-183707',
        env: [],
        ports: [],
        resources: { limits },
      },
    ],
    ...overrides,
  };
}

function target(overrides: Partial<TrafficTargetInput>): TrafficTargetInput {
  return { type: REVISION, revision: `${SERVICE}-00001-abc`, percent: 0, tag: '', ...overrides };
}

describe('quantities', () => {
  it.each([
    ['512Mi', 512 * 1024 ** 2],
    ['2Gi', 2 * 1024 ** 3],
    ['1G', 1e9],
    ['0.5Gi', 0.5 * 1024 ** 3],
    ['2 gigs', undefined],
    ['2GB', undefined],
  ])('memory %s is %s bytes', (text, bytes) => {
    expect(parseMemory(text)).toBe(bytes);
  });

  it.each([
    ['1', 1],
    ['2', 2],
    ['1000m', 1],
    ['0.5', 0.5],
    ['two', undefined],
  ])('cpu %s is %s', (text, cpus) => {
    expect(parseCpu(text)).toBe(cpus);
  });
});

describe('templates', () => {
  it.each([
    [
      'accepts the runbook resources',
      template({ timeout: { seconds: '300', nanos: 0 } }, { memory: '2Gi', cpu: '2' }),
      [],
    ],
    ['accepts a prefixed revision name', template({ revision: `${SERVICE}-deploy-20251008-183707` }), []],
    [
      'refuses a timeout of 120000 s',
      template({ timeout: { seconds: '120000', nanos: 0 } }),
      ['service.template.timeout'],
    ],
    [
      'refuses a revision name of another service',
      template({ revision: 'other-app-1' }),
      ['service.template.revision'],
    ],
    [
      'refuses a revision name over 63 characters',
      template({ revision: `${SERVICE}-${'x'.repeat(60)}` }),
      ['service.template.revision'],
    ],
    ['refuses 3 CPUs', template({}, { cpu: '3' }), ['service.template.containers[0].resources.limits.cpu']],
    [
      'refuses 8Gi with 1 CPU',
      template({}, { memory: '8Gi', cpu: '1' }),
      ['service.template.containers[0].resources.limits'],
    ],
    [
      'refuses 4 CPUs with 1Gi',
      template({}, { memory: '1Gi', cpu: '4' }),
      ['service.template.containers[0].resources.limits'],
    ],
    [
      'refuses 64Gi',
      template({}, { memory: '64Gi', cpu: '8' }),
      ['service.template.containers[0].resources.limits.memory'],
    ],
    ['refuses a template without containers', template({ containers: [] }), ['service.template.containers']],
  ])('%s', (_what, candidate, fields) => {
    expect(validateTemplate(SERVICE, candidate).map((violation) => violation.field)).toEqual(fields);
  });
});

describe('traffic', () => {
  it.each([
    ['accepts LATEST at 100', [target({ type: LATEST, revision: '', percent: 100 })], []],
    [
      'accepts a pinned revision and a 0 % tagged one',
      [target({ percent: 100 }), target({ revision: `${SERVICE}-next`, tag: 'deploy-20251009-073931' })],
      [],
    ],
    ['refuses a sum of 90', [target({ percent: 90 })], ['service.traffic']],
    ['refuses LATEST with a revision name', [target({ type: LATEST, percent: 100 })], ['service.traffic[0].revision']],
    [
      'refuses an unspecified type',
      [target({ type: 'TRAFFIC_TARGET_ALLOCATION_TYPE_UNSPECIFIED', percent: 100 })],
      ['service.traffic[0].type'],
    ],
    ['refuses an upper-case tag', [target({ percent: 100, tag: 'Prod' })], ['service.traffic[0].tag']],
    ['refuses a two-letter tag', [target({ percent: 100, tag: 'p1' })], ['service.traffic[0].tag']],
    [
      'refuses duplicate tags',
      [target({ percent: 100, tag: 'candidate' }), target({ revision: `${SERVICE}-next`, tag: 'candidate' })],
      ['service.traffic[1].tag'],
    ],
  ])('%s', (_what, traffic, fields) => {
    expect(validateTraffic(SERVICE, traffic).map((violation) => violation.field)).toEqual(fields);
  });
});

describe('names', () => {
  it.each([
    ['emergence-app', true],
    ['Emergence', false],
    ['app-', false],
    ['1app', false],
    ['a'.repeat(50), false],
  ])('service id %s is valid: %s', (id, valid) => {
    expect(validateServiceId(id).length === 0).toBe(valid);
  });

  it.each([
    ['europe-west1-docker.pkg.dev/p/app/emergence-app:deploy-20251008-183707', true],
    [`europe-west1-docker.pkg.dev/p/app/emergence-app@sha256:${'a'.repeat(64)}`, true],
    ['gcr.io/p/emergence-app', true],
    ['emergence-app:latest', false],
    ['europe-west1-docker.pkg.dev/p/app/Emergence', false],
  ])('image %s is a reference: %s', (image, valid) => {
    expect(parseImageReference(image) !== undefined).toBe(valid);
  });
});
