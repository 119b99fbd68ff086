import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { startGitHubEmulator } from '../../../sandbox/github/index.js';
import { createOctokit } from '../../../src/adapters/github/github-client.js';
import { redactTokens } from '../../../src/adapters/github/github-errors.js';
import { githubRepoAdapter } from '../../../src/adapters/github/github-repo-adapter.js';
import { ExternalError } from '../../../src/deploy/ports/index.js';
import { NAME, OWNER, REPO, rejection, startSandbox, TOKEN, type Sandbox } from './helpers.js';

let sandbox: Sandbox;

beforeEach(async () => {
  sandbox = await startSandbox({ 'build_tag.txt': 'IMAGE_TAG=deploy-20251008-183707\n' });
});

afterEach(async () => {
  expect(sandbox.emulator.internalErrors).toEqual([]);
  await sandbox.emulator.close();
});

const read = (port = sandbox.port) => port.readFileAtBranch({ repo: REPO, branch: 'main', path: 'build_tag.txt' });

async function externalError(promise: Promise<unknown>): Promise<ExternalError> {
  const error = await rejection(promise);
  if (!(error instanceof ExternalError)) throw new Error(`expected an ExternalError, got ${String(error)}`);
  expect(error.service).toBe('github');
  expect(error.message).not.toContain(TOKEN);
  return error;
}

