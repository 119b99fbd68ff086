/**
 * Commits as the commits API shows them, and what is attached to a commit: commit
 * statuses (docs.github.com/rest/commits/statuses) and check runs
 * (docs.github.com/rest/checks/runs).
 */
import { isObjectId } from '../git.js';
import { ApiError, paginate, type ApiResponse } from '../http.js';
import type { Backend, CheckRunRecord, CommitStatusRecord, RepoRecord } from '../model.js';
import { findRepoOr404, resolveCommitish } from '../repo-ops.js';
import { param, repoPath, type Route, type RouteContext } from '../router.js';
import { createCommitStatusBody, parseBody, type CommitState } from '../schemas.js';
import { checkRunJson, commitStatusJson, minimalRepoJson, repoApiUrl, repoCommitJson, userJson } from '../shapes.js';

const repoOf = (context: RouteContext): RepoRecord =>
  findRepoOr404(context.backend, param(context, 0), param(context, 1));

async function commitOr422(repo: RepoRecord, ref: string): Promise<string> {
  const sha = await resolveCommitish(repo, ref);
  if (sha === null) throw new ApiError(422, `No commit found for SHA: ${ref}`);
  return sha;
}

/** The newest status of each context, newest first. */
export function latestStatuses(backend: Backend, sha: string): CommitStatusRecord[] {
  const seen = new Set<string>();
  const latest: CommitStatusRecord[] = [];
  for (const status of [...(backend.commitStatuses.get(sha) ?? [])].reverse()) {
    if (seen.has(status.context)) continue;
    seen.add(status.context);
    latest.push(status);
  }
  return latest;
}

/** The newest check run of each name, newest first. */
export function latestCheckRuns(backend: Backend, sha: string): CheckRunRecord[] {
  const seen = new Set<string>();
  const latest: CheckRunRecord[] = [];
  for (const run of [...(backend.checkRuns.get(sha) ?? [])].reverse()) {
    if (seen.has(run.name)) continue;
    seen.add(run.name);
    latest.push(run);
  }
  return latest;
}

/** GitHub's combined state: failure if any error or failure, pending if none or any pending. */
export function combinedState(statuses: readonly { state: CommitState }[]): CommitState {
  if (statuses.some((status) => status.state === 'error' || status.state === 'failure')) return 'failure';
  if (statuses.length === 0 || statuses.some((status) => status.state === 'pending')) return 'pending';
  return 'success';
}

const getCommit: Route = {
  method: 'GET',
  pattern: repoPath('/commits/(.+)'),
  docs: 'https://docs.github.com/rest/commits/commits#get-a-commit',
  async handle(context): Promise<ApiResponse> {
    const { backend } = context;
    const repo = repoOf(context);
    const commit = await repo.git.readCommit(await commitOr422(repo, param(context, 2)));
    if (commit === null) throw new ApiError(404, 'Not Found');
    const api = repoApiUrl(backend, repo);
    const web = `${backend.webUrl}/${repo.owner}/${repo.name}`;
    const changes = await repo.git.changedFiles(commit);
    const files = changes.map((change) => ({
      sha: change.status === 'removed' ? change.oldSha : change.newSha,
      filename: change.path,
      status: change.status,
      additions: change.additions,
      deletions: change.deletions,
      changes: change.additions + change.deletions,
      blob_url: `${web}/blob/${commit.sha}/${change.path}`,
      raw_url: `${web}/raw/${commit.sha}/${change.path}`,
      contents_url: `${api}/contents/${change.path}?ref=${commit.sha}`,
      ...(change.previousPath === undefined ? {} : { previous_filename: change.previousPath }),
    }));
    const additions = files.reduce((sum, file) => sum + file.additions, 0);
    const deletions = files.reduce((sum, file) => sum + file.deletions, 0);
    return {
      status: 200,
      body: {
        ...repoCommitJson(backend, repo, commit),
        stats: { total: additions + deletions, additions, deletions },
        files,
      },
    };
  },
};

