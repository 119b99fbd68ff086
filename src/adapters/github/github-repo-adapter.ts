/**
 * `RepoPort` over GitHub's REST API with octokit: files read byte for byte, several files written as one commit that
 * moves the branch only as a fast-forward, deployments and their statuses, and a commit's CI state.
 */
import type { Octokit } from 'octokit';
import { RequestError } from 'octokit';
import type { z } from 'zod';

import { ExternalError, type RepoPort } from '../../deploy/ports/index.js';
import { githubError, messageOf, statusOf } from './github-errors.js';
import {
  blobAnswer,
  checkRunsAnswer,
  combinedStatusAnswer,
  contentAnswer,
  deploymentCreated,
  deploymentMerged,
  deploymentStatusCreated,
  gitCommitAnswer,
  refAnswer,
  requiredContextsConflict,
  treeAnswer,
} from './github-responses.js';

/**
 * The slice of Octokit the adapter calls (branch-deploy's narrow SDK interfaces): a test can hand in a small fake
 * checked with `satisfies`, and a reader sees every endpoint Liftoff uses.
 */
export interface GitHubRestClient {
  readonly rest: {
    readonly git: Pick<
      Octokit['rest']['git'],
      'getRef' | 'getCommit' | 'createTree' | 'createCommit' | 'updateRef' | 'getBlob'
    >;
    readonly repos: Pick<
      Octokit['rest']['repos'],
      'getContent' | 'createDeployment' | 'createDeploymentStatus' | 'getCombinedStatusForRef'
    >;
    readonly checks: Pick<Octokit['rest']['checks'], 'listForRef'>;
  };
}

/** GitHub refuses a deployment status description longer than this. */
export const MAX_STATUS_DESCRIPTION = 140;
/** Pages of 100 read for a commit's statuses or check runs before giving up on the rest. */
const MAX_CHECK_PAGES = 10;
const PAGE_SIZE = 100;
/** The walk of `recentCommits` reads one commit a request: keep it bounded. */
const MAX_RECENT_COMMITS = 100;

interface RepoName {
  readonly owner: string;
  readonly repo: string;
  readonly full: string;
}

function repoName(full: string): RepoName {
  const match = /^([A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)\/([A-Za-z0-9._-]+)$/.exec(full);
  if (match?.[1] === undefined || match[2] === undefined || match[2] === '.' || match[2] === '..') {
    throw new ExternalError('github', 'rejected', `GitHub: ${JSON.stringify(full)} is not an owner/name repository`);
  }
  return { owner: match[1], repo: match[2], full };
}

async function attempt<T>(attempted: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw githubError(attempted, error);
  }
}

function parsed<S extends z.ZodType>(schema: S, data: unknown, attempted: string): z.output<S> {
  const result = schema.safeParse(data);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const where = issue === undefined || issue.path.length === 0 ? '' : ` at ${issue.path.join('.')}`;
  throw new ExternalError(
    'github',
    'unavailable',
    `GitHub: could not ${attempted}: unexpected answer${where}: ${issue?.message ?? 'invalid'}`,
  );
}

/** Exact UTF-8: a CRLF stays a CRLF, a byte-order mark stays, and bytes that are not UTF-8 are refused. */
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function decodeBase64Text(base64: string, what: string): string {
  try {
    // Node's base64 decoder skips the newlines GitHub puts every 60 characters.
    return utf8.decode(Buffer.from(base64, 'base64'));
  } catch {
    throw new ExternalError('github', 'rejected', `GitHub: ${what} is not UTF-8 text`);
  }
}

/** Cuts to at most `max` UTF-16 units (GitHub's count), never inside a surrogate pair, ending with '…' when cut. */
export function cutDescription(text: string, max = MAX_STATUS_DESCRIPTION): string {
  if (text.length <= max) return text;
  let kept = '';
  for (const char of text) {
    if (kept.length + char.length > max - 1) break;
    kept += char;
  }
  return `${kept}…`;
}

function checkState(status: string, conclusion: string | null): 'success' | 'pending' | 'failure' {
  if (status !== 'completed' || conclusion === null) return 'pending';
  return conclusion === 'success' || conclusion === 'neutral' || conclusion === 'skipped' ? 'success' : 'failure';
}

/** The answers to a ref update that mean someone else moved the branch first. */
const MOVED_MESSAGES = /not a fast forward|reference cannot be updated|reference update failed/i;

