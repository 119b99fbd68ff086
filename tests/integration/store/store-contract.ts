import { StoreError } from '../../../src/adapters/store/row-schemas.js';
import type {
  LockLease,
  NewOutboxItem,
  NewRun,
  OutboxItem,
  Store,
  TransitionRequest,
  TransitionResult,
} from '../../../src/deploy/ports/index.js';
import type { Run } from '../../../src/deploy/run.js';

/** Opens a store on a fresh, empty, migrated database. The suite closes every store it opens. */
export type FreshStoreFactory = () => Promise<Store>;

/** Milliseconds that are not multiples of 10, so a store that keeps seconds or centiseconds fails. */
const T0 = new Date('2025-03-01T10:00:00.123Z');
const MINUTE = 60_000;

function at(offsetMs: number): Date {
  return new Date(T0.getTime() + offsetMs);
}

const SERVICE = 'acme-prod/europe-west1/api';
const OTHER_SERVICE = 'acme-prod/europe-west1/worker';

function newRun(id: string, overrides: Partial<NewRun> = {}): NewRun {
  return {
    id,
    runbook: 'api',
    serviceKey: SERVICE,
    requesterId: 'U_REQUESTER',
    channelId: 'C_DEPLOYS',
    createdAt: T0,
    expiresAt: at(15 * MINUTE),
    plan: { summary: `deploy ${id}` },
    ...overrides,
  };
}

function lease(ownerId: string, acquiredAt: Date, expiresAt: Date, overrides: Partial<LockLease> = {}): LockLease {
  return {
    serviceKey: SERVICE,
    ownerId,
    holderId: `holder of ${ownerId}`,
    reason: `reason of ${ownerId}`,
    acquiredAt,
    expiresAt,
    ...overrides,
  };
}

function approve(runId: string, when: Date, extra: Partial<TransitionRequest> = {}): TransitionRequest {
  return {
    runId,
    from: ['requested'],
    to: 'approved',
    at: when,
    actorId: 'U_APPROVER',
    decision: { by: 'U_APPROVER', at: when },
    ...extra,
  };
}

/**
 * Opens the pooled connections up front (a no-op for SQLite), so that the racers of a
 * concurrency test really overlap instead of being spread out by connection set-up.
 */
export async function warmUp(store: Store): Promise<void> {
  await Promise.all(Array.from({ length: 10 }, () => store.getRun('warm-up')));
}

function outboxItem(id: string, when: Date, overrides: Partial<NewOutboxItem> = {}): NewOutboxItem {
  return {
    id,
    runId: 'run-1',
    kind: 'github.deployment-status',
    payload: { state: 'in_progress', item: id },
    at: when,
    ...overrides,
  };
}

function ids(items: readonly OutboxItem[]): string[] {
  return items.map((item) => item.id);
}

function expectOk(result: TransitionResult): Run {
  if (!result.ok) {
    throw new Error(`expected the transition to succeed, got ${JSON.stringify(result)}`);
  }
  return result.run;
}

/**
 * The behaviour every Store adapter must have (DESIGN.md, 'A deploy run' and 'Storage'). Each
 * test opens its own fresh store, so the adapters are held to the same facts independently.
 */
