import { MAX_STATUS_DESCRIPTION } from '../../../sandbox/github/index.js';
import { cutDescription } from '../../../src/adapters/github/github-repo-adapter.js';
import { NAME, OWNER, REPO, rejection, startSandbox, type Sandbox } from './helpers.js';

let sandbox: Sandbox;
let head: string;

beforeEach(async () => {
  sandbox = await startSandbox({ 'build_tag.txt': 'cockpit-phase3-20251009-073931\r\n' });
  head = await sandbox.head();
});

afterEach(async () => {
  expect(sandbox.emulator.internalErrors).toEqual([]);
  await sandbox.emulator.close();
});

describe('createDeployment and createDeploymentStatus', () => {
  it('round-trip: the deployment and its statuses as GitHub records them', async () => {
    const { id } = await sandbox.port.createDeployment({
      repo: REPO,
      ref: head,
      environment: 'production',
      description: 'phase3 deploy-20251010-101500',
      payload: { runId: 'run-42', buildTag: 'deploy-20251010-101500' },
    });
    const request = sandbox.emulator.calls.find((call) => call.path.endsWith('/deployments'));
    expect(request?.body).toEqual({
      ref: head,
      task: 'deploy',
      environment: 'production',
      description: 'phase3 deploy-20251010-101500',
      payload: { runId: 'run-42', buildTag: 'deploy-20251010-101500' },
      auto_merge: false,
      required_contexts: [],
      production_environment: true,
      transient_environment: false,
    });

    await sandbox.port.createDeploymentStatus({
      repo: REPO,
      deploymentId: id,
      state: 'in_progress',
      description: 'Building deploy-20251010-101500',
      logUrl: 'https://slack.example/archives/C1/p1',
    });
    await sandbox.port.createDeploymentStatus({
      repo: REPO,
      deploymentId: id,
      state: 'success',
      description: 'emergence-app-00042-abc serves 100 %',
      environmentUrl: 'https://emergence-app-abc-ew.a.run.app',
      logUrl: 'https://slack.example/archives/C1/p1',
    });

    expect(sandbox.emulator.deployments(OWNER, NAME)).toEqual([
      expect.objectContaining({
        id,
        sha: head,
        ref: head,
        task: 'deploy',
        environment: 'production',
        description: 'phase3 deploy-20251010-101500',
        payload: { runId: 'run-42', buildTag: 'deploy-20251010-101500' },
        productionEnvironment: true,
        transientEnvironment: false,
        statuses: [
          expect.objectContaining({
            state: 'in_progress',
            description: 'Building deploy-20251010-101500',
            environmentUrl: '',
            logUrl: 'https://slack.example/archives/C1/p1',
          }),
          expect.objectContaining({
            state: 'success',
            description: 'emergence-app-00042-abc serves 100 %',
            environmentUrl: 'https://emergence-app-abc-ew.a.run.app',
            logUrl: 'https://slack.example/archives/C1/p1',
          }),
        ],
      }),
    ]);
    const statusCall = sandbox.emulator.calls.filter((call) => call.path.endsWith('/statuses')).at(-1);
    expect(statusCall?.body).toMatchObject({ auto_inactive: true });
  });

  it('deploys a branch despite a red commit status: CI is judged in preflight, not by GitHub', async () => {
    sandbox.emulator.setCommitStatus(head, 'ci/build', 'failure');
    await expect(
      sandbox.port.createDeployment({
        repo: REPO,
        ref: 'main',
        environment: 'production',
        description: 'd',
        payload: {},
      }),
    ).resolves.toEqual({ id: expect.any(Number) as number });
  });

  it('cuts a description over 140 characters instead of having it refused', async () => {
    const { id } = await sandbox.port.createDeployment({
      repo: REPO,
      ref: 'main',
      environment: 'production',
      description: 'd',
      payload: {},
    });
    const long = `Rolled back: ${'the startup probe deadline was exceeded on emergence-app-00042-abc; '.repeat(4)}`;
    await sandbox.port.createDeploymentStatus({ repo: REPO, deploymentId: id, state: 'failure', description: long });
    const [status] = sandbox.emulator.deployments(OWNER, NAME)[0]?.statuses ?? [];
    expect(status?.description).toHaveLength(MAX_STATUS_DESCRIPTION);
    expect(status?.description.endsWith('…')).toBe(true);
    expect(long.startsWith(status?.description.slice(0, -1) ?? '?')).toBe(true);
  });

  it('turns a 409 into a conflict with the message GitHub gave', async () => {
    sandbox.emulator.faults.failNext(/\/deployments$/, 409, 1, { message: 'Conflict merging main into feature.' });
    const error = await rejection(
      sandbox.port.createDeployment({
        repo: REPO,
        ref: 'feature',
        environment: 'production',
        description: 'd',
        payload: {},
      }),
    );
    expect(error).toMatchObject({
      service: 'github',
      code: 'conflict',
      message: expect.stringContaining('Conflict merging main into feature.') as string,
    });
    expect(sandbox.emulator.deployments(OWNER, NAME)).toEqual([]);
  });

  it('answers not_found for a status of a deployment that does not exist', async () => {
    const error = await rejection(
      sandbox.port.createDeploymentStatus({ repo: REPO, deploymentId: 999_999, state: 'success', description: 'x' }),
    );
    expect(error).toMatchObject({ code: 'not_found' });
  });

  it('answers rejected for a ref that names nothing', async () => {
    const error = await rejection(
      sandbox.port.createDeployment({
        repo: REPO,
        ref: 'nope',
        environment: 'production',
        description: 'd',
        payload: {},
      }),
    );
    expect(error).toMatchObject({
      code: 'rejected',
      message: expect.stringContaining('No ref found for: nope') as string,
    });
  });
});

