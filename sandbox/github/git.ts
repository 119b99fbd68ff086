/**
 * The GitHub emulator's only way into its repositories: the `git` CLI, run with
 * `execFile` (never a shell) and plumbing commands, so what the emulator writes is a
 * real git history that tests can read with `git log` and `git show`.
 *
 * Every command runs with `--git-dir`, without the user's or the system's git
 * configuration and with literal pathspecs, so a developer's `~/.gitconfig` (autocrlf,
 * hooks, signing) cannot change what is stored. Names that reach git are checked
 * first (`isValidRefName`, `isObjectId`, `isValidTreePath`): nothing from a request is
 * ever read by git as an option.
 */
import { execFile } from 'node:child_process';
import { realpath } from 'node:fs/promises';
import { join } from 'node:path';

export type ObjectType = 'blob' | 'tree' | 'commit' | 'tag';

/** An identity and time as git stores it in a commit header. */
export interface GitSignature {
  readonly name: string;
  readonly email: string;
  readonly date: Date;
}

export interface GitCommit {
  readonly sha: string;
  readonly tree: string;
  readonly parents: readonly string[];
  readonly author: GitSignature;
  readonly committer: GitSignature;
  readonly message: string;
}

/** One line of `git ls-tree --long`. `size` is set for blobs only. */
export interface GitTreeEntry {
  readonly mode: string;
  readonly type: 'blob' | 'tree' | 'commit';
  readonly sha: string;
  readonly path: string;
  readonly size?: number;
}

/** One changed file of a commit, as `git diff-tree` reports it. */
export interface GitFileChange {
  readonly path: string;
  readonly previousPath?: string;
  readonly status: 'added' | 'removed' | 'modified' | 'renamed' | 'copied' | 'changed';
  readonly additions: number;
  readonly deletions: number;
  readonly oldSha: string;
  readonly newSha: string;
}

export const ZERO_SHA = '0'.repeat(40);
const OBJECT_ID = /^[0-9a-f]{40}$/;

/** A full hexadecimal SHA-1 object id, lowercase, as GitHub prints them. */
export const isObjectId = (value: string): boolean => OBJECT_ID.test(value);

/**
 * `git check-ref-format` without running git: components not empty, not starting with
 * a dot, not ending with `.lock`; no `..`, `@{`, control characters, space, `~^:?*[\`;
 * not `@`, not ending with `/` or `.`.
 */
export function isValidRefName(name: string): boolean {
  if (name === '' || name === '@' || name.endsWith('/') || name.endsWith('.')) return false;
  if (name.includes('..') || name.includes('@{') || name.includes('//')) return false;
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x20\x7f~^:?*[\\]/.test(name)) return false;
  return name.split('/').every((part) => part !== '' && !part.startsWith('.') && !part.endsWith('.lock'));
}

/** A path inside a tree: relative, no empty, `.`, `..` or `.git` component, no NUL. */
export function isValidTreePath(path: string): boolean {
  if (path === '' || path.includes('\0')) return false;
  return path.split('/').every((part) => part !== '' && part !== '.' && part !== '..' && part.toLowerCase() !== '.git');
}

/** A git command that exited non-zero, with what it printed on stderr. */
export class GitCommandError extends Error {
  constructor(
    readonly args: readonly string[],
    readonly exitCode: number | null,
    readonly stderr: string,
  ) {
    super(`git ${args.join(' ')} failed (${exitCode ?? 'signal'}): ${stderr.trim()}`);
    this.name = 'GitCommandError';
  }
}

/** The environment git runs in: the process's, minus every GIT_* variable, plus isolation. */
function gitEnvironment(extra: Readonly<Record<string, string>>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('GIT_')) env[key] = value;
  return {
    ...env,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_LITERAL_PATHSPECS: '1',
    GIT_TERMINAL_PROMPT: '0',
    LC_ALL: 'C',
    ...extra,
  };
}

interface RunOptions {
  readonly input?: Buffer | string;
  readonly env?: Readonly<Record<string, string>>;
}

