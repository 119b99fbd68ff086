import { CHANNEL, USERS, waitFor } from '../support/liftoff-harness.js';
import { OLD_REVISION, SERVICE, servingNow, startWorld, type World } from '../support/world.js';

const SERVICE_KEY = `${SERVICE.project}/${SERVICE.region}/${SERVICE.name}`;

const hasAction = (blocks: readonly unknown[] | undefined, actionId: string): boolean =>
  JSON.stringify(blocks ?? []).includes(`"action_id":"${actionId}"`);

interface Snapshot {
  readonly serving: string[];
  readonly lock: string | undefined;
  readonly runs: string[];
}

async function snapshot(w: World): Promise<Snapshot> {
  const lock = await w.liftoff.store.getLock(SERVICE_KEY, w.clock.now());
  const runs = await w.liftoff.store.listRuns({ limit: 50 });
  return { serving: servingNow(w), lock: lock?.ownerId, runs: runs.map((r) => `${r.id}:${r.state}`) };
}

/**
 * Sends a block_actions payload copied from a real click, with its action and value replaced: what someone holding
 * a leaked signing secret, or a client that rewrites values, could send. Slack itself never lets a user edit a value.
 */
async function craftedClick(w: World, input: { actionId: string; value: string; userId: string }): Promise<void> {
  const real = w.sender.lastPayload;
  if (real === undefined) throw new Error('no real click to copy');
  const copy = JSON.parse(JSON.stringify(real)) as Record<string, unknown> & {
    actions: Array<Record<string, unknown>>;
    user: Record<string, unknown>;
  };
  copy.user = { ...copy.user, id: input.userId };
  copy.trigger_id = `${Date.now()}.${Math.floor(Math.random() * 1e9)}.crafted`;
  copy.actions = [{ ...copy.actions[0], action_id: input.actionId, value: input.value }];
  const container = copy.container as { channel_id: string; message_ts: string; is_ephemeral: boolean };
  // A fresh response_url, as Slack gives each click its own.
  copy.response_url = w.emulator.createResponseUrl({
    channelId: container.channel_id,
    userId: input.userId,
    messageTs: container.message_ts,
    isEphemeral: container.is_ephemeral,
  });
  await w.sender.raw(
    new URLSearchParams({ payload: JSON.stringify(copy) }).toString(),
    'application/x-www-form-urlencoded',
  );
}

/** A deploy rolled back by a slow cache hit, and the thread's final reply with its Re-promote button. */
async function rolledBackDeploy(w: World) {
  w.newRevisionFaults = { slowCacheHitMs: 180 };
  const failed = await w.deployAndWait();
  expect(failed.state).toBe('rolled_back');
  const final = await waitFor(
    () => w.emulator.messages.find((m) => m.thread_ts === failed.messageTs && hasAction(m.blocks, 'liftoff_repromote')),
    'the Re-promote button',
    10_000,
  );
  return { failed, final };
}

/** `/deploy unlock phase3` as the approver. */
function unlock(w: World) {
  return w.sender.slashCommand({
    command: '/deploy',
    text: 'unlock phase3',
    userId: USERS.approver,
    channelId: CHANNEL,
  });
}

