import type { Octokit } from 'octokit';

import { startGitHubEmulator, type GitHubEmulator } from '../../../sandbox/github/index.js';
import { BUILD_TAG, errorData, fakeClock, git, octokitFor, OWNER, REPO, requestError, TOKEN } from './helpers.js';

const repo = { owner: OWNER, repo: REPO };

let emulator: GitHubEmulator;
let octokit: Octokit;
let head: string;

beforeEach(async () => {
  emulator = await startGitHubEmulator({
    token: TOKEN,
    clock: fakeClock(),
    repos: [{ owner: OWNER, name: REPO, files: { 'build_tag.txt': BUILD_TAG } }],
  });
  octokit = octokitFor(emulator);
  head = (await git(emulator.repoDir(OWNER, REPO), 'rev-parse', 'main')).trim();
});

afterEach(async () => {
  await emulator.close();
});

async function deploy(
  extra: Partial<Parameters<Octokit['rest']['repos']['createDeployment']>[0]> = {},
): Promise<{ id: number; sha: string }> {
  const { status, data } = await octokit.rest.repos.createDeployment({
    ...repo,
    ref: head,
    environment: 'production',
    auto_merge: false,
    ...extra,
  });
  if (status !== 201 || !('id' in data)) throw new Error(`no deployment: ${status}`);
  return data;
}

describe('deployments and statuses', () => {
  it('round-trip: created, statused, listed, and recorded', async () => {
    const created = await octokit.rest.repos.createDeployment({
      ...repo,
      ref: 'main',
      task: 'deploy',
      environment: 'production',
      description: 'phase3 cockpit-phase3-20251009-073931',
      payload: { runId: 'run-1', buildTag: 'cockpit-phase3-20251009-073931' },
    });
    expect(created.status).toBe(201);
    if (!('id' in created.data)) throw new Error('expected a deployment');
    const deployment = created.data;
    expect(deployment).toMatchObject({
      sha: head,
      ref: 'main',
      task: 'deploy',
      environment: 'production',
      production_environment: true,
      transient_environment: false,
      payload: { runId: 'run-1' },
      created_at: '2025-10-09T07:39:31Z',
    });

    await octokit.rest.repos.createDeploymentStatus({ ...repo, deployment_id: deployment.id, state: 'in_progress' });
    const success = await octokit.rest.repos.createDeploymentStatus({
      ...repo,
      deployment_id: deployment.id,
      state: 'success',
      environment_url: 'https://emergence-app-abc-ew.a.run.app',
      log_url: 'https://slack.example/archives/C1/p1',
      description: 'Deployed emergence-app-00042-abc',
    });
    expect(success.data).toMatchObject({
      state: 'success',
      environment: 'production',
      environment_url: 'https://emergence-app-abc-ew.a.run.app',
      log_url: 'https://slack.example/archives/C1/p1',
      target_url: 'https://slack.example/archives/C1/p1',
    });

    const statuses = await octokit.rest.repos.listDeploymentStatuses({ ...repo, deployment_id: deployment.id });
    expect(statuses.data.map((status) => status.state)).toEqual(['success', 'in_progress']);
    const listed = await octokit.rest.repos.listDeployments({ ...repo, environment: 'production' });
    expect(listed.data.map((entry) => entry.id)).toEqual([deployment.id]);

    expect(emulator.deployments(OWNER, REPO)).toEqual([
      expect.objectContaining({
        id: deployment.id,
        sha: head,
        statuses: [expect.objectContaining({ state: 'in_progress' }), expect.objectContaining({ state: 'success' })],
      }),
    ]);
  });

  it('refuses a description over 140 characters with 422 and an errors array', async () => {
    const { id } = await deploy();
    const error = await requestError(
      octokit.rest.repos.createDeploymentStatus({
        ...repo,
        deployment_id: id,
        state: 'failure',
        description: 'x'.repeat(141),
      }),
    );
    expect(error.status).toBe(422);
    expect(errorData(error)).toMatchObject({
      message: 'Validation Failed',
      errors: [{ resource: 'DeploymentStatus', code: 'custom', field: 'description' }],
    });
    const bad = await requestError(
      octokit.request(`POST /repos/${OWNER}/${REPO}/deployments/${id}/statuses`, { state: 'bogus' }),
    );
    expect(bad.status).toBe(422);
    expect(
      await requestError(octokit.rest.repos.listDeploymentStatuses({ ...repo, deployment_id: 999_999 })),
    ).toMatchObject({
      status: 404,
    });
  });

  it('marks earlier successful non-production deployments inactive', async () => {
    const first = await deploy({ environment: 'staging' });
    await octokit.rest.repos.createDeploymentStatus({ ...repo, deployment_id: first.id, state: 'success' });
    const second = await deploy({ environment: 'staging' });
    await octokit.rest.repos.createDeploymentStatus({ ...repo, deployment_id: second.id, state: 'success' });
    const states = emulator.deployments(OWNER, REPO).map((entry) => entry.statuses.map((status) => status.state));
    expect(states).toEqual([['success', 'inactive'], ['success']]);
  });

  it('answers 422 for a ref that names nothing', async () => {
    const error = await requestError(octokit.rest.repos.createDeployment({ ...repo, ref: 'nope' }));
    expect(errorData(error)).toMatchObject({ message: 'No ref found for: nope', status: '422' });
  });
});

