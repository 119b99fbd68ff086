import type { Database } from 'better-sqlite3';
import type { ClientBase } from 'pg';
import { z } from 'zod';
import { StoreError, parseRows } from './row-schemas.js';

/**
 * One step of the schema. Versions only grow; an applied migration is never edited (add a new
 * one instead), and the runner refuses a database whose applied names differ from these.
 */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

/** SQLite: timestamps are integer epoch milliseconds, JSON is text. */
export const SQLITE_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'runs, journal, locks, audit, idempotency keys',
    sql: `
      CREATE TABLE runs (
        id TEXT PRIMARY KEY,
        runbook TEXT NOT NULL,
        service_key TEXT NOT NULL,
        state TEXT NOT NULL,
        requester_id TEXT NOT NULL,
        channel_id TEXT NOT NULL,
        message_ts TEXT,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        decided_by TEXT,
        decided_at INTEGER,
        plan TEXT NOT NULL CHECK (json_valid(plan)),
        data TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(data))
      ) STRICT;
      CREATE INDEX runs_created_at ON runs (created_at DESC, id DESC);
      CREATE INDEX runs_state ON runs (state);
      CREATE INDEX runs_service_key ON runs (service_key);

      CREATE TABLE run_transitions (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        run_id TEXT NOT NULL REFERENCES runs (id),
        from_state TEXT NOT NULL,
        to_state TEXT NOT NULL,
        at INTEGER NOT NULL,
        actor_id TEXT,
        detail TEXT
      ) STRICT;
      CREATE INDEX run_transitions_run_id ON run_transitions (run_id, seq);

      CREATE TABLE locks (
        service_key TEXT PRIMARY KEY,
        owner_id TEXT NOT NULL,
        holder_id TEXT NOT NULL,
        reason TEXT NOT NULL,
        acquired_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL
      ) STRICT;

      CREATE TABLE audit (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at INTEGER NOT NULL,
        actor_id TEXT NOT NULL,
        action TEXT NOT NULL,
        run_id TEXT,
        outcome TEXT NOT NULL
      ) STRICT;
      CREATE INDEX audit_at ON audit (at DESC, id DESC);

      CREATE TABLE idempotency_keys (
        key TEXT PRIMARY KEY,
        claimed_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX idempotency_keys_expires_at ON idempotency_keys (expires_at);
    `,
  },
  {
    version: 2,
    name: 'outbox',
    sql: `
      CREATE TABLE outbox (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        run_id TEXT,
        kind TEXT NOT NULL,
        payload TEXT NOT NULL CHECK (json_valid(payload)),
        created_at INTEGER NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
        next_attempt_at INTEGER NOT NULL,
        last_attempt_at INTEGER,
        delivered_at INTEGER,
        last_error TEXT,
        result TEXT CHECK (result IS NULL OR json_valid(result)),
        claimed_by TEXT,
        claimed_until INTEGER,
        CHECK ((claimed_by IS NULL) = (claimed_until IS NULL))
      ) STRICT;
      -- Claims scan the undelivered items in creation order; delivered ones stay out of this index.
      CREATE INDEX outbox_pending ON outbox (created_at, seq) WHERE delivered_at IS NULL;
      CREATE INDEX outbox_run_id ON outbox (run_id, created_at, seq);
    `,
  },
  {
    version: 3,
    name: 'action requests',
    sql: `
      CREATE TABLE action_requests (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        runbook TEXT NOT NULL,
        subject TEXT NOT NULL,
        requested_by TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        decided_by TEXT,
        decided_at INTEGER,
        CHECK ((decided_by IS NULL) = (decided_at IS NULL))
      ) STRICT;
    `,
  },
  {
    version: 4,
    name: 'approvals',
    sql: `
      CREATE TABLE approvals (
        run_id TEXT NOT NULL REFERENCES runs (id),
        user_id TEXT NOT NULL,
        at INTEGER NOT NULL,
        PRIMARY KEY (run_id, user_id)
      ) STRICT;
    `,
  },
];

