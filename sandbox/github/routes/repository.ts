/** `GET /repos/{owner}/{repo}` (docs.github.com/rest/repos/repos#get-a-repository). */
import type { RepoRecord } from '../model.js';
import { findRepoOr404 } from '../repo-ops.js';
import { param, repoPath, type Route } from '../router.js';
import { repoJson } from '../shapes.js';

/** When the repository last moved: the newest committer date among its branch heads. */
async function pushedAt(repo: RepoRecord): Promise<Date> {
  let latest = repo.createdAt;
  for (const ref of await repo.git.listRefs('refs/heads/')) {
    const commit = await repo.git.readCommit(ref.sha);
    if (commit !== null && commit.committer.date > latest) latest = commit.committer.date;
  }
  return latest;
}

const getRepository: Route = {
  method: 'GET',
  pattern: repoPath(),
  docs: 'https://docs.github.com/rest/repos/repos#get-a-repository',
  async handle(context) {
    const repo = findRepoOr404(context.backend, param(context, 0), param(context, 1));
    return { status: 200, body: repoJson(context.backend, repo, await pushedAt(repo)) };
  },
};

export const repositoryRoutes: readonly Route[] = [getRepository];
