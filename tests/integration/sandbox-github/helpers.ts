import { execFile } from 'node:child_process';

import { Octokit, RequestError } from 'octokit';

import type { Clock, GitHubEmulator } from '../../../sandbox/github/index.js';

export const TOKEN = 'ghp_liftoffSandboxToken0000000000000000';
export const OWNER = 'emergence';
export const REPO = 'emergence-app';
/** The build tag file as the ÉMERGENCE repository holds it: CRLF ending included. */
export const BUILD_TAG = 'cockpit-phase3-20251009-073931\r\n';

/** 2025-10-09T07:39:31Z. */
export const START = new Date(Date.UTC(2025, 9, 9, 7, 39, 31));

export interface FakeClock extends Clock {
  advance(seconds: number): void;
}

export function fakeClock(start: Date = START): FakeClock {
  let current = start.getTime();
  return {
    now: () => new Date(current),
    advance: (seconds) => {
      current += seconds * 1000;
    },
  };
}

/** The real octokit, pointed at the emulator, with its retry and throttling plugins off. */
export function octokitFor(emulator: GitHubEmulator, auth: string | null = TOKEN): Octokit {
  return new Octokit({
    ...(auth === null ? {} : { auth }),
    baseUrl: emulator.apiUrl,
    throttle: { enabled: false },
    retry: { enabled: false },
  });
}

/** Runs git in a repository directory of the emulator and returns stdout. */
export function git(dir: string, ...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      'git',
      ['-C', dir, ...args],
      { env: { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' } },
      (error, stdout) => {
        if (error === null) resolve(stdout);
        else reject(new Error(`git ${args.join(' ')} failed: ${error.message}`));
      },
    );
  });
}

/** The error an octokit call rejects with, checked to be octokit's RequestError. */
export async function requestError(call: Promise<unknown>): Promise<RequestError> {
  try {
    await call;
  } catch (error) {
    if (error instanceof RequestError) return error;
    throw error;
  }
  throw new Error('expected the call to fail');
}

/** The JSON body of a failed call. */
export function errorData(error: RequestError): Record<string, unknown> {
  const data = error.response?.data;
  if (typeof data !== 'object' || data === null) throw new Error(`no JSON body in ${error.message}`);
  return data as Record<string, unknown>;
}
