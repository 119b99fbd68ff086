import { CHANNEL, USERS, waitFor } from '../support/liftoff-harness.js';
import { startWorld, type World } from '../support/world.js';

/** `approval.required: 2`: two different approvers, the requester never counting, one person counting once. */
describe('N-of-M approvals', () => {
  let w: World;
  afterAll(async () => {
    await w?.closeWorld();
  });

  it('counts each approver once, keeps the buttons until the count is reached, then deploys', async () => {
    w = await startWorld({ phase3Edits: { 'timeout: 15m': 'timeout: 15m\n  required: 2' } });
    await w.deploy('phase3');
    const request = await w.waitForRequest();
    const planText = () => JSON.stringify(w.emulator.findMessage(CHANNEL, request.ts)?.blocks ?? []);
    expect(planText()).toContain('2 different approvers needed');

    // The requester never counts.
    await w.click('approve', request, USERS.requester);
    await waitFor(
      () => w.ephemeralTextsFor(USERS.requester).find((t) => /cannot approve|another approver/i.test(t)),
      'the requester refused',
      10_000,
    );

    // One approver clicking twice counts once; the request keeps its buttons and shows who approved.
    await w.click('approve', request, USERS.approver);
    await w.click('approve', request, USERS.approver);
    await waitFor(
      () =>
        w.ephemeralTextsFor(USERS.approver).filter((t) => t.includes('Your approval is counted: 1 of 2')).length === 2
          ? true
          : undefined,
      'both clicks answered 1 of 2',
      10_000,
    );
    expect(planText()).toContain(`Approvals:* 1 of 2: <@${USERS.approver}>`);
    expect(planText()).toContain('liftoff_approve');
    const [waiting] = await w.liftoff.store.listRuns({ limit: 1 });
    expect(waiting?.state).toBe('requested');
    expect(w.gitLog().some((m) => m.startsWith('build: increment'))).toBe(false);

    // The second approver (through the user group) completes it: the run starts and ships.
    await w.click('approve', request, USERS.groupApprover);
    const done = await w.waitForState(['succeeded', 'rolled_back', 'failed'], 60_000);
    expect(done.state).toBe('succeeded');
    expect(done.decidedBy).toBe(USERS.groupApprover);
    expect((done.data['approvals'] as { by: { userId: string }[] }).by.map((a) => a.userId)).toEqual([
      USERS.approver,
      USERS.groupApprover,
    ]);
    const audit = await w.liftoff.store.listAudit(100);
    expect(audit.filter((e) => e.action === 'button approve').map((e) => e.outcome)).toEqual(
      expect.arrayContaining(['ok: approval_counted', 'ok: approved', 'refused: forbidden']),
    );
  }, 90_000);
});
