import { CHANNEL, USERS, waitFor } from '../support/liftoff-harness.js';
import { OLD_REVISION, servingNow, startWorld, type World } from '../support/world.js';

/** After a candidate failed its checks: what /rollback, Redeploy and /metrics offer must come from evidence. */
describe('recovery offers only revisions that held traffic healthily', () => {
  let w: World;
  let candidate = '';
  let verified = '';
  const images = new Map<string, string>();
  const revisionOf = (run: { data: unknown }): string =>
    (run.data as { deploy?: { revision?: string } }).deploy?.revision ?? '';
  // The image a revision runs: deployed by the digest its build pushed.
  const imageOf = (run: { data: unknown }): string =>
    `@${(run.data as { build?: { digest?: string } }).build?.digest ?? 'no digest'}`;
  beforeAll(async () => {
    w = await startWorld();
    const good = await w.deployAndWait();
    expect([good.state, JSON.stringify(good.data.failure ?? null)]).toEqual(['succeeded', 'null']);
    verified = revisionOf(good);
    images.set(verified, imageOf(good));
    w.newRevisionFaults = { slowCacheHitMs: 180 };
    const failed = await w.deployAndWait();
    expect(failed.state).toBe('rolled_back');
    candidate = revisionOf(failed);
    images.set(candidate, imageOf(failed));
    expect(candidate).not.toBe('');
    // The freeze of the automatic rollback would refuse nothing here, but lift it to act like a team that moved on.
    await w.sender.slashCommand({
      command: '/deploy',
      text: 'unlock phase3',
      userId: USERS.approver,
      channelId: CHANNEL,
    });
    await waitFor(() => w.ephemeralTextsFor(USERS.approver).find((t) => /unlock/i.test(t)), 'the unlock', 10_000);
  }, 60_000);
  afterAll(async () => {
    await w?.closeWorld();
  });

  const ephemeralWith = (userId: string, text: string) =>
    waitFor(
      () =>
        w.emulator.ephemerals.filter((e) => e.user === userId && JSON.stringify(e.blocks ?? []).includes(text)).at(-1),
      `an ephemeral with ${text}`,
      10_000,
    );

  it('/rollback marks each revision by its evidence, offers no rollback to the failed one, and lists it last', async () => {
    await w.sender.slashCommand({ command: '/rollback', text: 'phase3', userId: USERS.requester, channelId: CHANNEL });
    const list = await ephemeralWith(USERS.requester, 'Roll back to this');
    const sections = (list.blocks ?? []).map((b) => JSON.stringify(b)).filter((b) => b.startsWith('{"type":"section"'));
    const candidateSection = sections.find((s) => s.includes(candidate)) ?? '';
    expect(candidateSection).toContain('failed verification');
    expect(candidateSection).not.toContain('liftoff_rollback_pick');
    const oldSection = sections.find((s) => s.includes(OLD_REVISION)) ?? '';
    expect(oldSection).toContain('served before Liftoff checked it');
    expect(oldSection).toContain('liftoff_rollback_pick');
    // The verified revision serves everything: marked, not a target.
    expect(sections.find((s) => s.includes(verified))).toContain('served and verified');
    expect(sections.findIndex((s) => s.includes(OLD_REVISION))).toBeLessThan(
      sections.findIndex((s) => s.includes(candidate)),
    );
  });

  it('a typed rollback to the failed candidate is refused; the last good image is the verified one, not its', async () => {
    await w.sender.slashCommand({
      command: '/rollback',
      text: `phase3 ${candidate}`,
      userId: USERS.requester,
      channelId: CHANNEL,
    });
    const answer = JSON.stringify((await ephemeralWith(USERS.requester, 'failed verification in run')).blocks);
    const image = (revision: string) => images.get(revision) ?? `no image of ${revision}`;
    expect(answer).toContain(image(verified));
    expect(answer).not.toContain(image(candidate));
    expect(servingNow(w)).toEqual([`${verified}=100`]);
  });

  it('/metrics labels the service URL with the revision that serves it, not the failed latest Ready one', async () => {
    await w.sender.slashCommand({ command: '/metrics', text: 'phase3', userId: USERS.outsider, channelId: CHANNEL });
    const posted = await waitFor(
      () =>
        w.emulator.responses.find(
          (r) => r.response_type === 'in_channel' && JSON.stringify(r.blocks ?? []).includes('Service URL'),
        ),
      'the snapshot',
      15_000,
    );
    const text = JSON.stringify(posted.blocks);
    expect(text).toMatch(new RegExp(`Service URL\\*? · \`${verified}\``));
    expect(text).not.toMatch(new RegExp(`Service URL\\*? · \`${candidate}\``));
  });
});