describe('every button checks who clicks, and acts only while what it was offered for holds', () => {
  let w: World;
  afterAll(async () => {
    await w?.closeWorld();
  });

  it('refuses an outsider on every button, with real and crafted values, and changes nothing', async () => {
    w = await startWorld();
    const { failed, final } = await rolledBackDeploy(w);
    const candidate = (failed.data as { deploy: { revision: string } }).deploy.revision;

    // A new request (refused: the service is frozen) is not needed; a plan is: unlock first as the approver.
    await unlock(w);
    await waitFor(
      () => w.ephemeralTextsFor(USERS.approver).find((t) => /unlock/i.test(t)),
      'the unlock answer',
      10_000,
    );
    // Re-freeze through a rollback-shaped path is what the Re-promote was for; lock again by hand for the stop test.
    await w.deploy('phase3');
    const plan = await w.waitForRequest();
    await w.sender.slashCommand({
      command: '/rollback',
      text: 'phase3 --stop',
      userId: USERS.requester,
      channelId: CHANNEL,
    });
    const stopAsk = await waitFor(
      () => w.emulator.messages.find((m) => hasAction(m.blocks, 'liftoff_emergency_stop')),
      'the emergency stop request',
      10_000,
    );

    const before = await snapshot(w);
    const buttons = [
      { name: 'approve', actionId: 'liftoff_approve', messageTs: plan.ts },
      { name: 'deny', actionId: 'liftoff_deny', messageTs: plan.ts },
      { name: 're-promote', actionId: 'liftoff_repromote', messageTs: final.ts },
      { name: 'emergency stop', actionId: 'liftoff_emergency_stop', messageTs: stopAsk.ts },
    ] as const;
    for (const button of buttons) {
      const told = w.ephemeralTextsFor(USERS.outsider).length;
      await w.sender.blockAction({
        actionId: button.actionId,
        userId: USERS.outsider,
        channelId: CHANNEL,
        messageTs: button.messageTs,
      });
      await waitFor(
        () => (w.ephemeralTextsFor(USERS.outsider).length > told ? true : undefined),
        `the outsider told why on ${button.name}`,
        10_000,
      );
      expect(w.ephemeralTextsFor(USERS.outsider).at(-1)).toMatch(/no_entry|Only|may not|cannot/i);
    }

    // Crafted values naming a deployer as requester, another run, another freeze: still the clicker is judged.
    const crafted = [
      { actionId: 'liftoff_rollback_confirm', value: `phase3 ${OLD_REVISION} ${USERS.requester}` },
      { actionId: 'liftoff_rollback_confirm', value: `phase3 ${candidate}` },
      { actionId: 'liftoff_repromote', value: `phase3 ${candidate} freeze:${SERVICE_KEY}#rollback-00000000` },
      { actionId: 'liftoff_approve', value: failed.id },
      { actionId: 'liftoff_emergency_stop', value: `phase3 ${USERS.requester}` },
      { actionId: 'liftoff_redeploy', value: `phase3 example.invalid/app:latest` },
    ];
    for (const click of crafted) {
      const told = w.ephemeralTextsFor(USERS.outsider).length;
      await craftedClick(w, { ...click, userId: USERS.outsider });
      await waitFor(
        () => (w.ephemeralTextsFor(USERS.outsider).length > told ? true : undefined),
        `the outsider told why on a crafted ${click.actionId}`,
        10_000,
      );
      expect(w.ephemeralTextsFor(USERS.outsider).at(-1)).toMatch(
        /Only|may not|cannot|already|not one Liftoff offered/i,
      );
    }
    expect(await snapshot(w)).toEqual(before);
    expect(servingNow(w)).toEqual([`${OLD_REVISION}=100`]);
  }, 60_000);
});

describe('Re-promote acts only while its rollback freeze holds', () => {
  let w: World;
  afterAll(async () => {
    await w?.closeWorld();
  });

  it('is refused after the freeze was lifted and a newer deploy promoted, and leaves another freeze alone', async () => {
    w = await startWorld();
    const { final } = await rolledBackDeploy(w);
    const repromote = () =>
      w.sender.blockAction({
        actionId: 'liftoff_repromote',
        userId: USERS.approver,
        channelId: CHANNEL,
        messageTs: final.ts,
      });

    // A /deploy lock replaces the rollback's freeze: the button names it and leaves it.
    await unlock(w);
    await waitFor(() => w.ephemeralTextsFor(USERS.approver).find((t) => /unlock/i.test(t)), 'the unlock', 10_000);
    await w.sender.slashCommand({
      command: '/deploy',
      text: 'lock phase3 audit in progress',
      userId: USERS.approver,
      channelId: CHANNEL,
    });
    await waitFor(
      async () => ((await w.liftoff.store.getLock(SERVICE_KEY, w.clock.now())) === undefined ? undefined : true),
      'the manual lock',
      10_000,
    );
    const manual = await w.liftoff.store.getLock(SERVICE_KEY, w.clock.now());
    await repromote();
    await waitFor(
      () => w.ephemeralTextsFor(USERS.approver).find((t) => t.includes('held by another lock')),
      'the refusal naming the other freeze',
      10_000,
    );
    expect(servingNow(w)).toEqual([`${OLD_REVISION}=100`]);
    expect((await w.liftoff.store.getLock(SERVICE_KEY, w.clock.now()))?.ownerId).toBe(manual?.ownerId);

    // Lifted, then a newer deploy promoted: the old button must not put the failed candidate back.
    await unlock(w);
    await waitFor(
      async () => ((await w.liftoff.store.getLock(SERVICE_KEY, w.clock.now())) === undefined ? true : undefined),
      'the manual lock lifted',
      10_000,
    );
    w.newRevisionFaults = undefined;
    const good = await w.deployAndWait();
    expect(good.state).toBe('succeeded');
    const newer = (good.data as { deploy: { revision: string } }).deploy.revision;
    await repromote();
    await waitFor(
      () => w.ephemeralTextsFor(USERS.approver).find((t) => t.includes('no longer applies') && t.includes('lifted')),
      'the stale refusal',
      10_000,
    );
    expect(servingNow(w)).toEqual([`${newer}=100`]);
  }, 90_000);
});

