/**
 * Operations on an emulated repository shared by the routes and the emulator's own
 * helpers: naming commits the way GitHub's `ref` parameters do, committing files on a
 * branch with a compare-and-swap, and the concurrent push a test can schedule.
 */
import { ApiError } from './http.js';
import { isObjectId, isValidRefName, isValidTreePath, type GitSignature } from './git.js';
import type { Backend, RepoRecord } from './model.js';
import { editTree } from './tree-edit.js';

/**
 * The commit a `ref` parameter names: a full commit id, a branch, a tag, a fully
 * qualified ref (`refs/heads/main`), or an unambiguous short id. Null if none.
 */
export async function resolveCommitish(repo: RepoRecord, ref: string): Promise<string | null> {
  if (isObjectId(ref)) return (await repo.git.objectType(ref)) === 'commit' ? ref : null;
  if (!isValidRefName(ref)) return null;
  const candidates = ref.startsWith('refs/')
    ? [ref]
    : [
        `refs/heads/${ref}`,
        `refs/tags/${ref}`,
        ...(ref.startsWith('heads/') || ref.startsWith('tags/') ? [`refs/${ref}`] : []),
      ];
  for (const fullName of candidates) {
    const sha = await repo.git.readRef(fullName);
    if (sha === null) continue;
    const type = await repo.git.objectType(sha);
    if (type === 'commit') return sha;
    if (type === 'tag') return repo.git.expandShortId(sha);
  }
  return repo.git.expandShortId(ref);
}

/** The head of `branch`, or null when there is no such branch. */
export const branchHead = (repo: RepoRecord, branch: string): Promise<string | null> =>
  isValidRefName(branch) ? repo.git.readRef(`refs/heads/${branch}`) : Promise.resolve(null);

export interface FileCommit {
  readonly branch: string;
  /** path → UTF-8 text; null deletes the file. */
  readonly files: Readonly<Record<string, string | Buffer | null>>;
  /** File modes to keep (path → `100755`, …); others are written `100644`. */
  readonly modes?: Readonly<Record<string, string>>;
  readonly message: string;
  readonly author: GitSignature;
  readonly committer?: GitSignature;
  /** The head the commit must go on top of (null: a new root commit on a new branch). */
  readonly parent: string | null;
}

/** Writes the files and a commit on top of `parent`, and moves the branch to it if it is still there. */
export async function commitFilesOnBranch(
  repo: RepoRecord,
  commit: FileCommit,
): Promise<{ readonly sha: string; readonly moved: boolean }> {
  const base = commit.parent === null ? null : await repo.git.readCommit(commit.parent);
  const changes = [];
  for (const [path, content] of Object.entries(commit.files)) {
    if (!isValidTreePath(path)) throw new Error(`invalid path in a repository: ${path}`);
    if (content === null) {
      changes.push({ path, delete: true as const });
      continue;
    }
    const sha = await repo.git.writeBlob(typeof content === 'string' ? Buffer.from(content, 'utf8') : content);
    changes.push({ path, mode: commit.modes?.[path] ?? '100644', type: 'blob' as const, sha });
  }
  const tree = await editTree(repo.git, base?.tree ?? null, changes);
  const sha = await repo.git.writeCommit({
    tree,
    parents: commit.parent === null ? [] : [commit.parent],
    message: commit.message,
    author: commit.author,
    committer: commit.committer ?? commit.author,
  });
  const moved = await repo.git.compareAndSwapRef(`refs/heads/${commit.branch}`, sha, commit.parent);
  return { sha, moved };
}

/** The author of the emulator's own commits (initial files, concurrent pushes). */
export const sandboxSignature = (backend: Backend, name = 'Liftoff Sandbox'): GitSignature => ({
  name,
  email: 'sandbox@liftoff.invalid',
  date: backend.clock.now(),
});

/**
 * If a test asked for `branch` to move before its next update, pushes that commit
 * now (another author, the files given, or none) and forgets the request.
 */
export async function applyPendingMove(backend: Backend, repo: RepoRecord, branch: string): Promise<void> {
  const files = repo.pendingMoves.get(branch);
  if (files === undefined) return;
  repo.pendingMoves.delete(branch);
  const parent = await branchHead(repo, branch);
  if (parent === null) return;
  await commitFilesOnBranch(repo, {
    branch,
    files,
    message: 'Concurrent push (emulated)\n',
    author: sandboxSignature(backend, 'Someone Else'),
    parent,
  });
}

/** GitHub's 404 for a repository that does not exist or that the token cannot see. */
export function findRepoOr404(backend: Backend, owner: string, name: string): RepoRecord {
  const repo = backend.findRepo(owner, name);
  if (repo === undefined) throw new ApiError(404, 'Not Found');
  return repo;
}

/** Parses an ISO 8601 date of a commit signature, or throws GitHub's 422. */
export function signatureDate(date: string | undefined, fallback: Date, field: string): Date {
  if (date === undefined) return fallback;
  const parsed = new Date(date);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(date) || Number.isNaN(parsed.getTime())) {
    throw new ApiError(
      422,
      `Invalid request.\n\nFor 'properties/${field}', ${JSON.stringify(date)} is not a date-time.`,
    );
  }
  return parsed;
}
