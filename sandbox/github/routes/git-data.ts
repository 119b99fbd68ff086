/**
 * The Git database API (docs.github.com/rest/git): references, commits, trees and
 * blobs, each read from or written to the repository with git plumbing. Reference
 * updates are compare-and-swap (`git update-ref <ref> <new> <old>`) under the
 * repository's write lock, and `force: false` refuses anything but a fast-forward.
 */
import { isObjectId, isValidRefName, isValidTreePath, type GitTreeEntry } from '../git.js';
import { ApiError, type ApiResponse } from '../http.js';
import type { Backend, RepoRecord } from '../model.js';
import { applyPendingMove, findRepoOr404, resolveCommitish, signatureDate } from '../repo-ops.js';
import { param, repoPath, type Route, type RouteContext } from '../router.js';
import {
  createBlobBody,
  createCommitBody,
  createRefBody,
  createTreeBody,
  parseBody,
  updateRefBody,
  type SignatureInput,
} from '../schemas.js';
import { gitCommitJson, nodeId, refJson, repoApiUrl } from '../shapes.js';
import { editTree, type TreeChange } from '../tree-edit.js';

const GIT_DOCS = 'https://docs.github.com/rest/git';

const repoOf = (context: RouteContext): RepoRecord =>
  findRepoOr404(context.backend, param(context, 0), param(context, 1));

/** Base64 as GitHub sends it (Ruby's `encode64`): lines of 60 characters, each ending in a newline. */
export function wrappedBase64(content: Buffer): string {
  const encoded = content.toString('base64');
  return encoded === '' ? '' : `${encoded.match(/.{1,60}/g)?.join('\n') ?? ''}\n`;
}

/** Decodes base64 that may hold whitespace, or returns null when it is not base64. */
export function decodeBase64(text: string): Buffer | null {
  const compact = text.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact) || compact.length % 4 === 1) return null;
  return Buffer.from(compact, 'base64');
}

async function refAnswer(backend: Backend, repo: RepoRecord, fullName: string, sha: string): Promise<unknown> {
  const type = (await repo.git.objectType(sha)) ?? 'commit';
  return refJson(backend, repo, fullName, sha, type);
}

const getRef: Route = {
  method: 'GET',
  pattern: repoPath('/git/ref/(.+)'),
  docs: `${GIT_DOCS}/refs#get-a-reference`,
  async handle(context) {
    const repo = repoOf(context);
    const fullName = `refs/${param(context, 2)}`;
    const sha = await repo.git.readRef(fullName);
    if (sha === null) throw new ApiError(404, 'Not Found');
    return { status: 200, body: await refAnswer(context.backend, repo, fullName, sha) };
  },
};

const matchingRefs: Route = {
  method: 'GET',
  pattern: repoPath('/git/matching-refs/(.*)'),
  docs: `${GIT_DOCS}/refs#list-matching-references`,
  async handle(context) {
    const repo = repoOf(context);
    const prefix = `refs/${param(context, 2)}`;
    const refs = (await repo.git.listRefs()).filter((ref) => ref.name.startsWith(prefix));
    const body = [];
    for (const ref of refs) body.push(await refAnswer(context.backend, repo, ref.name, ref.sha));
    return { status: 200, body };
  },
};

const createRef: Route = {
  method: 'POST',
  pattern: repoPath('/git/refs'),
  docs: `${GIT_DOCS}/refs#create-a-reference`,
  async handle(context) {
    const repo = repoOf(context);
    const body = parseBody(createRefBody, context.body);
    if (!body.ref.startsWith('refs/') || body.ref.split('/').length < 3) {
      throw new ApiError(422, 'Reference name must contain at least three slash-separated components.');
    }
    if (!isValidRefName(body.ref)) throw new ApiError(422, `${body.ref} is not a valid ref name.`);
    return repo.writes.run(async () => {
      if ((await repo.git.objectType(body.sha)) === null) throw new ApiError(422, 'Object does not exist');
      if ((await repo.git.readRef(body.ref)) !== null) throw new ApiError(422, 'Reference already exists');
      if (!(await repo.git.compareAndSwapRef(body.ref, body.sha, null))) {
        throw new ApiError(422, 'Reference update failed');
      }
      const answer = await refAnswer(context.backend, repo, body.ref, body.sha);
      return {
        status: 201,
        body: answer,
        headers: { location: `${repoApiUrl(context.backend, repo)}/git/${body.ref}` },
      };
    });
  },
};

