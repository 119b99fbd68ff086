import { execFileSync } from 'node:child_process';
import { CHANNEL, USERS, waitFor } from '../support/liftoff-harness.js';
import { REPO, startWorld, type World } from '../support/world.js';

describe('preflight: the seed runbook’s pre-deploy checklist, at request time and again at approval', () => {
  let w: World;
  beforeEach(async () => {
    w = await startWorld();
  });
  afterEach(async () => {
    await w.closeWorld();
  });
  const head = (): string =>
    execFileSync('git', ['-C', w.github.repoDir(REPO.owner, REPO.name), 'rev-parse', 'main'], {
      encoding: 'utf8',
    }).trim();
  const planText = (): string =>
    JSON.stringify(w.emulator.messages.find((m) => m.channel === CHANNEL && m.thread_ts === undefined)?.blocks ?? []);

  it('shows each preflight result in the plan, with names only for the service env', async () => {
    await w.deploy('phase3');
    await w.waitForRequest();
    const text = planText();
    expect(text).toMatch(/dockerfile: Dockerfile exists/);
    expect(text).toMatch(/prometheus-client: requirements.txt matches/);
    expect(text).toMatch(/openai-key: OPENAI_API_KEY set \(secret reference\)/);
    expect(text).not.toContain('sk-sandbox-never-shown');
    expect(text).toContain('liftoff_approve');
  });

  it('disables Approve when CI is red on the branch head, and says why', async () => {
    w.github.setCommitStatus(head(), 'ci/tests', 'failure');
    await w.deploy('phase3');
    await waitFor(() => (planText().includes('Approve is disabled') ? true : undefined), 'the plan');
    expect(planText()).toMatch(/ci-green.*ci\/tests failure/);
    expect(planText()).not.toContain('liftoff_approve');
  });

  it('checks again at approval: CI that went red since the request blocks the approval', async () => {
    await w.deploy('phase3');
    const request = await w.waitForRequest();
    w.github.setCommitStatus(head(), 'ci/tests', 'failure');
    await w.click('approve', request, USERS.approver);
    await waitFor(
      () => w.ephemeralTextsFor(USERS.approver).find((t) => t.includes('preflight check `ci-green` fails now')),
      'the refusal',
    );
    expect((await w.liftoff.store.listRuns({}))[0]?.state).toBe('requested');
  });
});

describe('a CI preflight with nothing green to read is never a pass', () => {
  let w: World | undefined;
  afterEach(async () => {
    await w?.closeWorld();
    w = undefined;
  });
  const planText = (world: World): string =>
    JSON.stringify(
      world.emulator.messages.find((m) => m.channel === CHANNEL && m.thread_ts === undefined)?.blocks ?? [],
    );

  it('no status or check reported on the head: could not check, Approve disabled', async () => {
    const world = (w = await startWorld({ ci: false }));
    await world.deploy('phase3');
    await waitFor(() => (planText(world).includes('Approve is disabled') ? true : undefined), 'the plan');
    expect(planText(world)).toMatch(/ci-green: could not check: no status or check reported/);
    expect(planText(world)).not.toContain('liftoff_approve');
  });

  it('CI still running on the head: pending, Approve disabled', async () => {
    const world = (w = await startWorld({ ci: { checkName: 'ci / test', durationMs: 60_000 } }));
    await world.deploy('phase3');
    await waitFor(() => (planText(world).includes('Approve is disabled') ? true : undefined), 'the plan');
    expect(planText(world)).toMatch(/ci-green.*ci \/ test pending/);
  });

  it('every commit Liftoff pushes gets CI: a second deploy right after the first is not blocked', async () => {
    const world = (w = await startWorld());
    expect((await world.deployAndWait()).state).toBe('succeeded');
    expect((await world.deployAndWait()).state).toBe('succeeded');
  }, 60_000);
});
