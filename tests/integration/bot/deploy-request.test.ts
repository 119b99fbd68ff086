import { CHANNEL, USERS, startHarness, waitFor, type Harness } from '../../support/liftoff-harness.js';

describe('/deploy request → approval over the real Bolt app', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  const blocksText = (blocks: readonly unknown[] | undefined): string => JSON.stringify(blocks ?? []);

  it('answers /deploy help in the acknowledgement, listing every command', async () => {
    const response = await h.deploy('help');
    expect(response.status).toBe(200);
    const body = response.json() as { response_type: string; text: string };
    expect(body.response_type).toBe('ephemeral');
    for (const command of [
      '/deploy list',
      '/deploy status',
      '--dry-run',
      '/deploy cancel',
      '/deploy lock',
      '/rollback',
      '/metrics',
    ]) {
      expect(body.text).toContain(command);
    }
  });

  it('lists the runbooks with their service and who may deploy', async () => {
    const body = (await h.deploy('list')).json() as { text: string; blocks: unknown[] };
    const text = blocksText(body.blocks);
    expect(text).toContain('phase3');
    expect(text).toContain('emergence-prod/europe-west1/emergence-app');
    expect(text).toContain(`<@${USERS.requester}>`);
  });

  it('shows a dry run to the requester alone and creates nothing', async () => {
    await h.deploy('phase3 --dry-run');
    const delivered = await waitFor(
      () => h.emulator.responses.find((r) => r.context?.userId === USERS.requester),
      'the dry run',
    );
    expect(delivered.response_type).toBe('ephemeral');
    const text = blocksText(delivered.blocks);
    expect(text).toContain('Dry run');
    expect(text).toContain('europe-west1-docker.pkg.dev/emergence-prod/app/emergence-app:{tag}');
    expect(text).toContain('not yet read');
    expect(h.emulator.calls.filter((c) => c.method === 'chat.postMessage')).toHaveLength(0);
    expect(await h.liftoff.store.listRuns({})).toHaveLength(0);
  });

  it('posts the computed plan with Approve and Deny, and records a requested run', async () => {
    const response = await h.deploy('phase3');
    expect(response.status).toBe(200);
    const message = await h.waitForRequest();
    const text = blocksText(message.blocks);
    expect(text).toContain('liftoff_deny');
    for (const fact of [
      'emergence-app',
      'emergence-prod',
      'europe-west1',
      'build_tag.txt',
      'memory',
      '2Gi',
      'EMERGENCE_ENV',
      'health',
      `<@${USERS.approver}>`,
      '<!subteam^S0ONCALL>',
      'expires',
    ]) {
      expect(text).toContain(fact);
    }
    const [run] = await h.liftoff.store.listRuns({});
    expect(run).toMatchObject({
      state: 'requested',
      requesterId: USERS.requester,
      channelId: CHANNEL,
      messageTs: message.ts,
    });
    expect(run!.expiresAt.getTime() - run!.createdAt.getTime()).toBe(15 * 60 * 1000);
  });

  it('lets an approver approve: the message loses its buttons and says who and when, the run waits in /deploy status', async () => {
    await h.deploy('phase3');
    const message = await h.waitForRequest();
    await h.click('approve', message, USERS.approver);
    const updated = await waitFor(
      () =>
        blocksText(h.emulator.findMessage(CHANNEL, message.ts)?.blocks).includes('Approved')
          ? h.emulator.findMessage(CHANNEL, message.ts)
          : undefined,
      'the approved message',
    );
    const text = blocksText(updated.blocks);
    expect(text).toMatch(new RegExp(`Approved\\*? by <@${USERS.approver}> at \\d\\d:\\d\\d UTC`));
    expect(text).not.toContain('liftoff_approve');
    expect(text).not.toContain('liftoff_deny');
    const [run] = await h.liftoff.store.listRuns({});
    expect(run).toMatchObject({ state: 'approved', decidedBy: USERS.approver });
    expect(await h.liftoff.store.getLock(run!.serviceKey, h.clock.now())).toMatchObject({ ownerId: run!.id });

    await h.deploy('status', USERS.outsider);
    const status = await waitFor(
      () => h.ephemeralTextsFor(USERS.outsider).find((t) => t.includes('In progress')),
      'the status',
    );
    expect(status).toContain(run!.id);
    expect(status).toContain('waiting for the pipeline');
  });

  it('resolves approvers named as a user group, asking Slack once for several clicks', async () => {
    await h.deploy('phase3');
    const message = await h.waitForRequest();
    await h.click('approve', message, USERS.outsider);
    await h.click('approve', message, USERS.groupApprover);
    await waitFor(async () => (await h.liftoff.store.listRuns({ states: ['approved'] }))[0], 'the approval');
    expect(h.emulator.calls.filter((c) => c.method === 'usergroups.users.list')).toHaveLength(1);
  });

  it('refuses the requester approving their own deploy, and outsiders, naming who can', async () => {
    await h.deploy('phase3');
    const message = await h.waitForRequest();
    await h.click('approve', message, USERS.requester);
    await h.click('approve', message, USERS.outsider);
    const own = await waitFor(
      () => h.ephemeralTextsFor(USERS.requester).find((t) => t.includes('cannot approve')),
      'own refusal',
    );
    expect(own).toContain(`<@${USERS.approver}>`);
    const outsider = await waitFor(
      () => h.ephemeralTextsFor(USERS.outsider).find((t) => t.includes('may not')),
      'outsider refusal',
    );
    expect(outsider).toContain(`<@${USERS.approver}>`);
    expect((await h.liftoff.store.listRuns({}))[0]?.state).toBe('requested');
    expect(blocksText(h.emulator.findMessage(CHANNEL, message.ts)?.blocks)).toContain('liftoff_approve');
  });

  it('refuses a request from someone who is not a deployer, naming who can', async () => {
    await h.deploy('phase3', USERS.outsider);
    const refusal = await waitFor(
      () => h.ephemeralTextsFor(USERS.outsider).find((t) => t.includes('may not')),
      'refusal',
    );
    expect(refusal).toContain(`<@${USERS.requester}>`);
    expect(h.requestMessages()).toHaveLength(0);
  });

  it('denies in place: "Denied by", no buttons, no lock', async () => {
    await h.deploy('phase3');
    const message = await h.waitForRequest();
    await h.click('deny', message, USERS.approver);
    await waitFor(
      () => (blocksText(h.emulator.findMessage(CHANNEL, message.ts)?.blocks).includes('Denied') ? true : undefined),
      'denied message',
    );
    const text = blocksText(h.emulator.findMessage(CHANNEL, message.ts)?.blocks);
    expect(text).toContain(`Denied* by <@${USERS.approver}>`);
    expect(text).not.toContain('liftoff_approve');
    const [run] = await h.liftoff.store.listRuns({});
    expect(run?.state).toBe('denied');
    expect(await h.liftoff.store.getLock(run!.serviceKey, h.clock.now())).toBeUndefined();
  });

  it('approves once when the button is clicked twice at the same moment', async () => {
    await h.deploy('phase3');
    const message = await h.waitForRequest();
    await Promise.all([h.click('approve', message, USERS.approver), h.click('approve', message, USERS.approver)]);
    await waitFor(
      () => h.ephemeralTextsFor(USERS.approver).find((t) => t.includes('already approved')),
      'the second click answered',
    );
    const run = (await h.liftoff.store.listRuns({}))[0]!;
    expect(run.state).toBe('approved');
    const approvals = (await h.liftoff.store.journal(run.id)).filter((t) => t.to === 'approved');
    expect(approvals).toHaveLength(1);
    expect(h.emulator.calls.filter((c) => c.method === 'chat.update')).toHaveLength(1);
  });

  it('creates one run and one message when Slack retries the same command', async () => {
    const first = await h.sender.slashCommand(
      { command: '/deploy', text: 'phase3', userId: USERS.requester, channelId: CHANNEL },
      { triggerId: '111.222.abc' },
    );
    const retry = await h.sender.slashCommand(
      { command: '/deploy', text: 'phase3', userId: USERS.requester, channelId: CHANNEL },
      { triggerId: '111.222.abc', retryNum: 1, retryReason: 'http_timeout' },
    );
    expect([first.status, retry.status]).toEqual([200, 200]);
    await h.waitForRequest();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(h.requestMessages()).toHaveLength(1);
    expect(await h.liftoff.store.listRuns({})).toHaveLength(1);
  });

  it('refuses a request while the service is locked, saying who holds it and since when', async () => {
    await h.deploy('phase3');
    await h.click('approve', await h.waitForRequest(), USERS.approver);
    await waitFor(async () => (await h.liftoff.store.listRuns({ states: ['approved'] }))[0], 'approval');
    await h.deploy('phase3', USERS.otherDeployer);
    const refusal = await waitFor(
      () => h.ephemeralTextsFor(USERS.otherDeployer).find((t) => t.includes('locked')),
      'lock refusal',
    );
    expect(refusal).toContain(`<@${USERS.requester}> holds it since`);
    expect(h.emulator.calls.filter((c) => c.method === 'chat.postMessage')).toHaveLength(1);
  });

  it('refuses to approve a second request for a service another run holds', async () => {
    await h.deploy('phase3');
    await h.deploy('phase3', USERS.otherDeployer);
    const second = await h.waitForRequest(2);
    await h.click('approve', await h.waitForRequest(1), USERS.approver);
    await waitFor(async () => (await h.liftoff.store.listRuns({ states: ['approved'] }))[0], 'first approval');
    await h.click('approve', second, USERS.approver);
    await waitFor(() => h.ephemeralTextsFor(USERS.approver).find((t) => t.includes('Cannot approve')), 'lock refusal');
    expect(await h.liftoff.store.listRuns({ states: ['approved'] })).toHaveLength(1);
  });

  it('expires an unanswered request: "Expired", buttons gone', async () => {
    await h.deploy('phase3');
    const message = await h.waitForRequest();
    h.clock.advance(15 * 60 * 1000 + 1000);
    await waitFor(
      () => (blocksText(h.emulator.findMessage(CHANNEL, message.ts)?.blocks).includes('Expired') ? true : undefined),
      'expiry',
    );
    expect(blocksText(h.emulator.findMessage(CHANNEL, message.ts)?.blocks)).not.toContain('liftoff_approve');
    expect((await h.liftoff.store.listRuns({}))[0]?.state).toBe('expired');
  });

  it('cancels a waiting request for its requester', async () => {
    await h.deploy('phase3');
    const message = await h.waitForRequest();
    await h.deploy('cancel');
    await waitFor(
      () => (blocksText(h.emulator.findMessage(CHANNEL, message.ts)?.blocks).includes('Cancelled') ? true : undefined),
      'cancelled',
    );
    expect((await h.liftoff.store.listRuns({}))[0]?.state).toBe('cancelled');
  });

  it('freezes and unfreezes a service for approvers only', async () => {
    await h.deploy('lock phase3 release freeze for 2h', USERS.requester);
    await waitFor(() => h.ephemeralTextsFor(USERS.requester).find((t) => t.includes('may not')), 'refusal');
    await h.deploy('lock phase3 release freeze for 2h', USERS.approver);
    await waitFor(() => h.ephemeralTextsFor(USERS.approver).find((t) => t.includes('Locked')), 'locked');
    await h.deploy('phase3');
    const refusal = await waitFor(
      () => h.ephemeralTextsFor(USERS.requester).find((t) => t.includes('is locked')),
      'locked refusal',
    );
    expect(refusal).toContain('release freeze');
    await h.deploy('unlock phase3', USERS.approver);
    await waitFor(() => h.ephemeralTextsFor(USERS.approver).find((t) => t.includes('Unlocked')), 'unlocked');
    await h.deploy('phase3');
    await h.waitForRequest();
  });

  it('writes every command and button press to the audit log', async () => {
    await h.deploy('help', USERS.outsider);
    await h.deploy('phase3');
    const message = await h.waitForRequest();
    await h.click('approve', message, USERS.outsider);
    await h.click('approve', message, USERS.approver);
    const audit = await waitFor(async () => {
      const entries = await h.liftoff.store.listAudit(10);
      return entries.length >= 4 ? entries : undefined;
    }, 'audit entries');
    const lines = audit.map((e) => `${e.actorId} ${e.action} → ${e.outcome}`);
    expect(lines).toEqual(
      expect.arrayContaining([
        `${USERS.outsider} /deploy help → ok: help`,
        `${USERS.requester} /deploy phase3 → ok: requested`,
        `${USERS.outsider} button approve → refused: forbidden`,
        `${USERS.approver} button approve → ok: approved`,
      ]),
    );
  });

  it('counts requests and runs on the bot /metrics', async () => {
    await h.deploy('phase3');
    await h.click('approve', await h.waitForRequest(), USERS.approver);
    await waitFor(async () => (await h.liftoff.store.listRuns({ states: ['approved'] }))[0], 'approval');
    const metrics = await (await fetch(`${h.url}/metrics`)).text();
    expect(metrics).toMatch(/liftoff_slack_requests_total\{surface="\/deploy",outcome="ok"\} 1/);
    expect(metrics).toMatch(/liftoff_runs\{state="approved"\} 1/);
    expect(metrics).toMatch(/liftoff_slack_ack_seconds_count\{surface="\/deploy"\} 1/);
    const health = await fetch(`${h.url}/healthz`);
    expect(health.status).toBe(200);
  });
});