/** PostgreSQL: timestamptz (microseconds, so a JavaScript Date round-trips exactly), jsonb. */
export const POSTGRES_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'runs, journal, locks, audit, idempotency keys',
    sql: `
      CREATE TABLE runs (
        id text PRIMARY KEY,
        runbook text NOT NULL,
        service_key text NOT NULL,
        state text NOT NULL,
        requester_id text NOT NULL,
        channel_id text NOT NULL,
        message_ts text,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        expires_at timestamptz NOT NULL,
        decided_by text,
        decided_at timestamptz,
        plan jsonb NOT NULL,
        data jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(data) = 'object')
      );
      CREATE INDEX runs_created_at ON runs (created_at DESC, id DESC);
      CREATE INDEX runs_state ON runs (state);
      CREATE INDEX runs_service_key ON runs (service_key);

      CREATE TABLE run_transitions (
        seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        run_id text NOT NULL REFERENCES runs (id),
        from_state text NOT NULL,
        to_state text NOT NULL,
        at timestamptz NOT NULL,
        actor_id text,
        detail text
      );
      CREATE INDEX run_transitions_run_id ON run_transitions (run_id, seq);

      CREATE TABLE locks (
        service_key text PRIMARY KEY,
        owner_id text NOT NULL,
        holder_id text NOT NULL,
        reason text NOT NULL,
        acquired_at timestamptz NOT NULL,
        expires_at timestamptz NOT NULL
      );

      CREATE TABLE audit (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        at timestamptz NOT NULL,
        actor_id text NOT NULL,
        action text NOT NULL,
        run_id text,
        outcome text NOT NULL
      );
      CREATE INDEX audit_at ON audit (at DESC, id DESC);

      CREATE TABLE idempotency_keys (
        key text PRIMARY KEY,
        claimed_at timestamptz NOT NULL,
        expires_at timestamptz NOT NULL
      );
      CREATE INDEX idempotency_keys_expires_at ON idempotency_keys (expires_at);
    `,
  },
  {
    version: 2,
    name: 'outbox',
    sql: `
      CREATE TABLE outbox (
        seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        id text NOT NULL UNIQUE,
        run_id text,
        kind text NOT NULL,
        payload jsonb NOT NULL,
        created_at timestamptz NOT NULL,
        attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
        next_attempt_at timestamptz NOT NULL,
        last_attempt_at timestamptz,
        delivered_at timestamptz,
        last_error text,
        result jsonb,
        claimed_by text,
        claimed_until timestamptz,
        CHECK ((claimed_by IS NULL) = (claimed_until IS NULL))
      );
      -- Claims scan the undelivered items in creation order; delivered ones stay out of this index.
      CREATE INDEX outbox_pending ON outbox (created_at, seq) WHERE delivered_at IS NULL;
      CREATE INDEX outbox_run_id ON outbox (run_id, created_at, seq);
    `,
  },
  {
    version: 3,
    name: 'action requests',
    sql: `
      CREATE TABLE action_requests (
        id text PRIMARY KEY,
        kind text NOT NULL,
        runbook text NOT NULL,
        subject text NOT NULL,
        requested_by text NOT NULL,
        created_at timestamptz NOT NULL,
        expires_at timestamptz NOT NULL,
        decided_by text,
        decided_at timestamptz,
        CHECK ((decided_by IS NULL) = (decided_at IS NULL))
      );
    `,
  },
  {
    version: 4,
    name: 'approvals',
    sql: `
      CREATE TABLE approvals (
        run_id text NOT NULL REFERENCES runs (id),
        user_id text NOT NULL,
        at timestamptz NOT NULL,
        PRIMARY KEY (run_id, user_id)
      );
    `,
  },
];

const appliedRowSchema = z.object({ version: z.coerce.number().int(), name: z.string() });

/** The migrations still to apply, after checking the applied ones are the ones this code knows. */
function pending(
  migrations: readonly Migration[],
  appliedRows: readonly unknown[],
  dialect: string,
): readonly Migration[] {
  const applied = new Map(
    parseRows(appliedRowSchema, appliedRows, 'schema_migrations').map((r) => [r.version, r.name]),
  );
  for (const migration of migrations) {
    const name = applied.get(migration.version);
    if (name !== undefined && name !== migration.name) {
      throw new StoreError(
        'migration',
        `${dialect} migration ${migration.version} was applied as '${name}' but this code calls it '${migration.name}'`,
        { version: migration.version, applied: name, expected: migration.name },
      );
    }
  }
  // A newer version than ours is left alone: during a rolling deploy an older instance may
  // restart against a schema a newer one migrated, and migrations are additive.
  return migrations.filter((migration) => !applied.has(migration.version));
}

function checkOrdered(migrations: readonly Migration[]): void {
  migrations.forEach((migration, index) => {
    const previous = migrations[index - 1];
    if (previous !== undefined && migration.version <= previous.version) {
      throw new StoreError(
        'migration',
        `migration versions must increase: ${previous.version} then ${migration.version}`,
      );
    }
  });
}

/**
 * Applies the pending SQLite migrations in one IMMEDIATE transaction, which takes the write
 * lock up front, so a second process opening the same file waits (busy_timeout) and then
 * finds nothing to do.
 */
export function migrateSqlite(db: Database, migrations: readonly Migration[] = SQLITE_MIGRATIONS): void {
  checkOrdered(migrations);
  const migrate = db.transaction(() => {
    db.exec(`
      CREATE TABLE IF NOT EXISTS schema_migrations (
        version INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        applied_at INTEGER NOT NULL
      ) STRICT
    `);
    const rows = db.prepare('SELECT version, name FROM schema_migrations').all();
    const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
    for (const migration of pending(migrations, rows, 'SQLite')) {
      db.exec(migration.sql);
      record.run(migration.version, migration.name, Date.now());
    }
  });
  migrate.immediate();
}

/** Any 64-bit constant works; this one is 'liftoff' in ASCII, so it is recognisable in pg_locks. */
const MIGRATION_LOCK_KEY = '0x6c6966746f6666';

/**
 * Applies the pending PostgreSQL migrations. Call it inside a transaction: it first takes a
 * transaction-scoped advisory lock, so several instances opening the same database at once
 * apply each migration exactly once (the others wait for the lock, then find nothing pending),
 * and PostgreSQL DDL is transactional, so a failed migration leaves nothing half-applied.
 */
export async function migratePostgres(
  client: ClientBase,
  migrations: readonly Migration[] = POSTGRES_MIGRATIONS,
): Promise<void> {
  checkOrdered(migrations);
  await client.query(`SELECT pg_advisory_xact_lock(${BigInt(MIGRATION_LOCK_KEY).toString()})`);
  await client.query(`
    CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY,
      name text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )
  `);
  const applied = await client.query('SELECT version, name FROM schema_migrations');
  const rows: unknown[] = applied.rows;
  for (const migration of pending(migrations, rows, 'PostgreSQL')) {
    await client.query(migration.sql);
    await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [
      migration.version,
      migration.name,
    ]);
  }
}