const updateRef: Route = {
  method: 'PATCH',
  pattern: repoPath('/git/refs/(.+)'),
  docs: `${GIT_DOCS}/refs#update-a-reference`,
  async handle(context) {
    const repo = repoOf(context);
    const ref = param(context, 2);
    const fullName = `refs/${ref}`;
    const body = parseBody(updateRefBody, context.body);
    return repo.writes.run(async () => {
      if (ref.startsWith('heads/')) await applyPendingMove(context.backend, repo, ref.slice('heads/'.length));
      const current = await repo.git.readRef(fullName);
      if (current === null) throw new ApiError(422, 'Reference does not exist');
      const type = await repo.git.objectType(body.sha);
      if (type === null) throw new ApiError(422, 'Object does not exist');
      if (!body.force) {
        const fastForward = type === 'commit' && (await repo.git.isAncestor(current, body.sha));
        if (!fastForward) throw new ApiError(422, 'Update is not a fast forward');
      }
      if (!(await repo.git.compareAndSwapRef(fullName, body.sha, current))) {
        throw new ApiError(422, 'Reference cannot be updated');
      }
      return { status: 200, body: await refAnswer(context.backend, repo, fullName, body.sha) };
    });
  },
};

const deleteRef: Route = {
  method: 'DELETE',
  pattern: repoPath('/git/refs/(.+)'),
  docs: `${GIT_DOCS}/refs#delete-a-reference`,
  async handle(context) {
    const repo = repoOf(context);
    const fullName = `refs/${param(context, 2)}`;
    return repo.writes.run(async () => {
      const current = await repo.git.readRef(fullName);
      if (current === null) throw new ApiError(422, 'Reference does not exist');
      await repo.git.run(['update-ref', '-d', fullName, current]);
      return { status: 204 };
    });
  },
};

const getCommit: Route = {
  method: 'GET',
  pattern: repoPath('/git/commits/([^/]+)'),
  docs: `${GIT_DOCS}/commits#get-a-commit-object`,
  async handle(context) {
    const repo = repoOf(context);
    const commit = isObjectId(param(context, 2)) ? await repo.git.readCommit(param(context, 2)) : null;
    if (commit === null) throw new ApiError(404, 'Not Found');
    return { status: 200, body: gitCommitJson(context.backend, repo, commit) };
  },
};

function signature(input: SignatureInput | undefined, backend: Backend, field: string) {
  const now = backend.clock.now();
  if (input === undefined) return undefined;
  return { name: input.name, email: input.email, date: signatureDate(input.date, now, `${field}/date`) };
}

const createCommit: Route = {
  method: 'POST',
  pattern: repoPath('/git/commits'),
  docs: `${GIT_DOCS}/commits#create-a-commit`,
  async handle(context) {
    const { backend } = context;
    const repo = repoOf(context);
    const body = parseBody(createCommitBody, context.body);
    if ((await repo.git.objectType(body.tree)) !== 'tree') throw new ApiError(422, 'Tree SHA does not exist');
    for (const parent of body.parents) {
      if ((await repo.git.objectType(parent)) !== 'commit') {
        throw new ApiError(422, 'Parent SHA does not exist or is not a commit object');
      }
    }
    const user = { name: backend.user.name, email: backend.user.email, date: backend.clock.now() };
    const author = signature(body.author, backend, 'author') ?? user;
    const committer = signature(body.committer, backend, 'committer') ?? (body.author === undefined ? user : author);
    const sha = await repo.git.writeCommit({
      tree: body.tree,
      parents: body.parents,
      message: body.message,
      author,
      committer,
    });
    const commit = await repo.git.readCommit(sha);
    if (commit === null) throw new Error(`commit ${sha} vanished`);
    return {
      status: 201,
      body: gitCommitJson(backend, repo, commit),
      headers: { location: `${repoApiUrl(backend, repo)}/git/commits/${sha}` },
    };
  },
};

const createBlob: Route = {
  method: 'POST',
  pattern: repoPath('/git/blobs'),
  docs: `${GIT_DOCS}/blobs#create-a-blob`,
  async handle(context) {
    const repo = repoOf(context);
    const body = parseBody(createBlobBody, context.body);
    const bytes = body.encoding === 'base64' ? decodeBase64(body.content) : Buffer.from(body.content, 'utf8');
    if (bytes === null) throw new ApiError(422, 'content is not valid Base64');
    const sha = await repo.git.writeBlob(bytes);
    const url = `${repoApiUrl(context.backend, repo)}/git/blobs/${sha}`;
    return { status: 201, body: { url, sha }, headers: { location: url } };
  },
};

const getBlob: Route = {
  method: 'GET',
  pattern: repoPath('/git/blobs/([^/]+)'),
  docs: `${GIT_DOCS}/blobs#get-a-blob`,
  async handle(context) {
    const repo = repoOf(context);
    const sha = param(context, 2);
    if ((await repo.git.objectType(sha)) !== 'blob') throw new ApiError(404, 'Not Found');
    const content = await repo.git.readBlob(sha);
    return {
      status: 200,
      body: {
        sha,
        node_id: nodeId('Blob', `${repo.id}:${sha}`),
        size: content.length,
        url: `${repoApiUrl(context.backend, repo)}/git/blobs/${sha}`,
        content: wrappedBase64(content),
        encoding: 'base64',
      },
    };
  },
};

