import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import { openStore } from '../../../src/adapters/store/open-store.js';
import { openSqliteStore } from '../../../src/adapters/store/sqlite-store.js';
import type { Store } from '../../../src/deploy/ports/index.js';
import { describeStoreContract } from './store-contract.js';

let root: string;
let counter = 0;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'liftoff-sqlite-store-'));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A database file in a directory that does not exist yet, so every store also proves it creates its directory. */
function freshFile(): string {
  counter += 1;
  return join(root, `case-${counter}`, 'nested', 'liftoff.db');
}

describeStoreContract('SQLite (file, WAL)', () => openSqliteStore({ file: freshFile() }));
describeStoreContract('SQLite (:memory:)', () => openSqliteStore({ file: ':memory:' }));

describe('SQLite store on a file', () => {
  const opened: Store[] = [];

  async function open(file: string): Promise<Store> {
    const store = await openSqliteStore({ file });
    opened.push(store);
    return store;
  }

  afterEach(async () => {
    await Promise.all(opened.splice(0).map((store) => store.close()));
  });

  test('creates the parent directory, uses WAL and records its migrations', async () => {
    const file = freshFile();
    expect(existsSync(file)).toBe(false);

    await open(file);

    expect(existsSync(file)).toBe(true);
    const db = new Database(file, { readonly: true });
    try {
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(db.prepare('SELECT version FROM schema_migrations ORDER BY version').pluck().all()).toEqual([1, 2, 3, 4]);
    } finally {
      db.close();
    }
  });

  test('close() then reopen: everything written is still there, and the migrations are not applied twice', async () => {
    const file = freshFile();
    const at = new Date('2025-03-01T10:00:00.007Z');
    const lease = {
      serviceKey: 'p/r/api',
      ownerId: 'run-1',
      holderId: 'U_1',
      reason: 'deploy',
      acquiredAt: at,
      expiresAt: new Date(at.getTime() + 60_000),
    };

    const firstStart = performance.now();
    const first = await openSqliteStore({ file });
    const firstOpenMs = performance.now() - firstStart;
    await first.createRun({
      id: 'run-1',
      runbook: 'api',
      serviceKey: 'p/r/api',
      requesterId: 'U_1',
      channelId: 'C_1',
      createdAt: at,
      expiresAt: new Date(at.getTime() + 60_000),
      plan: { steps: ['build'] },
    });
    await first.setMessageTs('run-1', '123.456');
    const approved = await first.transition({
      runId: 'run-1',
      from: ['requested'],
      to: 'approved',
      at,
      actorId: 'U_2',
      decision: { by: 'U_2', at },
      data: { buildId: 'b-1' },
      acquireLock: lease,
    });
    await first.appendAudit({ at, actorId: 'U_2', action: 'action approve', runId: 'run-1', outcome: 'ok' });
    await first.claimIdempotencyKey('trigger-1', at, new Date(at.getTime() + 60_000));
    const before = await first.getRun('run-1');
    await first.close();

    const reopenStart = performance.now();
    const second = await open(file);
    const reopenMs = performance.now() - reopenStart;
    console.log(
      `SQLite store open time: ${reopenMs.toFixed(2)} ms reopening an existing file ` +
        `(${firstOpenMs.toFixed(2)} ms for the first open, which creates the file and migrates it)`,
    );

    expect(approved.ok).toBe(true);
    expect(before).toMatchObject({ state: 'approved', messageTs: '123.456', data: { buildId: 'b-1' } });
    expect(await second.getRun('run-1')).toEqual(before);
    expect(await second.journal('run-1')).toEqual([
      { runId: 'run-1', from: 'requested', to: 'approved', at, actorId: 'U_2', detail: null },
    ]);
    expect(await second.getLock('p/r/api', at)).toEqual(lease);
    expect(await second.listAudit(10)).toEqual([
      { at, actorId: 'U_2', action: 'action approve', runId: 'run-1', outcome: 'ok' },
    ]);
    expect(await second.claimIdempotencyKey('trigger-1', at, new Date(at.getTime() + 60_000))).toBe(false);
    expect(await second.countRunsByState()).toEqual({ approved: 1 });

    const db = new Database(file, { readonly: true });
    try {
      expect(db.prepare('SELECT count(*) FROM schema_migrations').pluck().get()).toBe(4);
    } finally {
      db.close();
    }
  });

  test('two stores (two connections) on one file: the same approval raced from both succeeds once', async () => {
    const file = freshFile();
    const one = await open(file);
    const two = await open(file);
    const at = new Date('2025-03-01T10:00:00.000Z');
    await one.createRun({
      id: 'run-1',
      runbook: 'api',
      serviceKey: 'p/r/api',
      requesterId: 'U_1',
      channelId: 'C_1',
      createdAt: at,
      expiresAt: at,
      plan: {},
    });

    const results = await Promise.all(
      [one, two, one, two].map((store, i) =>
        store.transition({ runId: 'run-1', from: ['requested'], to: 'approved', at, actorId: `U_${i}` }),
      ),
    );

    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(await two.journal('run-1')).toHaveLength(1);
    expect((await one.getRun('run-1'))?.state).toBe('approved');
  });

  test('two stores on one file claim disjoint outbox items; an owner settles only its own', async () => {
    const file = freshFile();
    const one = await open(file);
    const two = await open(file);
    const at = new Date('2025-03-01T10:00:00.000Z');
    for (let i = 0; i < 20; i += 1) {
      await one.enqueueOutbox({ id: `item-${i}`, runId: null, kind: 'github.deploy-log', payload: i, at });
    }

    const [a, b] = await Promise.all([
      one.claimOutbox({ now: at, limit: 12, leaseMs: 60_000, owner: 'one' }),
      two.claimOutbox({ now: at, limit: 12, leaseMs: 60_000, owner: 'two' }),
    ]);

    const claimed = [...a, ...b].map((item) => item.id);
    expect(claimed).toHaveLength(20);
    expect(new Set(claimed).size).toBe(20);
    const first = a[0];
    expect(first).toBeDefined();
    if (first !== undefined) {
      expect(await two.completeOutbox({ id: first.id, owner: 'two', at, result: null })).toBe(false);
      expect(await two.completeOutbox({ id: first.id, owner: 'one', at, result: null })).toBe(true);
    }
  });

  test('openStore without a database URL uses <dataDir>/liftoff.db', async () => {
    counter += 1;
    const dataDir = join(root, `data-dir-${counter}`);

    const store = await openStore({ dataDir });
    opened.push(store);

    expect(existsSync(join(dataDir, 'liftoff.db'))).toBe(true);
    expect(await store.countRunsByState()).toEqual({});
  });
});