describe('expiry is computed from the store', () => {
  const blocksText = (blocks: readonly unknown[] | undefined): string => JSON.stringify(blocks ?? []);

  it('expires a request on a late click even before the sweeper runs', async () => {
    const h = await startHarness({ expirySweepMs: 3_600_000 });
    try {
      await h.deploy('phase3');
      const message = await h.waitForRequest();
      h.clock.advance(16 * 60 * 1000);
      await h.click('approve', message, USERS.approver);
      await waitFor(
        () => h.ephemeralTextsFor(USERS.approver).find((t) => t.includes('expired')),
        'late click answered',
      );
      expect(blocksText(h.emulator.findMessage(CHANNEL, message.ts)?.blocks)).toContain('Expired');
      expect((await h.liftoff.store.listRuns({}))[0]?.state).toBe('expired');
    } finally {
      await h.close();
    }
  });

  it('expires requests that ran out while Liftoff was stopped, when it starts again', async () => {
    const first = await startHarness({ expirySweepMs: 3_600_000 });
    await first.deploy('phase3');
    const message = await first.waitForRequest();
    await first.liftoff.stop();
    first.clock.advance(20 * 60 * 1000);
    const second = await startHarness({
      emulator: first.emulator,
      dataDir: first.dataDir,
      clock: first.clock,
      expirySweepMs: 3_600_000,
    });
    try {
      await waitFor(
        () =>
          blocksText(second.emulator.findMessage(CHANNEL, message.ts)?.blocks).includes('Expired') ? true : undefined,
        'expiry after restart',
      );
      expect((await second.liftoff.store.listRuns({}))[0]?.state).toBe('expired');
    } finally {
      await second.close();
      await first.close();
    }
  });
});

describe('a Liftoff that cannot deploy (no GITHUB_TOKEN, so no pipeline)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ pipeline: 'none' });
  });
  afterAll(async () => {
    await h.close();
  });

  it('refuses /deploy at once with the fix, posts no plan and takes no lock; a dry run still works', async () => {
    await h.deploy('phase3');
    const refusal = await waitFor(
      () => h.ephemeralTextsFor(USERS.requester).find((t) => t.includes('cannot deploy')),
      'the refusal',
    );
    expect(refusal).toContain('GITHUB_TOKEN is not set');
    expect(refusal).toContain('/deploy phase3 --dry-run');
    expect(h.emulator.calls.filter((c) => c.method === 'chat.postMessage')).toHaveLength(0);
    expect(await h.liftoff.store.listRuns({})).toHaveLength(0);
    expect(await h.liftoff.store.listLocks(h.clock.now())).toHaveLength(0);

    await h.deploy('phase3 --dry-run');
    const dryRun = await waitFor(
      () => h.emulator.responses.find((r) => JSON.stringify(r.blocks ?? []).includes('Dry run')),
      'the dry run',
    );
    expect(dryRun.response_type).toBe('ephemeral');
  });
});
