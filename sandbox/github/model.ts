/**
 * What the GitHub emulator holds besides git: the repositories it serves, their
 * deployments and deployment statuses, commit statuses and check runs (kept by commit
 * id, as GitHub attaches them to a commit), and the authenticated user.
 */
import type { GitRepository } from './git.js';
import type { CommitState, DeploymentState } from './schemas.js';

export interface Clock {
  now(): Date;
}

/** The account the emulator's token belongs to: author of commits made without one. */
export interface GitHubUser {
  readonly login: string;
  readonly id: number;
  readonly name: string;
  readonly email: string;
  readonly type: 'User' | 'Bot';
}

/** Serialises the writes to one repository, so a check and the write it guards are one step. */
export class Mutex {
  #tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(task, task);
    this.#tail = result.catch(() => undefined);
    return result;
  }
}

export interface DeploymentStatusRecord {
  readonly id: number;
  readonly state: DeploymentState;
  readonly description: string;
  readonly environment: string;
  readonly targetUrl: string;
  readonly logUrl: string;
  readonly environmentUrl: string;
  readonly createdAt: Date;
}

export interface DeploymentRecord {
  readonly id: number;
  readonly sha: string;
  readonly ref: string;
  readonly task: string;
  readonly payload: unknown;
  readonly originalEnvironment: string;
  environment: string;
  readonly description: string | null;
  readonly transientEnvironment: boolean;
  readonly productionEnvironment: boolean;
  readonly createdAt: Date;
  updatedAt: Date;
  /** Oldest first. */
  readonly statuses: DeploymentStatusRecord[];
}

export interface CommitStatusRecord {
  readonly id: number;
  readonly sha: string;
  readonly state: CommitState;
  readonly context: string;
  readonly description: string | null;
  readonly targetUrl: string | null;
  readonly createdAt: Date;
}

export type CheckConclusion =
  'success' | 'failure' | 'neutral' | 'cancelled' | 'skipped' | 'timed_out' | 'action_required' | 'stale';

export interface CheckRunRecord {
  readonly id: number;
  readonly sha: string;
  readonly name: string;
  /** null: the run is still in progress. */
  readonly conclusion: CheckConclusion | null;
  readonly startedAt: Date;
}

export interface RepoRecord {
  readonly id: number;
  readonly owner: string;
  readonly name: string;
  /** The directory given, or the bare repository the emulator created. */
  readonly dir: string;
  readonly git: GitRepository;
  readonly createdByEmulator: boolean;
  readonly defaultBranch: string;
  readonly createdAt: Date;
  readonly deployments: DeploymentRecord[];
  /** Branches to move (with these files) just before the next update of them. */
  readonly pendingMoves: Map<string, Readonly<Record<string, string>>>;
  readonly writes: Mutex;
}

/** What every route can reach. */
export interface Backend {
  readonly apiUrl: string;
  /** Where `html_url`s point: the emulator serves no pages, but the links are well formed. */
  readonly webUrl: string;
  readonly clock: Clock;
  readonly user: GitHubUser;
  findRepo(owner: string, name: string): RepoRecord | undefined;
  /** A fresh id for a deployment, status or check run (GitHub's ids are global). */
  nextId(): number;
  readonly commitStatuses: Map<string, CommitStatusRecord[]>;
  readonly checkRuns: Map<string, CheckRunRecord[]>;
}
