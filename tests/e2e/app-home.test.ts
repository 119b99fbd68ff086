import { USERS } from '../support/liftoff-harness.js';
import { startWorld, type World } from '../support/world.js';

describe('the App Home tab', () => {
  let w: World;
  afterAll(async () => {
    await w?.closeWorld();
  });

  it('shows per runbook the serving revision and traffic, the lock and the last runs with their links', async () => {
    w = await startWorld();
    const run = await w.deployAndWait();
    expect(run.state).toBe('succeeded');
    await w.sender.appHomeOpened({ userId: USERS.outsider });
    const published = await w.emulator.waitForCall('views.publish', (c) => c.params.user_id === USERS.outsider, 10_000);
    const text = JSON.stringify(published.params.view);
    const revision = (run.data as { deploy: { revision: string } }).deploy.revision;
    expect(text).toContain('phase3');
    expect(text).toContain(`${revision} 100 %`);
    expect(text).toContain(':rocket: promoted');
    expect(text).toContain(`<@${USERS.requester}> → <@${USERS.approver}>`);
    expect(text).toContain('|deploy log>');
    expect(text).toContain(':unlock: not locked');
    expect(published.response.body.ok).toBe(true);
  });
});
