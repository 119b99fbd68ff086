/**
 * Builds a new tree from a base tree and a list of changes at any depth
 * (`docs/deployments/x.md`), as GitHub's `POST /git/trees` does: only the
 * directories on a changed path are read and rewritten (with `git mktree`), the
 * others keep their ids, and a directory left empty disappears.
 */
import type { GitRepository, GitTreeEntry } from './git.js';

/** Put an object at `path`, or delete whatever is there. */
export type TreeChange =
  | { readonly path: string; readonly mode: string; readonly type: GitTreeEntry['type']; readonly sha: string }
  | { readonly path: string; readonly delete: true };

interface Leaf {
  readonly kind: 'leaf';
  readonly mode: string;
  readonly type: GitTreeEntry['type'];
  readonly sha: string;
}

interface Directory {
  readonly kind: 'directory';
  readonly entries: Map<string, Leaf | Directory>;
}

async function readDirectory(repo: GitRepository, treeSha: string | null): Promise<Directory> {
  const entries = new Map<string, Leaf | Directory>();
  if (treeSha !== null) {
    for (const entry of await repo.listTree(treeSha)) {
      entries.set(entry.path, { kind: 'leaf', mode: entry.mode, type: entry.type, sha: entry.sha });
    }
  }
  return { kind: 'directory', entries };
}

/** The directory `name` inside `parent`, read on first use; created (replacing a file) when `create`. */
async function child(repo: GitRepository, parent: Directory, name: string, create: boolean): Promise<Directory | null> {
  const existing = parent.entries.get(name);
  if (existing?.kind === 'directory') return existing;
  if (existing?.kind === 'leaf' && existing.type === 'tree') {
    const directory = await readDirectory(repo, existing.sha);
    parent.entries.set(name, directory);
    return directory;
  }
  if (!create) return null;
  const directory = await readDirectory(repo, null);
  parent.entries.set(name, directory);
  return directory;
}

async function write(repo: GitRepository, directory: Directory): Promise<string | null> {
  const entries: GitTreeEntry[] = [];
  for (const [name, entry] of directory.entries) {
    if (entry.kind === 'leaf') {
      entries.push({ mode: entry.mode, type: entry.type, sha: entry.sha, path: name });
      continue;
    }
    const sha = await write(repo, entry);
    if (sha !== null) entries.push({ mode: '040000', type: 'tree', sha, path: name });
  }
  return entries.length === 0 ? null : repo.makeTree(entries);
}

/** Applies `changes` in order to `baseTree` (null: start empty) and writes the result. */
export async function editTree(
  repo: GitRepository,
  baseTree: string | null,
  changes: readonly TreeChange[],
): Promise<string> {
  const root = await readDirectory(repo, baseTree);
  for (const change of changes) {
    const parts = change.path.split('/');
    const name = parts.pop() ?? '';
    let directory: Directory | null = root;
    for (const part of parts) {
      directory = await child(repo, directory, part, !('delete' in change));
      if (directory === null) break;
    }
    if (directory === null) continue;
    if ('delete' in change) directory.entries.delete(name);
    else directory.entries.set(name, { kind: 'leaf', mode: change.mode, type: change.type, sha: change.sha });
  }
  return (await write(repo, root)) ?? repo.makeTree([]);
}
