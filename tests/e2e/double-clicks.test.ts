import { randomBytes, randomInt } from 'node:crypto';
import type { AuditEntry } from '../../src/deploy/ports/index.js';
import type { Run } from '../../src/deploy/run.js';
import type { EmulatedMessage, ResponseDelivery } from '../../sandbox/slack/index.js';
import { CHANNEL, USERS, waitFor } from '../support/liftoff-harness.js';
import { OLD_REVISION, SERVICE, startWorld, type World } from '../support/world.js';

/**
 * Every button Liftoff posts, clicked twice: at once (two signed block_actions in flight together, as a double
 * click or two people in the channel send them) and one after the other (the second from the stale message the
 * client still showed). The effect must happen once; the second click gets an answer, never an error.
 */

const SERVICE_KEY = `${SERVICE.project}/${SERVICE.region}/${SERVICE.name}`;
const INTERNAL_ERROR = 'an internal error occurred';
const FORM = 'application/x-www-form-urlencoded';
const TERMINAL = ['succeeded', 'failed', 'rolled_back', 'cancelled', 'denied', 'expired'];
const PIPELINE_STATES = ['approved', 'tagging', 'building', 'deploying', 'verifying', 'promoting', 'recording'];

type Payload = Readonly<Record<string, unknown>>;

const hasAction = (blocks: readonly unknown[] | undefined, actionId: string): boolean =>
  JSON.stringify(blocks ?? []).includes(`"action_id":"${actionId}"`);

/** Slack's trigger ids look like `13345224609.738474920.8088930838d88f008e0`. */
const newTriggerId = (): string =>
  `${randomInt(1e10, 1e11 - 1)}.${randomInt(1e8, 1e9 - 1)}.${randomBytes(16).toString('hex')}`;

/**
 * Sends a block_actions payload built earlier again. `retry`: Slack's own retry of that delivery (same body,
 * same trigger_id and response_url, `x-slack-retry-num`). Otherwise a second click on the same, by now stale,
 * button: a new trigger_id and a new response_url, as Slack gives every interaction.
 */
function sendAgain(w: World, payload: Payload, how: { retry: number } | 'second click') {
  let body: Payload = payload;
  if (how === 'second click') {
    const container = payload['container'] as { channel_id: string; message_ts: string; is_ephemeral: boolean };
    const user = payload['user'] as { id: string };
    body = {
      ...payload,
      trigger_id: newTriggerId(),
      response_url: w.emulator.createResponseUrl({
        channelId: container.channel_id,
        userId: user.id,
        messageTs: container.message_ts,
        isEphemeral: container.is_ephemeral,
      }),
    };
  }
  return w.sender.raw(
    new URLSearchParams({ payload: JSON.stringify(body) }).toString(),
    FORM,
    how === 'second click' ? {} : { retryNum: how.retry },
  );
}

/** The payload `send` builds (the sender records it synchronously, before the request goes out). */
function sentPayload<T>(w: World, send: () => T): { sent: T; payload: Payload } {
  const sent = send();
  const payload = w.sender.lastPayload;
  if (payload === undefined) throw new Error('the sender recorded no payload');
  return { sent, payload };
}

/** Requests phase3 and returns the new run once its plan message is in the channel. */
async function newRequest(w: World, userId: string = USERS.requester): Promise<{ run: Run; message: EmulatedMessage }> {
  const known = new Set((await w.liftoff.store.listRuns({})).map((r) => r.id));
  expect((await w.deploy('phase3', userId)).status).toBe(200);
  const run = await waitFor(
    async () => (await w.liftoff.store.listRuns({})).find((r) => !known.has(r.id) && r.messageTs !== null),
    'the new request',
    10_000,
  );
  const message = w.emulator.findMessage(CHANNEL, run.messageTs ?? '');
  if (message === undefined) throw new Error(`no plan message for ${run.id}`);
  expect(hasAction(message.blocks, 'liftoff_approve')).toBe(true);
  return { run, message };
}