const combinedStatus: Route = {
  method: 'GET',
  pattern: repoPath('/commits/(.+)/status'),
  docs: 'https://docs.github.com/rest/commits/statuses#get-the-combined-status-for-a-specific-reference',
  async handle(context) {
    const { backend } = context;
    const repo = repoOf(context);
    const sha = await commitOr422(repo, param(context, 2));
    const statuses = latestStatuses(backend, sha);
    const page = paginate(statuses, context.url);
    const api = repoApiUrl(backend, repo);
    return {
      status: 200,
      headers: page.headers,
      body: {
        state: combinedState(statuses),
        statuses: page.page.map((status) => commitStatusJson(backend, repo, status)),
        sha,
        total_count: statuses.length,
        repository: minimalRepoJson(backend, repo),
        commit_url: `${api}/commits/${sha}`,
        url: `${api}/commits/${sha}/status`,
      },
    };
  },
};

const listStatuses: Route = {
  method: 'GET',
  pattern: repoPath('/commits/(.+)/statuses'),
  docs: 'https://docs.github.com/rest/commits/statuses#list-commit-statuses-for-a-reference',
  async handle(context) {
    const { backend } = context;
    const repo = repoOf(context);
    const sha = await commitOr422(repo, param(context, 2));
    const all = [...(backend.commitStatuses.get(sha) ?? [])].reverse();
    const page = paginate(all, context.url);
    return {
      status: 200,
      headers: page.headers,
      body: page.page.map((status) => ({
        ...commitStatusJson(backend, repo, status),
        creator: userJson(backend, backend.user),
      })),
    };
  },
};

const createStatus: Route = {
  method: 'POST',
  pattern: repoPath('/statuses/([^/]+)'),
  docs: 'https://docs.github.com/rest/commits/statuses#create-a-commit-status',
  async handle(context) {
    const { backend } = context;
    const repo = repoOf(context);
    const sha = param(context, 2);
    const body = parseBody(createCommitStatusBody, context.body);
    if (!isObjectId(sha) || (await repo.git.objectType(sha)) !== 'commit') {
      throw new ApiError(422, `No commit found for SHA: ${sha}`);
    }
    const status: CommitStatusRecord = {
      id: backend.nextId(),
      sha,
      state: body.state,
      context: body.context,
      description: body.description ?? null,
      targetUrl: body.target_url ?? null,
      createdAt: backend.clock.now(),
    };
    backend.commitStatuses.set(sha, [...(backend.commitStatuses.get(sha) ?? []), status]);
    return {
      status: 201,
      body: { ...commitStatusJson(backend, repo, status), creator: userJson(backend, backend.user) },
      headers: { location: `${repoApiUrl(backend, repo)}/statuses/${sha}` },
    };
  },
};

const listCheckRuns: Route = {
  method: 'GET',
  pattern: repoPath('/commits/(.+)/check-runs'),
  docs: 'https://docs.github.com/rest/checks/runs#list-check-runs-for-a-git-reference',
  async handle(context) {
    const { backend } = context;
    const repo = repoOf(context);
    const sha = await commitOr422(repo, param(context, 2));
    const query = context.url.searchParams;
    let runs =
      query.get('filter') === 'all' ? [...(backend.checkRuns.get(sha) ?? [])].reverse() : latestCheckRuns(backend, sha);
    const name = query.get('check_name');
    if (name !== null) runs = runs.filter((run) => run.name === name);
    const status = query.get('status');
    if (status !== null)
      runs = runs.filter((run) => (run.conclusion === null ? 'in_progress' : 'completed') === status);
    const page = paginate(runs, context.url);
    return {
      status: 200,
      headers: page.headers,
      body: { total_count: runs.length, check_runs: page.page.map((run) => checkRunJson(backend, repo, run)) },
    };
  },
};

/** The suffixed routes come first: `/commits/{ref}` would also match their paths. */
export const commitRoutes: readonly Route[] = [combinedStatus, listStatuses, listCheckRuns, getCommit, createStatus];
