/** The repository port: what Liftoff reads from and writes to GitHub. Implemented with octokit. */
export interface RepoPort {
  /** The branch head and a file's text there (`null` when the file does not exist). Bytes are kept: CRLF stays. */
  readFileAtBranch(input: { readonly repo: string; readonly branch: string; readonly path: string }): Promise<{
    readonly headSha: string;
    readonly content: string | null;
  }>;
  /** A file's text at a commit (`null` when missing). */
  readFileAtCommit(input: {
    readonly repo: string;
    readonly sha: string;
    readonly path: string;
  }): Promise<string | null>;
  /** The newest commits of a branch, newest first (to find our own commit again after a restart). */
  recentCommits(input: {
    readonly repo: string;
    readonly branch: string;
    readonly limit: number;
  }): Promise<readonly { readonly sha: string; readonly message: string }[]>;
  /**
   * One commit with these files on top of `parentSha`, moving the branch only as a fast-forward.
   * `moved`: the branch is no longer at `parentSha` (someone pushed): re-read and try again.
   */
  commitFiles(input: {
    readonly repo: string;
    readonly branch: string;
    readonly parentSha: string;
    readonly message: string;
    readonly files: readonly { readonly path: string; readonly content: string }[];
  }): Promise<{ readonly ok: true; readonly sha: string } | { readonly ok: false; readonly reason: 'moved' }>;
  createDeployment(input: {
    readonly repo: string;
    readonly ref: string;
    readonly environment: string;
    readonly description: string;
    readonly payload: Readonly<Record<string, unknown>>;
  }): Promise<{ readonly id: number }>;
  createDeploymentStatus(input: {
    readonly repo: string;
    readonly deploymentId: number;
    readonly state: 'in_progress' | 'success' | 'failure' | 'error' | 'inactive';
    readonly description: string;
    readonly environmentUrl?: string;
    readonly logUrl?: string;
  }): Promise<void>;
  /** The commit statuses and check runs of a commit (preflight `ci`). */
  commitChecks(input: {
    readonly repo: string;
    readonly sha: string;
  }): Promise<readonly { readonly name: string; readonly state: 'success' | 'pending' | 'failure' }[]>;
}