function treeEntryJson(backend: Backend, repo: RepoRecord, entry: GitTreeEntry): Record<string, unknown> {
  const api = repoApiUrl(backend, repo);
  return {
    path: entry.path,
    mode: entry.mode,
    type: entry.type,
    sha: entry.sha,
    ...(entry.size === undefined ? {} : { size: entry.size }),
    ...(entry.type === 'commit' ? {} : { url: `${api}/git/${entry.type === 'tree' ? 'trees' : 'blobs'}/${entry.sha}` }),
  };
}

async function treeAnswer(backend: Backend, repo: RepoRecord, sha: string, recursive: boolean): Promise<unknown> {
  const entries = await repo.git.listTree(sha, { recursive });
  return {
    sha,
    url: `${repoApiUrl(backend, repo)}/git/trees/${sha}`,
    tree: entries.map((entry) => treeEntryJson(backend, repo, entry)),
    truncated: false,
  };
}

const MODE_TYPES: Readonly<Record<string, GitTreeEntry['type']>> = {
  '100644': 'blob',
  '100755': 'blob',
  '120000': 'blob',
  '040000': 'tree',
  '160000': 'commit',
};

const createTree: Route = {
  method: 'POST',
  pattern: repoPath('/git/trees'),
  docs: `${GIT_DOCS}/trees#create-a-tree`,
  async handle(context) {
    const repo = repoOf(context);
    const body = parseBody(createTreeBody, context.body);
    if (body.base_tree !== undefined && (await repo.git.objectType(body.base_tree)) !== 'tree') {
      throw new ApiError(422, 'GitRPC::BadObjectState');
    }
    const changes: TreeChange[] = [];
    for (const entry of body.tree) {
      if (!isValidTreePath(entry.path)) throw new ApiError(422, 'tree.path contains a malformed path component');
      if (MODE_TYPES[entry.mode] !== entry.type) throw new ApiError(422, 'GitRPC::BadObjectState');
      if (entry.sha !== undefined && entry.content !== undefined) {
        throw new ApiError(
          422,
          'Must supply either tree.sha or tree.content. Request will be rejected if both are present.',
        );
      }
      if (entry.content !== undefined) {
        if (entry.type !== 'blob') throw new ApiError(422, 'GitRPC::BadObjectState');
        const sha = await repo.git.writeBlob(Buffer.from(entry.content, 'utf8'));
        changes.push({ path: entry.path, mode: entry.mode, type: 'blob', sha });
      } else if (entry.sha === null) {
        changes.push({ path: entry.path, delete: true });
      } else if (entry.sha !== undefined) {
        // A submodule's commit lives in another repository: GitHub does not look for it.
        if (entry.type !== 'commit' && (await repo.git.objectType(entry.sha)) !== entry.type) {
          throw new ApiError(422, 'GitRPC::BadObjectState');
        }
        if (entry.type === 'commit' && !isObjectId(entry.sha)) throw new ApiError(422, 'GitRPC::BadObjectState');
        changes.push({ path: entry.path, mode: entry.mode, type: entry.type, sha: entry.sha });
      } else {
        throw new ApiError(
          422,
          'Must supply either tree.sha or tree.content. Request will be rejected if both are present.',
        );
      }
    }
    const sha = await editTree(repo.git, body.base_tree ?? null, changes);
    return {
      status: 201,
      body: await treeAnswer(context.backend, repo, sha, false),
      headers: { location: `${repoApiUrl(context.backend, repo)}/git/trees/${sha}` },
    };
  },
};

const getTree: Route = {
  method: 'GET',
  pattern: repoPath('/git/trees/(.+)'),
  docs: `${GIT_DOCS}/trees#get-a-tree`,
  async handle(context): Promise<ApiResponse> {
    const repo = repoOf(context);
    const name = param(context, 2);
    let sha: string | null = (await repo.git.objectType(name)) === 'tree' ? name : null;
    if (sha === null) {
      const commit = await resolveCommitish(repo, name);
      sha = commit === null ? null : ((await repo.git.readCommit(commit))?.tree ?? null);
    }
    if (sha === null) throw new ApiError(404, 'Not Found');
    // GitHub recurses for any value of `recursive`, even `0` or `false`.
    const recursive = context.url.searchParams.has('recursive');
    return { status: 200, body: await treeAnswer(context.backend, repo, sha, recursive) };
  },
};

export const gitDataRoutes: readonly Route[] = [
  getRef,
  matchingRefs,
  createRef,
  updateRef,
  deleteRef,
  getCommit,
  createCommit,
  createBlob,
  getBlob,
  createTree,
  getTree,
];