/** The audit entries of `action` (exact) until there are `count` of them. */
async function auditOf(w: World, action: string, count: number, runId?: string): Promise<AuditEntry[]> {
  return waitFor(
    async () => {
      const entries = (await w.liftoff.store.listAudit(1000)).filter(
        (e) => e.action === action && (runId === undefined || e.runId === runId),
      );
      return entries.length >= count ? entries : undefined;
    },
    `${count} audit entries for ${action}`,
    10_000,
  );
}

/** The response_url answers a user got to interactions on one message. */
const answersOn = (w: World, userId: string, messageTs: string): ResponseDelivery[] =>
  w.emulator.responses.filter((r) => r.context?.userId === userId && r.context.messageTs === messageTs);

const internalErrors = (w: World): ResponseDelivery[] =>
  w.emulator.responses.filter((r) => JSON.stringify([r.text ?? '', r.blocks ?? []]).includes(INTERNAL_ERROR));

/** chat.update calls that edited the plan message (the decision is shown by editing it once). */
const editsOf = (w: World, ts: string) =>
  w.emulator.calls.filter((c) => c.method === 'chat.update' && c.params['ts'] === ts);

const tagCommits = (w: World): string[] => w.gitLog().filter((m) => m.startsWith('build: increment BUILD_ID'));
const createBuildCalls = (w: World) => w.gcp.calls.filter((c) => c.rpc === 'CreateBuild');
const updateServiceCalls = (w: World) => w.gcp.calls.filter((c) => c.rpc === 'UpdateService');

function emergenceService(w: World) {
  const svc = w.gcp.services().find((s) => String(s.name).endsWith(`/services/${SERVICE.name}`));
  if (svc === undefined) throw new Error('the emulated service is missing');
  return svc;
}

function servingNow(w: World): string[] {
  return (emergenceService(w).trafficStatuses ?? [])
    .filter((t) => (t.percent ?? 0) > 0)
    .map((t) => `${String(t.revision ?? 'LATEST')}=${String(t.percent)}`);
}

const count = (text: string, pattern: RegExp): number => [...text.matchAll(pattern)].length;