describe('error mapping', () => {
  it('an outage is unavailable, with what was attempted and GitHub’s words, tried once in test mode', async () => {
    sandbox.emulator.faults.down(true);
    const error = await externalError(read());
    expect(error.code).toBe('unavailable');
    expect(error.message).toMatch(
      /^GitHub: could not read the head of main in emergence\/emergence-app: HTTP 503 No server is currently available/,
    );
    expect(error.message).toMatch(/\[request [0-9A-F:]+\]$/);
    expect(sandbox.emulator.calls).toHaveLength(1);

    sandbox.emulator.faults.down(false);
    expect((await read()).content).toBe('IMAGE_TAG=deploy-20251008-183707\n');
  });

  it('a bad or missing token is unauthenticated', async () => {
    const wrong = githubRepoAdapter(
      createOctokit({
        token: 'ghp_wrongToken0000000000000000000000000',
        baseUrl: sandbox.emulator.apiUrl,
        mode: 'test',
      }),
    );
    const error = await externalError(read(wrong));
    expect(error.code).toBe('unauthenticated');
    expect(error.message).toContain('HTTP 401 Bad credentials');
    expect(error.message).not.toContain('ghp_wrongToken');

    const anonymous = githubRepoAdapter(createOctokit({ baseUrl: sandbox.emulator.apiUrl, mode: 'test' }));
    expect(await externalError(read(anonymous))).toMatchObject({ code: 'unauthenticated' });

    sandbox.emulator.faults.failNext(/\/git\/ref\//, 403, 1, { message: 'Bad credentials' });
    expect(await externalError(read())).toMatchObject({ code: 'unauthenticated' });
  });

  it('primary and secondary rate limits, and 429, are rate_limited with the wait GitHub asks for', async () => {
    const limited = await startGitHubEmulator({
      token: TOKEN,
      rateLimits: { limit: 1 },
      repos: [{ owner: OWNER, name: NAME, files: { 'build_tag.txt': 'x\n' } }],
    });
    try {
      const port = githubRepoAdapter(createOctokit({ token: TOKEN, baseUrl: limited.apiUrl, mode: 'test' }));
      const primary = await externalError(read(port));
      expect(primary.code).toBe('rate_limited');
      expect(primary.message).toContain('API rate limit exceeded');
    } finally {
      await limited.close();
    }

    sandbox.emulator.faults.failNext(/\/git\/ref\//, 403, 1, {
      message: 'You have exceeded a secondary rate limit and have been temporarily blocked from content creation.',
      retryAfterSeconds: 60,
    });
    const secondary = await externalError(read());
    expect(secondary.code).toBe('rate_limited');
    expect(secondary.message).toContain('retry after 60 s');

    sandbox.emulator.faults.failNext(/\/git\/ref\//, 429, 1, { retryAfterSeconds: 5 });
    expect(await externalError(read())).toMatchObject({ code: 'rate_limited' });
  });

  it.each([
    [404, 'not_found'],
    [409, 'conflict'],
    [422, 'rejected'],
    [403, 'rejected'],
    [500, 'unavailable'],
    [502, 'unavailable'],
  ] as const)('HTTP %i is %s', async (status, code) => {
    sandbox.emulator.faults.failNext(/\/git\/ref\//, status, 1, { message: `answer ${status}` });
    const error = await externalError(read());
    expect(error.code).toBe(code);
    expect(error.message).toContain(`HTTP ${status} answer ${status}`);
  });

  it('a 422 keeps the details of GitHub’s errors array', async () => {
    const { id } = await sandbox.port.createDeployment({
      repo: REPO,
      ref: 'main',
      environment: 'production',
      description: 'd',
      payload: {},
    });
    const error = await externalError(
      sandbox.port.createDeploymentStatus({
        repo: REPO,
        deploymentId: id,
        // Not a state the port allows: what GitHub says about it must reach the message.
        state: 'bogus' as 'success',
        description: 'x',
      }),
    );
    expect(error.code).toBe('rejected');
    expect(error.message).toMatch(/HTTP 422 .*state/);
  });

  it('no server at all is unavailable with the connection error', async () => {
    const url = sandbox.emulator.apiUrl;
    await sandbox.emulator.close();
    const port = githubRepoAdapter(createOctokit({ token: TOKEN, baseUrl: url, mode: 'test' }));
    const error = await externalError(read(port));
    expect(error.code).toBe('unavailable');
    expect(error.message).toMatch(/no answer \(ECONNREFUSED .*ECONNREFUSED/);
    sandbox = await startSandbox({});
  });

  it('a server that never answers is a timeout', async () => {
    const silent: Server = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = silent.address() as AddressInfo;
      const adapter = githubRepoAdapter(
        createOctokit({ token: TOKEN, baseUrl: `http://127.0.0.1:${port}`, mode: 'test', requestTimeoutMs: 150 }),
      );
      const started = performance.now();
      const error = await externalError(read(adapter));
      expect(error.code).toBe('timeout');
      expect(performance.now() - started).toBeGreaterThanOrEqual(140);
    } finally {
      silent.closeAllConnections();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('an answer of the wrong shape is an error, not a crash deeper in', async () => {
    const fake: typeof fetch = () =>
      Promise.resolve(
        new Response(JSON.stringify({ object: { sha: 'not-a-sha' } }), {
          status: 200,
          headers: { 'content-type': 'application/json' },
        }),
      );
    const adapter = githubRepoAdapter(
      createOctokit({ token: TOKEN, baseUrl: 'http://github.invalid', mode: 'test', fetch: fake }),
    );
    const error = await externalError(read(adapter));
    expect(error.code).toBe('unavailable');
    expect(error.message).toMatch(/unexpected answer at object\.sha/);
  });
});

describe('deployment answers the emulator cannot give with auto_merge off', () => {
  function adapterAnswering(status: number, body: unknown) {
    const fake: typeof fetch = () =>
      Promise.resolve(
        new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json; charset=utf-8' } }),
      );
    return githubRepoAdapter(
      createOctokit({ token: TOKEN, baseUrl: 'http://github.invalid', mode: 'test', fetch: fake }),
    );
  }
  const deploy = (port: ReturnType<typeof adapterAnswering>) =>
    port.createDeployment({ repo: REPO, ref: 'feature', environment: 'production', description: 'd', payload: {} });

  it('a 202 merge answer is a conflict saying nothing was deployed', async () => {
    const error = await externalError(
      deploy(adapterAnswering(202, { message: 'Auto-merged main into feature on deployment.' })),
    );
    expect(error.code).toBe('conflict');
    expect(error.message).toContain('merged instead of deploying ("Auto-merged main into feature on deployment.")');
  });

  it('a 409 for commit checks lists the contexts that are not green', async () => {
    const error = await externalError(
      deploy(
        adapterAnswering(409, {
          message: 'Conflict: Commit status checks failed for feature.',
          errors: [
            {
              contexts: [
                { context: 'ci/lint', state: 'success' },
                { context: 'ci/build', state: 'failure' },
                { context: 'test (20)', state: 'pending' },
              ],
              resource: 'Deployment',
              field: 'required_contexts',
              code: 'invalid',
            },
          ],
        }),
      ),
    );
    expect(error.code).toBe('conflict');
    expect(error.message).toContain('commit checks not green (ci/build failure, test (20) pending)');
  });
});

describe('redactTokens', () => {
  it.each([
    'ghp_abcdefghijklmnopqrstuvwxyz0123456789',
    'github_pat_11ABCDEFG0abcdefghijkl_mnopqrstuvwxyz0123456789',
    'ghs_abcdefghijklmnopqrstuvwxyz0123456789',
  ])('removes %s', (token) => {
    expect(redactTokens(`token ${token} leaked`)).toBe('token [redacted] leaked');
  });
});