/** Runs `git args…`, resolving with stdout as bytes, rejecting with a `GitCommandError`. */
export function runGit(args: readonly string[], options: RunOptions = {}): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      'git',
      [...args],
      { encoding: 'buffer', maxBuffer: 512 * 1024 * 1024, env: gitEnvironment(options.env ?? {}) },
      (error, stdout, stderr) => {
        if (error) {
          const code = typeof error.code === 'number' ? error.code : null;
          reject(new GitCommandError(args, code, stderr.toString('utf8')));
        } else resolve(stdout);
      },
    );
    // A command that exits before reading stdin makes the write fail with EPIPE: the exit code tells.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(options.input ?? '');
  });
}

/** git's own date format for GIT_AUTHOR_DATE: seconds since the epoch and an offset. */
const gitDate = (date: Date): string => `@${Math.floor(date.getTime() / 1000)} +0000`;

function parseSignature(line: string): GitSignature {
  const match = /^(.*) <(.*)> (-?\d+) [+-]\d{4}$/.exec(line);
  if (!match) throw new Error(`unreadable commit signature: ${line}`);
  return { name: match[1] ?? '', email: match[2] ?? '', date: new Date(Number(match[3]) * 1000) };
}

/** Parses the raw text of a commit object (`git cat-file commit`). */
export function parseCommit(sha: string, raw: string): GitCommit {
  const split = raw.indexOf('\n\n');
  const header = split === -1 ? raw : raw.slice(0, split);
  const message = split === -1 ? '' : raw.slice(split + 2);
  let tree = '';
  const parents: string[] = [];
  let author: GitSignature | undefined;
  let committer: GitSignature | undefined;
  for (const line of header.split('\n')) {
    // Continuation lines (a gpgsig's body) start with a space and belong to the previous header.
    if (line.startsWith(' ')) continue;
    const space = line.indexOf(' ');
    const key = line.slice(0, space);
    const value = line.slice(space + 1);
    if (key === 'tree') tree = value;
    else if (key === 'parent') parents.push(value);
    else if (key === 'author') author = parseSignature(value);
    else if (key === 'committer') committer = parseSignature(value);
  }
  if (!author || !committer || tree === '') throw new Error(`unreadable commit ${sha}`);
  return { sha, tree, parents, author, committer, message };
}

function parseTreeListing(output: Buffer): GitTreeEntry[] {
  const entries: GitTreeEntry[] = [];
  for (const record of output.toString('utf8').split('\0')) {
    if (record === '') continue;
    // `<mode> SP <type> SP <sha> SP+ <size> TAB <path>` (size is `-` for trees and submodules).
    const match = /^(\d{6}) (blob|tree|commit) ([0-9a-f]{40}) +(-|\d+)\t(.*)$/s.exec(record);
    if (!match) throw new Error(`unreadable ls-tree line: ${record}`);
    const [, mode = '', type = 'blob', sha = '', size = '-', path = ''] = match;
    const entry = { mode, type: type as GitTreeEntry['type'], sha, path };
    entries.push(size === '-' ? entry : { ...entry, size: Number(size) });
  }
  return entries;
}

/** A repository on disk, bare or not, addressed through its git directory. */
export class GitRepository {
  /** Told of every branch or tag this emulator moves (not of pushes made with git directly). */
  onRefMoved: ((fullName: string, sha: string) => void) | undefined;

  private constructor(readonly gitDir: string) {}

  /** Creates a bare repository at `dir` whose HEAD names `defaultBranch`. */
  static async init(dir: string, defaultBranch: string): Promise<GitRepository> {
    await runGit(['init', '--quiet', '--bare', `--initial-branch=${defaultBranch}`, dir]);
    const repo = await GitRepository.open(dir);
    if (repo === null) throw new Error(`git init did not create a repository in ${dir}`);
    return repo;
  }

  /**
   * Opens the repository whose root is `dir` (a work tree or a bare repository), or
   * returns null when `dir` is not one — including a plain directory inside some other
   * repository's work tree, which git alone would happily resolve to that repository.
   */
  static async open(dir: string): Promise<GitRepository | null> {
    let gitDir: string;
    try {
      gitDir = (await runGit(['-C', dir, 'rev-parse', '--absolute-git-dir'])).toString('utf8').trim();
    } catch (error) {
      if (error instanceof GitCommandError) return null;
      throw error;
    }
    const root = await realpath(dir);
    const found = await realpath(gitDir);
    return found === root || found === join(root, '.git') ? new GitRepository(found) : null;
  }