describe('Approve clicked twice', () => {
  let w: World;
  afterEach(async () => {
    await w?.closeWorld();
  });

  it('at once: one approval, one pipeline (one tag commit, one build), the second click told it is already decided', async () => {
    w = await startWorld();
    const { run, message } = await newRequest(w);

    const answers = await Promise.all([
      w.click('approve', message, USERS.approver),
      w.click('approve', message, USERS.approver),
    ]);
    expect(answers.map((a) => a.status)).toEqual([200, 200]);

    const done = await w.waitForState(TERMINAL, 30_000);
    expect(done.id).toBe(run.id);
    expect(done.state).toBe('succeeded');
    expect(done.decidedBy).toBe(USERS.approver);

    const journal = await w.liftoff.store.journal(run.id);
    expect(journal.filter((t) => t.to === 'approved')).toHaveLength(1);
    expect(journal.filter((t) => t.to === 'tagging')).toHaveLength(1);
    expect(journal.filter((t) => t.to === 'building')).toHaveLength(1);
    expect(tagCommits(w)).toHaveLength(1);
    expect(createBuildCalls(w)).toHaveLength(1);
    expect(w.gcp.builds()).toHaveLength(1);

    const audit = await auditOf(w, 'button approve', 2, run.id);
    expect(audit.map((e) => e.outcome).sort()).toEqual(['ok: approved', 'refused: already_decided']);

    // The loser is answered in words; the winner's approval shows on the message itself, edited once.
    const replies = answersOn(w, USERS.approver, message.ts);
    expect(replies).toHaveLength(1);
    expect(replies[0]?.response_type).toBe('ephemeral');
    expect(replies[0]?.replace_original).toBe(false);
    expect(replies[0]?.text).toMatch(
      new RegExp(`^This request is already (${PIPELINE_STATES.join('|')}) \\(by <@${USERS.approver}>\\)\\.$`),
    );
    const plan = w.emulator.findMessage(CHANNEL, message.ts);
    expect(plan?.text).toContain(`Approved by <@${USERS.approver}>`);
    expect(hasAction(plan?.blocks, 'liftoff_approve')).toBe(false);
    expect(editsOf(w, message.ts)).toHaveLength(1);
    expect(internalErrors(w)).toEqual([]);
  });

  it('one after the other, and Slack retrying the first delivery: still one approval and one pipeline', async () => {
    w = await startWorld();
    const { run, message } = await newRequest(w);

    const { sent, payload } = sentPayload(w, () => w.click('approve', message, USERS.approver));
    expect((await sent).status).toBe(200);
    await auditOf(w, 'button approve', 1, run.id);
    expect((await w.liftoff.store.getRun(run.id))?.state).not.toBe('requested');

    // Slack re-sends the same delivery (same trigger_id): acknowledged, and nothing else, not even an audit line.
    expect((await sendAgain(w, payload, { retry: 1 })).status).toBe(200);
    // The approver clicks the button their client still shows.
    expect((await sendAgain(w, payload, 'second click')).status).toBe(200);
    const audit = await auditOf(w, 'button approve', 2, run.id);
    expect(audit.map((e) => e.outcome).sort()).toEqual(['ok: approved', 'refused: already_decided']);

    const done = await w.waitForState(TERMINAL, 30_000);
    expect(done.id).toBe(run.id);
    expect(done.state).toBe('succeeded');
    expect((await w.liftoff.store.journal(run.id)).filter((t) => t.to === 'approved')).toHaveLength(1);
    expect(tagCommits(w)).toHaveLength(1);
    expect(createBuildCalls(w)).toHaveLength(1);
    expect(w.gcp.builds()).toHaveLength(1);
    // The retry never reached the handler: still exactly the two entries.
    expect(
      (await w.liftoff.store.listAudit(1000)).filter((e) => e.runId === run.id && e.action === 'button approve'),
    ).toHaveLength(2);

    const replies = answersOn(w, USERS.approver, message.ts);
    expect(replies).toHaveLength(1);
    expect(replies[0]?.text).toMatch(
      new RegExp(`^This request is already (${PIPELINE_STATES.join('|')}) \\(by <@${USERS.approver}>\\)\\.$`),
    );
    expect(editsOf(w, message.ts)).toHaveLength(1);
    expect(internalErrors(w)).toEqual([]);
  });
});