describe('the Slack emulator, like Slack, shows an ephemeral message to its recipient only', () => {
  let w: World;
  afterAll(async () => {
    await w?.closeWorld();
  });

  it('refuses a click on another user’s ephemeral message', async () => {
    w = await startWorld({ revisions: 3, traffic: 'pinned' });
    await w.sender.slashCommand({ command: '/rollback', text: 'phase3', userId: USERS.requester, channelId: CHANNEL });
    const list = await waitFor(
      () =>
        w.emulator.ephemerals.find((e) => e.user === USERS.requester && hasAction(e.blocks, 'liftoff_rollback_pick')),
      'the rollback list',
      10_000,
    );
    await expect(
      w.sender.blockAction({
        actionId: 'liftoff_rollback_pick',
        userId: USERS.outsider,
        channelId: list.channel,
        messageTs: list.message_ts,
      }),
    ).rejects.toThrow(/Slack shows it to U0DEV alone/);
  }, 30_000);
});

describe('a rollback asked of approvers (access.rollbackNeedsApproval) is read from the store, never from the button', () => {
  let w: World;
  afterAll(async () => {
    await w?.closeWorld();
  });

  const askedInChannel = async (userId: string) => {
    const seen = new Set(w.emulator.messages.map((m) => m.ts));
    await w.sender.slashCommand({ command: '/rollback', text: `phase3 ${OLD_REVISION}`, userId, channelId: CHANNEL });
    return waitFor(
      () =>
        w.emulator.messages.find(
          (m) => m.channel === CHANNEL && !seen.has(m.ts) && hasAction(m.blocks, 'liftoff_rollback_confirm'),
        ),
      'the rollback request in the channel',
      10_000,
    );
  };
  const lastTextFor = async (userId: string, told: number, what: string) => {
    await waitFor(() => (w.ephemeralTextsFor(userId).length > told ? true : undefined), what, 10_000);
    return w.ephemeralTextsFor(userId).at(-1) ?? '';
  };

  it('refuses crafted, self-made, outsider and expired confirmations, and rolls back once on a real one', async () => {
    w = await startWorld({ phase3Edits: { 'rollbackNeedsApproval: false': 'rollbackNeedsApproval: true' } });
    expect((await w.deployAndWait()).state).toBe('succeeded');
    const before = await snapshot(w);
    const asked = await askedInChannel(USERS.requester);
    const value = /"value":"(request:[\w-]+)"/.exec(JSON.stringify(asked.blocks))?.[1] ?? '';
    expect(value).toMatch(/^request:rq-/);
    // The value names no user: who asked lives in the store.
    expect(value).not.toContain(USERS.requester);

    // The outsider on the real request, and the requester confirming their own.
    for (const [userId, refusal] of [
      [USERS.outsider, /Only an approver/],
      [USERS.requester, /another approver confirms it/],
    ] as const) {
      const told = w.ephemeralTextsFor(userId).length;
      await w.sender.blockAction({
        actionId: 'liftoff_rollback_confirm',
        userId,
        channelId: CHANNEL,
        messageTs: asked.ts,
      });
      expect(await lastTextFor(userId, told, `the refusal of ${userId}`)).toMatch(refusal);
    }
    // An approver crafting the old value format (naming a deployer as requester), a plain confirm that would
    // skip the approver, and an id Liftoff never stored: each refused, nothing moves.
    const crafted = [
      { value: `phase3 ${OLD_REVISION} ${USERS.requester}`, told: /not one Liftoff offered/ },
      { value: `phase3 ${OLD_REVISION}`, told: /Only deployers|needs an approver/ },
      { value: 'request:rq-000000000000000000', told: /not one this Liftoff holds/ },
    ];
    for (const click of crafted) {
      const told = w.ephemeralTextsFor(USERS.approver).length;
      await craftedClick(w, { actionId: 'liftoff_rollback_confirm', value: click.value, userId: USERS.approver });
      expect(await lastTextFor(USERS.approver, told, `the refusal of ${click.value}`)).toMatch(click.told);
    }
    expect(await snapshot(w)).toEqual(before);

    // The real request, confirmed by an approver after it expired: refused; a fresh one confirmed: rolled back.
    w.clock.advance(16 * 60_000);
    const toldExpired = w.ephemeralTextsFor(USERS.approver).length;
    await w.sender.blockAction({
      actionId: 'liftoff_rollback_confirm',
      userId: USERS.approver,
      channelId: CHANNEL,
      messageTs: asked.ts,
    });
    expect(await lastTextFor(USERS.approver, toldExpired, 'the refusal of an expired request')).toMatch(/expired/);
    expect(servingNow(w)).toEqual(before.serving);

    const fresh = await askedInChannel(USERS.requester);
    await w.sender.blockAction({
      actionId: 'liftoff_rollback_confirm',
      userId: USERS.approver,
      channelId: CHANNEL,
      messageTs: fresh.ts,
    });
    await waitFor(
      () => (servingNow(w).join() === `${OLD_REVISION}=100` ? true : undefined),
      'the traffic on the old revision',
      10_000,
    );
    const freeze = await waitFor(
      () => w.liftoff.store.getLock(SERVICE_KEY, w.clock.now()),
      'the freeze after the rollback',
      10_000,
    );
    expect(freeze.holderId).toBe(USERS.approver);
  }, 90_000);
});
