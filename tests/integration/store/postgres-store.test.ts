import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, escapeIdentifier } from 'pg';
import { openStore } from '../../../src/adapters/store/open-store.js';
import { openPostgresStore } from '../../../src/adapters/store/postgres-store.js';
import type { LockLease, NewRun, Store, TransitionRequest } from '../../../src/deploy/ports/index.js';
import { describeStoreContract, warmUp } from './store-contract.js';

const adminUrl = process.env.LIFTOFF_TEST_DATABASE_URL ?? '';
const HOW_TO = 'run `eval "$(bash .ci/postgres.sh)"` (as root) to start PostgreSQL and set it';

if (adminUrl === '') {
  if (process.env.CI === 'true') {
    test('LIFTOFF_TEST_DATABASE_URL is set (required in CI)', () => {
      throw new Error(`LIFTOFF_TEST_DATABASE_URL is not set, so the PostgreSQL store was not tested: ${HOW_TO}`);
    });
  } else {
    console.warn(`Skipping the PostgreSQL store tests: LIFTOFF_TEST_DATABASE_URL is not set; ${HOW_TO}.`);
    test.skip('PostgreSQL store tests (LIFTOFF_TEST_DATABASE_URL is not set)', () => undefined);
  }
} else {
  describePostgresStore(adminUrl);
}

