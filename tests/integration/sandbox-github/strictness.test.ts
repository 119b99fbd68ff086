import type { Octokit } from 'octokit';

import { startGitHubEmulator, type GitHubEmulator } from '../../../sandbox/github/index.js';
import {
  BUILD_TAG,
  errorData,
  fakeClock,
  git,
  octokitFor,
  OWNER,
  REPO,
  requestError,
  TOKEN,
  type FakeClock,
} from './helpers.js';

const repo = { owner: OWNER, repo: REPO };

let emulator: GitHubEmulator;
let octokit: Octokit;
let clock: FakeClock;
let head: string;

beforeEach(async () => {
  clock = fakeClock();
  emulator = await startGitHubEmulator({
    token: TOKEN,
    clock,
    repos: [{ owner: OWNER, name: REPO, files: { 'build_tag.txt': BUILD_TAG } }],
  });
  octokit = octokitFor(emulator);
  head = (await git(emulator.repoDir(OWNER, REPO), 'rev-parse', 'main')).trim();
});

afterEach(async () => {
  await emulator.close();
});

describe('credentials', () => {
  it('answers 401 Bad credentials to a wrong token, and Requires authentication to none', async () => {
    const bad = await requestError(octokitFor(emulator, 'ghp_wrong').rest.repos.get(repo));
    expect(bad.status).toBe(401);
    expect(errorData(bad)).toEqual({
      message: 'Bad credentials',
      documentation_url: 'https://docs.github.com/rest',
      status: '401',
    });
    expect(bad.response?.headers['x-ratelimit-limit']).toBe('60');

    const none = await requestError(octokitFor(emulator, null).rest.repos.get(repo));
    expect(errorData(none)['message']).toBe('Requires authentication');
  });

  it('accepts the token as `token` or `Bearer`', async () => {
    for (const scheme of ['token', 'Bearer']) {
      const response = await fetch(`${emulator.apiUrl}/repos/${OWNER}/${REPO}`, {
        headers: { authorization: `${scheme} ${TOKEN}` },
      });
      expect(response.status).toBe(200);
    }
  });
});

describe('answers like GitHub', () => {
  it('sends JSON with a request id and rate-limit headers on every answer', async () => {
    const first = await octokit.rest.repos.get(repo);
    const second = await octokit.rest.repos.get(repo);
    expect(first.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(first.headers['x-github-request-id']).toMatch(/^[0-9A-F]+(:[0-9A-F]+){4}$/);
    expect(first.headers['x-ratelimit-limit']).toBe('5000');
    expect(first.headers['x-ratelimit-resource']).toBe('core');
    expect(Number(first.headers['x-ratelimit-remaining']) - Number(second.headers['x-ratelimit-remaining'])).toBe(1);
    expect(second.headers['x-ratelimit-used']).toBe('2');
    expect(Number(first.headers['x-ratelimit-reset'])).toBe(Math.ceil(clock.now().getTime() / 1000) + 3600);

    const unknown = await requestError(octokit.rest.repos.get({ owner: OWNER, repo: 'nope' }));
    expect(unknown.status).toBe(404);
    expect(errorData(unknown)).toEqual({
      message: 'Not Found',
      documentation_url: 'https://docs.github.com/rest/repos/repos#get-a-repository',
      status: '404',
    });
    expect(unknown.response?.headers['x-ratelimit-remaining']).toBeDefined();
  });

  it('answers 422 Invalid request for a body that breaks the schema, 400 for one that is not JSON', async () => {
    const missing = await requestError(octokit.request(`POST /repos/${OWNER}/${REPO}/git/commits`, { message: 'm' }));
    expect(missing.status).toBe(422);
    expect(errorData(missing)['message']).toBe('Invalid request.\n\n"tree" wasn\'t supplied.');

    const response = await fetch(`${emulator.apiUrl}/repos/${OWNER}/${REPO}/git/blobs`, {
      method: 'POST',
      headers: { authorization: `token ${TOKEN}`, 'content-type': 'application/json' },
      body: '{not json',
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ message: 'Problems parsing JSON' });
  });

  it('paginates lists with a Link header', async () => {
    for (let index = 0; index < 3; index += 1) {
      await octokit.rest.repos.createDeployment({ ...repo, ref: head, environment: `env-${index}`, auto_merge: false });
    }
    const page = await octokit.rest.repos.listDeployments({ ...repo, per_page: 2 });
    expect(page.data).toHaveLength(2);
    expect(page.headers.link).toContain('rel="next"');
    const all = await octokit.paginate(octokit.rest.repos.listDeployments, { ...repo, per_page: 2 });
    expect(all.map((deployment) => deployment.environment)).toEqual(['env-2', 'env-1', 'env-0']);
  });

  it('records every call with its status', async () => {
    emulator.clearCalls();
    await octokit.rest.git.getRef({ ...repo, ref: 'heads/main' });
    await requestError(octokit.rest.git.getRef({ ...repo, ref: 'heads/nope' }));
    expect(emulator.calls.map((call) => `${call.method} ${call.path} ${call.status}`)).toEqual([
      `GET /repos/${OWNER}/${REPO}/git/ref/heads/main 200`,
      `GET /repos/${OWNER}/${REPO}/git/ref/heads/nope 404`,
    ]);
    expect(emulator.internalErrors).toEqual([]);
  });
});

describe('faults', () => {
  it('answers 503 to every call while down', async () => {
    emulator.faults.down(true);
    const outage = await requestError(octokit.rest.git.getRef({ ...repo, ref: 'heads/main' }));
    expect(outage.status).toBe(503);
    expect((await requestError(octokitFor(emulator, 'ghp_wrong').rest.repos.get(repo))).status).toBe(503);
    emulator.faults.down(false);
    expect((await octokit.rest.git.getRef({ ...repo, ref: 'heads/main' })).status).toBe(200);
  });

  it('fails the next calls to a path, then recovers', async () => {
    emulator.faults.failNext(/\/deployments$/, 502, 2, { method: 'POST' });
    await expect(octokit.rest.repos.listDeployments(repo)).resolves.toMatchObject({ status: 200 });
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const error = await requestError(octokit.rest.repos.createDeployment({ ...repo, ref: head, auto_merge: false }));
      expect(error.status).toBe(502);
    }
    expect((await octokit.rest.repos.createDeployment({ ...repo, ref: head, auto_merge: false })).status).toBe(201);
  });
});

