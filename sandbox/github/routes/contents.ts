/**
 * The repository contents API (docs.github.com/rest/repos/contents): read a file or a
 * directory at a ref, and create or update one file with a commit. An update must
 * name the blob it replaces (`sha`): missing, it is a 422; stale, a 409 — the
 * optimistic lock that keeps two writers from overwriting each other.
 */
import { isValidTreePath, type GitTreeEntry } from '../git.js';
import { ApiError, type ApiResponse } from '../http.js';
import type { Backend, RepoRecord } from '../model.js';
import {
  applyPendingMove,
  branchHead,
  commitFilesOnBranch,
  findRepoOr404,
  resolveCommitish,
  signatureDate,
} from '../repo-ops.js';
import { param, repoPath, type Route, type RouteContext } from '../router.js';
import { parseBody, putContentsBody } from '../schemas.js';
import { contentEntryJson, gitCommitJson, repoApiUrl } from '../shapes.js';
import { decodeBase64, wrappedBase64 } from './git-data.js';

const CONTENTS_DOCS = 'https://docs.github.com/rest/repos/contents';
/** Above 1 MB the contents API sends no content (`encoding: "none"`); the blob API still does. */
const MAX_INLINE_CONTENT = 1024 * 1024;

const repoOf = (context: RouteContext): RepoRecord =>
  findRepoOr404(context.backend, param(context, 0), param(context, 1));

const contentType = (entry: GitTreeEntry): 'file' | 'dir' | 'symlink' | 'submodule' =>
  entry.type === 'tree' ? 'dir' : entry.type === 'commit' ? 'submodule' : entry.mode === '120000' ? 'symlink' : 'file';

/** The entry at `path` in `commit`, or null. */
async function entryAt(repo: RepoRecord, commit: string, path: string): Promise<GitTreeEntry | null> {
  const [entry] = await repo.git.listTree(commit, { path });
  return entry !== undefined && entry.path === path ? entry : null;
}

const wantsRaw = (accept: string): boolean => /application\/vnd\.github(\.v3)?\.raw/.test(accept);

const getContents: Route = {
  method: 'GET',
  pattern: repoPath('/contents(?:/(.*))?'),
  docs: `${CONTENTS_DOCS}#get-repository-content`,
  async handle(context): Promise<ApiResponse> {
    const { backend } = context;
    const repo = repoOf(context);
    const path = param(context, 2).replace(/^\/+|\/+$/g, '');
    const ref = context.url.searchParams.get('ref') ?? repo.defaultBranch;
    const commit = await resolveCommitish(repo, ref);
    if (commit === null) {
      const empty = (await repo.git.listRefs('refs/heads/')).length === 0;
      throw new ApiError(404, empty ? 'This repository is empty.' : `No commit found for the ref ${ref}`);
    }
    if (path === '') return { status: 200, body: await listing(backend, repo, commit, null, ref) };
    if (!isValidTreePath(path)) throw new ApiError(404, 'Not Found');
    const entry = await entryAt(repo, commit, path);
    if (entry === null) throw new ApiError(404, 'Not Found');
    const type = contentType(entry);
    if (type === 'dir') return { status: 200, body: await listing(backend, repo, commit, entry, ref) };
    const base = contentEntryJson(backend, repo, entry, ref, type);
    if (type === 'submodule') return { status: 200, body: { ...base, submodule_git_url: null } };
    const bytes = await repo.git.readBlob(entry.sha);
    if (type === 'symlink') return { status: 200, body: { ...base, target: bytes.toString('utf8') } };
    if (wantsRaw(context.accept)) {
      return { status: 200, raw: { contentType: 'application/vnd.github.raw; charset=utf-8', bytes } };
    }
    const inline = bytes.length <= MAX_INLINE_CONTENT;
    return {
      status: 200,
      body: { ...base, content: inline ? wrappedBase64(bytes) : '', encoding: inline ? 'base64' : 'none' },
    };
  },
};

async function listing(
  backend: Backend,
  repo: RepoRecord,
  commit: string,
  directory: GitTreeEntry | null,
  ref: string,
): Promise<unknown[]> {
  const entries = await repo.git.listTree(directory?.sha ?? commit);
  return entries.map((entry) => {
    const full = { ...entry, path: directory === null ? entry.path : `${directory.path}/${entry.path}` };
    return contentEntryJson(backend, repo, full, ref, contentType(entry));
  });
}

const putContents: Route = {
  method: 'PUT',
  pattern: repoPath('/contents/(.+)'),
  docs: `${CONTENTS_DOCS}#create-or-update-file-contents`,
  async handle(context): Promise<ApiResponse> {
    const { backend } = context;
    const repo = repoOf(context);
    const path = param(context, 2).replace(/^\/+|\/+$/g, '');
    const body = parseBody(putContentsBody, context.body);
    if (!isValidTreePath(path)) throw new ApiError(422, 'path contains a malformed path component');
    const bytes = decodeBase64(body.content);
    if (bytes === null) throw new ApiError(422, 'content is not valid Base64');
    const branch = body.branch ?? repo.defaultBranch;
    const now = backend.clock.now();
    const committer =
      body.committer === undefined
        ? { name: backend.user.name, email: backend.user.email, date: now }
        : { ...body.committer, date: signatureDate(body.committer.date, now, 'committer/date') };
    const author =
      body.author === undefined
        ? committer
        : { ...body.author, date: signatureDate(body.author.date, now, 'author/date') };

    return repo.writes.run(async () => {
      await applyPendingMove(backend, repo, branch);
      const head = await branchHead(repo, branch);
      const emptyRepository = head === null && (await repo.git.listRefs('refs/heads/')).length === 0;
      if (head === null && !emptyRepository) throw new ApiError(404, `Branch ${branch} not found`);
      const existing = head === null ? null : await entryAt(repo, head, path);
      if (existing !== null) {
        if (existing.type !== 'blob') throw new ApiError(422, `${path} is a directory`);
        if (body.sha === undefined) throw new ApiError(422, 'Invalid request.\n\n"sha" wasn\'t supplied.');
        if (body.sha !== existing.sha) throw new ApiError(409, `${path} does not match ${body.sha}`);
      }
      const { sha, moved } = await commitFilesOnBranch(repo, {
        branch,
        files: { [path]: bytes },
        ...(existing === null ? {} : { modes: { [path]: existing.mode } }),
        message: body.message,
        author,
        committer,
        parent: head,
      });
      if (!moved) {
        const current = (await branchHead(repo, branch)) ?? '';
        throw new ApiError(409, `is at ${current} but expected ${head ?? ''}`);
      }
      const commit = await repo.git.readCommit(sha);
      const written = await entryAt(repo, sha, path);
      if (commit === null || written === null) throw new Error(`commit ${sha} vanished`);
      return {
        status: existing === null ? 201 : 200,
        body: {
          content: contentEntryJson(backend, repo, written, branch, 'file'),
          commit: gitCommitJson(backend, repo, commit),
        },
        ...(existing === null
          ? { headers: { location: `${repoApiUrl(backend, repo)}/contents/${path}?ref=${encodeURIComponent(branch)}` } }
          : {}),
      };
    });
  },
};

export const contentsRoutes: readonly Route[] = [getContents, putContents];
