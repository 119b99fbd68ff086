import { CHANNEL, USERS, waitFor } from '../support/liftoff-harness.js';
import { OLD_REVISION, SERVICE, servingNow, startWorld, type World } from '../support/world.js';

const SERVICE_KEY = `${SERVICE.project}/${SERVICE.region}/${SERVICE.name}`;

const hasAction = (blocks: readonly unknown[] | undefined, actionId: string): boolean =>
  JSON.stringify(blocks ?? []).includes(`"action_id":"${actionId}"`);

describe('after an automatic rollback: the freeze and the Re-promote button', () => {
  let w: World;
  afterAll(async () => {
    await w?.closeWorld();
  });

  it('freezes the service, offers the candidate to an approver only, and re-promotes it once on a double click', async () => {
    w = await startWorld();
    w.newRevisionFaults = { slowCacheHitMs: 180 };
    const run = await w.deployAndWait();
    expect(run.state).toBe('rolled_back');
    const candidate = (run.data as { deploy: { revision: string } }).deploy.revision;

    const lock = await w.liftoff.store.getLock(SERVICE_KEY, w.clock.now());
    expect(lock?.ownerId).toMatch(/^freeze:/);
    expect(lock?.reason).toContain(`automatic rollback of ${run.id}`);

    const final = await waitFor(
      () => w.emulator.messages.find((m) => m.thread_ts === run.messageTs && hasAction(m.blocks, 'liftoff_repromote')),
      'the final reply with its Re-promote button',
      10_000,
    );
    expect(JSON.stringify(final.blocks)).toContain(`Re-promote ${candidate}`);

    await w.deploy('phase3');
    await waitFor(
      () =>
        w.ephemeralTextsFor(USERS.requester).find((t) => t.includes('is locked') && t.includes('automatic rollback')),
      'the refusal naming the freeze',
      10_000,
    );

    const click = (userId: string) =>
      w.sender.blockAction({ actionId: 'liftoff_repromote', userId, channelId: CHANNEL, messageTs: final.ts });
    await click(USERS.requester);
    await waitFor(
      () => w.ephemeralTextsFor(USERS.requester).find((t) => t.includes('Only an approver')),
      'the refusal of a deployer',
      10_000,
    );
    expect(servingNow(w)).toEqual([`${OLD_REVISION}=100`]);

    await Promise.all([click(USERS.approver), click(USERS.approver)]);
    await waitFor(
      () =>
        w.emulator.responses.find((r) => r.response_type === 'in_channel' && (r.text ?? '').includes('re-promoted')),
      'the re-promote report',
      10_000,
    );
    await waitFor(
      () => w.ephemeralTextsFor(USERS.approver).find((t) => t.includes('already serves all the traffic')),
      'the second click told it is done',
      10_000,
    );
    expect(servingNow(w)).toEqual([`${candidate}=100`]);
    expect(
      w.emulator.responses.filter((r) => r.response_type === 'in_channel' && (r.text ?? '').includes('re-promoted')),
    ).toHaveLength(1);
    expect(await w.liftoff.store.getLock(SERVICE_KEY, w.clock.now())).toBeUndefined();
    await waitFor(
      () => {
        // The index is committed by the outbox: until then the file may not exist at all.
        try {
          return w.gitShow('docs/deployments/README.md').includes('Re-promotion') ? true : undefined;
        } catch {
          return undefined;
        }
      },
      'the re-promote row in the deploy index',
      10_000,
    );
    expect(w.gitShow('docs/deployments/README.md')).toMatch(
      new RegExp(
        `\\| ${candidate} \\| [^|]+ \\| Re-promotion par U0LEAD \\(repromote-[0-9a-f]{12}\\) \\| ⏫ re-promu \\|`,
      ),
    );
    const audit = await w.liftoff.store.listAudit(50);
    expect(audit.filter((e) => e.action.startsWith('button re-promote')).map((e) => e.outcome)).toEqual(
      expect.arrayContaining([`ok: re-promoted ${candidate}`, 'refused: already_serving', 'refused: forbidden']),
    );
  });
});

describe('access.rollbackNeedsApproval: true', () => {
  let w: World;
  beforeAll(async () => {
    w = await startWorld({ phase3Edits: { 'rollbackNeedsApproval: false': 'rollbackNeedsApproval: true' } });
    expect((await w.deployAndWait()).state).toBe('succeeded');
  });
  afterAll(async () => {
    await w?.closeWorld();
  });

  it('asks in the channel, refuses the requester’s own confirmation, and rolls back on an approver’s', async () => {
    const before = servingNow(w);
    await w.sender.slashCommand({
      command: '/rollback',
      text: `phase3 ${OLD_REVISION}`,
      userId: USERS.requester,
      channelId: CHANNEL,
    });
    const asked = await waitFor(
      () =>
        w.emulator.messages.find(
          (m) => m.channel === CHANNEL && hasAction(m.blocks, 'liftoff_rollback_confirm') && !m.deleted,
        ),
      'the rollback request in the channel',
      10_000,
    );
    expect(JSON.stringify(asked.blocks)).toContain(`<@${USERS.requester}> asks to roll back`);

    const confirm = (userId: string) =>
      w.sender.blockAction({ actionId: 'liftoff_rollback_confirm', userId, channelId: CHANNEL, messageTs: asked.ts });
    await confirm(USERS.requester);
    await waitFor(
      () => w.ephemeralTextsFor(USERS.requester).find((t) => t.includes('another approver confirms it')),
      'the refusal of a self-confirmation',
      10_000,
    );
    expect(servingNow(w)).toEqual(before);

    await confirm(USERS.approver);
    await waitFor(
      () => (servingNow(w).join() === `${OLD_REVISION}=100` ? true : undefined),
      'the traffic back on the old revision',
      10_000,
    );
    const report = await waitFor(
      () => w.emulator.responses.find((r) => r.replace_original && (r.text ?? '').includes('rolled')),
      'the report in place of the request',
      10_000,
    );
    expect(report.response_type).toBe('in_channel');
    expect(hasAction(report.blocks, 'liftoff_repromote')).toBe(true);
  });
});
