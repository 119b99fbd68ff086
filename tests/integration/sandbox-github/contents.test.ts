import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { Octokit } from 'octokit';

import { startGitHubEmulator, type GitHubEmulator } from '../../../sandbox/github/index.js';
import { BUILD_TAG, errorData, fakeClock, git, octokitFor, OWNER, REPO, requestError, TOKEN } from './helpers.js';

const repo = { owner: OWNER, repo: REPO };
const base64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');

let emulator: GitHubEmulator;
let octokit: Octokit;
let dir: string;

beforeEach(async () => {
  emulator = await startGitHubEmulator({
    token: TOKEN,
    clock: fakeClock(),
    repos: [
      {
        owner: OWNER,
        name: REPO,
        files: { 'build_tag.txt': BUILD_TAG, 'docs/deployments/2025-10-08-deploy-phase2.md': '# Phase 2\n' },
      },
    ],
  });
  octokit = octokitFor(emulator);
  dir = emulator.repoDir(OWNER, REPO);
});

afterEach(async () => {
  await emulator.close();
});

async function fileSha(path: string, ref = 'main'): Promise<string> {
  const { data } = await octokit.rest.repos.getContent({ ...repo, path, ref });
  if (Array.isArray(data)) throw new Error(`${path} is a directory`);
  return data.sha;
}

describe('GET contents', () => {
  it('lists a directory and answers 404 for a missing path', async () => {
    const { data } = await octokit.rest.repos.getContent({ ...repo, path: 'docs/deployments' });
    expect(Array.isArray(data)).toBe(true);
    if (!Array.isArray(data)) return;
    expect(data.map((entry) => [entry.path, entry.type])).toEqual([
      ['docs/deployments/2025-10-08-deploy-phase2.md', 'file'],
    ]);

    const root = await octokit.rest.repos.getContent({ ...repo, path: '' });
    expect(Array.isArray(root.data) && root.data.map((entry) => entry.name).sort()).toEqual(['build_tag.txt', 'docs']);

    const missing = await requestError(octokit.rest.repos.getContent({ ...repo, path: 'nope.txt' }));
    expect(errorData(missing)).toEqual({
      message: 'Not Found',
      documentation_url: 'https://docs.github.com/rest/repos/contents#get-repository-content',
      status: '404',
    });
  });

  it('reads at a commit id and answers 404 for an unknown ref', async () => {
    const first = (await git(dir, 'rev-parse', 'main')).trim();
    await emulator.commitFiles(OWNER, REPO, { 'build_tag.txt': 'deploy-20251010-101500\r\n' });
    expect(await fileSha('build_tag.txt', first)).toBe((await git(dir, 'rev-parse', `${first}:build_tag.txt`)).trim());
    const unknown = await requestError(octokit.rest.repos.getContent({ ...repo, path: 'build_tag.txt', ref: 'nope' }));
    expect(errorData(unknown)).toMatchObject({ message: 'No commit found for the ref nope', status: '404' });
  });

  it('sends raw bytes for the raw media type', async () => {
    const { data } = await octokit.rest.repos.getContent({
      ...repo,
      path: 'build_tag.txt',
      mediaType: { format: 'raw' },
    });
    expect(data).toBe(BUILD_TAG);
  });
});

