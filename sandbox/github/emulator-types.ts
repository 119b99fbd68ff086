/** The GitHub emulator's options and its handle, as tests and the sandbox see them. */
import type { EmulatedCi, EmulatedCiOptions } from './ci.js';
import type { GitHubFaults } from './faults.js';
import type { CheckConclusion, Clock, GitHubUser } from './model.js';
import type { RateLimitOptions } from './rate-limits.js';
import type { CommitState, DeploymentState } from './schemas.js';

export interface GitHubRepoSpec {
  readonly owner: string;
  readonly name: string;
  /** An existing repository to serve (work tree or bare), or where to create a bare one. Default: a new temporary directory. */
  readonly dir?: string;
  /** Default: the repository's HEAD branch if it exists, else `main`. */
  readonly defaultBranch?: string;
  /** Files (path → text, kept byte for byte) committed on the default branch at start. */
  readonly files?: Readonly<Record<string, string>>;
}

export interface GitHubEmulatorOptions {
  readonly repos: readonly GitHubRepoSpec[];
  /** The only token accepted (`Authorization: token …` or `Bearer …`). */
  readonly token: string;
  /** Port on 127.0.0.1; 0 (the default) picks a free one. */
  readonly port?: number;
  /** Time for commit dates, records and rate limits. Default: the system clock. */
  readonly clock?: Clock;
  /** Who the token belongs to. */
  readonly user?: Partial<GitHubUser>;
  readonly rateLimits?: RateLimitOptions;
  /** Keep the temporary repositories after `close()` (default false). */
  readonly keepRepositories?: boolean;
  /** A CI that reports a check run on every commit a branch moves to (and on each head at start). Default none. */
  readonly ci?: EmulatedCiOptions;
}

/** One request as the emulator saw it, with the status it answered. */
export interface GitHubCall {
  readonly method: string;
  /** The path, percent-decoded (`/repos/o/r/git/ref/heads/main`), without the query. */
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  /** The JSON body, parsed (the raw text if it was not JSON; undefined if empty). */
  readonly body: unknown;
  status: number;
  readonly at: Date;
}

export interface DeploymentStatusSnapshot {
  readonly id: number;
  readonly state: DeploymentState;
  readonly description: string;
  readonly environment: string;
  readonly environmentUrl: string;
  readonly logUrl: string;
  readonly createdAt: Date;
}

export interface DeploymentSnapshot {
  readonly id: number;
  readonly sha: string;
  readonly ref: string;
  readonly task: string;
  readonly environment: string;
  readonly description: string | null;
  readonly payload: unknown;
  readonly productionEnvironment: boolean;
  readonly transientEnvironment: boolean;
  readonly createdAt: Date;
  /** Oldest first. */
  readonly statuses: readonly DeploymentStatusSnapshot[];
}

export interface GitHubEmulator {
  /** The base URL for `new Octokit({ baseUrl })`. */
  readonly apiUrl: string;
  readonly port: number;
  readonly token: string;
  readonly user: GitHubUser;
  /** Every request so far, oldest first. */
  readonly calls: readonly GitHubCall[];
  readonly faults: GitHubFaults;
  /** Errors the emulator itself hit (each answered 500): empty unless the emulator has a bug. */
  readonly internalErrors: readonly unknown[];
  /** The repository's directory, for `git -C <dir> log`. */
  repoDir(owner: string, name: string): string;
  /** The repository's deployments with their statuses, oldest first. */
  deployments(owner: string, name: string): readonly DeploymentSnapshot[];
  /** Adds a commit status to a commit (any repository), as a CI system would. */
  setCommitStatus(
    sha: string,
    context: string,
    state: CommitState,
    options?: { readonly description?: string; readonly targetUrl?: string },
  ): void;
  /** The emulated CI, when `ci` was given: its `conclusion` decides how the next commits' runs end. */
  readonly ci: EmulatedCi | undefined;
  /** Adds a check run on a commit; a null conclusion is a run still in progress. */
  addCheckRun(sha: string, name: string, conclusion: CheckConclusion | null): void;
  /** Pushes one commit on a branch (default: the default branch) changing `files`; null deletes a file. */
  commitFiles(
    owner: string,
    name: string,
    files: Readonly<Record<string, string | null>>,
    options?: { readonly branch?: string; readonly message?: string },
  ): Promise<string>;
  /** Forgets the recorded calls. */
  clearCalls(): void;
  close(): Promise<void>;
}