  /** Runs a git command against this repository. */
  run(args: readonly string[], options: RunOptions = {}): Promise<Buffer> {
    return runGit(['--git-dir', this.gitDir, ...args], options);
  }

  async objectType(sha: string): Promise<ObjectType | null> {
    if (!isObjectId(sha)) return null;
    try {
      const type = (await this.run(['cat-file', '-t', sha])).toString('utf8').trim();
      return type === 'blob' || type === 'tree' || type === 'commit' || type === 'tag' ? type : null;
    } catch (error) {
      if (error instanceof GitCommandError) return null;
      throw error;
    }
  }

  /** Stores bytes as a blob, exactly (no end-of-line or other filter). */
  async writeBlob(content: Buffer): Promise<string> {
    return (await this.run(['hash-object', '-w', '--no-filters', '--stdin'], { input: content }))
      .toString('utf8')
      .trim();
  }

  readBlob(sha: string): Promise<Buffer> {
    return this.run(['cat-file', 'blob', sha]);
  }

  async blobSize(sha: string): Promise<number> {
    return Number((await this.run(['cat-file', '-s', sha])).toString('utf8').trim());
  }

  /**
   * Lists a tree (`treeish` a tree or commit id). With `path`, lists the entry at that
   * path (one entry, or none); with `recursive`, every entry below, trees included.
   */
  async listTree(treeish: string, options: { path?: string; recursive?: boolean } = {}): Promise<GitTreeEntry[]> {
    const args = ['ls-tree', '-z', '--long', '--full-tree'];
    if (options.recursive === true) args.push('-r', '-t');
    args.push(treeish);
    if (options.path !== undefined) args.push('--', options.path);
    return parseTreeListing(await this.run(args));
  }

  /** Writes one tree object from its direct entries (`path` is a single name here). */
  async makeTree(entries: readonly GitTreeEntry[]): Promise<string> {
    const input = entries.map((entry) => `${entry.mode} ${entry.type} ${entry.sha}\t${entry.path}\0`).join('');
    return (await this.run(['mktree', '-z'], { input })).toString('utf8').trim();
  }

  async readCommit(sha: string): Promise<GitCommit | null> {
    if ((await this.objectType(sha)) !== 'commit') return null;
    return parseCommit(sha, (await this.run(['cat-file', 'commit', sha])).toString('utf8'));
  }

  /** Writes a commit object; the message is stored byte for byte. */
  async writeCommit(commit: Omit<GitCommit, 'sha'>): Promise<string> {
    const args = ['commit-tree', commit.tree];
    for (const parent of commit.parents) args.push('-p', parent);
    args.push('-F', '-');
    const env = {
      GIT_AUTHOR_NAME: commit.author.name,
      GIT_AUTHOR_EMAIL: commit.author.email,
      GIT_AUTHOR_DATE: gitDate(commit.author.date),
      GIT_COMMITTER_NAME: commit.committer.name,
      GIT_COMMITTER_EMAIL: commit.committer.email,
      GIT_COMMITTER_DATE: gitDate(commit.committer.date),
    };
    return (await this.run(args, { input: commit.message, env })).toString('utf8').trim();
  }

  /** The object a fully qualified ref (`refs/heads/main`) points to, or null. */
  async readRef(fullName: string): Promise<string | null> {
    if (!fullName.startsWith('refs/') || !isValidRefName(fullName)) return null;
    try {
      return (await this.run(['show-ref', '--verify', '--hash', fullName])).toString('utf8').trim();
    } catch (error) {
      if (error instanceof GitCommandError) return null;
      throw error;
    }
  }