describe('Deny clicked twice', () => {
  let w: World;
  beforeAll(async () => {
    w = await startWorld();
  });
  afterAll(async () => {
    await w?.closeWorld();
  });

  async function expectDeniedOnce(run: Run, message: EmulatedMessage): Promise<void> {
    const audit = await auditOf(w, 'button deny', 2, run.id);
    expect(audit.map((e) => e.outcome).sort()).toEqual(['ok: denied', 'refused: already_decided']);
    const stored = await w.liftoff.store.getRun(run.id);
    expect(stored?.state).toBe('denied');
    expect(stored?.decidedBy).toBe(USERS.approver);
    expect((await w.liftoff.store.journal(run.id)).filter((t) => t.to === 'denied')).toHaveLength(1);

    const replies = await waitFor(() => {
      const found = answersOn(w, USERS.approver, message.ts);
      return found.length > 0 ? found : undefined;
    }, 'the answer to the second click');
    expect(replies.map((r) => r.text)).toEqual([`This request is already denied (by <@${USERS.approver}>).`]);

    const plan = w.emulator.findMessage(CHANNEL, message.ts);
    expect(plan?.text).toBe(`Deploy request phase3 → ${SERVICE.name}: Denied by <@${USERS.approver}>`);
    const shown = JSON.stringify(plan?.blocks ?? []);
    expect(count(shown, /Denied\* by <@U0LEAD>/g)).toBe(1);
    expect(hasAction(plan?.blocks, 'liftoff_approve')).toBe(false);
    expect(hasAction(plan?.blocks, 'liftoff_deny')).toBe(false);
    expect(editsOf(w, message.ts)).toHaveLength(1);
    expect(plan?.history).toHaveLength(1);

    // Nothing started: no lock, no tag commit, no build.
    expect(await w.liftoff.store.getLock(SERVICE_KEY, w.clock.now())).toBeUndefined();
    expect(tagCommits(w)).toHaveLength(0);
    expect(w.gcp.builds()).toHaveLength(0);
    expect(internalErrors(w)).toEqual([]);
  }

  it('at once: denied once, one audit ok and one already-decided refusal, "Denied by" shown once', async () => {
    const { run, message } = await newRequest(w);
    const answers = await Promise.all([
      w.click('deny', message, USERS.approver),
      w.click('deny', message, USERS.approver),
    ]);
    expect(answers.map((a) => a.status)).toEqual([200, 200]);
    await expectDeniedOnce(run, message);
  });

  it('one after the other (the second from the stale message): the same', async () => {
    const { run, message } = await newRequest(w);
    const { sent, payload } = sentPayload(w, () => w.click('deny', message, USERS.approver));
    expect((await sent).status).toBe(200);
    await auditOf(w, 'button deny', 1, run.id);
    expect((await sendAgain(w, payload, 'second click')).status).toBe(200);
    await expectDeniedOnce(run, message);
  });
});

