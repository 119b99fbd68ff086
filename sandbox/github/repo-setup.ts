/** Opening the repositories the emulator serves: an existing one, or a new bare one (in a temporary directory). */
import { mkdir, mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GitHubRepoSpec } from './emulator-types.js';
import { GitRepository } from './git.js';

async function directoryEntries(path: string): Promise<string[] | null> {
  try {
    return await readdir(path);
  } catch {
    return null;
  }
}

export async function openOrCreate(
  spec: GitHubRepoSpec,
): Promise<{ dir: string; git: GitRepository; created: boolean }> {
  if (spec.dir === undefined) {
    const dir = await mkdtemp(join(tmpdir(), `liftoff-github-${spec.name.replace(/[^A-Za-z0-9._-]/g, '_')}-`));
    return { dir, git: await GitRepository.init(dir, spec.defaultBranch ?? 'main'), created: true };
  }
  const entries = await directoryEntries(spec.dir);
  if (entries !== null) {
    const existing = await GitRepository.open(spec.dir);
    if (existing !== null) return { dir: spec.dir, git: existing, created: false };
    // Never turn a directory holding something else into a repository.
    if (entries.length > 0) throw new Error(`${spec.dir} is neither a git repository nor empty`);
  }
  await mkdir(spec.dir, { recursive: true });
  return { dir: spec.dir, git: await GitRepository.init(spec.dir, spec.defaultBranch ?? 'main'), created: false };
}

export async function headBranch(git: GitRepository): Promise<string | null> {
  try {
    return (await git.run(['symbolic-ref', '--short', 'HEAD'])).toString('utf8').trim() || null;
  } catch {
    return null;
  }
}