describe('required contexts', () => {
  it('answers 409 while a commit status fails or is pending, as GitHub does', async () => {
    emulator.setCommitStatus(head, 'ci/build', 'failure');
    emulator.setCommitStatus(head, 'ci/lint', 'success');
    const error = await requestError(
      octokit.rest.repos.createDeployment({ ...repo, ref: 'main', environment: 'production' }),
    );
    expect(error.status).toBe(409);
    expect(errorData(error)).toEqual({
      message: 'Conflict: Commit status checks failed for main.',
      errors: [
        {
          contexts: [
            { context: 'ci/lint', state: 'success' },
            { context: 'ci/build', state: 'failure' },
          ],
          resource: 'Deployment',
          field: 'required_contexts',
          code: 'invalid',
        },
      ],
      documentation_url: 'https://docs.github.com/rest/deployments/deployments#create-a-deployment',
      status: '409',
    });

    emulator.setCommitStatus(head, 'ci/build', 'pending');
    expect((await requestError(octokit.rest.repos.createDeployment({ ...repo, ref: 'main' }))).status).toBe(409);

    // Only the listed contexts count; an empty list skips the check.
    await deploy({ ref: 'main', required_contexts: ['ci/lint'] });
    await deploy({ ref: 'main', required_contexts: [] });
    const missing = await requestError(
      octokit.rest.repos.createDeployment({ ...repo, ref: 'main', required_contexts: ['ci/e2e'] }),
    );
    expect(missing.status).toBe(409);

    emulator.setCommitStatus(head, 'ci/build', 'success');
    await deploy({ ref: 'main' });
    const combined = await octokit.rest.repos.getCombinedStatusForRef({ ...repo, ref: 'main' });
    expect(combined.data).toMatchObject({ state: 'success', sha: head, total_count: 2 });
  });

  it('counts check runs by name', async () => {
    emulator.addCheckRun(head, 'test (20)', 'failure');
    const error = await requestError(octokit.rest.repos.createDeployment({ ...repo, ref: head }));
    expect(errorData(error)['message']).toBe(`Conflict: Commit status checks failed for ${head}.`);
    const runs = await octokit.rest.checks.listForRef({ ...repo, ref: head });
    expect(runs.data.check_runs.map((run) => [run.name, run.status, run.conclusion])).toEqual([
      ['test (20)', 'completed', 'failure'],
    ]);
    emulator.addCheckRun(head, 'test (20)', 'success');
    await deploy({ ref: head });
  });
});

describe('auto_merge', () => {
  it('merges the default branch into a branch behind it and answers 202 without a deployment', async () => {
    await octokit.rest.git.createRef({ ...repo, ref: 'refs/heads/feature', sha: head });
    await emulator.commitFiles(OWNER, REPO, { 'README.md': 'new\n' });
    const merged = await octokit.rest.repos.createDeployment({ ...repo, ref: 'feature' });
    expect(merged.status).toBe(202);
    expect(merged.data).toEqual({ message: 'Auto-merged main into feature on deployment.' });
    expect(emulator.deployments(OWNER, REPO)).toEqual([]);
    const dir = emulator.repoDir(OWNER, REPO);
    expect((await git(dir, 'log', '-1', '--format=%P', 'feature')).trim().split(' ')).toHaveLength(2);
    expect((await octokit.rest.repos.createDeployment({ ...repo, ref: 'feature' })).status).toBe(201);
  });
});