describe('PUT contents', () => {
  it('creates a file (201), then updates it with its blob sha (200), one commit each', async () => {
    const created = await octokit.rest.repos.createOrUpdateFileContents({
      ...repo,
      path: 'docs/deployments/2025-10-10-deploy-phase3.md',
      message: 'docs(deploy): phase3 log',
      content: base64('# Phase 3\r\n'),
      committer: { name: 'Liftoff', email: 'liftoff@example.com' },
    });
    expect(created.status).toBe(201);
    expect(created.data.content?.path).toBe('docs/deployments/2025-10-10-deploy-phase3.md');
    expect(created.data.commit.committer?.name).toBe('Liftoff');
    expect(await git(dir, 'show', 'main:docs/deployments/2025-10-10-deploy-phase3.md')).toBe('# Phase 3\r\n');

    const updated = await octokit.rest.repos.createOrUpdateFileContents({
      ...repo,
      path: 'build_tag.txt',
      message: 'chore: bump build tag',
      content: base64('deploy-20251010-101500\r\n'),
      sha: await fileSha('build_tag.txt'),
      branch: 'main',
    });
    expect(updated.status).toBe(200);
    expect(updated.data.commit.sha).toBe((await git(dir, 'rev-parse', 'main')).trim());
    expect(await git(dir, 'log', '--format=%s', 'main')).toBe(
      'chore: bump build tag\ndocs(deploy): phase3 log\nInitial commit\n',
    );
  });

  it('answers 409 when the sha is not the current blob, and 422 without one', async () => {
    const stale = await fileSha('build_tag.txt');
    emulator.faults.moveBranchBeforeNextUpdate(OWNER, REPO, 'main', { 'build_tag.txt': 'deploy-20251010-090000\r\n' });
    const conflict = await requestError(
      octokit.rest.repos.createOrUpdateFileContents({
        ...repo,
        path: 'build_tag.txt',
        message: 'chore: bump',
        content: base64('deploy-20251010-101500\r\n'),
        sha: stale,
      }),
    );
    expect(conflict.status).toBe(409);
    expect(errorData(conflict)).toMatchObject({ message: `build_tag.txt does not match ${stale}`, status: '409' });
    expect(await git(dir, 'show', 'main:build_tag.txt')).toBe('deploy-20251010-090000\r\n');

    const missing = await requestError(
      octokit.rest.repos.createOrUpdateFileContents({
        ...repo,
        path: 'build_tag.txt',
        message: 'chore: bump',
        content: base64('x'),
      }),
    );
    expect(missing.status).toBe(422);
    expect(errorData(missing)['message']).toBe('Invalid request.\n\n"sha" wasn\'t supplied.');
  });

  it('answers 404 for a branch that does not exist', async () => {
    const error = await requestError(
      octokit.rest.repos.createOrUpdateFileContents({
        ...repo,
        path: 'x.txt',
        message: 'm',
        content: base64('x'),
        branch: 'nope',
      }),
    );
    expect(error.status).toBe(404);
  });
});

describe('an existing repository given by directory', () => {
  let existing: string;

  beforeEach(async () => {
    existing = await mkdtemp(join(tmpdir(), 'liftoff-existing-'));
    await git(existing, 'init', '--quiet', '--initial-branch=trunk');
    await git(
      existing,
      '-c',
      'user.name=Dev',
      '-c',
      'user.email=dev@example.com',
      'commit',
      '--allow-empty',
      '-m',
      'root',
    );
  });

  afterEach(async () => {
    await rm(existing, { recursive: true, force: true });
  });

  it('serves it with its HEAD branch as default and commits into it', async () => {
    const other = await startGitHubEmulator({ token: TOKEN, repos: [{ owner: 'acme', name: 'app', dir: existing }] });
    try {
      const client = octokitFor(other);
      expect((await client.rest.repos.get({ owner: 'acme', repo: 'app' })).data.default_branch).toBe('trunk');
      await client.rest.repos.createOrUpdateFileContents({
        owner: 'acme',
        repo: 'app',
        path: 'build_tag.txt',
        message: 'add tag',
        content: base64('1\n'),
      });
      expect(await git(existing, 'log', '--format=%s', 'trunk')).toBe('add tag\nroot\n');
      expect(other.repoDir('acme', 'app')).toBe(existing);
    } finally {
      await other.close();
    }
  });

  it('gives an empty directory inside another work tree its own repository, and refuses a non-empty one', async () => {
    const nested = join(existing, 'nested');
    await mkdir(nested);
    const other = await startGitHubEmulator({
      token: TOKEN,
      repos: [{ owner: 'acme', name: 'nested', dir: nested, files: { 'a.txt': 'a' } }],
    });
    await other.close();
    expect(await git(nested, 'log', '--format=%s', 'main')).toBe('Initial commit\n');
    expect(await git(existing, 'log', '--format=%s', 'trunk')).toBe('root\n');

    const plain = join(existing, 'plain');
    await mkdir(plain);
    await writeFile(join(plain, 'keep.txt'), 'x');
    await expect(startGitHubEmulator({ token: TOKEN, repos: [{ owner: 'a', name: 'b', dir: plain }] })).rejects.toThrow(
      /neither a git repository nor empty/,
    );
  });
});
