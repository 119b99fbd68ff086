import type { LockLease } from '../../src/deploy/ports/index.js';
import type { Run } from '../../src/deploy/run.js';
import { CHANNEL, USERS, waitFor } from '../support/liftoff-harness.js';
import { SERVICE, startWorld, type World } from '../support/world.js';

/** `/deploy lock` and `/deploy unlock`: who may, what a locked service answers, and how a lock ends. */

const SERVICE_KEY = `${SERVICE.project}/${SERVICE.region}/${SERVICE.name}`;
const HOUR = 60 * 60 * 1000;
const APPROVERS = `<@${USERS.approver}>, <!subteam^S0ONCALL>`;

const hasAction = (blocks: readonly unknown[] | undefined, actionId: string): boolean =>
  JSON.stringify(blocks ?? []).includes(`"action_id":"${actionId}"`);

/** Slack's date token as a reader's client renders it, with its UTC fallback. */
function slackDate(date: Date): string {
  const iso = date.toISOString();
  return `<!date^${Math.floor(date.getTime() / 1000)}^{date_short_pretty} {time}|${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC>`;
}

describe('/deploy lock and /deploy unlock', () => {
  let w: World;
  beforeEach(async () => {
    w = await startWorld();
  });
  afterEach(async () => {
    await w?.closeWorld();
  });

  /** Runs `/deploy <text>` as the user and returns the mrkdwn of the ephemeral answer. */
  async function command(text: string, userId: string): Promise<string> {
    const before = w.emulator.responses.length;
    expect((await w.deploy(text, userId)).status).toBe(200);
    const answer = await waitFor(
      () => w.emulator.responses.slice(before).find((r) => r.context?.userId === userId),
      `the answer to /deploy ${text}`,
      10_000,
    );
    expect(answer.response_type).toBe('ephemeral');
    const section = (answer.blocks ?? [])[0] as { text?: { text?: string } } | undefined;
    return section?.text?.text ?? '';
  }

  const lockNow = (): Promise<LockLease | undefined> => w.liftoff.store.getLock(SERVICE_KEY, w.clock.now());
  const runs = (): Promise<Run[]> => w.liftoff.store.listRuns({});
  const lastAudit = async (action: string) =>
    (await w.liftoff.store.listAudit(100)).find((e) => e.action === action)?.outcome;

  /** `/deploy phase3` by a deployer is refused: no run, no plan message; returns the refusal. */
  async function expectRefusedDeploy(): Promise<string> {
    const runsBefore = (await runs()).length;
    const messagesBefore = w.emulator.messages.length;
    const refusal = await command('phase3', USERS.requester);
    expect(await runs()).toHaveLength(runsBefore);
    expect(w.emulator.messages).toHaveLength(messagesBefore);
    expect(w.requestMessages()).toHaveLength(0);
    expect(await lastAudit('/deploy phase3')).toBe('refused: locked');
    return refusal;
  }

  /** `/deploy phase3` by a deployer posts the plan with Approve and Deny. */
  async function expectPlanPosted(): Promise<Run> {
    const known = new Set((await runs()).map((r) => r.id));
    const answer = await command('phase3', USERS.requester);
    expect(answer).toMatch(
      /^:rocket: Requested `run-[a-z0-9]+`; the plan is in the channel, waiting for an approver\.$/,
    );
    const run = await waitFor(
      async () => (await runs()).find((r) => !known.has(r.id) && r.messageTs !== null),
      'the new request',
      10_000,
    );
    expect(run.state).toBe('requested');
    const plan = w.emulator.findMessage(CHANNEL, run.messageTs ?? '');
    expect(hasAction(plan?.blocks, 'liftoff_approve')).toBe(true);
    expect(hasAction(plan?.blocks, 'liftoff_deny')).toBe(true);
    expect(JSON.stringify(plan?.blocks)).not.toContain('locked by');
    return run;
  }

  it('an approver’s lock for 2h refuses deploys, naming who, why and until when, and lifts by itself after 2h', async () => {
    const lockedAnswer = await command('lock phase3 database migration for 2h', USERS.approver);
    const lock = await lockNow();
    expect(lock).toMatchObject({
      serviceKey: SERVICE_KEY,
      holderId: USERS.approver,
      reason: 'database migration',
    });
    if (lock === undefined) throw new Error('no lock');
    expect(lock.ownerId).toMatch(/^freeze:/);
    expect(lock.expiresAt.getTime() - lock.acquiredAt.getTime()).toBe(2 * HOUR);
    const description = `<@${USERS.approver}> holds it since ${slackDate(lock.acquiredAt)} (database migration), until ${slackDate(lock.expiresAt)}`;
    expect(lockedAnswer).toBe(`:lock: Locked \`${SERVICE_KEY}\`: ${description}.`);
    expect(await lastAudit('/deploy lock phase3 database migration for 2h')).toBe('ok: locked');

    expect(await expectRefusedDeploy()).toBe(
      `:lock: \`${SERVICE_KEY}\` is locked: ${description}. Try again when it is free.`,
    );
    const status = await command('status', USERS.otherDeployer);
    expect(status).toContain(`*Locks* (1)\n• \`${SERVICE_KEY}\`: ${description}`);

    // A minute before the end it still holds.
    w.clock.advance(2 * HOUR - 60_000);
    expect(await lockNow()).toBeDefined();
    await expectRefusedDeploy();

    // Past the two hours nobody has to unlock it.
    w.clock.advance(2 * 60_000);
    expect(await lockNow()).toBeUndefined();
    expect(await w.liftoff.store.listLocks(w.clock.now())).toEqual([]);
    await expectPlanPosted();
    const after = await command('status', USERS.otherDeployer);
    expect(after).toContain('*Locks* (0)\n_none_');
    expect(after).not.toContain('database migration');
  });

  it('refuses a lock by someone who is not an approver, naming who can', async () => {
    const answer = await command('lock phase3 I want a quiet evening for 2h', USERS.requester);
    expect(answer).toBe(`:no_entry: You may not lock or unlock this service. Who can: ${APPROVERS}.`);
    expect(await lockNow()).toBeUndefined();
    expect(await lastAudit('/deploy lock phase3 I want a quiet evening for 2h')).toBe('refused: forbidden');
    await expectPlanPosted();
  });

  it('a lock without a duration holds until an approver unlocks it', async () => {
    const lockedAnswer = await command('lock phase3 release freeze', USERS.approver);
    const lock = await lockNow();
    if (lock === undefined) throw new Error('no lock');
    const description = `<@${USERS.approver}> holds it since ${slackDate(lock.acquiredAt)} (release freeze), until unlocked`;
    expect(lockedAnswer).toBe(`:lock: Locked \`${SERVICE_KEY}\`: ${description}.`);

    // Days later it still holds.
    w.clock.advance(72 * HOUR);
    expect(await expectRefusedDeploy()).toBe(
      `:lock: \`${SERVICE_KEY}\` is locked: ${description}. Try again when it is free.`,
    );

    // A deployer may not lift it.
    expect(await command('unlock phase3', USERS.requester)).toBe(
      `:no_entry: You may not lock or unlock this service. Who can: ${APPROVERS}.`,
    );
    expect(await lockNow()).toEqual(lock);

    // Any approver may (here one through the on-call user group), not only the one who locked.
    expect(await command('unlock phase3', USERS.groupApprover)).toBe(`:unlock: Unlocked \`${SERVICE_KEY}\`.`);
    expect(await lockNow()).toBeUndefined();
    expect(await lastAudit('/deploy unlock phase3')).toBe('ok: unlocked');
    await expectPlanPosted();
  });

  it('a request posted before the lock cannot be approved while it holds, and can once it is lifted', async () => {
    const run = await expectPlanPosted();
    const plan = w.emulator.findMessage(CHANNEL, run.messageTs ?? '');
    if (plan === undefined) throw new Error('no plan message');
    await command('lock phase3 hotfix window for 30m', USERS.approver);
    const lock = await lockNow();
    if (lock === undefined) throw new Error('no lock');

    const before = w.emulator.responses.length;
    await w.click('approve', plan, USERS.groupApprover);
    const refusal = await waitFor(
      () => w.emulator.responses.slice(before).find((r) => r.context?.userId === USERS.groupApprover),
      'the refused approval',
    );
    expect((refusal.blocks?.[0] as { text: { text: string } }).text.text).toBe(
      `:lock: Cannot approve: \`${SERVICE_KEY}\` is locked: <@${USERS.approver}> holds it since ${slackDate(lock.acquiredAt)} (hotfix window), until ${slackDate(lock.expiresAt)}.`,
    );
    expect((await w.liftoff.store.getRun(run.id))?.state).toBe('requested');
    expect(await lockNow()).toEqual(lock);
    expect(w.gcp.builds()).toHaveLength(0);
    expect(hasAction(w.emulator.findMessage(CHANNEL, plan.ts)?.blocks, 'liftoff_approve')).toBe(true);

    expect(await command('unlock phase3', USERS.approver)).toBe(`:unlock: Unlocked \`${SERVICE_KEY}\`.`);
    await w.click('approve', plan, USERS.groupApprover);
    const done = await w.waitForState(['succeeded', 'failed', 'rolled_back', 'cancelled'], 30_000);
    expect(done.id).toBe(run.id);
    expect(done.state).toBe('succeeded');
    expect(done.decidedBy).toBe(USERS.groupApprover);
  });

  // Each freeze has its own owner id: the store refuses a second one instead of extending the first.
  it('a second lock by another approver neither replaces nor shortens the freeze already in place', async () => {
    await command('lock phase3 incident INC-42', USERS.approver);
    const first = await lockNow();
    if (first === undefined) throw new Error('no lock');

    const answer = await command('lock phase3 small thing for 1h', USERS.groupApprover);
    expect(answer).toBe(
      `:lock: \`${SERVICE_KEY}\` is already locked: <@${USERS.approver}> holds it since ${slackDate(first.acquiredAt)} (incident INC-42), until unlocked.`,
    );
    expect(await lockNow()).toEqual(first);
    w.clock.advance(HOUR + 60_000);
    expect(await lockNow()).toEqual(first);
    await expectRefusedDeploy();
  });

  it('unlock when nothing is locked says so', async () => {
    expect(await command('unlock phase3', USERS.approver)).toBe(`\`${SERVICE_KEY}\` is not locked.`);
    expect(await lastAudit('/deploy unlock phase3')).toBe('refused: not_locked');
    expect(await lockNow()).toBeUndefined();
  });

  it('refuses to unlock the lock a running deploy holds, and points at /deploy cancel', async () => {
    w.gcp.faults.holdBuilds(true);
    const run = await expectPlanPosted();
    const plan = w.emulator.findMessage(CHANNEL, run.messageTs ?? '');
    if (plan === undefined) throw new Error('no plan message');
    await w.click('approve', plan, USERS.approver);
    await w.waitForState(['building']);
    const held = await lockNow();
    expect(held?.ownerId).toBe(run.id);
    if (held === undefined) throw new Error('no lock');

    expect(await command('unlock phase3', USERS.approver)).toBe(
      `\`${SERVICE_KEY}\` is held by a deploy, not a freeze: <@${USERS.requester}> holds it since ${slackDate(held.acquiredAt)} (deploy ${run.id} (phase3)), until ${slackDate(held.expiresAt)}. Use \`/deploy cancel\` instead.`,
    );
    expect(await lastAudit('/deploy unlock phase3')).toBe('refused: held_by_run');
    expect(await lockNow()).toEqual(held);

    // The deploy was not disturbed: it finishes and releases its own lock.
    w.gcp.faults.holdBuilds(false);
    const done = await w.waitForState(['succeeded', 'failed', 'rolled_back', 'cancelled'], 30_000);
    expect(done.id).toBe(run.id);
    expect(done.state).toBe('succeeded');
    expect(await lockNow()).toBeUndefined();
  });
});