export function describeStoreContract(adapter: string, openFresh: FreshStoreFactory): void {
  describe(`${adapter}: Store contract`, () => {
    const opened: Store[] = [];

    async function fresh(): Promise<Store> {
      const store = await openFresh();
      opened.push(store);
      return store;
    }

    afterEach(async () => {
      await Promise.all(opened.splice(0).map((store) => store.close()));
    });

    describe('runs', () => {
      test('createRun returns the new run and getRun reads back every field, dates to the millisecond', async () => {
        const store = await fresh();
        const plan = {
          title: 'Deploy api',
          steps: ['tag', 'build', 'deploy'],
          nested: { count: 3, ratio: 0.25, flag: false, none: null, text: 'ünïcødé ✓ "quoted"' },
          empty: {},
          when: '2025-03-01T10:00:00.123Z',
        };
        const input = newRun('run-1', { createdAt: at(1), expiresAt: at(15 * MINUTE + 998), plan });
        const expected: Run = {
          id: 'run-1',
          runbook: 'api',
          serviceKey: SERVICE,
          state: 'requested',
          requesterId: 'U_REQUESTER',
          channelId: 'C_DEPLOYS',
          messageTs: null,
          createdAt: at(1),
          updatedAt: at(1),
          expiresAt: at(15 * MINUTE + 998),
          decidedBy: null,
          decidedAt: null,
          plan,
          data: {},
        };

        const created = await store.createRun(input);
        const read = await store.getRun('run-1');

        expect(created).toEqual(expected);
        expect(read).toEqual(expected);
        expect(read?.createdAt).toBeInstanceOf(Date);
        expect(read?.createdAt.getTime()).toBe(T0.getTime() + 1);
        expect(read?.expiresAt.toISOString()).toBe('2025-03-01T10:15:01.121Z');
        expect(await store.getRun('no-such-run')).toBeUndefined();
      });

      test('a decided run reads back its decision, data, message ts and update time', async () => {
        const store = await fresh();
        await store.createRun(newRun('run-1'));
        await store.setMessageTs('run-1', '1740823200.000100');
        const approved = expectOk(
          await store.transition(
            approve('run-1', at(999), { data: { buildId: 'b-1', attempt: 2, tags: ['v1.2.3'], meta: { ok: true } } }),
          ),
        );
        const expected: Run = {
          id: 'run-1',
          runbook: 'api',
          serviceKey: SERVICE,
          state: 'approved',
          requesterId: 'U_REQUESTER',
          channelId: 'C_DEPLOYS',
          messageTs: '1740823200.000100',
          createdAt: T0,
          updatedAt: at(999),
          expiresAt: at(15 * MINUTE),
          decidedBy: 'U_APPROVER',
          decidedAt: at(999),
          plan: { summary: 'deploy run-1' },
          data: { buildId: 'b-1', attempt: 2, tags: ['v1.2.3'], meta: { ok: true } },
        };
        expect(approved).toEqual(expected);
        expect(await store.getRun('run-1')).toEqual(expected);
        expect((await store.getRun('run-1'))?.decidedAt?.toISOString()).toBe('2025-03-01T10:00:01.122Z');
      });

      test('a plan that is not an object (an array, a string, null) round-trips too', async () => {
        const store = await fresh();
        await store.createRun(newRun('array', { plan: [1, 'two', { three: 3 }] }));
        await store.createRun(newRun('string', { plan: 'just text' }));
        await store.createRun(newRun('null', { plan: null }));

        expect((await store.getRun('array'))?.plan).toEqual([1, 'two', { three: 3 }]);
        expect((await store.getRun('string'))?.plan).toBe('just text');
        expect((await store.getRun('null'))?.plan).toBeNull();
      });

      test('createRun refuses an id that exists, leaving the first run untouched', async () => {
        const store = await fresh();
        await store.createRun(newRun('run-1'));

        await expect(store.createRun(newRun('run-1', { runbook: 'other' }))).rejects.toMatchObject({
          name: 'StoreError',
          code: 'duplicate_run',
        });
        expect((await store.getRun('run-1'))?.runbook).toBe('api');
      });

      test('listRuns filters by states, runbook, service, requester and limit, newest first', async () => {
        const store = await fresh();
        // Created out of time order, so an adapter that returns insertion order fails.
        await store.createRun(newRun('b', { createdAt: at(2 * MINUTE) }));
        await store.createRun(newRun('d', { createdAt: at(4 * MINUTE), runbook: 'worker', serviceKey: OTHER_SERVICE }));
        await store.createRun(newRun('a', { createdAt: at(1 * MINUTE), requesterId: 'U_OTHER' }));
        await store.createRun(newRun('e', { createdAt: at(5 * MINUTE), requesterId: 'U_OTHER' }));
        await store.createRun(newRun('c', { createdAt: at(3 * MINUTE), runbook: 'worker', serviceKey: OTHER_SERVICE }));
        expectOk(await store.transition(approve('b', at(6 * MINUTE))));
        expectOk(await store.transition({ ...approve('c', at(6 * MINUTE)), to: 'denied' }));

        const ids = async (filter: Parameters<Store['listRuns']>[0]) => (await store.listRuns(filter)).map((r) => r.id);

        expect(await ids({})).toEqual(['e', 'd', 'c', 'b', 'a']);
        expect(await ids({ states: ['requested'] })).toEqual(['e', 'd', 'a']);
        expect(await ids({ states: ['approved', 'denied'] })).toEqual(['c', 'b']);
        expect(await ids({ states: [] })).toEqual([]);
        expect(await ids({ runbook: 'worker' })).toEqual(['d', 'c']);
        expect(await ids({ serviceKey: SERVICE })).toEqual(['e', 'b', 'a']);
        expect(await ids({ requesterId: 'U_OTHER' })).toEqual(['e', 'a']);
        expect(await ids({ limit: 2 })).toEqual(['e', 'd']);
        expect(await ids({ limit: 0 })).toEqual([]);
        expect(await ids({ states: ['requested'], serviceKey: SERVICE, limit: 1 })).toEqual(['e']);
        expect(await ids({ runbook: 'worker', requesterId: 'U_OTHER' })).toEqual([]);
        expect(await ids({ runbook: 'no-such-runbook' })).toEqual([]);
        // Whole runs come back, not just ids.
        expect((await store.listRuns({ states: ['approved'] }))[0]).toEqual(await store.getRun('b'));
      });

      test('listRuns breaks a tie of creation times the same way every time', async () => {
        const store = await fresh();
        await store.createRun(newRun('x'));
        await store.createRun(newRun('z'));
        await store.createRun(newRun('y'));

        expect((await store.listRuns({})).map((r) => r.id)).toEqual(['z', 'y', 'x']);
      });

      test('listRuns refuses a negative or fractional limit', async () => {
        const store = await fresh();
        await expect(store.listRuns({ limit: -1 })).rejects.toMatchObject({ code: 'invalid_input' });
        await expect(store.listRuns({ limit: 1.5 })).rejects.toMatchObject({ code: 'invalid_input' });
      });

      test('an invalid Date is refused, not stored', async () => {
        const store = await fresh();
        await expect(store.createRun(newRun('bad', { createdAt: new Date(Number.NaN) }))).rejects.toMatchObject({
          code: 'invalid_input',
        });
        expect(await store.getRun('bad')).toBeUndefined();
      });
    });

    describe('transition', () => {
      test('from a wrong state it returns wrong_state with the run, and writes nothing', async () => {
        const store = await fresh();
        const created = await store.createRun(newRun('run-1'));

        const result = await store.transition({
          runId: 'run-1',
          from: ['approved', 'queued'],
          to: 'tagging',
          at: at(MINUTE),
          actorId: 'U_X',
          detail: 'should not happen',
          decision: { by: 'U_X', at: at(MINUTE) },
          data: { written: true },
        });

        expect(result).toEqual({ ok: false, reason: 'wrong_state', run: created });
        expect(await store.getRun('run-1')).toEqual(created);
        expect(await store.journal('run-1')).toEqual([]);
      });

      test('of a run that does not exist it returns not_found', async () => {
        const store = await fresh();
        expect(await store.transition(approve('no-such-run', at(MINUTE)))).toEqual({ ok: false, reason: 'not_found' });
        expect(await store.journal('no-such-run')).toEqual([]);
      });

      test('the journal records from, to, at, actor and detail of each transition, in order', async () => {
        const store = await fresh();
        await store.createRun(newRun('run-1'));
        await store.createRun(newRun('run-2'));

        expectOk(await store.transition(approve('run-1', at(1))));
        expectOk(await store.transition(approve('run-2', at(2))));
        expectOk(
          await store.transition({
            runId: 'run-1',
            from: ['approved'],
            to: 'tagging',
            at: at(3),
            actorId: null,
            detail: 'tag v1.2.3',
          }),
        );
        // Same time as the previous step: the order must come from the write order, not the clock.
        expectOk(
          await store.transition({
            runId: 'run-1',
            from: ['tagging'],
            to: 'failed',
            at: at(3),
            actorId: null,
            detail: 'build refused',
          }),
        );

        expect(await store.journal('run-1')).toEqual([
          { runId: 'run-1', from: 'requested', to: 'approved', at: at(1), actorId: 'U_APPROVER', detail: null },
          { runId: 'run-1', from: 'approved', to: 'tagging', at: at(3), actorId: null, detail: 'tag v1.2.3' },
          { runId: 'run-1', from: 'tagging', to: 'failed', at: at(3), actorId: null, detail: 'build refused' },
        ]);
        expect(await store.journal('run-2')).toEqual([
          { runId: 'run-2', from: 'requested', to: 'approved', at: at(2), actorId: 'U_APPROVER', detail: null },
        ]);
      });

      test('a decision sets decidedBy/decidedAt, data is merged, and later transitions keep both', async () => {
        const store = await fresh();
        await store.createRun(newRun('run-1'));
        await store.updateRunData('run-1', { kept: 'yes', replaced: 1 });

        const approved = expectOk(
          await store.transition(
            approve('run-1', at(10), { decision: { by: 'U_BOSS', at: at(9) }, data: { replaced: 2, added: [1] } }),
          ),
        );
        expect(approved).toMatchObject({
          state: 'approved',
          updatedAt: at(10),
          decidedBy: 'U_BOSS',
          decidedAt: at(9),
          data: { kept: 'yes', replaced: 2, added: [1] },
        });

        const tagging = expectOk(
          await store.transition({ runId: 'run-1', from: ['approved'], to: 'tagging', at: at(20), actorId: null }),
        );
        expect(tagging).toMatchObject({
          state: 'tagging',
          updatedAt: at(20),
          decidedBy: 'U_BOSS',
          decidedAt: at(9),
          data: { kept: 'yes', replaced: 2, added: [1] },
        });
        expect(await store.getRun('run-1')).toEqual(tagging);
      });

      test('ten concurrent approvals of one run: exactly one succeeds, the rest see it approved', async () => {
        const store = await fresh();
        await store.createRun(newRun('run-1'));
        await warmUp(store);

        const results = await Promise.all(
          Array.from({ length: 10 }, (_, i) =>
            store.transition(
              approve('run-1', at(i + 1), { actorId: `U_${i}`, decision: { by: `U_${i}`, at: at(i + 1) } }),
            ),
          ),
        );

        const winners = results.filter((r) => r.ok);
        expect(winners).toHaveLength(1);
        for (const loser of results.filter((r) => !r.ok)) {
          expect(loser).toMatchObject({ ok: false, reason: 'wrong_state', run: { state: 'approved' } });
        }
        const journal = await store.journal('run-1');
        expect(journal).toHaveLength(1);
        const winner = winners[0];
        expect(winner?.ok && journal[0]?.actorId === winner.run.decidedBy).toBe(true);
      });

      test('acquireLock fails with locked while another owner holds an unexpired lease, and the run does not move', async () => {
        const store = await fresh();
        const created = await store.createRun(newRun('run-a'));
        const held = lease('run-b', at(0), at(10 * MINUTE));
        expect(await store.acquireLock(held)).toEqual({ ok: true, lock: held });

        const result = await store.transition(
          approve('run-a', at(MINUTE), {
            data: { written: true },
            acquireLock: lease('run-a', at(MINUTE), at(30 * MINUTE)),
          }),
        );

        expect(result).toEqual({ ok: false, reason: 'locked', lock: held });
        expect(await store.getRun('run-a')).toEqual(created);
        expect(await store.journal('run-a')).toEqual([]);
        expect(await store.getLock(SERVICE, at(MINUTE))).toEqual(held);
      });

      test('acquireLock succeeds once the other lease has expired, and the run holds the lease', async () => {
        const store = await fresh();
        await store.createRun(newRun('run-a'));
        await store.acquireLock(lease('run-b', at(0), at(10 * MINUTE)));
        const mine = lease('run-a', at(10 * MINUTE), at(40 * MINUTE));

        const approved = expectOk(await store.transition(approve('run-a', at(10 * MINUTE), { acquireLock: mine })));

        expect(approved.state).toBe('approved');
        expect(await store.getLock(SERVICE, at(10 * MINUTE))).toEqual(mine);
        expect(await store.journal('run-a')).toHaveLength(1);
      });

      test('acquireLock on a free service takes it with the transition; a lock on another service does not matter', async () => {
        const store = await fresh();
        await store.createRun(newRun('run-a'));
        const elsewhere = lease('freeze', at(0), at(60 * MINUTE), { serviceKey: OTHER_SERVICE });
        await store.acquireLock(elsewhere);
        const mine = lease('run-a', at(MINUTE), at(30 * MINUTE));

        expectOk(await store.transition(approve('run-a', at(MINUTE), { acquireLock: mine })));

        expect(await store.listLocks(at(MINUTE))).toEqual([mine, elsewhere]);
      });

      test('a wrong state wins over a free lock: nothing is acquired', async () => {
        const store = await fresh();
        await store.createRun(newRun('run-a'));
        expectOk(await store.transition({ ...approve('run-a', at(1)), to: 'denied' }));

        const result = await store.transition(
          approve('run-a', at(2), { acquireLock: lease('run-a', at(2), at(MINUTE)) }),
        );

        expect(result).toMatchObject({ ok: false, reason: 'wrong_state' });
        expect(await store.getLock(SERVICE, at(2))).toBeUndefined();
      });

      test("releaseLock in a transition frees the run's lease, and only the run's", async () => {
        const store = await fresh();
        await store.createRun(newRun('run-a'));
        await store.createRun(newRun('run-b', { serviceKey: OTHER_SERVICE }));
        expectOk(
          await store.transition(approve('run-a', at(1), { acquireLock: lease('run-a', at(1), at(30 * MINUTE)) })),
        );
        const freeze = lease('freeze', at(1), at(60 * MINUTE), { serviceKey: OTHER_SERVICE });
        await store.acquireLock(freeze);

        const cancelled = expectOk(
          await store.transition({
            runId: 'run-a',
            from: ['requested', 'approved', 'queued'],
            to: 'cancelled',
            at: at(2),
            actorId: 'U_REQUESTER',
            releaseLock: true,
          }),
        );
        // run-b never held its service's lease: cancelling it must leave the freeze alone.
        expectOk(
          await store.transition({
            runId: 'run-b',
            from: ['requested'],
            to: 'cancelled',
            at: at(3),
            actorId: null,
            releaseLock: true,
          }),
        );

        expect(cancelled.state).toBe('cancelled');
        expect(await store.getLock(SERVICE, at(3))).toBeUndefined();
        expect(await store.listLocks(at(3))).toEqual([freeze]);
        // The service is free again for the next run.
        expect(await store.acquireLock(lease('run-c', at(4), at(MINUTE)))).toMatchObject({ ok: true });
      });

      test('releaseLock is not applied when the guard fails', async () => {
        const store = await fresh();
        await store.createRun(newRun('run-a'));
        const held = lease('run-a', at(1), at(30 * MINUTE));
        expectOk(await store.transition(approve('run-a', at(1), { acquireLock: held })));

        const result = await store.transition({
          runId: 'run-a',
          from: ['requested'],
          to: 'cancelled',
          at: at(2),
          actorId: null,
          releaseLock: true,
        });

        expect(result).toMatchObject({ ok: false, reason: 'wrong_state' });
        expect(await store.getLock(SERVICE, at(2))).toEqual(held);
      });
    });

    describe('locks', () => {
      test('acquireLock takes a free lease; getLock and listLocks show it', async () => {
        const store = await fresh();
        const taken = lease('run-a', at(0), at(10 * MINUTE));

        expect(await store.acquireLock(taken)).toEqual({ ok: true, lock: taken });
        expect(await store.getLock(SERVICE, at(MINUTE))).toEqual(taken);
        expect(await store.listLocks(at(MINUTE))).toEqual([taken]);
        expect(await store.getLock(OTHER_SERVICE, at(MINUTE))).toBeUndefined();
      });

      test('another owner is refused an unexpired lease and told who holds it', async () => {
        const store = await fresh();
        const taken = lease('run-a', at(0), at(10 * MINUTE));
        await store.acquireLock(taken);

        expect(await store.acquireLock(lease('run-b', at(MINUTE), at(20 * MINUTE)))).toEqual({
          ok: false,
          lock: taken,
        });
        expect(await store.getLock(SERVICE, at(MINUTE))).toEqual(taken);
      });

      test('the same owner extends its lease: new expiry, holder and reason, first acquisition time kept', async () => {
        const store = await fresh();
        await store.acquireLock(lease('run-a', at(0), at(10 * MINUTE)));
        const extension = lease('run-a', at(5 * MINUTE), at(60 * MINUTE), { holderId: 'U_NEW', reason: 'still going' });

        const expected = { ...extension, acquiredAt: at(0) };
        expect(await store.acquireLock(extension)).toEqual({ ok: true, lock: expected });
        expect(await store.getLock(SERVICE, at(30 * MINUTE))).toEqual(expected);
      });

      test('an expired lease is free: invisible to getLock and listLocks, and another owner may take it', async () => {
        const store = await fresh();
        await store.acquireLock(lease('run-a', at(0), at(10 * MINUTE)));
        await store.acquireLock(lease('run-x', at(0), at(60 * MINUTE), { serviceKey: OTHER_SERVICE }));

        expect(await store.getLock(SERVICE, at(10 * MINUTE - 1))).toMatchObject({ ownerId: 'run-a' });
        // A lease ends at its expiry time.
        expect(await store.getLock(SERVICE, at(10 * MINUTE))).toBeUndefined();
        expect((await store.listLocks(at(10 * MINUTE))).map((l) => l.ownerId)).toEqual(['run-x']);

        const next = lease('run-b', at(10 * MINUTE), at(20 * MINUTE));
        expect(await store.acquireLock(next)).toEqual({ ok: true, lock: next });
        expect(await store.getLock(SERVICE, at(10 * MINUTE))).toEqual(next);
      });

      test('an owner re-taking its own expired lease starts a new lease', async () => {
        const store = await fresh();
        await store.acquireLock(lease('run-a', at(0), at(10 * MINUTE)));
        const again = lease('run-a', at(20 * MINUTE), at(30 * MINUTE));

        expect(await store.acquireLock(again)).toEqual({ ok: true, lock: again });
      });

      test('releaseLock by a non-owner does nothing; by the owner frees the service', async () => {
        const store = await fresh();
        const taken = lease('run-a', at(0), at(10 * MINUTE));
        await store.acquireLock(taken);

        expect(await store.releaseLock(SERVICE, 'run-b')).toBe(false);
        expect(await store.releaseLock(OTHER_SERVICE, 'run-a')).toBe(false);
        expect(await store.getLock(SERVICE, at(MINUTE))).toEqual(taken);

        expect(await store.releaseLock(SERVICE, 'run-a')).toBe(true);
        expect(await store.getLock(SERVICE, at(MINUTE))).toBeUndefined();
        expect(await store.releaseLock(SERVICE, 'run-a')).toBe(false);
        expect(await store.acquireLock(lease('run-b', at(MINUTE), at(2 * MINUTE)))).toMatchObject({ ok: true });
      });

      test('listLocks lists the unexpired leases by service key', async () => {
        const store = await fresh();
        const c = lease('run-c', at(0), at(10 * MINUTE), { serviceKey: 'p/r/c' });
        const a = lease('run-a', at(0), at(10 * MINUTE), { serviceKey: 'p/r/a' });
        const b = lease('run-b', at(0), at(2 * MINUTE), { serviceKey: 'p/r/b' });
        for (const l of [c, a, b]) await store.acquireLock(l);

        expect(await store.listLocks(at(MINUTE))).toEqual([a, b, c]);
        expect(await store.listLocks(at(5 * MINUTE))).toEqual([a, c]);
        expect(await store.listLocks(at(10 * MINUTE))).toEqual([]);
      });

      test('concurrent acquisitions by different owners: exactly one succeeds, and all agree who', async () => {
        const store = await fresh();
        await warmUp(store);
        const results = await Promise.all(
          Array.from({ length: 10 }, (_, i) => store.acquireLock(lease(`run-${i}`, at(0), at(10 * MINUTE)))),
        );

        const winners = results.filter((r) => r.ok);
        expect(winners).toHaveLength(1);
        const owner = winners[0]?.lock.ownerId;
        expect(results.every((r) => r.lock.ownerId === owner)).toBe(true);
        expect((await store.getLock(SERVICE, at(0)))?.ownerId).toBe(owner);
      });
    });

    describe('audit', () => {
      test('appendAudit then listAudit returns entries newest first, up to the limit', async () => {
        const store = await fresh();
        const first = { at: at(1), actorId: 'U_1', action: 'command /deploy api', runId: null, outcome: 'ok' };
        const third = {
          at: at(3),
          actorId: 'U_3',
          action: 'action approve',
          runId: 'run-1',
          outcome: 'refused: not an approver',
        };
        const second = { at: at(2), actorId: 'U_2', action: 'action deny', runId: 'run-1', outcome: 'ok' };
        // Same time as `third`, appended later: it comes first.
        const fourth = { at: at(3), actorId: 'U_4', action: 'command /lock api', runId: null, outcome: 'ok' };
        for (const entry of [first, third, second, fourth]) await store.appendAudit(entry);

        expect(await store.listAudit(10)).toEqual([fourth, third, second, first]);
        expect(await store.listAudit(2)).toEqual([fourth, third]);
        expect(await store.listAudit(0)).toEqual([]);
      });
    });

    describe('idempotency keys', () => {
      test('the first claim is true, every repeat before expiry false, other keys independent', async () => {
        const store = await fresh();

        expect(await store.claimIdempotencyKey('trigger-1', at(0), at(MINUTE))).toBe(true);
        expect(await store.claimIdempotencyKey('trigger-1', at(0), at(MINUTE))).toBe(false);
        expect(await store.claimIdempotencyKey('trigger-1', at(MINUTE - 1), at(2 * MINUTE))).toBe(false);
        expect(await store.claimIdempotencyKey('trigger-2', at(1), at(MINUTE))).toBe(true);
      });

      test('an expired key may be claimed again, once', async () => {
        const store = await fresh();
        await store.claimIdempotencyKey('trigger-1', at(0), at(MINUTE));

        expect(await store.claimIdempotencyKey('trigger-1', at(MINUTE), at(2 * MINUTE))).toBe(true);
        expect(await store.claimIdempotencyKey('trigger-1', at(MINUTE + 1), at(3 * MINUTE))).toBe(false);
        // The re-claim's own expiry counts, not the first one's.
        expect(await store.claimIdempotencyKey('trigger-1', at(2 * MINUTE), at(3 * MINUTE))).toBe(true);
      });

      test('concurrent claims of one key: exactly one is true', async () => {
        const store = await fresh();
        await warmUp(store);
        const claims = await Promise.all(
          Array.from({ length: 10 }, () => store.claimIdempotencyKey('trigger-1', at(0), at(MINUTE))),
        );
        expect(claims.filter(Boolean)).toHaveLength(1);
      });
    });

    describe('action requests', () => {
      const request = (id: string) =>
        ({
          id,
          kind: 'rollback',
          runbook: 'api',
          subject: 'api-00041-abc',
          requestedBy: 'U_DEPLOYER',
          createdAt: at(0),
          expiresAt: at(15 * MINUTE),
        }) as const;

      test('a request reads back exactly, undecided, and an unknown id is undefined', async () => {
        const store = await fresh();
        const created = await store.createActionRequest(request('rq-1'));

        expect(created).toEqual({ ...request('rq-1'), decidedBy: null, decidedAt: null });
        expect(await store.getActionRequest('rq-1')).toEqual(created);
        expect(await store.getActionRequest('rq-2')).toBeUndefined();
        await expect(store.createActionRequest(request('rq-1'))).rejects.toThrow(/already exists/);
      });

      test('it is decided once, never after it expired', async () => {
        const store = await fresh();
        await store.createActionRequest(request('rq-1'));
        await store.createActionRequest(request('rq-2'));

        expect(await store.decideActionRequest('rq-1', 'U_APPROVER', at(MINUTE))).toBe(true);
        expect(await store.decideActionRequest('rq-1', 'U_OTHER', at(2 * MINUTE))).toBe(false);
        expect(await store.getActionRequest('rq-1')).toMatchObject({ decidedBy: 'U_APPROVER', decidedAt: at(MINUTE) });
        expect(await store.decideActionRequest('rq-2', 'U_APPROVER', at(15 * MINUTE))).toBe(false);
        expect(await store.getActionRequest('rq-2')).toMatchObject({ decidedBy: null, decidedAt: null });
        expect(await store.decideActionRequest('rq-missing', 'U_APPROVER', at(MINUTE))).toBe(false);
      });

      test('concurrent decisions of one request: exactly one wins', async () => {
        const store = await fresh();
        await warmUp(store);
        await store.createActionRequest(request('rq-1'));
        const decisions = await Promise.all(
          Array.from({ length: 10 }, (_, i) => store.decideActionRequest('rq-1', `U_${i}`, at(MINUTE))),
        );
        expect(decisions.filter(Boolean)).toHaveLength(1);
      });
    });

    describe('approvals', () => {
      test('each person counts once, whatever they click, oldest first; runs are apart', async () => {
        const store = await fresh();
        await store.createRun(newRun('run-a'));
        await store.createRun(newRun('run-b'));

        expect(await store.recordApproval({ runId: 'run-a', userId: 'U_ONE', at: at(1) })).toEqual([
          { runId: 'run-a', userId: 'U_ONE', at: at(1) },
        ]);
        // A second click of the same person keeps the first time.
        expect(await store.recordApproval({ runId: 'run-a', userId: 'U_ONE', at: at(5) })).toEqual([
          { runId: 'run-a', userId: 'U_ONE', at: at(1) },
        ]);
        expect(
          (await store.recordApproval({ runId: 'run-a', userId: 'U_TWO', at: at(2) })).map((a) => a.userId),
        ).toEqual(['U_ONE', 'U_TWO']);
        expect(await store.recordApproval({ runId: 'run-b', userId: 'U_TWO', at: at(3) })).toHaveLength(1);
      });

      test('concurrent approvals by different people are all counted, by the same person once', async () => {
        const store = await fresh();
        await warmUp(store);
        await store.createRun(newRun('run-a'));
        await Promise.all([
          ...Array.from({ length: 5 }, (_, i) => store.recordApproval({ runId: 'run-a', userId: `U_${i}`, at: at(i) })),
          ...Array.from({ length: 5 }, () => store.recordApproval({ runId: 'run-a', userId: 'U_0', at: at(9) })),
        ]);
        const all = await store.recordApproval({ runId: 'run-a', userId: 'U_0', at: at(10) });
        expect(all.map((a) => a.userId).sort()).toEqual(['U_0', 'U_1', 'U_2', 'U_3', 'U_4']);
      });
    });

    describe('message ts and run data', () => {
      test('setMessageTs writes once: a second call does not overwrite it', async () => {
        const store = await fresh();
        await store.createRun(newRun('run-1'));

        expect(await store.setMessageTs('run-1', '111.000001')).toBe(true);
        expect(await store.setMessageTs('run-1', '222.000002')).toBe(false);

        expect((await store.getRun('run-1'))?.messageTs).toBe('111.000001');
        expect(await store.setMessageTs('no-such-run', '1.1')).toBe(false);
      });

      test('updateRunData merges top-level keys without touching the state or the journal', async () => {
        const store = await fresh();
        await store.createRun(newRun('run-1'));

        await store.updateRunData('run-1', { buildId: 'b-1', nested: { a: 1 } });
        const updated = await store.updateRunData('run-1', {
          revision: 'api-00042',
          nested: { b: 2 },
          dropped: undefined,
        });

        const expectedData = { buildId: 'b-1', revision: 'api-00042', nested: { b: 2 } };
        expect(updated?.data).toEqual(expectedData);
        expect(updated?.state).toBe('requested');
        expect(await store.getRun('run-1')).toEqual(updated);
        expect(await store.journal('run-1')).toEqual([]);
        expect(await store.updateRunData('no-such-run', { a: 1 })).toBeUndefined();
      });

      test('concurrent updateRunData calls lose no key', async () => {
        const store = await fresh();
        await store.createRun(newRun('run-1'));
        await warmUp(store);

        await Promise.all(Array.from({ length: 10 }, (_, i) => store.updateRunData('run-1', { [`k${i}`]: i })));

        expect((await store.getRun('run-1'))?.data).toEqual(
          Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`k${i}`, i])),
        );
      });
    });

    describe('outbox', () => {
      const LEASE = 5 * MINUTE;

      test('enqueueOutbox is idempotent: the same id again keeps the first item and returns false', async () => {
        const store = await fresh();

        expect(await store.enqueueOutbox(outboxItem('o-1', at(1)))).toBe(true);
        expect(
          await store.enqueueOutbox(
            outboxItem('o-1', at(2), { runId: null, kind: 'other', payload: { second: true } }),
          ),
        ).toBe(false);

        const expected: OutboxItem = {
          id: 'o-1',
          runId: 'run-1',
          kind: 'github.deployment-status',
          payload: { state: 'in_progress', item: 'o-1' },
          createdAt: at(1),
          attempts: 0,
          nextAttemptAt: at(1),
          deliveredAt: null,
          lastError: null,
          result: null,
        };
        expect(await store.listOutbox({})).toEqual([expected]);
      });

      test('an item enqueued again after it was delivered is still not delivered twice', async () => {
        const store = await fresh();
        await store.enqueueOutbox(outboxItem('o-1', at(0)));
        await store.claimOutbox({ now: at(1), limit: 10, leaseMs: LEASE, owner: 'w-1' });
        expect(await store.completeOutbox({ id: 'o-1', owner: 'w-1', at: at(2), result: 'sha-1' })).toBe(true);

        expect(await store.enqueueOutbox(outboxItem('o-1', at(3)))).toBe(false);

        expect(await store.claimOutbox({ now: at(4), limit: 10, leaseMs: LEASE, owner: 'w-2' })).toEqual([]);
        expect((await store.listOutbox({}))[0]).toMatchObject({ deliveredAt: at(2), result: 'sha-1' });
      });

      test('claimOutbox returns due items in creation order, up to the limit, leasing them to the owner', async () => {
        const store = await fresh();
        // Enqueued out of creation order, and two at the same time, so both orderings are exercised.
        await store.enqueueOutbox(outboxItem('c', at(3)));
        await store.enqueueOutbox(outboxItem('a', at(1)));
        await store.enqueueOutbox(outboxItem('b-2', at(2)));
        await store.enqueueOutbox(outboxItem('b-1', at(2)));
        await store.enqueueOutbox(outboxItem('later', at(MINUTE)));

        const first = await store.claimOutbox({ now: at(10), limit: 3, leaseMs: LEASE, owner: 'w-1' });
        expect(ids(first)).toEqual(['a', 'b-2', 'b-1']);
        expect(first[0]).toEqual({
          id: 'a',
          runId: 'run-1',
          kind: 'github.deployment-status',
          payload: { state: 'in_progress', item: 'a' },
          createdAt: at(1),
          attempts: 0,
          nextAttemptAt: at(1),
          deliveredAt: null,
          lastError: null,
          result: null,
        });

        // 'later' is not due yet at 10 ms.
        expect(ids(await store.claimOutbox({ now: at(10), limit: 3, leaseMs: LEASE, owner: 'w-1' }))).toEqual(['c']);
        expect(await store.claimOutbox({ now: at(10), limit: 3, leaseMs: LEASE, owner: 'w-2' })).toEqual([]);
        expect(ids(await store.claimOutbox({ now: at(MINUTE), limit: 3, leaseMs: LEASE, owner: 'w-2' }))).toEqual([
          'later',
        ]);
        expect(await store.claimOutbox({ now: at(MINUTE), limit: 0, leaseMs: LEASE, owner: 'w-3' })).toEqual([]);
      });

      test('a claimed item is not claimed again until its lease lapses; then another owner may take it', async () => {
        const store = await fresh();
        await store.enqueueOutbox(outboxItem('o-1', at(0)));
        expect(ids(await store.claimOutbox({ now: at(1), limit: 10, leaseMs: LEASE, owner: 'w-1' }))).toEqual(['o-1']);

        expect(await store.claimOutbox({ now: at(1), limit: 10, leaseMs: LEASE, owner: 'w-2' })).toEqual([]);
        expect(await store.claimOutbox({ now: at(1 + LEASE - 1), limit: 10, leaseMs: LEASE, owner: 'w-1' })).toEqual(
          [],
        );

        // A lease ends at its expiry time.
        const retaken = await store.claimOutbox({ now: at(1 + LEASE), limit: 10, leaseMs: LEASE, owner: 'w-2' });
        expect(ids(retaken)).toEqual(['o-1']);
        // A lapsed claim is not a failure: attempts count failOutbox calls only.
        expect(retaken[0]?.attempts).toBe(0);

        // The first owner lost it: it can settle nothing, and the new owner's claim stands.
        expect(await store.completeOutbox({ id: 'o-1', owner: 'w-1', at: at(LEASE + 2), result: 'late' })).toBe(false);
        expect(
          await store.failOutbox({
            id: 'o-1',
            owner: 'w-1',
            at: at(LEASE + 2),
            error: 'late',
            nextAttemptAt: at(LEASE + 3),
          }),
        ).toBe(false);
        expect(await store.claimOutbox({ now: at(LEASE + 4), limit: 10, leaseMs: LEASE, owner: 'w-3' })).toEqual([]);
        expect(await store.completeOutbox({ id: 'o-1', owner: 'w-2', at: at(LEASE + 5), result: 'sha' })).toBe(true);
      });

      test('the owner may still settle its item after the lease lapsed, if no one claimed it since', async () => {
        const store = await fresh();
        await store.enqueueOutbox(outboxItem('o-1', at(0)));
        await store.claimOutbox({ now: at(1), limit: 10, leaseMs: LEASE, owner: 'w-1' });

        expect(await store.completeOutbox({ id: 'o-1', owner: 'w-1', at: at(2 * LEASE), result: 'sha' })).toBe(true);
        expect((await store.listOutbox({}))[0]?.deliveredAt).toEqual(at(2 * LEASE));
      });

      test('complete and fail by a non-owner, or of an unclaimed or unknown item, return false and change nothing', async () => {
        const store = await fresh();
        await store.enqueueOutbox(outboxItem('claimed', at(0)));
        await store.enqueueOutbox(outboxItem('unclaimed', at(1)));
        await store.claimOutbox({ now: at(2), limit: 1, leaseMs: LEASE, owner: 'w-1' });
        const before = await store.listOutbox({});

        for (const [id, owner] of [
          ['claimed', 'w-2'],
          ['unclaimed', 'w-1'],
          ['unclaimed', 'w-2'],
          ['no-such-item', 'w-1'],
        ] as const) {
          expect(await store.completeOutbox({ id, owner, at: at(3), result: 'sha' })).toBe(false);
          expect(await store.failOutbox({ id, owner, at: at(3), error: 'boom', nextAttemptAt: at(MINUTE) })).toBe(
            false,
          );
        }

        expect(await store.listOutbox({})).toEqual(before);
        // The owner's claim is intact: still not claimable by others, still settleable by the owner.
        expect(ids(await store.claimOutbox({ now: at(4), limit: 10, leaseMs: LEASE, owner: 'w-2' }))).toEqual([
          'unclaimed',
        ]);
        expect(await store.completeOutbox({ id: 'claimed', owner: 'w-1', at: at(5), result: 'sha' })).toBe(true);
      });

      test('failOutbox counts the attempt, records the error, releases the claim and schedules the next attempt', async () => {
        const store = await fresh();
        await store.enqueueOutbox(outboxItem('o-1', at(0)));
        await store.claimOutbox({ now: at(1), limit: 10, leaseMs: LEASE, owner: 'w-1' });

        expect(
          await store.failOutbox({
            id: 'o-1',
            owner: 'w-1',
            at: at(2),
            error: 'GitHub answered 502',
            nextAttemptAt: at(MINUTE),
          }),
        ).toBe(true);
        // Settled once: the claim is gone, so the same owner cannot settle it again.
        expect(
          await store.failOutbox({ id: 'o-1', owner: 'w-1', at: at(3), error: 'again', nextAttemptAt: at(MINUTE) }),
        ).toBe(false);
        expect(await store.completeOutbox({ id: 'o-1', owner: 'w-1', at: at(3), result: 'sha' })).toBe(false);

        expect(await store.listOutbox({})).toEqual([
          expect.objectContaining({ attempts: 1, lastError: 'GitHub answered 502', nextAttemptAt: at(MINUTE) }),
        ]);
        // Not due before nextAttemptAt, even though the claim was released.
        expect(await store.claimOutbox({ now: at(MINUTE - 1), limit: 10, leaseMs: LEASE, owner: 'w-2' })).toEqual([]);
        const retry = await store.claimOutbox({ now: at(MINUTE), limit: 10, leaseMs: LEASE, owner: 'w-2' });
        expect(retry).toEqual([
          expect.objectContaining({ id: 'o-1', attempts: 1, lastError: 'GitHub answered 502', deliveredAt: null }),
        ]);

        expect(
          await store.failOutbox({
            id: 'o-1',
            owner: 'w-2',
            at: at(MINUTE + 1),
            error: 'GitHub answered 503',
            nextAttemptAt: at(3 * MINUTE),
          }),
        ).toBe(true);
        expect((await store.listOutbox({}))[0]).toMatchObject({ attempts: 2, lastError: 'GitHub answered 503' });

        await store.claimOutbox({ now: at(3 * MINUTE), limit: 10, leaseMs: LEASE, owner: 'w-3' });
        expect(await store.completeOutbox({ id: 'o-1', owner: 'w-3', at: at(3 * MINUTE + 1), result: null })).toBe(
          true,
        );
        // The history of the attempts stays on the delivered item.
        expect((await store.listOutbox({}))[0]).toMatchObject({
          attempts: 2,
          lastError: 'GitHub answered 503',
          deliveredAt: at(3 * MINUTE + 1),
        });
      });

      test('delivered items are never claimed again, however late', async () => {
        const store = await fresh();
        await store.enqueueOutbox(outboxItem('o-1', at(0)));
        await store.enqueueOutbox(outboxItem('o-2', at(1)));
        await store.claimOutbox({ now: at(2), limit: 10, leaseMs: LEASE, owner: 'w-1' });
        await store.completeOutbox({ id: 'o-1', owner: 'w-1', at: at(3), result: { sha: 'abc' } });

        // o-2's lease lapsed undelivered, so it is claimed again; o-1 never is.
        const late = await store.claimOutbox({ now: at(60 * MINUTE), limit: 10, leaseMs: LEASE, owner: 'w-2' });
        expect(ids(late)).toEqual(['o-2']);
        await store.completeOutbox({ id: 'o-2', owner: 'w-2', at: at(60 * MINUTE + 1), result: null });

        const muchLater = { now: at(600 * MINUTE), limit: 10, leaseMs: LEASE, owner: 'w-3' };
        expect(await store.claimOutbox(muchLater)).toEqual([]);
        expect(await store.completeOutbox({ id: 'o-1', owner: 'w-1', at: at(4), result: 'again' })).toBe(false);
        expect(await store.listOutbox({ pending: true })).toEqual([]);
      });

      test('claimOutbox with kinds claims only those kinds; an empty list claims nothing', async () => {
        const store = await fresh();
        await store.enqueueOutbox(outboxItem('log-1', at(0), { kind: 'github.deploy-log' }));
        await store.enqueueOutbox(outboxItem('status-1', at(1), { kind: 'github.deployment-status' }));
        await store.enqueueOutbox(outboxItem('slack-1', at(2), { kind: 'slack.message' }));
        await store.enqueueOutbox(outboxItem('log-2', at(3), { kind: 'github.deploy-log' }));
        const claim = { now: at(10), limit: 10, leaseMs: LEASE } as const;

        expect(await store.claimOutbox({ ...claim, owner: 'w-0', kinds: [] })).toEqual([]);
        expect(ids(await store.claimOutbox({ ...claim, owner: 'w-1', kinds: ['github.deploy-log'] }))).toEqual([
          'log-1',
          'log-2',
        ]);
        expect(
          ids(
            await store.claimOutbox({ ...claim, owner: 'w-2', kinds: ['slack.message', 'github.deployment-status'] }),
          ),
        ).toEqual(['status-1', 'slack-1']);
        expect(await store.claimOutbox({ ...claim, owner: 'w-3' })).toEqual([]);
      });

      test('payloads and results of any JSON shape round-trip', async () => {
        const store = await fresh();
        const payloads: readonly unknown[] = [
          {
            repo: 'acme/api',
            path: 'deploys/2025-03-01.md',
            lines: ['a', 'b'],
            nested: { n: 1.5, t: true, none: null, text: 'ünïcødé ✓ "quoted" \\ \n' },
            empty: {},
          },
          [1, 'two', { three: 3 }],
          'just text',
          42,
          null,
        ];
        for (const [i, payload] of payloads.entries()) {
          await store.enqueueOutbox(outboxItem(`o-${i}`, at(i), { payload }));
        }
        expect((await store.listOutbox({})).map((item) => item.payload)).toEqual(payloads);

        const claimed = await store.claimOutbox({ now: at(10), limit: 10, leaseMs: LEASE, owner: 'w-1' });
        expect(claimed.map((item) => item.payload)).toEqual(payloads);

        const results: readonly unknown[] = [{ sha: 'abc123', url: 'https://x/y', n: [1, 2] }, ['x'], 'sha', 7, false];
        for (const [i, result] of results.entries()) {
          expect(await store.completeOutbox({ id: `o-${i}`, owner: 'w-1', at: at(20 + i), result })).toBe(true);
        }
        expect((await store.listOutbox({})).map((item) => item.result)).toEqual(results);
      });

      test('a payload or result JSON cannot hold is refused, and nothing is written', async () => {
        const store = await fresh();
        await expect(store.enqueueOutbox(outboxItem('o-1', at(0), { payload: { big: 1n } }))).rejects.toMatchObject({
          code: 'invalid_input',
        });
        expect(await store.listOutbox({})).toEqual([]);

        await store.enqueueOutbox(outboxItem('o-2', at(0)));
        await store.claimOutbox({ now: at(1), limit: 1, leaseMs: LEASE, owner: 'w-1' });
        await expect(
          store.completeOutbox({ id: 'o-2', owner: 'w-1', at: at(2), result: { big: 1n } }),
        ).rejects.toMatchObject({ code: 'invalid_input' });
        expect((await store.listOutbox({}))[0]?.deliveredAt).toBeNull();
      });

      test('claimOutbox refuses a lease that is not a positive integer, a bad limit and an invalid Date', async () => {
        const store = await fresh();
        await store.enqueueOutbox(outboxItem('o-1', at(0)));
        const claim = { now: at(1), limit: 10, leaseMs: LEASE, owner: 'w-1' };

        for (const bad of [
          { ...claim, leaseMs: 0 },
          { ...claim, leaseMs: -1 },
          { ...claim, leaseMs: 1.5 },
          { ...claim, leaseMs: Number.POSITIVE_INFINITY },
          { ...claim, limit: -1 },
          { ...claim, now: new Date(Number.NaN) },
        ]) {
          await expect(store.claimOutbox(bad)).rejects.toMatchObject({ code: 'invalid_input' });
        }
        // Nothing was claimed by the refused calls.
        expect(ids(await store.claimOutbox(claim))).toEqual(['o-1']);
      });

      test('listOutbox filters by run and by pending, in creation order', async () => {
        const store = await fresh();
        await store.enqueueOutbox(outboxItem('b', at(2), { runId: 'run-1' }));
        await store.enqueueOutbox(outboxItem('a', at(1), { runId: 'run-2' }));
        await store.enqueueOutbox(outboxItem('c', at(3), { runId: 'run-1' }));
        await store.enqueueOutbox(outboxItem('d', at(4), { runId: null }));
        await store.claimOutbox({ now: at(5), limit: 2, leaseMs: LEASE, owner: 'w-1' });
        await store.completeOutbox({ id: 'b', owner: 'w-1', at: at(6), result: 'sha' });

        expect(ids(await store.listOutbox({}))).toEqual(['a', 'b', 'c', 'd']);
        expect(ids(await store.listOutbox({ runId: 'run-1' }))).toEqual(['b', 'c']);
        expect(ids(await store.listOutbox({ pending: true }))).toEqual(['a', 'c', 'd']);
        expect(ids(await store.listOutbox({ pending: false }))).toEqual(['b']);
        expect(ids(await store.listOutbox({ runId: 'run-1', pending: true }))).toEqual(['c']);
        expect(ids(await store.listOutbox({ runId: 'no-such-run' }))).toEqual([]);
        expect((await store.listOutbox({ runId: 'run-2' }))[0]?.runId).toBe('run-2');
      });

      test('concurrent claims of one store get disjoint items that together cover all of them', async () => {
        const store = await fresh();
        for (let i = 0; i < 20; i += 1) {
          await store.enqueueOutbox(outboxItem(`o-${String(i).padStart(2, '0')}`, at(i)));
        }
        await warmUp(store);

        const claims = await Promise.all(
          Array.from({ length: 10 }, (_, i) =>
            store.claimOutbox({ now: at(100), limit: 3, leaseMs: LEASE, owner: `w-${i}` }),
          ),
        );

        const claimed = claims.flatMap(ids);
        expect(new Set(claimed).size).toBe(claimed.length);
        expect([...claimed].sort()).toEqual(ids(await store.listOutbox({})));
      });
    });

    test('countRunsByState counts every run by its state', async () => {
      const store = await fresh();
      expect(await store.countRunsByState()).toEqual({});

      for (const id of ['a', 'b', 'c', 'd']) await store.createRun(newRun(id));
      expectOk(await store.transition(approve('a', at(1))));
      expectOk(await store.transition(approve('b', at(1))));
      expectOk(await store.transition({ ...approve('c', at(1)), to: 'denied' }));

      expect(await store.countRunsByState()).toEqual({ approved: 2, denied: 1, requested: 1 });
    });

    test('a closed store refuses calls with a coded error', async () => {
      const store = await openFresh();
      await store.close();

      const refused = store.getRun('run-1');
      await expect(refused).rejects.toBeInstanceOf(StoreError);
      await expect(refused).rejects.toMatchObject({ code: 'closed' });
      // Closing twice is harmless.
      await expect(store.close()).resolves.toBeUndefined();
    });
  });
}
