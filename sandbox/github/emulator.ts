/**
 * A GitHub REST API emulator on 127.0.0.1 for the real `octokit` client, backed by
 * real git repositories on disk.
 *
 * It serves the calls Liftoff makes (repository, git database, contents, commits,
 * commit statuses, check runs, deployments and deployment statuses) with the shapes,
 * status codes and headers GitHub documents (API version 2022-11-28), reading and
 * writing the repositories with git plumbing so a test can check the history with
 * `git log`. It is as strict as GitHub where that matters to a client — credentials,
 * fast-forward-only ref updates, blob ids on content updates, required commit
 * statuses on deployments, validation, primary and secondary rate limits — records
 * every call, and can be told to fail (see `faults.ts`).
 */
import { rm } from 'node:fs/promises';
import { createServer, STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import { EmulatedCi } from './ci.js';
import { FaultSwitches } from './faults.js';
import { isObjectId, isValidRefName, isValidTreePath } from './git.js';
import { headBranch, openOrCreate } from './repo-setup.js';
import type { GitHubCall, GitHubEmulator, GitHubEmulatorOptions } from './emulator-types.js';
import { ApiError, DOCS, errorBody, requestId, type ApiResponse } from './http.js';
import {
  Mutex,
  type Backend,
  type CheckRunRecord,
  type Clock,
  type CommitStatusRecord,
  type GitHubUser,
  type RepoRecord,
} from './model.js';
import { RateLimits } from './rate-limits.js';
import { branchHead, commitFilesOnBranch, sandboxSignature } from './repo-ops.js';
import { matchRoute, type Route } from './router.js';
import { commitRoutes } from './routes/commits.js';
import { contentsRoutes } from './routes/contents.js';
import { deploymentRoutes } from './routes/deployments.js';
import { gitDataRoutes } from './routes/git-data.js';
import { repositoryRoutes } from './routes/repository.js';

export type { CheckConclusion, Clock, GitHubUser } from './model.js';
export type { FailNextOptions, GitHubFaults } from './faults.js';
export type { RateLimitOptions } from './rate-limits.js';

export type * from './emulator-types.js';

const DEFAULT_USER: GitHubUser = {
  login: 'liftoff-sandbox',
  id: 1,
  name: 'Liftoff Sandbox',
  email: '1+liftoff-sandbox@users.noreply.github.com',
  type: 'User',
};

const SECONDARY_LIMIT_DOCS =
  'https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api#about-secondary-rate-limits';
const PRIMARY_LIMIT_DOCS =
  'https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api#about-primary-rate-limits';
const OUTAGE_MESSAGE =
  'No server is currently available to service your request. Sorry about that. Please try resubmitting your request and contact us if the problem persists.';
const WRITE_METHODS = new Set(['POST', 'PATCH', 'PUT', 'DELETE']);
const ROUTES: readonly Route[] = [
  ...repositoryRoutes,
  ...gitDataRoutes,
  ...contentsRoutes,
  ...commitRoutes,
  ...deploymentRoutes,
];

const repoKey = (owner: string, name: string): string => `${owner.toLowerCase()}/${name.toLowerCase()}`;

/** The entries of `path`, or null when it does not exist. */
async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false };
  }
}

/**
 * Starts the emulator with its repositories ready (created, opened, initial files
 * committed) and resolves once it listens.
 */
