import { CHANNEL, USERS, waitFor } from '../support/liftoff-harness.js';
import { OLD_REVISION, startWorld, type World } from '../support/world.js';

describe('cancelling a running deploy, and a rollback while one runs', () => {
  let w: World;
  afterEach(async () => {
    await w?.closeWorld();
  });

  it('/deploy cancel during the build cancels the build and leaves the service as it was', async () => {
    w = await startWorld();
    w.gcp.faults.holdBuilds(true);
    await w.deploy('phase3');
    await w.click('approve', await w.waitForRequest(), USERS.approver);
    await w.waitForState(['building']);
    await waitFor(() => (w.gcp.builds().some((b) => b.status === 'WORKING') ? true : undefined), 'a working build');

    await w.deploy('cancel');
    const run = await w.waitForState(['cancelled', 'failed', 'succeeded']);
    expect(run.state).toBe('cancelled');
    expect(w.gcp.builds().map((b) => b.status)).toEqual(['CANCELLED']);
    expect(w.gcp.revisions().map((r) => String(r.name).split('/').pop())).toEqual([OLD_REVISION]);
    expect(await w.liftoff.store.getLock(run.serviceKey, w.clock.now())).toBeUndefined();
  });

  it('refuses a /rollback while a deploy of the same service runs, and says how to stop the deploy', async () => {
    w = await startWorld();
    w.gcp.faults.holdBuilds(true);
    await w.deploy('phase3');
    await w.click('approve', await w.waitForRequest(), USERS.approver);
    await w.waitForState(['building']);
    await w.sender.slashCommand({
      command: '/rollback',
      text: `phase3 ${OLD_REVISION}`,
      userId: USERS.otherDeployer,
      channelId: CHANNEL,
    });
    const refusal = await waitFor(
      () =>
        w.emulator.ephemerals.find(
          (e) =>
            e.user === USERS.otherDeployer && JSON.stringify(e.blocks ?? []).includes('A deploy holds the service'),
        ),
      'the refusal',
    );
    expect(JSON.stringify(refusal.blocks)).toContain('/deploy cancel');
    w.gcp.faults.holdBuilds(false);
    expect((await w.waitForState(['succeeded', 'rolled_back', 'failed'])).state).toBe('succeeded');
  });
});
