import { ExternalError } from '../../../src/deploy/ports/index.js';
import { NAME, OWNER, REPO, rejection, startSandbox, type Sandbox } from './helpers.js';

/** The build tag files the ÉMERGENCE repository has really held. */
const KEYED_TAG = 'IMAGE_TAG=deploy-20251008-183707\n';
const CRLF_TAG = 'cockpit-phase3-20251009-073931\r\n';
const LOG_PATH = 'docs/deployments/2025-10-10-deploy-phase3.md';

let sandbox: Sandbox;

beforeEach(async () => {
  sandbox = await startSandbox({
    'build_tag.txt': CRLF_TAG,
    'config/build_tag.txt': KEYED_TAG,
    'README.md': '# ÉMERGENCE\n',
  });
});

afterEach(async () => {
  expect(sandbox.emulator.internalErrors).toEqual([]);
  await sandbox.emulator.close();
});

describe('readFileAtBranch and readFileAtCommit', () => {
  it('reads real build tag files byte for byte, CRLF and KEY= prefix kept, with the branch head', async () => {
    const head = await sandbox.head();
    expect(await sandbox.port.readFileAtBranch({ repo: REPO, branch: 'main', path: 'build_tag.txt' })).toEqual({
      headSha: head,
      content: CRLF_TAG,
    });
    const keyed = await sandbox.port.readFileAtBranch({ repo: REPO, branch: 'main', path: 'config/build_tag.txt' });
    expect(keyed.content).toBe(KEYED_TAG);
    expect(Buffer.from(keyed.content ?? '', 'utf8')).toEqual(Buffer.from(KEYED_TAG, 'utf8'));
    expect(await sandbox.port.readFileAtCommit({ repo: REPO, sha: head, path: 'README.md' })).toBe('# ÉMERGENCE\n');
  });

  it('reads the file at the head it reports, not at whatever the branch is by then', async () => {
    const read = await sandbox.port.readFileAtBranch({ repo: REPO, branch: 'main', path: 'build_tag.txt' });
    const contentsCall = sandbox.emulator.calls.find((call) => call.path.includes('/contents/'));
    expect(contentsCall?.query).toEqual({ ref: read.headSha });
  });

  it('keeps a byte-order mark and a file without a final newline', async () => {
    await sandbox.emulator.commitFiles(OWNER, NAME, { 'bom.txt': '\uFEFFdeploy-1', 'nested/a/b.txt': 'x' });
    expect((await sandbox.port.readFileAtBranch({ repo: REPO, branch: 'main', path: 'bom.txt' })).content).toBe(
      '\uFEFFdeploy-1',
    );
    expect((await sandbox.port.readFileAtBranch({ repo: REPO, branch: 'main', path: 'nested/a/b.txt' })).content).toBe(
      'x',
    );
  });

  it('reads a file over 1 MB through the blob API', async () => {
    const big = `${'é'.repeat(600_000)}\r\n`;
    await sandbox.emulator.commitFiles(OWNER, NAME, { 'big.txt': big });
    expect((await sandbox.port.readFileAtBranch({ repo: REPO, branch: 'main', path: 'big.txt' })).content).toBe(big);
  });

  it('answers null for a missing file, and not_found for a missing branch or repository', async () => {
    const head = await sandbox.head();
    expect(await sandbox.port.readFileAtBranch({ repo: REPO, branch: 'main', path: 'nope.txt' })).toEqual({
      headSha: head,
      content: null,
    });
    expect(await sandbox.port.readFileAtCommit({ repo: REPO, sha: head, path: 'docs/none.md' })).toBeNull();

    const branch = await rejection(
      sandbox.port.readFileAtBranch({ repo: REPO, branch: 'nope', path: 'build_tag.txt' }),
    );
    expect(branch).toBeInstanceOf(ExternalError);
    expect(branch).toMatchObject({ service: 'github', code: 'not_found' });
    expect((branch as Error).message).toMatch(
      /^GitHub: could not read the head of nope in emergence\/emergence-app: HTTP 404 Not Found/,
    );

    const repo = await rejection(
      sandbox.port.readFileAtBranch({ repo: 'emergence/other', branch: 'main', path: 'build_tag.txt' }),
    );
    expect(repo).toMatchObject({ code: 'not_found' });
  });

  it('says an unknown commit is not found instead of calling the file missing', async () => {
    const error = await rejection(
      sandbox.port.readFileAtCommit({ repo: REPO, sha: 'f'.repeat(40), path: 'README.md' }),
    );
    expect(error).toMatchObject({ service: 'github', code: 'not_found' });
  });

  it('refuses a directory and a repository name that is not owner/name', async () => {
    const dir = await rejection(sandbox.port.readFileAtBranch({ repo: REPO, branch: 'main', path: 'config' }));
    expect(dir).toMatchObject({
      code: 'rejected',
      message: expect.stringMatching(/it is a dir, not a file/) as string,
    });
    const bad = await rejection(sandbox.port.readFileAtBranch({ repo: 'emergence-app', branch: 'main', path: 'x' }));
    expect(bad).toMatchObject({ code: 'rejected' });
    expect(sandbox.emulator.calls.filter((call) => !call.path.includes('/contents/config'))).toHaveLength(1);
  });
});

