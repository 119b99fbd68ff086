/**
 * Deployments and deployment statuses (docs.github.com/rest/deployments), with the
 * checks GitHub makes when a deployment is created:
 *
 * - `auto_merge` (default true): a branch behind the default branch gets the default
 *   branch merged in, and the answer is 202 with no deployment (409 on conflicts);
 * - `required_contexts` (default: every context the commit has): each must be
 *   successful, or the answer is 409 "Conflict: Commit status checks failed for <ref>."
 *   listing every context and its state. Check runs count as contexts by their names.
 *
 * A `success` status with `auto_inactive` (the default) marks earlier successful
 * deployments to the same environment inactive, except transient and production ones,
 * as the reference says.
 */
import { ApiError, paginate, validationFailed, type ApiResponse } from '../http.js';
import type { Backend, DeploymentRecord, DeploymentStatusRecord, RepoRecord } from '../model.js';
import { branchHead, findRepoOr404, resolveCommitish } from '../repo-ops.js';
import { param, repoPath, type Route, type RouteContext } from '../router.js';
import { createDeploymentBody, createDeploymentStatusBody, parseBody } from '../schemas.js';
import { deploymentJson, deploymentStatusJson, repoApiUrl } from '../shapes.js';
import { latestCheckRuns, latestStatuses } from './commits.js';

const DEPLOYMENTS_DOCS = 'https://docs.github.com/rest/deployments';
export const MAX_STATUS_DESCRIPTION = 140;

const repoOf = (context: RouteContext): RepoRecord =>
  findRepoOr404(context.backend, param(context, 0), param(context, 1));

function deploymentOf(context: RouteContext, repo: RepoRecord): DeploymentRecord {
  const id = Number(param(context, 2));
  const deployment = repo.deployments.find((candidate) => candidate.id === id);
  if (deployment === undefined) throw new ApiError(404, 'Not Found');
  return deployment;
}

/** Every context of a commit with its state: commit statuses, then check runs (by conclusion). */
function commitContexts(backend: Backend, sha: string): { context: string; state: string }[] {
  return [
    ...latestStatuses(backend, sha).map((status) => ({ context: status.context, state: status.state })),
    ...latestCheckRuns(backend, sha).map((run) => ({ context: run.name, state: run.conclusion ?? 'pending' })),
  ];
}

const PASSING = new Set(['success', 'neutral', 'skipped']);

/**
 * Merges the default branch into `ref` when `ref` is another branch that lacks some of
 * its commits. Returns the 202 or 409 GitHub answers then, or null when nothing was to merge.
 */
async function autoMerge(backend: Backend, repo: RepoRecord, ref: string): Promise<ApiResponse | null> {
  const branch = ref.startsWith('refs/heads/') ? ref.slice('refs/heads/'.length) : ref;
  if (branch === repo.defaultBranch) return null;
  const head = await branchHead(repo, branch);
  const base = await branchHead(repo, repo.defaultBranch);
  if (head === null || base === null || (await repo.git.isAncestor(base, head))) return null;
  const tree = await repo.git.mergeTrees(head, base);
  if (tree === null) throw new ApiError(409, `Conflict merging ${repo.defaultBranch} into ${branch}.`);
  const message = `Auto-merged ${repo.defaultBranch} into ${branch} on deployment.`;
  const signature = { name: backend.user.name, email: backend.user.email, date: backend.clock.now() };
  const merge = await repo.git.writeCommit({
    tree,
    parents: [head, base],
    message,
    author: signature,
    committer: signature,
  });
  if (!(await repo.git.compareAndSwapRef(`refs/heads/${branch}`, merge, head))) {
    throw new ApiError(409, `Conflict merging ${repo.defaultBranch} into ${branch}.`);
  }
  return { status: 202, body: { message } };
}

const createDeployment: Route = {
  method: 'POST',
  pattern: repoPath('/deployments'),
  docs: `${DEPLOYMENTS_DOCS}/deployments#create-a-deployment`,
  async handle(context) {
    const { backend } = context;
    const repo = repoOf(context);
    const body = parseBody(createDeploymentBody, context.body);
    return repo.writes.run(async () => {
      const sha = await resolveCommitish(repo, body.ref);
      if (sha === null) throw new ApiError(422, `No ref found for: ${body.ref}`);
      if (body.auto_merge) {
        const merged = await autoMerge(backend, repo, body.ref);
        if (merged !== null) return merged;
      }
      const contexts = commitContexts(backend, sha);
      const required = body.required_contexts ?? contexts.map((entry) => entry.context);
      const failing = required.some(
        (name) => !contexts.some((entry) => entry.context === name && PASSING.has(entry.state)),
      );
      if (failing) {
        throw new ApiError(409, `Conflict: Commit status checks failed for ${body.ref}.`, {
          errors: [{ contexts, resource: 'Deployment', field: 'required_contexts', code: 'invalid' }],
        });
      }
      const now = backend.clock.now();
      const deployment: DeploymentRecord = {
        id: backend.nextId(),
        sha,
        ref: body.ref,
        task: body.task,
        payload: body.payload,
        originalEnvironment: body.environment,
        environment: body.environment,
        description: body.description,
        transientEnvironment: body.transient_environment,
        productionEnvironment: body.production_environment ?? body.environment === 'production',
        createdAt: now,
        updatedAt: now,
        statuses: [],
      };
      repo.deployments.push(deployment);
      return {
        status: 201,
        body: deploymentJson(backend, repo, deployment),
        headers: { location: `${repoApiUrl(backend, repo)}/deployments/${deployment.id}` },
      };
    });
  },
};

