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
const NEXT_TAG = 'deploy-20251010-101500\r\n';
const LOG_PATH = 'docs/deployments/2025-10-10-deploy-phase3.md';

let emulator: GitHubEmulator;
let octokit: Octokit;
let clock: FakeClock;
let dir: string;

beforeEach(async () => {
  clock = fakeClock();
  emulator = await startGitHubEmulator({
    token: TOKEN,
    clock,
    repos: [{ owner: OWNER, name: REPO, files: { 'build_tag.txt': BUILD_TAG, 'README.md': '# ÉMERGENCE\n' } }],
  });
  octokit = octokitFor(emulator);
  dir = emulator.repoDir(OWNER, REPO);
});

afterEach(async () => {
  await emulator.close();
});

/** getRef → getCommit → createTree → createCommit → updateRef, as FACTS.md describes it. */
async function commitTwoFiles(message: string, force = false): Promise<string> {
  const ref = await octokit.rest.git.getRef({ ...repo, ref: 'heads/main' });
  const head = await octokit.rest.git.getCommit({ ...repo, commit_sha: ref.data.object.sha });
  const tree = await octokit.rest.git.createTree({
    ...repo,
    base_tree: head.data.tree.sha,
    tree: [
      { path: 'build_tag.txt', mode: '100644', type: 'blob', content: NEXT_TAG },
      { path: LOG_PATH, mode: '100644', type: 'blob', content: '# Deploy phase3\n' },
    ],
  });
  const commit = await octokit.rest.git.createCommit({
    ...repo,
    message,
    tree: tree.data.sha,
    parents: [head.data.sha],
  });
  await octokit.rest.git.updateRef({ ...repo, ref: 'heads/main', sha: commit.data.sha, force });
  return commit.data.sha;
}

describe('reading', () => {
  it('reads build_tag.txt byte for byte, CRLF kept, through the contents and blob APIs', async () => {
    const { data } = await octokit.rest.repos.getContent({ ...repo, path: 'build_tag.txt', ref: 'main' });
    if (Array.isArray(data) || data.type !== 'file') throw new Error('expected a file');
    expect(data.encoding).toBe('base64');
    // GitHub wraps base64 at 60 characters with a trailing newline.
    expect(data.content.endsWith('\n')).toBe(true);
    expect(Buffer.from(data.content, 'base64').toString('utf8')).toBe(BUILD_TAG);
    expect(data.sha).toBe((await git(dir, 'rev-parse', 'main:build_tag.txt')).trim());
    expect(data.size).toBe(Buffer.byteLength(BUILD_TAG));

    const blob = await octokit.rest.git.getBlob({ ...repo, file_sha: data.sha });
    expect(Buffer.from(blob.data.content, 'base64').toString('utf8')).toBe(BUILD_TAG);
  });

  it('answers the repository with its default branch, and refs in both URL forms', async () => {
    const { data } = await octokit.rest.repos.get(repo);
    expect(data.default_branch).toBe('main');
    expect(data.full_name).toBe(`${OWNER}/${REPO}`);

    const head = (await git(dir, 'rev-parse', 'main')).trim();
    const ref = await octokit.rest.git.getRef({ ...repo, ref: 'heads/main' });
    expect(ref.data).toMatchObject({ ref: 'refs/heads/main', object: { sha: head, type: 'commit' } });
    expect(emulator.calls.at(-1)?.path).toBe(`/repos/${OWNER}/${REPO}/git/ref/heads/main`);

    const plain = await octokit.request(`GET /repos/${OWNER}/${REPO}/git/ref/heads/main`);
    expect(plain.data).toEqual(ref.data);
  });

  it('gives the commit object with the clock as its dates', async () => {
    const head = (await git(dir, 'rev-parse', 'main')).trim();
    const { data } = await octokit.rest.git.getCommit({ ...repo, commit_sha: head });
    expect(data.message).toBe('Initial commit');
    expect(data.author.date).toBe('2025-10-09T07:39:31Z');
    expect(data.parents).toEqual([]);
  });

  it('answers 404 for a missing ref or commit', async () => {
    expect((await requestError(octokit.rest.git.getRef({ ...repo, ref: 'heads/nope' }))).status).toBe(404);
    const missing = await requestError(octokit.rest.git.getCommit({ ...repo, commit_sha: 'f'.repeat(40) }));
    expect(errorData(missing)).toMatchObject({ message: 'Not Found', status: '404' });
  });
});

