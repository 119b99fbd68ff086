import { OLD_REVISION, REPO, startWorld, type World } from '../support/world.js';
import { waitFor } from '../support/liftoff-harness.js';

interface Traffic {
  revision: string | null;
  percent: number;
  tag: string | null;
}
interface RunData {
  deploy?: { revision: string; previousTraffic: Traffic[] };
  promoted?: { traffic: Traffic[] };
  rollback?: { traffic: Traffic[]; verified: boolean };
  failure?: { step: string; message: string };
  tag?: { next: string; commitSha: string };
  build?: { digest?: string };
}
const dataOf = (run: { data: unknown }): RunData => run.data as RunData;
const serving = (traffic: readonly Traffic[]): string[] =>
  traffic.filter((t) => t.percent > 0).map((t) => `${t.revision ?? 'LATEST'}=${t.percent}`);

async function liveTraffic(w: World): Promise<string[]> {
  const svc = await w.liftoff.pipeline?.['deps'].cloudRun.getService({
    project: 'emergence-prod',
    region: 'europe-west1',
    name: 'emergence-app',
  });
  return (svc?.trafficStatuses ?? []).filter((t) => t.percent > 0).map((t) => `${t.revision ?? 'LATEST'}=${t.percent}`);
}

/** Untouched traffic: still what gcloud left (LATEST), and LATEST still resolves to the old revision. */
async function expectUntouched(w: World): Promise<void> {
  expect(await liveTraffic(w)).toEqual(['LATEST=100']);
  const svc = await w.liftoff.pipeline?.['deps'].cloudRun.getService({
    project: 'emergence-prod',
    region: 'europe-west1',
    name: 'emergence-app',
  });
  expect(svc?.latestReadyRevision).toBe(OLD_REVISION);
}