const listDeployments: Route = {
  method: 'GET',
  pattern: repoPath('/deployments'),
  docs: `${DEPLOYMENTS_DOCS}/deployments#list-deployments`,
  handle(context) {
    const repo = repoOf(context);
    const query = context.url.searchParams;
    const filters = {
      sha: query.get('sha'),
      ref: query.get('ref'),
      task: query.get('task'),
      environment: query.get('environment'),
    };
    const matching = [...repo.deployments]
      .reverse()
      .filter(
        (deployment) =>
          (filters.sha === null || filters.sha === '' || deployment.sha === filters.sha) &&
          (filters.ref === null || filters.ref === '' || deployment.ref === filters.ref) &&
          (filters.task === null || filters.task === '' || deployment.task === filters.task) &&
          (filters.environment === null ||
            filters.environment === '' ||
            deployment.environment === filters.environment),
      );
    const page = paginate(matching, context.url);
    return Promise.resolve({
      status: 200,
      headers: page.headers,
      body: page.page.map((deployment) => deploymentJson(context.backend, repo, deployment)),
    });
  },
};

const getDeployment: Route = {
  method: 'GET',
  pattern: repoPath('/deployments/(\\d+)'),
  docs: `${DEPLOYMENTS_DOCS}/deployments#get-a-deployment`,
  handle(context) {
    const repo = repoOf(context);
    return Promise.resolve({ status: 200, body: deploymentJson(context.backend, repo, deploymentOf(context, repo)) });
  },
};

const createDeploymentStatus: Route = {
  method: 'POST',
  pattern: repoPath('/deployments/(\\d+)/statuses'),
  docs: `${DEPLOYMENTS_DOCS}/statuses#create-a-deployment-status`,
  async handle(context) {
    const { backend } = context;
    const repo = repoOf(context);
    const deployment = deploymentOf(context, repo);
    const body = parseBody(createDeploymentStatusBody, context.body);
    if (body.description.length > MAX_STATUS_DESCRIPTION) {
      throw validationFailed({
        resource: 'DeploymentStatus',
        code: 'custom',
        field: 'description',
        message: `description is too long (maximum is ${MAX_STATUS_DESCRIPTION} characters)`,
      });
    }
    return repo.writes.run(() => {
      const now = backend.clock.now();
      if (body.environment !== undefined) deployment.environment = body.environment;
      // `log_url` replaces `target_url` and sets it to the same value.
      const logUrl = body.log_url ?? body.target_url;
      const status: DeploymentStatusRecord = {
        id: backend.nextId(),
        state: body.state,
        description: body.description,
        environment: deployment.environment,
        targetUrl: logUrl,
        logUrl,
        environmentUrl: body.environment_url,
        createdAt: now,
      };
      deployment.statuses.push(status);
      deployment.updatedAt = now;
      if (body.state === 'success' && body.auto_inactive) markPriorInactive(backend, repo, deployment);
      return Promise.resolve({
        status: 201,
        body: deploymentStatusJson(backend, repo, deployment, status),
        headers: { location: `${repoApiUrl(backend, repo)}/deployments/${deployment.id}/statuses/${status.id}` },
      });
    });
  },
};

function markPriorInactive(backend: Backend, repo: RepoRecord, current: DeploymentRecord): void {
  for (const prior of repo.deployments) {
    if (prior.id >= current.id || prior.environment !== current.environment) continue;
    if (prior.transientEnvironment || prior.productionEnvironment) continue;
    if (prior.statuses[prior.statuses.length - 1]?.state !== 'success') continue;
    const now = backend.clock.now();
    prior.statuses.push({
      id: backend.nextId(),
      state: 'inactive',
      description: '',
      environment: prior.environment,
      targetUrl: '',
      logUrl: '',
      environmentUrl: '',
      createdAt: now,
    });
    prior.updatedAt = now;
  }
}

const listDeploymentStatuses: Route = {
  method: 'GET',
  pattern: repoPath('/deployments/(\\d+)/statuses'),
  docs: `${DEPLOYMENTS_DOCS}/statuses#list-deployment-statuses`,
  handle(context) {
    const repo = repoOf(context);
    const deployment = deploymentOf(context, repo);
    const page = paginate([...deployment.statuses].reverse(), context.url);
    return Promise.resolve({
      status: 200,
      headers: page.headers,
      body: page.page.map((status) => deploymentStatusJson(context.backend, repo, deployment, status)),
    });
  },
};

const getDeploymentStatus: Route = {
  method: 'GET',
  pattern: repoPath('/deployments/(\\d+)/statuses/(\\d+)'),
  docs: `${DEPLOYMENTS_DOCS}/statuses#get-a-deployment-status`,
  handle(context) {
    const repo = repoOf(context);
    const deployment = deploymentOf(context, repo);
    const status = deployment.statuses.find((candidate) => candidate.id === Number(param(context, 3)));
    if (status === undefined) throw new ApiError(404, 'Not Found');
    return Promise.resolve({ status: 200, body: deploymentStatusJson(context.backend, repo, deployment, status) });
  },
};

export const deploymentRoutes: readonly Route[] = [
  createDeployment,
  listDeployments,
  getDeployment,
  createDeploymentStatus,
  listDeploymentStatuses,
  getDeploymentStatus,
];