describe('commitFiles', () => {
  it('writes two files, one nested, as one commit on the parent with the message', async () => {
    const parent = await sandbox.head();
    const result = await sandbox.port.commitFiles({
      repo: REPO,
      branch: 'main',
      parentSha: parent,
      message: 'chore(deploy): phase3 deploy-20251010-101500',
      files: [
        { path: 'build_tag.txt', content: 'deploy-20251010-101500\r\n' },
        { path: LOG_PATH, content: '# Deploy phase3\n\n- revision emergence-app-00042-abc\n' },
      ],
    });
    const head = await sandbox.head();
    expect(result).toEqual({ ok: true, sha: head });
    expect((await sandbox.git('rev-list', '--count', `${parent}..main`)).trim()).toBe('1');
    expect((await sandbox.git('log', '-1', '--format=%P', 'main')).trim()).toBe(parent);
    expect(await sandbox.git('log', '-1', '--format=%B', 'main')).toBe(
      'chore(deploy): phase3 deploy-20251010-101500\n',
    );
    const changed = (await sandbox.git('show', '--name-only', '--format=', 'main')).trim().split('\n').sort();
    expect(changed).toEqual(['build_tag.txt', LOG_PATH]);
    expect(await sandbox.git('show', 'main:build_tag.txt')).toBe('deploy-20251010-101500\r\n');
    expect(await sandbox.git('show', `main:${LOG_PATH}`)).toBe(
      '# Deploy phase3\n\n- revision emergence-app-00042-abc\n',
    );
    // The rest of the tree is the parent's.
    expect(await sandbox.git('show', 'main:config/build_tag.txt')).toBe(KEYED_TAG);
    expect(await sandbox.git('show', 'main:README.md')).toBe('# ÉMERGENCE\n');

    const update = sandbox.emulator.calls.find((call) => call.method === 'PATCH');
    expect(update?.body).toEqual({ sha: head, force: false });
    const tree = sandbox.emulator.calls.find((call) => call.path.endsWith('/git/trees') && call.method === 'POST');
    expect(tree?.body).toMatchObject({ base_tree: (await sandbox.git('rev-parse', `${parent}^{tree}`)).trim() });
  });

  it('answers moved and keeps the other push when the branch moves just before the update', async () => {
    const parent = await sandbox.head();
    sandbox.emulator.faults.moveBranchBeforeNextUpdate(OWNER, NAME, 'main', {
      'build_tag.txt': 'deploy-20251010-090000\r\n',
    });
    const result = await sandbox.port.commitFiles({
      repo: REPO,
      branch: 'main',
      parentSha: parent,
      message: 'chore(deploy): lost race',
      files: [{ path: 'build_tag.txt', content: 'deploy-20251010-101500\r\n' }],
    });
    expect(result).toEqual({ ok: false, reason: 'moved' });
    expect(await sandbox.git('log', '-1', '--format=%an|%s', 'main')).toBe('Someone Else|Concurrent push (emulated)\n');
    expect((await sandbox.git('log', '-1', '--format=%P', 'main')).trim()).toBe(parent);
    expect(await sandbox.git('show', 'main:build_tag.txt')).toBe('deploy-20251010-090000\r\n');
    expect(await sandbox.git('log', '--format=%s', 'main')).not.toContain('lost race');
  });

  it('answers moved without writing anything when the branch is no longer at the parent', async () => {
    const parent = await sandbox.head();
    await sandbox.emulator.commitFiles(OWNER, NAME, { 'README.md': 'changed\n' });
    sandbox.emulator.clearCalls();
    const result = await sandbox.port.commitFiles({
      repo: REPO,
      branch: 'main',
      parentSha: parent,
      message: 'chore(deploy): stale parent',
      files: [{ path: 'build_tag.txt', content: 'deploy-20251010-101500\r\n' }],
    });
    expect(result).toEqual({ ok: false, reason: 'moved' });
    expect(sandbox.emulator.calls.map((call) => call.method)).toEqual(['GET']);
    expect(await sandbox.git('show', 'main:build_tag.txt')).toBe(CRLF_TAG);
  });

  it('refuses the same path twice before calling GitHub', async () => {
    const error = await rejection(
      sandbox.port.commitFiles({
        repo: REPO,
        branch: 'main',
        parentSha: await sandbox.head(),
        message: 'm',
        files: [
          { path: 'a.txt', content: '1' },
          { path: 'a.txt', content: '2' },
        ],
      }),
    );
    expect(error).toMatchObject({ code: 'rejected' });
    expect(sandbox.emulator.calls).toEqual([]);
  });
});

describe('recentCommits', () => {
  it('lists the newest commits of the branch first, up to the limit', async () => {
    const first = await sandbox.head();
    const second = await sandbox.emulator.commitFiles(OWNER, NAME, { 'a.txt': '1\n' }, { message: 'second' });
    const parent = await sandbox.head();
    const third = await sandbox.port.commitFiles({
      repo: REPO,
      branch: 'main',
      parentSha: parent,
      message: 'chore(deploy): liftoff run-42',
      files: [{ path: 'b.txt', content: '2\n' }],
    });
    if (!third.ok) throw new Error('expected a commit');

    expect(await sandbox.port.recentCommits({ repo: REPO, branch: 'main', limit: 2 })).toEqual([
      { sha: third.sha, message: 'chore(deploy): liftoff run-42' },
      { sha: second, message: 'second' },
    ]);
    const all = await sandbox.port.recentCommits({ repo: REPO, branch: 'main', limit: 10 });
    expect(all.map((commit) => commit.sha)).toEqual([third.sha, second, first]);
    expect(all[2]?.message).toBe('Initial commit');
    expect(await sandbox.port.recentCommits({ repo: REPO, branch: 'main', limit: 0 })).toEqual([]);
  });
});
