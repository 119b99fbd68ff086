import { createOctokit, shouldRetryRateLimited } from '../../../src/adapters/github/github-client.js';
import { githubRepoAdapter } from '../../../src/adapters/github/github-repo-adapter.js';
import type { RepoPort } from '../../../src/deploy/ports/index.js';
import { OWNER, NAME, REPO, rejection, startSandbox, TOKEN, type Sandbox } from './helpers.js';

let sandbox: Sandbox;
let warnings: string[];

beforeEach(async () => {
  sandbox = await startSandbox({ 'build_tag.txt': 'deploy-20251008-183707\n' });
  warnings = [];
});

afterEach(async () => {
  await sandbox.emulator.close();
});

function productionPort(): RepoPort {
  return githubRepoAdapter(
    createOctokit({
      token: TOKEN,
      baseUrl: sandbox.emulator.apiUrl,
      mode: 'production',
      log: { warn: (message) => warnings.push(message), info: () => undefined },
    }),
  );
}

const refCalls = (): number => sandbox.emulator.calls.filter((call) => call.path.includes('/git/ref/')).length;
const deploymentCalls = (): number =>
  sandbox.emulator.calls.filter((call) => call.method === 'POST' && call.path.endsWith('/deployments')).length;

describe('test mode', () => {
  it('neither retries nor waits: a 503 is seen once', async () => {
    sandbox.emulator.faults.failNext(/\/git\/ref\//, 503, 3);
    const port = githubRepoAdapter(createOctokit({ token: TOKEN, baseUrl: sandbox.emulator.apiUrl, mode: 'test' }));
    await expect(port.readFileAtBranch({ repo: REPO, branch: 'main', path: 'build_tag.txt' })).rejects.toMatchObject({
      code: 'unavailable',
    });
    expect(refCalls()).toBe(1);
  });
});

describe('production mode', () => {
  it('hands a 409 and a 422 back at once, never retried', async () => {
    const port = productionPort();
    sandbox.emulator.faults.failNext(/\/deployments$/, 409, 5, { message: 'Conflict merging main into feature.' });
    const conflict = await rejection(
      port.createDeployment({ repo: REPO, ref: 'main', environment: 'production', description: 'd', payload: {} }),
    );
    expect(conflict).toMatchObject({ code: 'conflict' });
    expect(deploymentCalls()).toBe(1);

    sandbox.emulator.faults.clear();
    const unknownRef = await rejection(
      port.createDeployment({ repo: REPO, ref: 'nope', environment: 'production', description: 'd', payload: {} }),
    );
    expect(unknownRef).toMatchObject({ code: 'rejected' });
    expect(deploymentCalls()).toBe(2);
  });

  it('retries a read after a 5xx', async () => {
    sandbox.emulator.faults.failNext(/\/git\/ref\//, 502, 1);
    const port = productionPort();
    const read = await port.readFileAtBranch({ repo: REPO, branch: 'main', path: 'build_tag.txt' });
    expect(read.content).toBe('deploy-20251008-183707\n');
    expect(refCalls()).toBe(2);
  });

  it('never retries the creation of a deployment, even after a 5xx', async () => {
    sandbox.emulator.faults.failNext(/\/deployments$/, 502, 1);
    const error = await rejection(
      productionPort().createDeployment({
        repo: REPO,
        ref: 'main',
        environment: 'production',
        description: 'd',
        payload: {},
      }),
    );
    expect(error).toMatchObject({ code: 'unavailable' });
    expect(deploymentCalls()).toBe(1);
    expect(sandbox.emulator.deployments(OWNER, NAME)).toEqual([]);
  });

  it('waits out a short secondary rate limit once, and gives up on a long one', async () => {
    const port = productionPort();
    sandbox.emulator.faults.failNext(/\/git\/ref\//, 403, 1, {
      message: 'You have exceeded a secondary rate limit and have been temporarily blocked from content creation.',
      retryAfterSeconds: 1,
    });
    const started = performance.now();
    const read = await port.readFileAtBranch({ repo: REPO, branch: 'main', path: 'build_tag.txt' });
    expect(read.content).toBe('deploy-20251008-183707\n');
    expect(performance.now() - started).toBeGreaterThanOrEqual(900);
    expect(refCalls()).toBe(2);
    expect(warnings.some((warning) => /SecondaryRateLimit/i.test(warning))).toBe(true);

    sandbox.emulator.clearCalls();
    sandbox.emulator.faults.failNext(/\/git\/ref\//, 403, 1, {
      message: 'You have exceeded a secondary rate limit.',
      retryAfterSeconds: 3600,
    });
    await expect(port.readFileAtBranch({ repo: REPO, branch: 'main', path: 'build_tag.txt' })).rejects.toMatchObject({
      code: 'rate_limited',
    });
    expect(refCalls()).toBe(1);
  });
});

describe('shouldRetryRateLimited', () => {
  it.each([
    [1, 0, true],
    [60, 1, true],
    [61, 0, false],
    [1, 2, false],
  ])('after %i s at retry %i: %s', (retryAfter, retryCount, expected) => {
    expect(shouldRetryRateLimited(retryAfter, retryCount)).toBe(expected);
  });
});
