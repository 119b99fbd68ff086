/**
 * The JSON GitHub answers with, built from the emulator's records: users,
 * repositories, refs, git commits, contents, deployments and statuses. Field names and
 * nesting follow GitHub's REST reference; URLs point at the emulator.
 */
import type { GitCommit, GitSignature, GitTreeEntry } from './git.js';
import { isoSeconds } from './http.js';
import type {
  Backend,
  CheckRunRecord,
  CommitStatusRecord,
  DeploymentRecord,
  DeploymentStatusRecord,
  GitHubUser,
  RepoRecord,
} from './model.js';

type Json = Record<string, unknown>;

/** GitHub's opaque node ids are base64 of a type and a key; this keeps that look. */
export const nodeId = (type: string, key: string | number): string =>
  Buffer.from(`${type}:${key}`).toString('base64').replace(/=+$/, '');

export const repoApiUrl = (backend: Backend, repo: RepoRecord): string =>
  `${backend.apiUrl}/repos/${repo.owner}/${repo.name}`;

const repoWebUrl = (backend: Backend, repo: RepoRecord): string => `${backend.webUrl}/${repo.owner}/${repo.name}`;

/** Path segments escaped one by one (slashes kept), as GitHub writes paths into URLs. */
const escapePath = (path: string): string => path.split('/').map(encodeURIComponent).join('/');

export function userJson(backend: Backend, user: GitHubUser): Json {
  return {
    login: user.login,
    id: user.id,
    node_id: nodeId('User', user.id),
    avatar_url: `${backend.webUrl}/avatars/${user.login}`,
    gravatar_id: '',
    url: `${backend.apiUrl}/users/${user.login}`,
    html_url: `${backend.webUrl}/${user.login}`,
    type: user.type,
    site_admin: false,
  };
}

function ownerJson(backend: Backend, repo: RepoRecord): Json {
  const user = backend.user;
  if (repo.owner.toLowerCase() === user.login.toLowerCase()) return userJson(backend, user);
  const id = 1000 + repo.id;
  return {
    login: repo.owner,
    id,
    node_id: nodeId('Organization', id),
    avatar_url: `${backend.webUrl}/avatars/${repo.owner}`,
    gravatar_id: '',
    url: `${backend.apiUrl}/users/${repo.owner}`,
    html_url: `${backend.webUrl}/${repo.owner}`,
    type: 'Organization',
    site_admin: false,
  };
}

/** The short repository object embedded in other answers (combined status, …). */
export function minimalRepoJson(backend: Backend, repo: RepoRecord): Json {
  const api = repoApiUrl(backend, repo);
  return {
    id: repo.id,
    node_id: nodeId('Repository', repo.id),
    name: repo.name,
    full_name: `${repo.owner}/${repo.name}`,
    private: true,
    owner: ownerJson(backend, repo),
    html_url: repoWebUrl(backend, repo),
    description: null,
    fork: false,
    url: api,
    deployments_url: `${api}/deployments`,
    git_refs_url: `${api}/git/refs{/sha}`,
    contents_url: `${api}/contents/{+path}`,
    statuses_url: `${api}/statuses/{sha}`,
  };
}

export function repoJson(backend: Backend, repo: RepoRecord, pushedAt: Date): Json {
  const api = repoApiUrl(backend, repo);
  return {
    ...minimalRepoJson(backend, repo),
    commits_url: `${api}/commits{/sha}`,
    git_commits_url: `${api}/git/commits{/sha}`,
    trees_url: `${api}/git/trees{/sha}`,
    blobs_url: `${api}/git/blobs{/sha}`,
    branches_url: `${api}/branches{/branch}`,
    clone_url: `${repoWebUrl(backend, repo)}.git`,
    created_at: isoSeconds(repo.createdAt),
    updated_at: isoSeconds(pushedAt),
    pushed_at: isoSeconds(pushedAt),
    homepage: null,
    size: 0,
    language: null,
    archived: false,
    disabled: false,
    visibility: 'private',
    default_branch: repo.defaultBranch,
    permissions: { admin: true, maintain: true, push: true, triage: true, pull: true },
    allow_merge_commit: true,
    allow_squash_merge: true,
    allow_rebase_merge: true,
    delete_branch_on_merge: false,
    has_issues: true,
    has_projects: false,
    has_wiki: false,
    has_pages: false,
    has_downloads: true,
    open_issues_count: 0,
    forks_count: 0,
    stargazers_count: 0,
    watchers_count: 0,
    network_count: 0,
    subscribers_count: 1,
    topics: [],
  };
}