describe('cutDescription', () => {
  it.each([
    ['short', 'short'],
    ['x'.repeat(140), 'x'.repeat(140)],
    ['x'.repeat(141), `${'x'.repeat(139)}…`],
    // An emoji is two UTF-16 units: never cut in half.
    [`${'x'.repeat(138)}🚀🚀`, `${'x'.repeat(138)}…`],
  ])('%j → %j', (input, expected) => {
    expect(cutDescription(input)).toBe(expected);
    expect(cutDescription(input).length).toBeLessThanOrEqual(140);
  });
});

describe('commitChecks', () => {
  it('maps commit statuses and check runs to success, pending and failure', async () => {
    sandbox.emulator.setCommitStatus(head, 'ci/build', 'success');
    sandbox.emulator.setCommitStatus(head, 'ci/lint', 'pending');
    sandbox.emulator.setCommitStatus(head, 'ci/e2e', 'error');
    sandbox.emulator.setCommitStatus(head, 'ci/deps', 'failure');
    sandbox.emulator.setCommitStatus(head, 'ci/flaky', 'failure');
    sandbox.emulator.setCommitStatus(head, 'ci/flaky', 'success');
    sandbox.emulator.addCheckRun(head, 'test (20)', 'success');
    sandbox.emulator.addCheckRun(head, 'docs', 'neutral');
    sandbox.emulator.addCheckRun(head, 'optional', 'skipped');
    sandbox.emulator.addCheckRun(head, 'build image', null);
    sandbox.emulator.addCheckRun(head, 'codeql', 'failure');
    sandbox.emulator.addCheckRun(head, 'nightly', 'cancelled');
    sandbox.emulator.addCheckRun(head, 'slow', 'timed_out');
    sandbox.emulator.addCheckRun(head, 'review', 'action_required');

    const checks = await sandbox.port.commitChecks({ repo: REPO, sha: head });
    expect([...checks].sort((a, b) => a.name.localeCompare(b.name))).toEqual(
      [
        { name: 'ci/build', state: 'success' },
        { name: 'ci/lint', state: 'pending' },
        { name: 'ci/e2e', state: 'failure' },
        { name: 'ci/deps', state: 'failure' },
        { name: 'ci/flaky', state: 'success' },
        { name: 'test (20)', state: 'success' },
        { name: 'docs', state: 'success' },
        { name: 'optional', state: 'success' },
        { name: 'build image', state: 'pending' },
        { name: 'codeql', state: 'failure' },
        { name: 'nightly', state: 'failure' },
        { name: 'slow', state: 'failure' },
        { name: 'review', state: 'failure' },
      ].sort((a, b) => a.name.localeCompare(b.name)),
    );
  });

  it('answers an empty list for a commit without checks, and reads every page', async () => {
    expect(await sandbox.port.commitChecks({ repo: REPO, sha: head })).toEqual([]);
    for (let index = 0; index < 130; index += 1) sandbox.emulator.setCommitStatus(head, `ci/${index}`, 'success');
    for (let index = 0; index < 105; index += 1) sandbox.emulator.addCheckRun(head, `run ${index}`, 'success');
    const checks = await sandbox.port.commitChecks({ repo: REPO, sha: head });
    expect(checks).toHaveLength(235);
    expect(new Set(checks.map((check) => check.name)).size).toBe(235);
  });
});
