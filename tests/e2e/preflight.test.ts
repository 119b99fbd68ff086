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