describe('Approve and Deny clicked at the same time by two approvers', () => {
  let w: World;
  beforeAll(async () => {
    w = await startWorld();
  });
  afterAll(async () => {
    await w?.closeWorld();
  });

  const who = { approve: USERS.approver, deny: USERS.groupApprover } as const;

  /** Asserts exactly one decision won and that the store, the message and the loser's answer agree on it. */
  async function expectOneWinner(run: Run, message: EmulatedMessage, before: { builds: number; commits: number }) {
    const [approveAudit] = await auditOf(w, 'button approve', 1, run.id);
    const [denyAudit] = await auditOf(w, 'button deny', 1, run.id);
    const outcomes = [approveAudit?.outcome, denyAudit?.outcome];
    expect(outcomes.filter((o) => o?.startsWith('ok: '))).toHaveLength(1);
    expect(outcomes.filter((o) => o === 'refused: already_decided')).toHaveLength(1);
    const winner = approveAudit?.outcome === 'ok: approved' ? 'approve' : 'deny';
    const loser = winner === 'approve' ? 'deny' : 'approve';

    const journal = await w.liftoff.store.journal(run.id);
    expect(journal.filter((t) => t.from === 'requested').map((t) => t.to)).toEqual([
      winner === 'approve' ? 'approved' : 'denied',
    ]);
    const plan = w.emulator.findMessage(CHANNEL, message.ts);
    expect(editsOf(w, message.ts)).toHaveLength(1);
    expect(hasAction(plan?.blocks, 'liftoff_approve')).toBe(false);
    expect(hasAction(plan?.blocks, 'liftoff_deny')).toBe(false);
    const loserReplies = await waitFor(() => {
      const found = answersOn(w, who[loser], message.ts);
      return found.length > 0 ? found : undefined;
    }, 'the answer to the losing click');
    expect(loserReplies).toHaveLength(1);
    expect(answersOn(w, who[winner], message.ts)).toHaveLength(0);

    if (winner === 'approve') {
      const done = await w.waitForState(TERMINAL, 30_000);
      expect(done.id).toBe(run.id);
      expect(done.state).toBe('succeeded');
      expect(done.decidedBy).toBe(USERS.approver);
      expect(plan?.text).toContain(`Approved by <@${USERS.approver}>`);
      expect(plan?.text).not.toContain('Denied');
      expect(loserReplies[0]?.text).toMatch(
        new RegExp(`^This request is already (${PIPELINE_STATES.join('|')}) \\(by <@${USERS.approver}>\\)\\.$`),
      );
      expect(w.gcp.builds()).toHaveLength(before.builds + 1);
      expect(tagCommits(w)).toHaveLength(before.commits + 1);
    } else {
      const stored = await w.liftoff.store.getRun(run.id);
      expect(stored?.state).toBe('denied');
      expect(stored?.decidedBy).toBe(USERS.groupApprover);
      expect(plan?.text).toBe(`Deploy request phase3 → ${SERVICE.name}: Denied by <@${USERS.groupApprover}>`);
      expect(plan?.text).not.toContain('Approved');
      expect(loserReplies[0]?.text).toBe(`This request is already denied (by <@${USERS.groupApprover}>).`);
      expect(await w.liftoff.store.getLock(SERVICE_KEY, w.clock.now())).toBeUndefined();
      expect(w.gcp.builds()).toHaveLength(before.builds);
      expect(tagCommits(w)).toHaveLength(before.commits);
    }
    expect(internalErrors(w)).toEqual([]);
    return winner;
  }

  it.each([
    ['Approve sent first', ['approve', 'deny'] as const],
    ['Deny sent first', ['deny', 'approve'] as const],
  ])('sent together, %s: exactly one wins, and the run, the message and the loser’s answer agree', async (_, order) => {
    const { run, message } = await newRequest(w);
    const before = { builds: w.gcp.builds().length, commits: tagCommits(w).length };
    const answers = await Promise.all(order.map((decision) => w.click(decision, message, who[decision])));
    expect(answers.map((a) => a.status)).toEqual([200, 200]);
    await expectOneWinner(run, message, before);
  });

  it('Deny landing while the approval is being handled: the approval stands, the pipeline runs once', async () => {
    // Approve runs the preflight before its write, so sent together Deny usually wins; here Approve gets there first.
    const { run, message } = await newRequest(w);
    const before = { builds: w.gcp.builds().length, commits: tagCommits(w).length };
    const { sent, payload } = sentPayload(w, () => w.click('approve', message, who.approve));
    await waitFor(
      async () => ((await w.liftoff.store.getRun(run.id))?.state !== 'requested' ? true : undefined),
      'the approval written',
    );
    const action = (payload['actions'] as Record<string, unknown>[])[0];
    const deny = {
      ...payload,
      user: { ...(payload['user'] as Record<string, unknown>), id: who.deny, username: 'oncall', name: 'oncall' },
      actions: [{ ...action, action_id: 'liftoff_deny', style: 'danger', text: { type: 'plain_text', text: 'Deny' } }],
    };
    const answers = await Promise.all([sent, sendAgain(w, deny, 'second click')]);
    expect(answers.map((a) => a.status)).toEqual([200, 200]);
    expect(await expectOneWinner(run, message, before)).toBe('approve');
  });
});

