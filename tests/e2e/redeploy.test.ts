import { CHANNEL, USERS, waitFor } from '../support/liftoff-harness.js';
import { OLD_REVISION, SERVICE, servingNow, startWorld, type World } from '../support/world.js';

const SERVICE_KEY = `${SERVICE.project}/${SERVICE.region}/${SERVICE.name}`;

const shortName = (name: unknown): string => String(name).split('/').pop() ?? '';

describe('/rollback to a revision that is not Ready offers to redeploy the last good image', () => {
  let w: World;
  afterAll(async () => {
    await w?.closeWorld();
  });

  it('fails fast, then redeploys the last good image as a new revision once, even on a double click', async () => {
    w = await startWorld();
    w.gcp.faults.revisionNeverReady('The user-provided container failed the configured startup probe checks.');
    expect((await w.deployAndWait()).state).toBe('failed');
    const broken = w.gcp.revisions().find((r) => shortName(r.name) !== OLD_REVISION);
    expect(broken).toBeDefined();
    const oldImage = w.gcp.revisions().find((r) => shortName(r.name) === OLD_REVISION)?.containers?.[0]?.image;
    expect(oldImage).toMatch(/:deploy-\d{8}-\d{6}$/);

    await w.sender.slashCommand({
      command: '/rollback',
      text: `phase3 ${shortName(broken?.name)}`,
      userId: USERS.requester,
      channelId: CHANNEL,
    });
    const offer = await waitFor(
      () =>
        w.emulator.ephemerals
          .filter((e) => e.user === USERS.requester && JSON.stringify(e.blocks ?? []).includes('liftoff_redeploy'))
          .at(-1),
      'the offer to redeploy',
      10_000,
    );
    expect(JSON.stringify(offer.blocks)).toMatch(
      /it is not Ready \(Revision .* failed the configured startup probe checks/,
    );
    const revisionsBefore = w.gcp.revisions().length;

    const click = {
      actionId: 'liftoff_redeploy',
      userId: USERS.requester,
      channelId: CHANNEL,
      messageTs: offer.message_ts,
    };
    await Promise.all([w.sender.blockAction(click), w.sender.blockAction(click)]);
    const report = await waitFor(
      () => w.emulator.responses.find((r) => r.response_type === 'in_channel' && (r.text ?? '').includes('rolled')),
      'the redeploy report',
      20_000,
    );
    const created = w.gcp.revisions().filter((r) => shortName(r.name).startsWith(`${SERVICE.name}-redeploy-`));
    expect(created).toHaveLength(1);
    expect(w.gcp.revisions()).toHaveLength(revisionsBefore + 1);
    expect(created[0]?.containers?.[0]?.image).toBe(oldImage);
    expect(servingNow(w)).toEqual([`${shortName(created[0]?.name)}=100`]);
    expect(report.text).toContain(shortName(created[0]?.name));
    await waitFor(
      () =>
        w
          .ephemeralTextsFor(USERS.requester)
          .find((t) => t.includes('already under way') || t.includes('already serves')),
      'the second click told',
      10_000,
    );
    expect((await w.liftoff.store.getLock(SERVICE_KEY, w.clock.now()))?.ownerId).toMatch(/^freeze:/);
  });
});