function describePostgresStore(adminUrl: string): void {
  /** Each test gets its own database, created from template0 and dropped after the test. */
  const prefix = `liftoff_test_${process.pid}_${Date.now().toString(36)}`;
  let admin: Client;
  let counter = 0;
  const created: string[] = [];

  async function freshDatabaseUrl(): Promise<string> {
    counter += 1;
    const name = `${prefix}_${counter}`;
    await admin.query(`CREATE DATABASE ${escapeIdentifier(name)} TEMPLATE template0`);
    created.push(name);
    const url = new URL(adminUrl);
    url.pathname = `/${name}`;
    return url.toString();
  }

  beforeAll(async () => {
    admin = new Client({ connectionString: adminUrl });
    await admin.connect();
  });

  // Runs after the contract's own afterEach, which closes the stores.
  afterEach(async () => {
    for (const name of created.splice(0)) {
      await admin.query(`DROP DATABASE IF EXISTS ${escapeIdentifier(name)} WITH (FORCE)`);
    }
  });

  afterAll(async () => {
    await admin.end();
  });

  describeStoreContract('PostgreSQL', async () => openPostgresStore({ connectionString: await freshDatabaseUrl() }));

  describe('PostgreSQL store shared by several instances', () => {
    const opened: Store[] = [];
    const at = new Date('2025-03-01T10:00:00.321Z');

    async function open(connectionString: string): Promise<Store> {
      const store = await openPostgresStore({ connectionString });
      opened.push(store);
      return store;
    }

    /** Two stores with two pools on one fresh database, like two Liftoff replicas. */
    async function twoInstances(): Promise<[Store, Store]> {
      const url = await freshDatabaseUrl();
      const stores: [Store, Store] = [await open(url), await open(url)];
      await Promise.all(stores.map(warmUp));
      return stores;
    }

    function newRun(id: string): NewRun {
      return {
        id,
        runbook: 'api',
        serviceKey: 'p/r/api',
        requesterId: 'U_1',
        channelId: 'C_1',
        createdAt: at,
        expiresAt: new Date(at.getTime() + 60_000),
        plan: { id },
      };
    }

    function lease(ownerId: string): LockLease {
      return {
        serviceKey: 'p/r/api',
        ownerId,
        holderId: 'U_1',
        reason: `deploy ${ownerId}`,
        acquiredAt: at,
        expiresAt: new Date(at.getTime() + 600_000),
      };
    }

    function approve(runId: string, actorId: string, acquireLock?: LockLease): TransitionRequest {
      return {
        runId,
        from: ['requested'],
        to: 'approved',
        at,
        actorId,
        decision: { by: actorId, at },
        ...(acquireLock === undefined ? {} : { acquireLock }),
      };
    }

    afterEach(async () => {
      await Promise.all(opened.splice(0).map((store) => store.close()));
    });

    test('the same approval raced from two instances succeeds exactly once', async () => {
      const [one, two] = await twoInstances();
      await one.createRun(newRun('run-1'));

      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? one : two).transition(approve('run-1', `U_${i}`))),
      );

      expect(results.filter((r) => r.ok)).toHaveLength(1);
      // Every loser waited for the winner's row lock, so it reports the state the winner wrote.
      expect(results.filter((r) => !r.ok && r.reason === 'wrong_state' && r.run.state === 'approved')).toHaveLength(9);
      expect(await one.journal('run-1')).toHaveLength(1);
      expect((await two.getRun('run-1'))?.state).toBe('approved');
    });

    test('two runs of one service approved at once on two instances: one takes the lock, the other is told it is locked', async () => {
      const [one, two] = await twoInstances();
      await one.createRun(newRun('run-a'));
      await one.createRun(newRun('run-b'));

      const [a, b] = await Promise.all([
        one.transition(approve('run-a', 'U_A', lease('run-a'))),
        two.transition(approve('run-b', 'U_B', lease('run-b'))),
      ]);

      expect([a.ok, b.ok].filter(Boolean)).toHaveLength(1);
      const winner = a.ok ? 'run-a' : 'run-b';
      const loser = a.ok ? b : a;
      expect(loser).toMatchObject({ ok: false, reason: 'locked', lock: { ownerId: winner } });
      expect((await one.getLock('p/r/api', at))?.ownerId).toBe(winner);
      expect(await two.countRunsByState()).toEqual({ approved: 1, requested: 1 });
    });

    test('lock acquisitions by different owners on two instances: exactly one succeeds', async () => {
      const [one, two] = await twoInstances();

      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? one : two).acquireLock(lease(`owner-${i}`))),
      );

      expect(results.filter((r) => r.ok)).toHaveLength(1);
      const owner = results.find((r) => r.ok)?.lock.ownerId;
      expect(results.every((r) => r.lock.ownerId === owner)).toBe(true);
    });

    test('idempotency keys claimed on two instances: exactly one claim is true', async () => {
      const [one, two] = await twoInstances();
      const expiresAt = new Date(at.getTime() + 60_000);

      const claims = await Promise.all(
        Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? one : two).claimIdempotencyKey('trigger-1', at, expiresAt)),
      );

      expect(claims.filter(Boolean)).toHaveLength(1);
    });

    test('outbox claims from two instances at once get disjoint items that together cover all 20', async () => {
      const [one, two] = await twoInstances();
      const all = Array.from({ length: 20 }, (_, i) => `item-${String(i).padStart(2, '0')}`);
      for (const [i, id] of all.entries()) {
        await one.enqueueOutbox({
          id,
          runId: null,
          kind: 'github.deployment-status',
          payload: { i },
          at: new Date(at.getTime() + i),
        });
      }
      const now = new Date(at.getTime() + 60_000);

      // Several workers per instance, each claiming a few at a time until nothing is left, all at once.
      async function drain(store: Store, owner: string): Promise<string[]> {
        const taken: string[] = [];
        for (;;) {
          const batch = await store.claimOutbox({ now, limit: 3, leaseMs: 60_000, owner });
          if (batch.length === 0) {
            return taken;
          }
          taken.push(...batch.map((item) => item.id));
        }
      }
      const claims = await Promise.all(
        Array.from({ length: 8 }, (_, i) => drain(i % 2 === 0 ? one : two, `replica-${i % 2}-worker-${i}`)),
      );

      const claimed = claims.flat();
      expect(new Set(claimed).size).toBe(claimed.length);
      expect([...claimed].sort()).toEqual(all);
      // Several workers took part: the claims really overlapped rather than one worker taking everything.
      expect(claims.filter((taken) => taken.length > 0).length).toBeGreaterThan(1);

      // One claim of everything from each instance at once: disjoint again, and each is settled by its owner only.
      const later = new Date(now.getTime() + 60_000);
      const [a, b] = await Promise.all([
        one.claimOutbox({ now: later, limit: 20, leaseMs: 60_000, owner: 'one' }),
        two.claimOutbox({ now: later, limit: 20, leaseMs: 60_000, owner: 'two' }),
      ]);
      const again = [...a, ...b].map((item) => item.id);
      expect(new Set(again).size).toBe(20);
      for (const item of a) {
        expect(await two.completeOutbox({ id: item.id, owner: 'two', at: later, result: null })).toBe(false);
        expect(await two.completeOutbox({ id: item.id, owner: 'one', at: later, result: item.id })).toBe(true);
      }
      for (const item of b) {
        expect(await one.completeOutbox({ id: item.id, owner: 'two', at: later, result: item.id })).toBe(true);
      }
      const delivered = await two.listOutbox({ pending: false });
      expect(delivered.map((item) => item.result)).toEqual(all);
    });

    test('the same outbox item enqueued from two instances at once is added once', async () => {
      const [one, two] = await twoInstances();

      const added = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          (i % 2 === 0 ? one : two).enqueueOutbox({
            id: 'deploy-log:run-1',
            runId: 'run-1',
            kind: 'github.deploy-log',
            payload: { from: i },
            at,
          }),
        ),
      );

      expect(added.filter(Boolean)).toHaveLength(1);
      expect(await one.listOutbox({})).toHaveLength(1);
    });

    test('several instances opening (and migrating) one fresh database at once all succeed, migrating it once', async () => {
      const url = await freshDatabaseUrl();

      const stores = await Promise.all(Array.from({ length: 4 }, () => open(url)));

      const database = new Client({ connectionString: url });
      await database.connect();
      try {
        const versions = await database.query('SELECT version FROM schema_migrations ORDER BY version');
        expect(versions.rows).toEqual([{ version: 1 }, { version: 2 }, { version: 3 }, { version: 4 }]);
      } finally {
        await database.end();
      }
      await stores[0]?.createRun(newRun('run-1'));
      expect((await stores[3]?.getRun('run-1'))?.id).toBe('run-1');
    });

    test('close() finishes the writes in flight; reopening finds them', async () => {
      const url = await freshDatabaseUrl();
      const first = await openPostgresStore({ connectionString: url });
      await first.createRun(newRun('run-1'));

      const inFlight = first.transition(approve('run-1', 'U_1'));
      await first.close();

      expect((await inFlight).ok).toBe(true);
      await expect(first.getRun('run-1')).rejects.toMatchObject({ code: 'closed' });
      const second = await open(url);
      expect((await second.getRun('run-1'))?.state).toBe('approved');
      expect(await second.journal('run-1')).toHaveLength(1);
    });

    test('openStore with a database URL uses PostgreSQL, not a file in the data directory', async () => {
      const url = await freshDatabaseUrl();
      const dataDir = await mkdtemp(join(tmpdir(), 'liftoff-open-store-'));
      try {
        const store = await openStore({ databaseUrl: url, dataDir });
        opened.push(store);
        await store.createRun(newRun('run-1'));

        expect(existsSync(join(dataDir, 'liftoff.db'))).toBe(false);
        expect((await (await open(url)).getRun('run-1'))?.id).toBe('run-1');
      } finally {
        await rm(dataDir, { recursive: true, force: true });
      }
    });
  });
}