describe('the rollback buttons clicked twice', () => {
  let w: World;
  let newRevision: string;
  beforeAll(async () => {
    w = await startWorld();
    const run = await w.deployAndWait();
    expect(run.state).toBe('succeeded');
    newRevision = (run.data as { deploy: { revision: string } }).deploy.revision;
    expect(servingNow(w)).toEqual([`${newRevision}=100`]);
  });
  afterAll(async () => {
    await w?.closeWorld();
  });

  const confirmationsFor = (userId: string) =>
    w.emulator.ephemerals.filter((e) => e.user === userId && hasAction(e.blocks, 'liftoff_rollback_confirm'));
  const rollbackReports = (revision: string) =>
    w.emulator.responses.filter(
      (r) => r.response_type === 'in_channel' && (r.text ?? '').includes(`back to \`${revision}\``),
    );

  it('"Roll back to this" at once: one confirmation in place of the list, no traffic moved', async () => {
    const updatesBefore = updateServiceCalls(w).length;
    await w.sender.slashCommand({ command: '/rollback', text: 'phase3', userId: USERS.requester, channelId: CHANNEL });
    const list = await waitFor(
      () =>
        w.emulator.ephemerals.find((e) => e.user === USERS.requester && hasAction(e.blocks, 'liftoff_rollback_pick')),
      'the list of revisions',
      10_000,
    );
    const pick = {
      actionId: 'liftoff_rollback_pick',
      userId: USERS.requester,
      channelId: CHANNEL,
      messageTs: list.message_ts,
      value: `phase3 ${OLD_REVISION}`,
    };
    const answers = await Promise.all([w.sender.blockAction(pick), w.sender.blockAction(pick)]);
    expect(answers.map((a) => a.status)).toEqual([200, 200]);

    const audit = await auditOf(w, `button rollback pick phase3 ${OLD_REVISION}`, 2);
    expect(audit.map((e) => e.outcome)).toEqual(['ok: confirmation shown', 'ok: confirmation shown']);
    // Both answers replaced the list in place: the user sees one confirmation, not two.
    const confirmations = confirmationsFor(USERS.requester);
    expect(confirmations).toHaveLength(1);
    expect(confirmations[0]?.message_ts).toBe(list.message_ts);
    expect(JSON.stringify(confirmations[0]?.blocks)).toContain(`After: ${OLD_REVISION} 100 %`);
    expect(answersOn(w, USERS.requester, list.message_ts).map((r) => r.replace_original)).toEqual([true, true]);

    // A pick only asks: nothing moved, nothing locked, nothing said in the channel.
    expect(updateServiceCalls(w)).toHaveLength(updatesBefore);
    expect(servingNow(w)).toEqual([`${newRevision}=100`]);
    expect(await w.liftoff.store.getLock(SERVICE_KEY, w.clock.now())).toBeUndefined();
    expect(w.emulator.responses.filter((r) => r.response_type === 'in_channel')).toHaveLength(0);
    expect(internalErrors(w)).toEqual([]);
  });

  it('"Roll back" (confirm) at once: one UpdateService accepted, one report, the second told it already serves', async () => {
    const [confirmation] = confirmationsFor(USERS.requester);
    if (confirmation === undefined) throw new Error('the previous test leaves the confirmation');
    const before = emergenceService(w);
    const updatesBefore = updateServiceCalls(w).length;
    const click = {
      actionId: 'liftoff_rollback_confirm',
      userId: USERS.requester,
      channelId: CHANNEL,
      messageTs: confirmation.message_ts,
    };
    const answers = await Promise.all([w.sender.blockAction(click), w.sender.blockAction(click)]);
    expect(answers.map((a) => a.status)).toEqual([200, 200]);

    const audit = await auditOf(w, `button rollback confirm phase3 ${OLD_REVISION}`, 2);
    expect(audit.map((e) => e.outcome).sort()).toEqual([
      `ok: rolled back to ${OLD_REVISION}`,
      'refused: already_serving',
    ]);
    expect(servingNow(w)).toEqual([`${OLD_REVISION}=100`]);
    // One accepted change of the spec. A second UpdateService, if the clicks raced that far, carried the etag
    // read before the first and was refused by Cloud Run; none was sent with a fresh etag.
    const after = emergenceService(w);
    expect(Number(after.generation)).toBe(Number(before.generation) + 1);
    const updates = updateServiceCalls(w).slice(updatesBefore);
    expect(updates.length).toBeGreaterThanOrEqual(1);
    expect(updates.length).toBeLessThanOrEqual(2);
    for (const call of updates) expect((call.request as { service: { etag: string } }).service.etag).toBe(before.etag);

    expect(rollbackReports(OLD_REVISION)).toHaveLength(1);
    const second = answersOn(w, USERS.requester, confirmation.message_ts).filter(
      (r) => r.response_type === 'ephemeral' && !r.replace_original,
    );
    expect(second.map((r) => r.text)).toEqual([`\`${OLD_REVISION}\` already serves all the traffic of \`phase3\`.`]);

    const freeze = await w.liftoff.store.getLock(SERVICE_KEY, w.clock.now());
    expect(freeze?.ownerId).toMatch(/^freeze:/);
    expect(freeze?.holderId).toBe(USERS.requester);
    expect(freeze?.reason).toMatch(new RegExp(`^rolled back to ${OLD_REVISION}`));
    expect(internalErrors(w)).toEqual([]);
  });

  it('"Roll back" (confirm) one after the other: the second click moves nothing and says so', async () => {
    // Back to the deployed revision, straight to the confirmation (the service is frozen, which a rollback allows).
    const ephemeralsBefore = w.emulator.ephemerals.length;
    await w.sender.slashCommand({
      command: '/rollback',
      text: `phase3 ${newRevision}`,
      userId: USERS.otherDeployer,
      channelId: CHANNEL,
    });
    const confirmation = await waitFor(
      () =>
        w.emulator.ephemerals
          .slice(ephemeralsBefore)
          .find((e) => e.user === USERS.otherDeployer && hasAction(e.blocks, 'liftoff_rollback_confirm')),
      'the confirmation',
      10_000,
    );
    const before = emergenceService(w);
    const updatesBefore = updateServiceCalls(w).length;

    const { sent, payload } = sentPayload(w, () =>
      w.sender.blockAction({
        actionId: 'liftoff_rollback_confirm',
        userId: USERS.otherDeployer,
        channelId: CHANNEL,
        messageTs: confirmation.message_ts,
      }),
    );
    expect((await sent).status).toBe(200);
    await auditOf(w, `button rollback confirm phase3 ${newRevision}`, 1);
    expect((await sendAgain(w, payload, 'second click')).status).toBe(200);
    const audit = await auditOf(w, `button rollback confirm phase3 ${newRevision}`, 2);
    expect(audit.map((e) => e.outcome).sort()).toEqual([
      `ok: rolled back to ${newRevision}`,
      'refused: already_serving',
    ]);

    expect(servingNow(w)).toEqual([`${newRevision}=100`]);
    expect(updateServiceCalls(w)).toHaveLength(updatesBefore + 1);
    expect(Number(emergenceService(w).generation)).toBe(Number(before.generation) + 1);
    expect(rollbackReports(newRevision)).toHaveLength(1);
    const answers = answersOn(w, USERS.otherDeployer, confirmation.message_ts);
    expect(answers.filter((r) => r.response_type === 'ephemeral').map((r) => r.text)).toEqual([
      `\`${newRevision}\` already serves all the traffic of \`phase3\`.`,
    ]);
    expect(internalErrors(w)).toEqual([]);
  });
});