  /** Every ref under `prefix` (e.g. `refs/heads/`), with the object it points to. */
  async listRefs(prefix = 'refs/'): Promise<{ name: string; sha: string }[]> {
    const output = (await this.run(['for-each-ref', '--format=%(objectname) %(refname)', prefix])).toString('utf8');
    return output
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => ({ sha: line.slice(0, 40), name: line.slice(41) }));
  }

  /**
   * Moves `fullName` to `newSha` only if it still points to `expected` (null: only if it
   * does not exist yet). Returns false when the ref was elsewhere: a compare-and-swap.
   */
  async compareAndSwapRef(fullName: string, newSha: string, expected: string | null): Promise<boolean> {
    if (!fullName.startsWith('refs/') || !isValidRefName(fullName) || !isObjectId(newSha)) return false;
    try {
      await this.run(['update-ref', fullName, newSha, expected ?? ZERO_SHA]);
      this.onRefMoved?.(fullName, newSha);
      return true;
    } catch (error) {
      if (error instanceof GitCommandError) return false;
      throw error;
    }
  }

  /** Whether `ancestor` is `descendant` or one of its ancestors. */
  async isAncestor(ancestor: string, descendant: string): Promise<boolean> {
    try {
      await this.run(['merge-base', '--is-ancestor', ancestor, descendant]);
      return true;
    } catch (error) {
      if (error instanceof GitCommandError && error.exitCode === 1) return false;
      throw error;
    }
  }

  /** The commit a (short or full) hexadecimal id names, peeling tags; null if none or ambiguous. */
  async expandShortId(prefix: string): Promise<string | null> {
    if (!/^[0-9a-f]{4,40}$/.test(prefix)) return null;
    try {
      return (await this.run(['rev-parse', '--verify', '--quiet', `${prefix}^{commit}`])).toString('utf8').trim();
    } catch (error) {
      if (error instanceof GitCommandError) return null;
      throw error;
    }
  }

  /** Merges two commits without a work tree: the merged tree, or null on conflicts. */
  async mergeTrees(ours: string, theirs: string): Promise<string | null> {
    try {
      const output = (await this.run(['merge-tree', '--write-tree', '--no-messages', ours, theirs])).toString('utf8');
      return output.split('\n')[0]?.trim() ?? null;
    } catch (error) {
      if (error instanceof GitCommandError && error.exitCode === 1) return null;
      throw error;
    }
  }

  /** The files a commit changed against its first parent (everything, for a root commit). */
  async changedFiles(commit: GitCommit): Promise<GitFileChange[]> {
    const range = commit.parents[0] === undefined ? ['--root', commit.sha] : [commit.parents[0], commit.sha];
    const raw = (await this.run(['diff-tree', '-r', '-z', '-M', '--raw', '--numstat', '--no-commit-id', ...range]))
      .toString('utf8')
      .split('\0');
    // `--raw` records come first (`:old new oldsha newsha status` then the path or paths), then `--numstat` ones.
    const changes: Omit<GitFileChange, 'additions' | 'deletions'>[] = [];
    let index = 0;
    while (index < raw.length && raw[index]?.startsWith(':')) {
      const [, , oldSha = ZERO_SHA, newSha = ZERO_SHA, statusField = 'M'] = (raw[index] ?? '').slice(1).split(' ');
      const letter = statusField.charAt(0);
      if (letter === 'R' || letter === 'C') {
        const previousPath = raw[index + 1] ?? '';
        const path = raw[index + 2] ?? '';
        changes.push({ path, previousPath, status: letter === 'R' ? 'renamed' : 'copied', oldSha, newSha });
        index += 3;
      } else {
        const status = letter === 'A' ? 'added' : letter === 'D' ? 'removed' : letter === 'M' ? 'modified' : 'changed';
        changes.push({ path: raw[index + 1] ?? '', status, oldSha, newSha });
        index += 2;
      }
    }
    // `--numstat -z` prints `added TAB deleted TAB path` (or, for a rename, an empty path then both paths).
    const counts = new Map<string, { additions: number; deletions: number }>();
    while (index < raw.length) {
      const record = raw[index] ?? '';
      index += 1;
      if (record === '') continue;
      const [added = '0', deleted = '0', path = ''] = record.split('\t');
      const numbers = {
        additions: added === '-' ? 0 : Number(added),
        deletions: deleted === '-' ? 0 : Number(deleted),
      };
      if (path === '') {
        index += 1; // the rename's previous path
        counts.set(raw[index] ?? '', numbers);
        index += 1;
      } else counts.set(path, numbers);
    }
    return changes.map((change) => ({ ...change, ...(counts.get(change.path) ?? { additions: 0, deletions: 0 }) }));
  }
}
