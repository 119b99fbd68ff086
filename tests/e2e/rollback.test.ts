import { CHANNEL, USERS, waitFor } from '../support/liftoff-harness.js';
import { OLD_REVISION, REPO, servingNow, startWorld, type World } from '../support/world.js';

describe('/rollback over the emulated Cloud Run', () => {
  let w: World;
  beforeAll(async () => {
    w = await startWorld();
    expect((await w.deployAndWait()).state).toBe('succeeded');
  });
  afterAll(async () => {
    await w?.closeWorld();
  });

  const ephemeralFor = (userId: string, text: string) =>
    waitFor(
      () =>
        w.emulator.ephemerals.filter((e) => e.user === userId && JSON.stringify(e.blocks ?? []).includes(text)).at(-1),
      `an ephemeral with ${text}`,
      10_000,
    );

  it('refuses someone who is not a deployer, naming who can', async () => {
    await w.sender.slashCommand({ command: '/rollback', text: 'phase3', userId: USERS.outsider, channelId: CHANNEL });
    await ephemeralFor(USERS.outsider, 'Only deployers may roll back');
  });

  it('refuses a revision that no longer exists, and names the last good image instead', async () => {
    await w.sender.slashCommand({
      command: '/rollback',
      text: 'phase3 emergence-app-00001-gone',
      userId: USERS.requester,
      channelId: CHANNEL,
    });
    const answer = await ephemeralFor(USERS.requester, 'no longer exists');
    // The last good image is the promoted revision's, by the digest it was deployed with.
    expect(JSON.stringify(answer.blocks)).toMatch(/emergence-app@sha256:[0-9a-f]{64}/);
    expect(JSON.stringify(answer.blocks)).toMatch(/Redeploy sha256:[0-9a-f]{12}\b/);
  });

  it('lists the revisions, confirms with before → after, moves traffic back once even on a double click, and locks the service', async () => {
    await w.sender.slashCommand({ command: '/rollback', text: 'phase3', userId: USERS.requester, channelId: CHANNEL });
    const list = await ephemeralFor(USERS.requester, 'Roll back to this');
    expect(JSON.stringify(list.blocks)).toContain(OLD_REVISION);
    await w.sender.blockAction({
      actionId: 'liftoff_rollback_pick',
      userId: USERS.requester,
      channelId: CHANNEL,
      messageTs: list.message_ts,
      value: `phase3 ${OLD_REVISION}`,
    });
    const confirm = await ephemeralFor(USERS.requester, 'liftoff_rollback_confirm');
    expect(JSON.stringify(confirm.blocks)).toMatch(/Before: .*100 %.*After: emergence-app-00274-old 100 %/);

    const click = {
      actionId: 'liftoff_rollback_confirm',
      userId: USERS.requester,
      channelId: CHANNEL,
      messageTs: confirm.message_ts,
      value: `phase3 ${OLD_REVISION}`,
    };
    await Promise.all([w.sender.blockAction(click), w.sender.blockAction(click)]);
    await waitFor(
      () => w.emulator.responses.find((r) => r.response_type === 'in_channel' && (r.text ?? '').includes('rolled')),
      'the rollback report',
      10_000,
    );
    expect(servingNow(w)).toEqual([`${OLD_REVISION}=100`]);
    expect(
      w.emulator.responses.filter((r) => r.response_type === 'in_channel' && (r.text ?? '').includes('rolled')),
    ).toHaveLength(1);

    await w.deploy('phase3');
    await waitFor(
      () => w.ephemeralTextsFor(USERS.requester).find((t) => t.includes('is locked') && t.includes('rolled back to')),
      'the lock refusal',
      10_000,
    );
    const audit = await w.liftoff.store.listAudit(50);
    expect(
      audit.some((e) => e.action.startsWith('button rollback confirm') && e.outcome.startsWith('ok: rolled back')),
    ).toBe(true);

    // On record like a deploy: a row in the deploy index and a GitHub Deployment with its status.
    const rollbackDeployment = await waitFor(
      () =>
        w.github
          .deployments(REPO.owner, REPO.name)
          .find((d) => (d.description ?? '').startsWith(`Rollback to ${OLD_REVISION}`) && d.statuses.length > 0),
      'the rollback Deployment',
      10_000,
    );
    expect(rollbackDeployment.statuses.map((s) => s.state)).toEqual(['success']);
    const index = await waitFor(
      () => {
        const text = w.gitShow('docs/deployments/README.md');
        return text.includes('Rollback manuel') ? text : undefined;
      },
      'the index row',
      10_000,
    );
    expect(index).toMatch(
      new RegExp(
        `\\| ${OLD_REVISION} \\| deploy-\\d{8}-\\d{6} \\| Rollback manuel par ${USERS.requester} \\(rollback-[0-9a-f]{12}\\) \\| ⏪ rollback \\|`,
      ),
    );
    expect(w.gitLog().filter((m) => m.startsWith('docs: deploy index phase3: Rollback'))).toHaveLength(1);
  });
});
