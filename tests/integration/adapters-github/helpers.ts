import { git as runGit } from '../sandbox-github/helpers.js';

import { startGitHubEmulator, type GitHubEmulator } from '../../../sandbox/github/index.js';
import { createOctokit } from '../../../src/adapters/github/github-client.js';
import { githubRepoAdapter } from '../../../src/adapters/github/github-repo-adapter.js';
import type { RepoPort } from '../../../src/deploy/ports/index.js';

export const TOKEN = 'ghp_liftoffAdapterToken000000000000000000';
export const OWNER = 'emergence';
export const NAME = 'emergence-app';
export const REPO = `${OWNER}/${NAME}`;

/** 2025-10-09T07:39:31Z. */
export const START = new Date(Date.UTC(2025, 9, 9, 7, 39, 31));

export interface Sandbox {
  readonly emulator: GitHubEmulator;
  readonly port: RepoPort;
  readonly dir: string;
  /** Runs git in the repository and returns stdout. */
  git(...args: string[]): Promise<string>;
  head(branch?: string): Promise<string>;
}

/** The emulator with one repository holding `files`, and the adapter over the real octokit in test mode. */
export async function startSandbox(files: Readonly<Record<string, string>>): Promise<Sandbox> {
  const emulator = await startGitHubEmulator({
    token: TOKEN,
    clock: { now: () => START },
    repos: [{ owner: OWNER, name: NAME, files }],
  });
  const port = githubRepoAdapter(createOctokit({ token: TOKEN, baseUrl: emulator.apiUrl, mode: 'test' }));
  const dir = emulator.repoDir(OWNER, NAME);
  const git = (...args: string[]): Promise<string> => runGit(dir, ...args);
  return { emulator, port, dir, git, head: async (branch = 'main') => (await git('rev-parse', branch)).trim() };
}

/** What a promise rejected with (the test fails if it resolved). */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}