describe('primary rate limit', () => {
  it('answers 403 with x-ratelimit-remaining 0 once the hourly budget is spent, until the reset', async () => {
    const limited = await startGitHubEmulator({
      token: TOKEN,
      clock,
      rateLimits: { limit: 2 },
      repos: [{ owner: OWNER, name: REPO }],
    });
    try {
      const client = octokitFor(limited);
      await client.rest.repos.get(repo);
      const last = await client.rest.repos.get(repo);
      expect(last.headers['x-ratelimit-remaining']).toBe('0');
      const refused = await requestError(client.rest.repos.get(repo));
      expect(refused.status).toBe(403);
      expect(refused.response?.headers['x-ratelimit-remaining']).toBe('0');
      expect(String(errorData(refused)['message'])).toMatch(/^API rate limit exceeded for user ID 1\./);
      clock.advance(3600);
      expect((await client.rest.repos.get(repo)).headers['x-ratelimit-remaining']).toBe('1');
    } finally {
      await limited.close();
    }
  });

  it('answers 404, not 500, to a path that is not valid percent-encoding', async () => {
    const response = await fetch(`${emulator.apiUrl}/repos/${OWNER}/${REPO}/git/ref/heads%E0%A4%A`, {
      headers: { authorization: `token ${TOKEN}` },
    });
    expect(response.status).toBe(404);
    expect(emulator.internalErrors).toEqual([]);
  });
});

describe('secondary rate limit', () => {
  it('refuses the 81st content-creating request of a minute with 403 and retry-after', async () => {
    const status = (): Promise<unknown> =>
      octokit.rest.repos.createCommitStatus({ ...repo, sha: head, state: 'success', context: 'ci' });
    for (let index = 0; index < 80; index += 1) await status();
    const refused = await requestError(status());
    expect(refused.status).toBe(403);
    expect(refused.response?.headers['retry-after']).toBe('60');
    expect(String(errorData(refused)['message'])).toMatch(
      /^You have exceeded a secondary rate limit and have been temporarily blocked from content creation\./,
    );
    // Reads are not content creation.
    expect((await octokit.rest.repos.get(repo)).status).toBe(200);

    clock.advance(60);
    expect((await status()) as object).toMatchObject({ status: 201 });
  });
});