describe('whole deploys over the emulated Slack, Google Cloud and GitHub', () => {
  let w: World;
  afterEach(async () => {
    await w?.closeWorld();
  });

  it('tags, builds, deploys at 0 %, verifies, promotes, and records the deploy log and the GitHub Deployment', async () => {
    w = await startWorld();
    const run = await w.deployAndWait();
    expect(run.state).toBe('succeeded');
    const data = dataOf(run);

    // The tag: one fast-forward commit that follows the file's own scheme and keeps its KEY= prefix.
    expect(
      w.gitLog().filter((m) => /^build: increment BUILD_ID to deploy-\d{8}-\d{6} \(phase3\)$/.test(m)),
    ).toHaveLength(1);
    expect(w.gitShow('build_tag.txt')).toBe(`IMAGE_TAG=${data.tag?.next ?? ''}\n`);

    // One build; the new revision serves everything; the old one kept nothing.
    expect(w.gcp.builds()).toHaveLength(1);
    // Deployed by the digest the build pushed, never by the mutable tag.
    const digest = data.build?.digest ?? '';
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    const created = w.gcp.calls.find(
      (c) => c.rpc === 'UpdateService' && JSON.stringify(c.request).includes(data.deploy?.revision ?? '?'),
    );
    expect(JSON.stringify(created?.request)).toContain(`/app/emergence-app@${digest}`);
    expect(JSON.stringify(created?.request)).not.toContain(`emergence-app:${data.tag?.next ?? '?'}"`);
    expect(serving(data.promoted?.traffic ?? [])).toEqual([`${data.deploy?.revision ?? ''}=100`]);
    expect(await liveTraffic(w)).toEqual([`${data.deploy?.revision ?? ''}=100`]);

    const thread = await w.threadText();
    for (const step of ['Build tag', 'succeeded in', 'is Ready', 'health', 'cache-hit', 'metrics', 'logs', 'Promoted'])
      expect(thread).toContain(step);
    expect(thread).toMatch(/<@U0DEV>.*is live/);

    // The deploy log and the Deployment reach GitHub through the outbox.
    await waitFor(
      () => (w.gitLog().some((m) => m.startsWith('docs: deploy log phase3')) ? true : undefined),
      'the deploy log commit',
      10_000,
    );
    const day = w.clock.now().toISOString().slice(0, 10);
    const deployLog = w.gitShow(`docs/deployments/${day}-deploy-phase3.md`);
    expect(deployLog).toContain(data.deploy?.revision);
    expect(deployLog).toContain(digest);
    expect(deployLog).toContain(`--to-revisions ${OLD_REVISION}=100`);
    expect(deployLog).toContain('Cache SAVED');
    const deployments = await waitFor(
      () => {
        const d = w.github.deployments(REPO.owner, REPO.name);
        return d[0]?.statuses.some((s) => s.state === 'success') === true ? d : undefined;
      },
      'the success status',
      10_000,
    );
    expect(deployments).toHaveLength(1);
    expect(deployments[0]?.statuses.map((s) => s.state)).toEqual(['in_progress', 'success']);
  });

  it('rolls back an unhealthy new revision: the old one serves again, the thread names the failed check', async () => {
    w = await startWorld();
    w.newRevisionFaults = { unhealthy: true };
    const run = await w.deployAndWait();
    expect(run.state).toBe('rolled_back');
    const data = dataOf(run);
    expect(data.failure?.message).toMatch(/check health failed: measured HTTP 503/);
    expect(await liveTraffic(w)).toEqual([`${OLD_REVISION}=100`]);
    expect(data.rollback?.verified).toBe(true);
    const thread = await w.threadText();
    expect(thread).toContain('Rolled back');
    expect(thread).toMatch(/health: HTTP 503/);
    await waitFor(
      () => {
        const d = w.github.deployments(REPO.owner, REPO.name);
        return d[0]?.statuses.some((s) => s.state === 'failure') === true ? true : undefined;
      },
      'the failure status',
      10_000,
    );
  });

  it('ends a failed build with its own message and never moves traffic', async () => {
    w = await startWorld();
    w.gcp.faults.failNextBuild('FAILURE', 'Step #0: pip install failed');
    const run = await w.deployAndWait();
    expect(run.state).toBe('failed');
    expect(dataOf(run).failure?.message).toMatch(/the build failed \(FAILURE/);
    await expectUntouched(w);
    expect(w.gcp.revisions().filter((r) => r.name.includes('deploy-2'))).toHaveLength(0);
    expect(await w.threadText()).toContain('FAILURE');
  });

  it('fails a build whose result names no digest for the image before anything is deployed', async () => {
    w = await startWorld();
    w.gcp.faults.nextBuildListsNoImages();
    const run = await w.deployAndWait();
    expect(run.state).toBe('failed');
    expect(dataOf(run).failure?.message).toMatch(/names no digest for .*emergence-app:deploy-.*deploys by digest/);
    await expectUntouched(w);
    expect(w.gcp.revisions().filter((r) => r.name.includes('deploy-2'))).toHaveLength(0);
  });

  it('fails a revision that never gets ready with Cloud Run’s own message, traffic untouched', async () => {
    w = await startWorld();
    w.gcp.faults.revisionNeverReady('The user-provided container failed the configured startup probe checks.');
    const run = await w.deployAndWait();
    expect(run.state).toBe('failed');
    expect(dataOf(run).failure?.message).toContain('startup probe');
    await expectUntouched(w);
    // The failed revision's tag stays in the service's traffic list; the next deploy must not send it back.
    const next = await w.deployAndWait();
    expect(next.state).toBe('succeeded');
  });

  it('reports a concurrent change of the service (etag) and overwrites nothing', async () => {
    w = await startWorld();
    w.gcp.faults.abortNextUpdate();
    const run = await w.deployAndWait();
    expect(run.state).toBe('failed');
    expect(dataOf(run).failure?.message).toMatch(/someone else changed emergence-app/);
    await expectUntouched(w);
  });

  it('keeps a split pinned to old revisions while verifying, and puts exactly it back on rollback', async () => {
    w = await startWorld({
      revisions: 2,
      revisionNames: ['emergence-app-00273-aaa', OLD_REVISION],
      traffic: [
        { revision: 'emergence-app-00273-aaa', percent: 90 },
        { revision: OLD_REVISION, percent: 10 },
      ],
    });
    w.newRevisionFaults = { analyzeFails: true };
    const run = await w.deployAndWait();
    expect(run.state).toBe('rolled_back');
    const data = dataOf(run);
    expect(serving(data.deploy?.previousTraffic ?? [])).toEqual(['emergence-app-00273-aaa=90', `${OLD_REVISION}=10`]);
    expect((await liveTraffic(w)).sort()).toEqual(['emergence-app-00273-aaa=90', `${OLD_REVISION}=10`]);
    expect(data.failure?.message).toMatch(/analyze failed/);
  });

  it('follows a real-world build_tag.txt: prefix and CRLF kept', async () => {
    w = await startWorld({ buildTag: 'cockpit-phase3-20251009-073931\r\n' });
    const run = await w.deployAndWait();
    expect(run.state).toBe('succeeded');
    expect(w.gitShow('build_tag.txt')).toMatch(/^cockpit-phase3-\d{8}-\d{6}\r\n$/);
  });

  it('keeps the deploy log while GitHub is down and commits it when GitHub is back', async () => {
    w = await startWorld();
    await w.deploy('phase3');
    await w.click('approve', await w.waitForRequest(), 'U0LEAD');
    await w.waitForState(['building', 'deploying', 'verifying']);
    w.github.faults.down(true);
    const run = await w.waitForState(['succeeded', 'rolled_back', 'failed']);
    expect(run.state).toBe('succeeded');
    w.clock.advance(60_000);
    await w.liftoff.drainOutbox();
    const pending = await w.liftoff.store.listOutbox({ runId: run.id, pending: true });
    expect(pending.length).toBeGreaterThan(0);
    expect(pending.every((item) => item.attempts > 0)).toBe(true);
    w.github.faults.down(false);
    for (let i = 0; i < 10 && (await w.liftoff.store.listOutbox({ runId: run.id, pending: true })).length > 0; i++) {
      w.clock.advance(10 * 60_000);
      await w.liftoff.drainOutbox();
    }
    expect(await w.liftoff.store.listOutbox({ runId: run.id, pending: true })).toHaveLength(0);
    expect(w.gitLog().filter((m) => m.startsWith('docs: deploy log phase3'))).toHaveLength(1);
    expect(w.github.deployments(REPO.owner, REPO.name)[0]?.statuses.map((s) => s.state)).toEqual([
      'in_progress',
      'success',
    ]);
  });
});
