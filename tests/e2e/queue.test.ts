import { execFileSync } from 'node:child_process';
import type { Run } from '../../src/deploy/run.js';
import { CHANNEL, USERS, waitFor } from '../support/liftoff-harness.js';
import { REPO, startWorld, type World } from '../support/world.js';

describe('queue: true — a request for a busy service waits in line and starts when the lock frees', () => {
  let w: World;
  beforeAll(async () => {
    w = await startWorld({ phase3Edits: { 'queue: false': 'queue: true' } });
  });
  afterAll(async () => {
    await w?.closeWorld();
  });

  /** Requests a deploy as the user and returns its run once the plan message is posted. */
  async function request(userId: string): Promise<Run> {
    const known = new Set((await w.liftoff.store.listRuns({})).map((r) => r.id));
    await w.deploy('phase3', userId);
    return waitFor(
      async () => (await w.liftoff.store.listRuns({})).find((r) => !known.has(r.id) && r.messageTs !== null),
      `the request of ${userId}`,
      10_000,
    );
  }
  const messageOf = (run: Run) => {
    const message = w.emulator.messages.find((m) => m.channel === CHANNEL && m.ts === run.messageTs);
    if (message === undefined) throw new Error(`no message for ${run.id}`);
    return message;
  };
  const stateOf = async (run: Run) => (await w.liftoff.store.getRun(run.id))?.state;

  it('queues approved requests behind a lock, keeps their positions up to date, and starts them one by one', async () => {
    await w.deploy('lock phase3 database migration for 1h', USERS.approver);
    await waitFor(
      async () => ((await w.liftoff.store.listLocks(w.clock.now())).length === 1 ? true : undefined),
      'the freeze',
    );

    const first = await request(USERS.requester);
    expect(JSON.stringify(messageOf(first).blocks)).toContain('waits in line and starts when the lock frees');
    await w.click('approve', messageOf(first), USERS.approver);
    await waitFor(async () => ((await stateOf(first)) === 'queued' ? true : undefined), 'the first run queued');

    const second = await request(USERS.otherDeployer);
    await w.click('approve', messageOf(second), USERS.approver);
    await waitFor(
      () => (messageOf(second).text.includes('number 2 in line') ? true : undefined),
      'the second run shown number 2',
    );
    expect(messageOf(first).text).toContain('number 1 in line');
    expect(JSON.stringify(messageOf(second).blocks)).toContain('/deploy cancel');

    // Nothing starts while the lock holds; the line is visible in /deploy status.
    expect(w.gcp.builds()).toHaveLength(0);
    await w.deploy('status', USERS.outsider);
    const status = await waitFor(
      () => w.ephemeralTextsFor(USERS.outsider).find((t) => t.includes('In line for a busy service')),
      'the line in /deploy status',
    );
    expect(status).toContain('(2)');
    expect(status.indexOf(first.id)).toBeLessThan(status.indexOf(second.id));

    await w.deploy('unlock phase3', USERS.approver);
    const firstDone = await waitFor(
      async () => {
        const run = await w.liftoff.store.getRun(first.id);
        return run?.state === 'succeeded' ? run : undefined;
      },
      'the first run promoted',
      30_000,
    );
    expect(firstDone.decidedBy).toBe(USERS.approver);
    // The second moved up when the first left the line, then started when the first ended.
    await waitFor(
      () => (messageOf(second).history.some((h) => h.text.includes('number 1 in line')) ? true : undefined),
      'the second run shown number 1',
    );
    await waitFor(async () => ((await stateOf(second)) === 'succeeded' ? true : undefined), 'the second run', 30_000);
    expect(w.gcp.builds()).toHaveLength(2);
    const journal = await w.liftoff.store.journal(second.id);
    expect(journal.map((t) => t.to)).toEqual(expect.arrayContaining(['queued', 'approved', 'succeeded']));
    expect(journal.find((t) => t.from === 'queued')?.detail).toContain('first in line');
  }, 90_000);

  it('takes a queued request out of the line with /deploy cancel, and the next one moves up', async () => {
    await w.deploy('lock phase3 incident for 1h', USERS.approver);
    const a = await request(USERS.requester);
    await w.click('approve', messageOf(a), USERS.approver);
    const b = await request(USERS.otherDeployer);
    await w.click('approve', messageOf(b), USERS.approver);
    await waitFor(() => (messageOf(b).text.includes('number 2 in line') ? true : undefined), 'b number 2');

    await w.deploy(`cancel ${a.id}`, USERS.requester);
    await waitFor(async () => ((await stateOf(a)) === 'cancelled' ? true : undefined), 'a cancelled');
    await waitFor(() => (messageOf(b).text.includes('number 1 in line') ? true : undefined), 'b moved up');
    expect(await stateOf(b)).toBe('queued');
    await w.deploy(`cancel ${b.id}`, USERS.otherDeployer);
    await waitFor(async () => ((await stateOf(b)) === 'cancelled' ? true : undefined), 'b cancelled');
    await w.deploy('unlock phase3', USERS.approver);
  });

  it('checks the preflight again when a queued run’s turn comes, and does not start it if CI went red', async () => {
    await w.deploy('lock phase3 release freeze for 1h', USERS.approver);
    const queued = await request(USERS.requester);
    await w.click('approve', messageOf(queued), USERS.approver);
    await waitFor(async () => ((await stateOf(queued)) === 'queued' ? true : undefined), 'the run queued');
    const builds = w.gcp.builds().length;

    const head = execFileSync('git', ['-C', w.github.repoDir(REPO.owner, REPO.name), 'rev-parse', 'main'], {
      encoding: 'utf8',
    }).trim();
    w.github.setCommitStatus(head, 'ci/tests', 'failure');
    await w.deploy('unlock phase3', USERS.approver);

    await waitFor(async () => ((await stateOf(queued)) === 'cancelled' ? true : undefined), 'the run taken out');
    await waitFor(() => (messageOf(queued).text.includes('Not started') ? true : undefined), 'the message saying why');
    expect(JSON.stringify(messageOf(queued).blocks)).toMatch(/ci-green fails now: .*ci\/tests failure/);
    expect(w.gcp.builds()).toHaveLength(builds);
    expect(await w.liftoff.store.listLocks(w.clock.now())).toEqual([]);
  });
});