/** `RepoPort` over GitHub. Every failure is an `ExternalError('github', …)`. */
export function githubRepoAdapter(octokit: GitHubRestClient): RepoPort {
  const { git, repos, checks } = octokit.rest;

  async function branchHead(r: RepoName, branch: string): Promise<string> {
    const what = `read the head of ${branch} in ${r.full}`;
    const { data } = await attempt(what, () => git.getRef({ owner: r.owner, repo: r.repo, ref: `heads/${branch}` }));
    return parsed(refAnswer, data, what).object.sha;
  }

  async function fileAt(r: RepoName, sha: string, path: string): Promise<string | null> {
    const what = `read ${path} at ${sha.slice(0, 12)} in ${r.full}`;
    let data: unknown;
    try {
      ({ data } = await repos.getContent({ owner: r.owner, repo: r.repo, path, ref: sha }));
    } catch (error) {
      // A 404 names a missing file, unless the commit itself is unknown.
      if (statusOf(error) === 404 && !/no commit found/i.test(messageOf(error))) return null;
      throw githubError(what, error);
    }
    const entry = parsed(contentAnswer, data, what);
    if (entry.type !== 'file') {
      throw new ExternalError('github', 'rejected', `GitHub: could not ${what}: it is a ${entry.type}, not a file`);
    }
    if (entry.encoding === 'base64') return decodeBase64Text(entry.content, `${path} at ${sha.slice(0, 12)}`);
    // Over 1 MB the contents API sends no content (`encoding: "none"`); the blob API still does.
    const blob = await attempt(what, () => git.getBlob({ owner: r.owner, repo: r.repo, file_sha: entry.sha }));
    const parsedBlob = parsed(blobAnswer, blob.data, what);
    if (parsedBlob.encoding !== 'base64') {
      throw new ExternalError(
        'github',
        'unavailable',
        `GitHub: could not ${what}: blob encoding ${parsedBlob.encoding}`,
      );
    }
    return decodeBase64Text(parsedBlob.content, `${path} at ${sha.slice(0, 12)}`);
  }

  return {
    async readFileAtBranch({ repo, branch, path }) {
      const r = repoName(repo);
      const headSha = await branchHead(r, branch);
      return { headSha, content: await fileAt(r, headSha, path) };
    },

    async readFileAtCommit({ repo, sha, path }) {
      return fileAt(repoName(repo), sha, path);
    },

    // The commits API's list endpoint would do this in one request; walking first parents from the head costs one
    // request a commit but reads only the git database, and first parents are the branch's own history: the
    // commits Liftoff itself put there by fast-forward.
    async recentCommits({ repo, branch, limit }) {
      const r = repoName(repo);
      const wanted = Math.max(0, Math.min(Math.floor(limit), MAX_RECENT_COMMITS));
      if (wanted === 0) return [];
      const commits: { sha: string; message: string }[] = [];
      let next: string | undefined = await branchHead(r, branch);
      while (next !== undefined && commits.length < wanted) {
        const sha: string = next;
        const what = `read commit ${sha.slice(0, 12)} of ${branch} in ${r.full}`;
        const { data } = await attempt(what, () => git.getCommit({ owner: r.owner, repo: r.repo, commit_sha: sha }));
        const commit = parsed(gitCommitAnswer, data, what);
        commits.push({ sha: commit.sha, message: commit.message });
        next = commit.parents[0]?.sha;
      }
      return commits;
    },

    async commitFiles({ repo, branch, parentSha, message, files }) {
      const r = repoName(repo);
      const paths = files.map((file) => file.path);
      const twice = paths.find((path, index) => paths.indexOf(path) !== index);
      if (twice !== undefined) {
        throw new ExternalError('github', 'rejected', `GitHub: a commit cannot write ${twice} twice`);
      }
      const what = `commit ${paths.join(', ')} on ${branch} in ${r.full}`;

      // Nothing is written when the branch has already moved.
      if ((await branchHead(r, branch)) !== parentSha) return { ok: false, reason: 'moved' };

      const parent = parsed(
        gitCommitAnswer,
        (await attempt(what, () => git.getCommit({ owner: r.owner, repo: r.repo, commit_sha: parentSha }))).data,
        what,
      );
      const tree = parsed(
        treeAnswer,
        (
          await attempt(what, () =>
            git.createTree({
              owner: r.owner,
              repo: r.repo,
              base_tree: parent.tree.sha,
              tree: files.map((file) => ({
                path: file.path,
                mode: '100644' as const,
                type: 'blob' as const,
                content: file.content,
              })),
            }),
          )
        ).data,
        what,
      );
      const commit = parsed(
        gitCommitAnswer,
        (
          await attempt(what, () =>
            git.createCommit({ owner: r.owner, repo: r.repo, message, tree: tree.sha, parents: [parentSha] }),
          )
        ).data,
        what,
      );
      try {
        // Never `force`: a branch that moved since `parentSha` must refuse this commit, not lose the other one.
        await git.updateRef({ owner: r.owner, repo: r.repo, ref: `heads/${branch}`, sha: commit.sha, force: false });
      } catch (error) {
        if (statusOf(error) === 422 && MOVED_MESSAGES.test(messageOf(error))) return { ok: false, reason: 'moved' };
        throw githubError(what, error);
      }
      return { ok: true, sha: commit.sha };
    },

    async createDeployment({ repo, ref, environment, description, payload }) {
      const r = repoName(repo);
      const what = `create a deployment of ${ref} to ${environment} in ${r.full}`;
      let response: { status: number; data: unknown };
      try {
        response = await repos.createDeployment({
          owner: r.owner,
          repo: r.repo,
          ref,
          task: 'deploy',
          environment,
          description,
          payload: { ...payload },
          // GitHub must neither merge the default branch into the ref nor judge its checks: Liftoff deploys exactly
          // this ref and has checked CI itself in preflight.
          auto_merge: false,
          required_contexts: [],
          production_environment: true,
          transient_environment: false,
          // A retried POST whose first answer was lost would record a second deployment.
          request: { retries: 0 },
        });
      } catch (error) {
        if (statusOf(error) === 409 && error instanceof RequestError) {
          const contexts = requiredContextsConflict.safeParse(error.response?.data);
          const failing = contexts.success
            ? (contexts.data.errors[0]?.contexts ?? []).filter((entry) => entry.state !== 'success')
            : [];
          if (failing.length > 0) {
            const list = failing.map((entry) => `${entry.context} ${entry.state}`).join(', ');
            throw new ExternalError(
              'github',
              'conflict',
              `GitHub: could not ${what}: commit checks not green (${list})`,
            );
          }
        }
        throw githubError(what, error);
      }
      if (response.status === 202) {
        const merged = parsed(deploymentMerged, response.data, what);
        throw new ExternalError(
          'github',
          'conflict',
          `GitHub: could not ${what}: GitHub merged instead of deploying ("${merged.message}"); no deployment was created`,
        );
      }
      return { id: parsed(deploymentCreated, response.data, what).id };
    },

    async createDeploymentStatus({ repo, deploymentId, state, description, environmentUrl, logUrl }) {
      const r = repoName(repo);
      const what = `set deployment ${deploymentId} of ${r.full} to ${state}`;
      const { data } = await attempt(what, () =>
        repos.createDeploymentStatus({
          owner: r.owner,
          repo: r.repo,
          deployment_id: deploymentId,
          state,
          description: cutDescription(description),
          ...(environmentUrl === undefined ? {} : { environment_url: environmentUrl }),
          ...(logUrl === undefined ? {} : { log_url: logUrl }),
          auto_inactive: true,
        }),
      );
      parsed(deploymentStatusCreated, data, what);
    },

    async commitChecks({ repo, sha }) {
      const r = repoName(repo);
      const result: { name: string; state: 'success' | 'pending' | 'failure' }[] = [];

      const statusesWhat = `read the commit statuses of ${sha.slice(0, 12)} in ${r.full}`;
      for (let page = 1, seen = 0; page <= MAX_CHECK_PAGES; page += 1) {
        const { data } = await attempt(statusesWhat, () =>
          repos.getCombinedStatusForRef({ owner: r.owner, repo: r.repo, ref: sha, per_page: PAGE_SIZE, page }),
        );
        const answer = parsed(combinedStatusAnswer, data, statusesWhat);
        for (const status of answer.statuses) {
          const state = status.state === 'error' ? 'failure' : status.state;
          result.push({ name: status.context, state });
        }
        seen += answer.statuses.length;
        if (answer.statuses.length < PAGE_SIZE || seen >= answer.total_count) break;
      }

      const runsWhat = `read the check runs of ${sha.slice(0, 12)} in ${r.full}`;
      for (let page = 1, seen = 0; page <= MAX_CHECK_PAGES; page += 1) {
        const { data } = await attempt(runsWhat, () =>
          checks.listForRef({ owner: r.owner, repo: r.repo, ref: sha, filter: 'latest', per_page: PAGE_SIZE, page }),
        );
        const answer = parsed(checkRunsAnswer, data, runsWhat);
        for (const run of answer.check_runs)
          result.push({ name: run.name, state: checkState(run.status, run.conclusion) });
        seen += answer.check_runs.length;
        if (answer.check_runs.length < PAGE_SIZE || seen >= answer.total_count) break;
      }
      return result;
    },
  };
}
