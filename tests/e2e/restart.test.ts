import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createSlackRequestSender, startSlackEmulator, type SlackEmulator } from '../../sandbox/slack/index.js';
import { openSqliteStore } from '../../src/adapters/store/sqlite-store.js';
import type { Store } from '../../src/deploy/ports/index.js';
import type { Run } from '../../src/deploy/run.js';
import { CHANNEL, PHASE3_ENV, SIGNING_SECRET, USERS, waitFor } from '../support/liftoff-harness.js';
import { startReplica, type Replica } from '../support/replica.js';
import { GITHUB_TOKEN, REPO, startEmulators, type Emulators } from '../support/world.js';

describe('Liftoff killed in the middle of a deploy and started again', () => {
  let cloud: Emulators;
  let slack: SlackEmulator;
  let dataDir: string;
  let store: Store;
  const replicas: Replica[] = [];

  beforeAll(async () => {
    cloud = await startEmulators({ gcpTimings: { revisionReadyMs: 4000 } });
    slack = await startSlackEmulator();
    dataDir = mkdtempSync(path.join(tmpdir(), 'liftoff-restart-'));
  });
  afterAll(async () => {
    for (const replica of replicas) await replica.kill();
    await store?.close();
    await slack.close();
    await cloud.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const env = (): Record<string, string> => ({
    ...PHASE3_ENV,
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_BOT_TOKEN: slack.botToken,
    SLACK_API_URL: slack.apiUrl,
    GCP_API_ENDPOINT: cloud.gcp.endpoint,
    GITHUB_TOKEN,
    GITHUB_API_URL: cloud.github.apiUrl,
    LIFTOFF_DATA_DIR: dataDir,
  });
  const latestRun = async (): Promise<Run | undefined> => (await store.listRuns({ limit: 1 }))[0];
  const waitForRun = (what: string, test: (run: Run) => boolean, timeoutMs = 60_000): Promise<Run> =>
    waitFor(
      async () => {
        const run = await latestRun();
        return run !== undefined && test(run) ? run : undefined;
      },
      what,
      timeoutMs,
    );

  it('re-attaches to the build and the deploy: one tag commit, one build, one new revision, one success', async () => {
    cloud.gcp.faults.holdBuilds(true);
    const first = await startReplica(env());
    replicas.push(first);
    store = await openSqliteStore({ file: path.join(dataDir, 'liftoff.db') });
    const sender = createSlackRequestSender({
      targetUrl: `http://127.0.0.1:${first.port}/slack/events`,
      signingSecret: SIGNING_SECRET,
      emulator: slack,
    });
    await sender.slashCommand({ command: '/deploy', text: 'phase3', userId: USERS.requester, channelId: CHANNEL });
    const request = await waitFor(
      () => slack.messages.find((m) => JSON.stringify(m.blocks ?? []).includes('liftoff_approve')),
      'the plan',
      15_000,
    );
    await sender.blockAction({
      actionId: 'liftoff_approve',
      userId: USERS.approver,
      channelId: CHANNEL,
      messageTs: request.ts,
    });

    // Killed while the build runs: the build id is already saved.
    await waitForRun('a saved build id', (run) => run.state === 'building' && typeof run.data.build === 'object');
    await first.kill('SIGKILL');

    const second = await startReplica(env());
    replicas.push(second);
    cloud.gcp.faults.holdBuilds(false);
    // Killed again while Cloud Run brings the new revision up (the update was sent).
    await waitForRun('the update sent', (run) => run.state === 'deploying' && typeof run.data.deploy === 'object');
    await second.kill('SIGKILL');

    const third = await startReplica(env());
    replicas.push(third);
    const done = await waitForRun(
      'the end of the run',
      (run) => ['succeeded', 'rolled_back', 'failed'].includes(run.state),
      120_000,
    );
    expect(done.state).toBe('succeeded');

    const tagCommits = cloud.github.calls.filter(
      (c) => c.method === 'PATCH' && c.path.includes('/git/refs/') && c.status === 200,
    );
    expect(tagCommits).toHaveLength(1);
    expect(cloud.gcp.builds()).toHaveLength(1);
    const created = cloud.gcp.revisions().filter((r) => r.name.includes('deploy-2'));
    expect(created).toHaveLength(1);
    expect(cloud.gcp.calls.filter((c) => c.rpc.endsWith('UpdateService')).length).toBe(2); // the deploy, then the promotion
    expect(REPO.name).toBe('emergence-app');
  }, 240_000);
});