describe('one commit with two files', () => {
  it('lands as one commit on main, visible to git log and git show', async () => {
    const before = (await git(dir, 'rev-parse', 'main')).trim();
    clock.advance(3600);
    const sha = await commitTwoFiles('chore(deploy): phase3 deploy-20251010-101500');

    expect((await git(dir, 'rev-parse', 'main')).trim()).toBe(sha);
    expect((await git(dir, 'rev-list', '--count', `${before}..main`)).trim()).toBe('1');
    expect(await git(dir, 'log', '-1', '--format=%s|%an|%aI', 'main')).toBe(
      'chore(deploy): phase3 deploy-20251010-101500|Liftoff Sandbox|2025-10-09T08:39:31+00:00\n',
    );
    const files = (await git(dir, 'show', '--name-only', '--format=', 'main')).trim().split('\n').sort();
    expect(files).toEqual(['build_tag.txt', LOG_PATH]);
    expect(await git(dir, 'show', 'main:build_tag.txt')).toBe(NEXT_TAG);
    expect(await git(dir, 'show', 'main:README.md')).toBe('# ÉMERGENCE\n');

    const commit = await octokit.rest.repos.getCommit({ ...repo, ref: 'main' });
    expect(commit.data.files?.map((file) => [file.filename, file.status]).sort()).toEqual([
      ['build_tag.txt', 'modified'],
      [LOG_PATH, 'added'],
    ]);
    expect(commit.data.stats).toEqual({ total: 3, additions: 2, deletions: 1 });

    const tree = await octokit.rest.git.getTree({ ...repo, tree_sha: 'main', recursive: 'true' });
    expect(tree.data.tree.map((entry) => entry.path)).toContain(LOG_PATH);
  });

  it('answers the created tree with its top-level entries', async () => {
    const { data } = await octokit.rest.git.createTree({
      ...repo,
      tree: [{ path: 'a/b/c.txt', mode: '100644', type: 'blob', content: 'x' }],
    });
    expect(data.tree).toEqual([expect.objectContaining({ path: 'a', mode: '040000', type: 'tree' })]);
    expect(await git(dir, 'cat-file', '-p', `${data.sha}:a/b/c.txt`)).toBe('x');
  });

  it('refuses a tree with a missing blob or base tree, and a commit with a missing tree', async () => {
    const blob = await requestError(
      octokit.rest.git.createTree({
        ...repo,
        tree: [{ path: 'x', mode: '100644', type: 'blob', sha: 'a'.repeat(40) }],
      }),
    );
    expect(blob.status).toBe(422);
    const base = await requestError(octokit.rest.git.createTree({ ...repo, base_tree: 'b'.repeat(40), tree: [] }));
    expect(base.status).toBe(422);
    const commit = await requestError(octokit.rest.git.createCommit({ ...repo, message: 'm', tree: 'c'.repeat(40) }));
    expect(errorData(commit)).toMatchObject({ message: 'Tree SHA does not exist', status: '422' });
  });
});

describe('ref updates', () => {
  it('answers 422 "Update is not a fast forward" when the branch moved, and keeps the other push', async () => {
    emulator.faults.moveBranchBeforeNextUpdate(OWNER, REPO, 'main', { 'build_tag.txt': 'deploy-20251010-090000\r\n' });
    const error = await requestError(commitTwoFiles('chore(deploy): lost race'));
    expect(error.status).toBe(422);
    expect(errorData(error)).toEqual({
      message: 'Update is not a fast forward',
      documentation_url: 'https://docs.github.com/rest/git/refs#update-a-reference',
      status: '422',
    });
    expect(await git(dir, 'log', '-1', '--format=%an %s', 'main')).toBe('Someone Else Concurrent push (emulated)\n');

    // Retrying from the new head succeeds.
    const sha = await commitTwoFiles('chore(deploy): retried');
    expect((await git(dir, 'rev-parse', 'main~1')).trim()).toBe(
      (await git(dir, 'log', '-1', '--format=%H', '--author=Someone Else', 'main')).trim(),
    );
    expect((await git(dir, 'rev-parse', 'main')).trim()).toBe(sha);
  });

  it('lets force: true move a branch backwards', async () => {
    const first = (await git(dir, 'rev-parse', 'main')).trim();
    await commitTwoFiles('ahead');
    await octokit.rest.git.updateRef({ ...repo, ref: 'heads/main', sha: first, force: true });
    expect((await git(dir, 'rev-parse', 'main')).trim()).toBe(first);
    const refused = await requestError(octokit.rest.git.updateRef({ ...repo, ref: 'heads/nope', sha: first }));
    expect(errorData(refused)).toMatchObject({ message: 'Reference does not exist' });
  });

  it('creates a branch once', async () => {
    const head = (await git(dir, 'rev-parse', 'main')).trim();
    const created = await octokit.rest.git.createRef({ ...repo, ref: 'refs/heads/release', sha: head });
    expect(created.status).toBe(201);
    expect(created.data.ref).toBe('refs/heads/release');
    expect((await git(dir, 'rev-parse', 'release')).trim()).toBe(head);
    const again = await requestError(octokit.rest.git.createRef({ ...repo, ref: 'refs/heads/release', sha: head }));
    expect(errorData(again)).toMatchObject({ message: 'Reference already exists', status: '422' });
    const short = await requestError(octokit.rest.git.createRef({ ...repo, ref: 'heads/x', sha: head }));
    expect(short.status).toBe(422);
  });
});