describe('the rollback confirmation posted for approvers (access.rollbackNeedsApproval), confirmed by two at once', () => {
  let w: World;
  beforeAll(async () => {
    w = await startWorld({ phase3Edits: { 'rollbackNeedsApproval: false': 'rollbackNeedsApproval: true' } });
    expect((await w.deployAndWait()).state).toBe('succeeded');
  });
  afterAll(async () => {
    await w?.closeWorld();
  });

  it('one rollback, the report replaces the request once, the other approver told it was already confirmed', async () => {
    await w.sender.slashCommand({
      command: '/rollback',
      text: `phase3 ${OLD_REVISION}`,
      userId: USERS.requester,
      channelId: CHANNEL,
    });
    const asked = await waitFor(
      () => w.emulator.messages.find((m) => m.channel === CHANNEL && hasAction(m.blocks, 'liftoff_rollback_confirm')),
      'the rollback request in the channel',
      10_000,
    );
    const before = emergenceService(w);
    const confirm = (userId: string) =>
      w.sender.blockAction({ actionId: 'liftoff_rollback_confirm', userId, channelId: CHANNEL, messageTs: asked.ts });
    const answers = await Promise.all([confirm(USERS.approver), confirm(USERS.groupApprover)]);
    expect(answers.map((a) => a.status)).toEqual([200, 200]);

    const requestId = /request:([\w-]+)/.exec(JSON.stringify(asked.blocks))?.[1] ?? '';
    expect(requestId).not.toBe('');
    const audit = await auditOf(w, `button rollback confirm request ${requestId}`, 2);
    expect(audit.map((e) => e.outcome).sort()).toEqual([
      `ok: rolled back to ${OLD_REVISION}`,
      'refused: request_closed',
    ]);
    const winner = audit.find((e) => e.outcome.startsWith('ok: '))?.actorId ?? '';
    const loser = winner === USERS.approver ? USERS.groupApprover : USERS.approver;

    expect(servingNow(w)).toEqual([`${OLD_REVISION}=100`]);
    expect(Number(emergenceService(w).generation)).toBe(Number(before.generation) + 1);
    const message = w.emulator.findMessage(CHANNEL, asked.ts);
    expect(message?.history).toHaveLength(1);
    expect(message?.text).toContain(`<@${winner}> rolled \`phase3\` back to \`${OLD_REVISION}\``);
    expect(hasAction(message?.blocks, 'liftoff_rollback_confirm')).toBe(false);
    expect(answersOn(w, loser, asked.ts).map((r) => [r.response_type, r.text])).toEqual([
      ['ephemeral', `:no_entry: This rollback request was already confirmed by <@${winner}>. Nothing changed.`],
    ]);
    expect((await w.liftoff.store.getLock(SERVICE_KEY, w.clock.now()))?.holderId).toBe(winner);
    expect(internalErrors(w)).toEqual([]);
  });
});

