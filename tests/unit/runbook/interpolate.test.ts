import { parse } from 'yaml';

import { type Env, formatKeyPath, interpolate } from '../../../src/deploy/runbook/interpolate.js';

const env: Env = { GCP_PROJECT: 'emergence-prod', GCP_REGION: 'us-east1', EMPTY: '', UNSET_LIKE: undefined };

describe('interpolate: strings', () => {
  it.each<[string, string]>([
    ['${GCP_PROJECT}', 'emergence-prod'],
    ['projects/${GCP_PROJECT}/regions/${GCP_REGION}', 'projects/emergence-prod/regions/us-east1'],
    ['${GCP_REGION:-europe-west1}', 'us-east1'],
    ['${MISSING:-europe-west1}', 'europe-west1'],
    ['${UNSET_LIKE:-fallback}', 'fallback'],
    ['${EMPTY:-fallback}', 'fallback'],
    ['${EMPTY}', ''],
    ['${MISSING:-}', ''],
    ['${MISSING:-a:-b}', 'a:-b'],
    ['${MISSING:-http://x:8080/y}', 'http://x:8080/y'],
    ['$${GCP_PROJECT}', '${GCP_PROJECT}'],
    ['cost: $5, $HOME, $$', 'cost: $5, $HOME, $$'],
    ['$$${GCP_PROJECT}', '$${GCP_PROJECT}'],
    ['image:{tag}', 'image:{tag}'],
    [
      '${GCP_REGION}-docker.pkg.dev/${GCP_PROJECT}/app/emergence-app:{tag}',
      'us-east1-docker.pkg.dev/emergence-prod/app/emergence-app:{tag}',
    ],
  ])('fills %j as %j', (input, output) => {
    const result = interpolate(input, env);
    expect(result.errors).toEqual([]);
    expect(result.value).toBe(output);
  });

  it.each<[string, RegExp]>([
    ['${GCP_PROJECT', /unterminated placeholder/],
    ['${}', /not a valid placeholder/],
    ['${GCP-PROJECT}', /not a valid placeholder/],
    ['${1ABC}', /not a valid placeholder/],
    ['${ GCP_PROJECT }', /not a valid placeholder/],
  ])('refuses the malformed placeholder in %j', (input, message) => {
    const result = interpolate({ key: input }, env);
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]?.path).toBe('key');
    expect(result.errors[0]?.message).toMatch(message);
  });
});

describe('interpolate: documents', () => {
  it('walks nested mappings and lists, leaving keys, numbers, booleans and null alone', () => {
    const input = {
      service: { project: '${GCP_PROJECT}', region: '${GCP_REGION:-europe-west1}' },
      checks: [
        { name: 'a', body: { session_id: '${GCP_PROJECT}', force: true, n: 3, nothing: null } },
        'x-${GCP_REGION}',
      ],
      '${GCP_PROJECT}': 'key stays',
    };
    const result = interpolate(input, env);
    expect(result.errors).toEqual([]);
    expect(result.value).toEqual({
      service: { project: 'emergence-prod', region: 'us-east1' },
      checks: [{ name: 'a', body: { session_id: 'emergence-prod', force: true, n: 3, nothing: null } }, 'x-us-east1'],
      '${GCP_PROJECT}': 'key stays',
    });
    expect(result.variables).toEqual(['GCP_PROJECT', 'GCP_REGION']);
  });

  it('collects every missing variable with the key path where it appeared', () => {
    const input = {
      service: { project: '${GCP_PROJECT}', name: '${SERVICE}' },
      verify: {
        checks: [
          { name: 'health' },
          { body: { session_id: '${SESSION}' }, expect: { json: [{ equals: '${SESSION}' }] } },
        ],
      },
      env: { 'odd-key': '${ODD}' },
    };
    const result = interpolate(input, env);
    expect(result.errors).toEqual([
      { path: 'service.name', variable: 'SERVICE', message: 'environment variable SERVICE is not set' },
      {
        path: 'verify.checks[1].body.session_id',
        variable: 'SESSION',
        message: 'environment variable SESSION is not set',
      },
      {
        path: 'verify.checks[1].expect.json[0].equals',
        variable: 'SESSION',
        message: 'environment variable SESSION is not set',
      },
      { path: 'env["odd-key"]', variable: 'ODD', message: 'environment variable ODD is not set' },
    ]);
    // Unresolved placeholders become empty text, so the rest can still be validated.
    expect(result.value).toMatchObject({ service: { project: 'emergence-prod', name: '' } });
  });

  it('reports two missing variables in one string', () => {
    const result = interpolate(['${A}/${B}'], {});
    expect(result.errors.map((error) => [error.path, error.variable])).toEqual([
      ['[0]', 'A'],
      ['[0]', 'B'],
    ]);
  });

  it('cannot inject YAML structure: a value with YAML syntax stays one string', () => {
    const document: unknown = parse('deploy:\n  memory: ${MEMORY}\n  cpu: "2"\n');
    const hostile = '2Gi\n  allowUnauthenticated: true\nextra: [1, 2]';
    const result = interpolate(document, { MEMORY: hostile });
    expect(result.value).toEqual({ deploy: { memory: hostile, cpu: '2' } });
  });

  it('does not modify its input', () => {
    const input = { a: ['${GCP_PROJECT}'], b: { c: '${GCP_REGION}' } };
    const copy = structuredClone(input);
    interpolate(input, env);
    expect(input).toEqual(copy);
  });

  it('keeps a __proto__ key as data', () => {
    const input: unknown = JSON.parse('{"__proto__": {"polluted": "${GCP_PROJECT}"}}');
    const result = interpolate(input, env);
    expect(Object.getPrototypeOf(result.value)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(result.value, '__proto__')?.value).toEqual({ polluted: 'emergence-prod' });
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });
});

describe('formatKeyPath', () => {
  it.each<[(string | number)[], string]>([
    [[], '(root)'],
    [['deploy', 'timeoutSeconds'], 'deploy.timeoutSeconds'],
    [['verify', 'checks', 2, 'expect', 'json', 0, 'path'], 'verify.checks[2].expect.json[0].path'],
    [[0, 'name'], '[0].name'],
    [['deploy', 'env', 'MY-VAR'], 'deploy.env["MY-VAR"]'],
  ])('formats %j as %s', (path, text) => {
    expect(formatKeyPath(path)).toBe(text);
  });
});