export function refJson(backend: Backend, repo: RepoRecord, fullName: string, sha: string, type: string): Json {
  const api = repoApiUrl(backend, repo);
  return {
    ref: fullName,
    node_id: nodeId('Ref', `${repo.id}:${fullName}`),
    url: `${api}/git/${fullName}`,
    object: { sha, type, url: `${api}/git/${type}s/${sha}` },
  };
}

const signatureJson = (signature: GitSignature): Json => ({
  name: signature.name,
  email: signature.email,
  date: isoSeconds(signature.date),
});

const UNSIGNED = { verified: false, reason: 'unsigned', signature: null, payload: null, verified_at: null };

/** A commit as the git database API shows it (`GET /git/commits/{sha}`). */
export function gitCommitJson(backend: Backend, repo: RepoRecord, commit: GitCommit): Json {
  const api = repoApiUrl(backend, repo);
  return {
    sha: commit.sha,
    node_id: nodeId('Commit', `${repo.id}:${commit.sha}`),
    url: `${api}/git/commits/${commit.sha}`,
    html_url: `${repoWebUrl(backend, repo)}/commit/${commit.sha}`,
    author: signatureJson(commit.author),
    committer: signatureJson(commit.committer),
    tree: { sha: commit.tree, url: `${api}/git/trees/${commit.tree}` },
    message: commit.message,
    parents: commit.parents.map((sha) => ({
      sha,
      url: `${api}/git/commits/${sha}`,
      html_url: `${repoWebUrl(backend, repo)}/commit/${sha}`,
    })),
    verification: UNSIGNED,
  };
}

/** A commit as the commits API shows it (`GET /commits/{ref}`), before its files. */
export function repoCommitJson(backend: Backend, repo: RepoRecord, commit: GitCommit): Json {
  const api = repoApiUrl(backend, repo);
  return {
    sha: commit.sha,
    node_id: nodeId('Commit', `${repo.id}:${commit.sha}`),
    commit: {
      author: signatureJson(commit.author),
      committer: signatureJson(commit.committer),
      message: commit.message,
      tree: { sha: commit.tree, url: `${api}/git/trees/${commit.tree}` },
      url: `${api}/git/commits/${commit.sha}`,
      comment_count: 0,
      verification: UNSIGNED,
    },
    url: `${api}/commits/${commit.sha}`,
    html_url: `${repoWebUrl(backend, repo)}/commit/${commit.sha}`,
    comments_url: `${api}/commits/${commit.sha}/comments`,
    author: null,
    committer: null,
    parents: commit.parents.map((sha) => ({
      sha,
      url: `${api}/commits/${sha}`,
      html_url: `${repoWebUrl(backend, repo)}/commit/${sha}`,
    })),
  };
}

/** An entry of the contents API (a file's metadata, or one line of a directory listing). */
export function contentEntryJson(
  backend: Backend,
  repo: RepoRecord,
  entry: GitTreeEntry,
  ref: string,
  type: 'file' | 'dir' | 'symlink' | 'submodule',
): Json {
  const api = repoApiUrl(backend, repo);
  const self = `${api}/contents/${escapePath(entry.path)}?ref=${encodeURIComponent(ref)}`;
  const git = `${api}/git/${entry.type === 'tree' ? 'trees' : 'blobs'}/${entry.sha}`;
  const html = `${repoWebUrl(backend, repo)}/${type === 'dir' ? 'tree' : 'blob'}/${escapePath(ref)}/${escapePath(entry.path)}`;
  return {
    name: entry.path.split('/').pop() ?? entry.path,
    path: entry.path,
    sha: entry.sha,
    size: entry.size ?? 0,
    url: self,
    html_url: html,
    git_url: type === 'submodule' ? null : git,
    download_url:
      type === 'file' || type === 'symlink'
        ? `${backend.webUrl}/raw/${repo.owner}/${repo.name}/${escapePath(ref)}/${escapePath(entry.path)}`
        : null,
    type,
    _links: { self, git: type === 'submodule' ? null : git, html },
  };
}