describe('a Slack retry of /deploy phase3', () => {
  let w: World;
  beforeAll(async () => {
    w = await startWorld();
  });
  afterAll(async () => {
    await w?.closeWorld();
  });

  it('posts the plan once, whether the retry arrives while the first is handled or after it', async () => {
    const { sent, payload } = sentPayload(w, () =>
      w.sender.slashCommand({ command: '/deploy', text: 'phase3', userId: USERS.requester, channelId: CHANNEL }),
    );
    const body = new URLSearchParams(payload as Record<string, string>).toString();
    const answers = await Promise.all([sent, w.sender.raw(body, FORM, { retryNum: 1, retryReason: 'http_timeout' })]);
    expect(answers.map((a) => a.status)).toEqual([200, 200]);

    const [entry] = await auditOf(w, '/deploy phase3', 1);
    expect(entry?.outcome).toBe('ok: requested');
    await waitFor(
      () => (w.ephemeralTextsFor(USERS.requester).some((t) => t.includes('Requested')) ? true : undefined),
      'the requester told the plan is posted',
    );
    // Slack's later retry, once the first delivery was handled.
    expect((await w.sender.raw(body, FORM, { retryNum: 2, retryReason: 'http_timeout' })).status).toBe(200);
    // Give a wrongly accepted retry the time to post its plan (every delivery the handler sees is audited).
    await new Promise((resolve) => setTimeout(resolve, 500));

    expect(await w.liftoff.store.listRuns({})).toHaveLength(1);
    expect(w.requestMessages()).toHaveLength(1);
    expect(w.emulator.calls.filter((c) => c.method === 'chat.postMessage')).toHaveLength(1);
    expect((await w.liftoff.store.listAudit(100)).filter((e) => e.action === '/deploy phase3')).toHaveLength(1);
    expect(w.ephemeralTextsFor(USERS.requester).filter((t) => t.includes('Requested'))).toHaveLength(1);
    expect(internalErrors(w)).toEqual([]);
  });
});