export async function startGitHubEmulator(options: GitHubEmulatorOptions): Promise<GitHubEmulator> {
  const clock: Clock = options.clock ?? { now: () => new Date() };
  const user: GitHubUser = { ...DEFAULT_USER, ...options.user };
  const repos = new Map<string, RepoRecord>();
  const commitStatuses = new Map<string, CommitStatusRecord[]>();
  const checkRuns = new Map<string, CheckRunRecord[]>();
  const calls: GitHubCall[] = [];
  const internalErrors: unknown[] = [];
  const limits = new RateLimits(options.rateLimits);
  let lastId = 0;
  let apiUrl = '';

  const backend: Backend = {
    get apiUrl() {
      return apiUrl;
    },
    get webUrl() {
      return apiUrl;
    },
    clock,
    user,
    findRepo: (owner, name) => repos.get(repoKey(owner, name)),
    nextId: () => (lastId += 1),
    commitStatuses,
    checkRuns,
  };

  const repoOrThrow = (owner: string, name: string): RepoRecord => {
    const repo = repos.get(repoKey(owner, name));
    if (repo === undefined) throw new Error(`the emulator serves no repository ${owner}/${name}`);
    return repo;
  };

  const ci = options.ci === undefined ? undefined : new EmulatedCi(backend, options.ci);

  const faults = new FaultSwitches(
    (owner, name, branch, files) => repoOrThrow(owner, name).pendingMoves.set(branch, files),
    () => {
      for (const repo of repos.values()) repo.pendingMoves.clear();
    },
  );

  for (const spec of options.repos) {
    if (repos.has(repoKey(spec.owner, spec.name))) throw new Error(`repository ${spec.owner}/${spec.name} given twice`);
    const { dir, git, created } = await openOrCreate(spec);
    const defaultBranch = spec.defaultBranch ?? (await headBranch(git)) ?? 'main';
    if (!isValidRefName(defaultBranch)) throw new Error(`invalid default branch: ${defaultBranch}`);
    const repo: RepoRecord = {
      id: 100_000 + repos.size + 1,
      owner: spec.owner,
      name: spec.name,
      dir,
      git,
      createdByEmulator: created,
      defaultBranch,
      createdAt: clock.now(),
      deployments: [],
      pendingMoves: new Map(),
      writes: new Mutex(),
    };
    repos.set(repoKey(spec.owner, spec.name), repo);
    if (ci !== undefined) git.onRefMoved = (ref, sha) => ci.onRefMoved(ref, sha);
    const existingHead = ci === undefined ? null : await branchHead(repo, defaultBranch);
    if (existingHead !== null) ci?.onRefMoved(`refs/heads/${defaultBranch}`, existingHead);
    if (spec.files !== undefined && Object.keys(spec.files).length > 0) {
      const parent = await branchHead(repo, defaultBranch);
      const { moved } = await commitFilesOnBranch(repo, {
        branch: defaultBranch,
        files: spec.files,
        message: 'Initial commit',
        author: sandboxSignature(backend),
        parent,
      });
      if (!moved) throw new Error(`could not commit the initial files of ${spec.owner}/${spec.name}`);
    }
  }

  /** Everything up to the handler: outage, scripted failures, credentials, limits, routing. */
  async function answer(
    id: string,
    method: string,
    url: URL,
    path: string,
    headers: IncomingMessage['headers'],
    raw: Buffer,
  ): Promise<{ response: ApiResponse; common: Record<string, string> }> {
    const nowMs = clock.now().getTime();
    const common: Record<string, string> = {};
    if (faults.isDown) return { response: { status: 503, body: errorBody(503, OUTAGE_MESSAGE, DOCS) }, common };
    const failure = faults.takeFailure(method, path);
    if (failure !== null) {
      const message = failure.options.message ?? STATUS_CODES[failure.status] ?? 'Error';
      const extra =
        failure.options.retryAfterSeconds === undefined
          ? {}
          : { 'retry-after': String(failure.options.retryAfterSeconds) };
      return {
        response: { status: failure.status, body: errorBody(failure.status, message, DOCS), headers: extra },
        common,
      };
    }

    const authorization = /^(?:token|bearer)\s+(\S+)\s*$/i.exec(headers.authorization ?? '');
    const authenticated = authorization?.[1] === options.token;
    const window = authenticated
      ? limits.countRequest(`token:${options.token}`, limits.tokenLimit, nowMs)
      : limits.countRequest('anonymous', 60, nowMs);
    Object.assign(common, {
      'x-ratelimit-limit': String(window.limit),
      'x-ratelimit-remaining': String(window.remaining),
      'x-ratelimit-reset': String(window.reset),
      'x-ratelimit-used': String(window.used),
      'x-ratelimit-resource': 'core',
    });
    if (!authenticated) {
      const message = headers.authorization === undefined ? 'Requires authentication' : 'Bad credentials';
      return { response: { status: 401, body: errorBody(401, message, DOCS) }, common };
    }
    if (window.exceeded) {
      const message = `API rate limit exceeded for user ID ${user.id}.`;
      return { response: { status: 403, body: errorBody(403, message, PRIMARY_LIMIT_DOCS) }, common };
    }

    const match = matchRoute(ROUTES, method, url.pathname);
    if (match === null) return { response: { status: 404, body: errorBody(404, 'Not Found', DOCS) }, common };
    const { route, params } = match;

    let body: unknown = undefined;
    if (raw.length > 0) {
      const parsed = parseJson(raw.toString('utf8'));
      if (!parsed.ok)
        return { response: { status: 400, body: errorBody(400, 'Problems parsing JSON', route.docs) }, common };
      body = parsed.value;
      if (WRITE_METHODS.has(method) && (typeof body !== 'object' || body === null || Array.isArray(body))) {
        return { response: { status: 400, body: errorBody(400, 'Body should be a JSON object', route.docs) }, common };
      }
    }

    if (WRITE_METHODS.has(method)) {
      const decision = limits.takeWrite(`token:${options.token}`, nowMs);
      if (!decision.allowed) {
        const message = `You have exceeded a secondary rate limit and have been temporarily blocked from content creation. Please retry your request again later. If you reach out to GitHub Support for help, please include the request ID ${id}.`;
        return {
          response: {
            status: 403,
            body: errorBody(403, message, SECONDARY_LIMIT_DOCS),
            headers: { 'retry-after': String(decision.retryAfter) },
          },
          common,
        };
      }
    }

    try {
      const response = await route.handle({
        params,
        url,
        body,
        accept: headers.accept ?? '',
        backend,
      });
      return { response, common };
    } catch (error) {
      if (error instanceof ApiError) {
        const docs = error.extra.documentationUrl ?? route.docs;
        return {
          response: {
            status: error.status,
            body: errorBody(error.status, error.message, docs, error.extra.errors),
            ...(error.extra.headers === undefined ? {} : { headers: error.extra.headers }),
          },
          common,
        };
      }
      internalErrors.push(error);
      return { response: { status: 500, body: errorBody(500, 'Server Error', DOCS) }, common };
    }
  }

  async function onRequest(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const raw = await readBody(request);
    const method = (request.method ?? 'GET').toUpperCase();
    const url = new URL(request.url ?? '/', apiUrl);
    let path = url.pathname;
    try {
      path = decodeURIComponent(url.pathname);
    } catch {
      // Keep the raw path in the record when it is not valid percent-encoding.
    }
    const text = raw.toString('utf8');
    const parsed = raw.length === 0 ? undefined : parseJson(text);
    const call: GitHubCall = {
      method,
      path,
      query: Object.fromEntries(url.searchParams),
      body: parsed === undefined ? undefined : parsed.ok ? parsed.value : text,
      status: 0,
      at: clock.now(),
    };
    calls.push(call);

    const id = requestId(clock.now().getTime());
    const { response: result, common } = await answer(id, method, url, path, request.headers, raw).catch(
      (error: unknown): { response: ApiResponse; common: Record<string, string> } => {
        internalErrors.push(error);
        return { response: { status: 500, body: errorBody(500, 'Server Error', DOCS) }, common: {} };
      },
    );
    call.status = result.status;
    const body =
      result.raw?.bytes ?? (result.body === undefined ? Buffer.alloc(0) : Buffer.from(JSON.stringify(result.body)));
    response.writeHead(result.status, {
      ...(result.status === 204
        ? {}
        : { 'content-type': result.raw?.contentType ?? 'application/json; charset=utf-8' }),
      'content-length': String(body.length),
      'x-github-request-id': id,
      'x-github-api-version-selected': '2022-11-28',
      'x-github-media-type': 'github.v3; format=json',
      ...common,
      ...result.headers,
    });
    response.end(body);
  }

  const server = createServer((request, response) => {
    onRequest(request, response).catch((error: unknown) => {
      internalErrors.push(error);
      if (!response.headersSent) response.writeHead(500, { 'content-type': 'application/json; charset=utf-8' });
      response.end(JSON.stringify(errorBody(500, 'Server Error', DOCS)));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  apiUrl = `http://127.0.0.1:${port}`;

  return {
    apiUrl,
    port,
    token: options.token,
    user,
    calls,
    faults,
    internalErrors,
    repoDir: (owner, name) => repoOrThrow(owner, name).dir,
    deployments: (owner, name) =>
      repoOrThrow(owner, name).deployments.map((deployment) => ({
        id: deployment.id,
        sha: deployment.sha,
        ref: deployment.ref,
        task: deployment.task,
        environment: deployment.environment,
        description: deployment.description,
        payload: deployment.payload,
        productionEnvironment: deployment.productionEnvironment,
        transientEnvironment: deployment.transientEnvironment,
        createdAt: deployment.createdAt,
        statuses: deployment.statuses.map((status) => ({
          id: status.id,
          state: status.state,
          description: status.description,
          environment: status.environment,
          environmentUrl: status.environmentUrl,
          logUrl: status.logUrl,
          createdAt: status.createdAt,
        })),
      })),
    setCommitStatus(sha, context, state, extra = {}) {
      if (!isObjectId(sha)) throw new Error(`not a full commit id: ${sha}`);
      const status: CommitStatusRecord = {
        id: backend.nextId(),
        sha,
        state,
        context,
        description: extra.description ?? null,
        targetUrl: extra.targetUrl ?? null,
        createdAt: clock.now(),
      };
      commitStatuses.set(sha, [...(commitStatuses.get(sha) ?? []), status]);
    },
    ci,
    addCheckRun(sha, name, conclusion) {
      if (!isObjectId(sha)) throw new Error(`not a full commit id: ${sha}`);
      const run: CheckRunRecord = { id: backend.nextId(), sha, name, conclusion, startedAt: clock.now() };
      checkRuns.set(sha, [...(checkRuns.get(sha) ?? []), run]);
    },
    async commitFiles(owner, name, files, extra = {}) {
      const repo = repoOrThrow(owner, name);
      const branch = extra.branch ?? repo.defaultBranch;
      for (const path of Object.keys(files)) if (!isValidTreePath(path)) throw new Error(`invalid path: ${path}`);
      return repo.writes.run(async () => {
        const { sha, moved } = await commitFilesOnBranch(repo, {
          branch,
          files,
          message: extra.message ?? 'Update files (sandbox)',
          author: sandboxSignature(backend),
          parent: await branchHead(repo, branch),
        });
        if (!moved) throw new Error(`${owner}/${name} ${branch} moved during commitFiles`);
        return sha;
      });
    },
    clearCalls() {
      calls.length = 0;
    },
    async close() {
      ci?.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      if (options.keepRepositories === true) return;
      for (const repo of repos.values()) {
        if (repo.createdByEmulator) await rm(repo.dir, { recursive: true, force: true });
      }
    },
  };
}