export function deploymentJson(backend: Backend, repo: RepoRecord, deployment: DeploymentRecord): Json {
  const api = repoApiUrl(backend, repo);
  return {
    url: `${api}/deployments/${deployment.id}`,
    id: deployment.id,
    node_id: nodeId('Deployment', deployment.id),
    task: deployment.task,
    original_environment: deployment.originalEnvironment,
    environment: deployment.environment,
    description: deployment.description,
    created_at: isoSeconds(deployment.createdAt),
    updated_at: isoSeconds(deployment.updatedAt),
    statuses_url: `${api}/deployments/${deployment.id}/statuses`,
    repository_url: api,
    creator: userJson(backend, backend.user),
    sha: deployment.sha,
    ref: deployment.ref,
    payload: deployment.payload,
    transient_environment: deployment.transientEnvironment,
    production_environment: deployment.productionEnvironment,
    performed_via_github_app: null,
  };
}

export function deploymentStatusJson(
  backend: Backend,
  repo: RepoRecord,
  deployment: DeploymentRecord,
  status: DeploymentStatusRecord,
): Json {
  const api = repoApiUrl(backend, repo);
  return {
    url: `${api}/deployments/${deployment.id}/statuses/${status.id}`,
    id: status.id,
    node_id: nodeId('DeploymentStatus', status.id),
    state: status.state,
    creator: userJson(backend, backend.user),
    description: status.description,
    environment: status.environment,
    target_url: status.targetUrl,
    created_at: isoSeconds(status.createdAt),
    updated_at: isoSeconds(status.createdAt),
    deployment_url: `${api}/deployments/${deployment.id}`,
    repository_url: api,
    environment_url: status.environmentUrl,
    log_url: status.logUrl,
    performed_via_github_app: null,
  };
}

export function commitStatusJson(backend: Backend, repo: RepoRecord, status: CommitStatusRecord): Json {
  return {
    url: `${repoApiUrl(backend, repo)}/statuses/${status.sha}`,
    avatar_url: `${backend.webUrl}/avatars/${backend.user.login}`,
    id: status.id,
    node_id: nodeId('StatusContext', status.id),
    state: status.state,
    description: status.description,
    target_url: status.targetUrl,
    context: status.context,
    created_at: isoSeconds(status.createdAt),
    updated_at: isoSeconds(status.createdAt),
  };
}

export function checkRunJson(backend: Backend, repo: RepoRecord, run: CheckRunRecord): Json {
  const api = repoApiUrl(backend, repo);
  return {
    id: run.id,
    name: run.name,
    node_id: nodeId('CheckRun', run.id),
    head_sha: run.sha,
    external_id: '',
    url: `${api}/check-runs/${run.id}`,
    html_url: `${repoWebUrl(backend, repo)}/runs/${run.id}`,
    details_url: `${repoWebUrl(backend, repo)}/runs/${run.id}`,
    status: run.conclusion === null ? 'in_progress' : 'completed',
    conclusion: run.conclusion,
    started_at: isoSeconds(run.startedAt),
    completed_at: run.conclusion === null ? null : isoSeconds(run.startedAt),
    output: {
      title: null,
      summary: null,
      text: null,
      annotations_count: 0,
      annotations_url: `${api}/check-runs/${run.id}/annotations`,
    },
    check_suite: { id: run.id },
    app: null,
    pull_requests: [],
  };
}
