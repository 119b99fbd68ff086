import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type {
  ActionRequest,
  Approval,
  AuditEntry,
  LockLease,
  LockResult,
  NewActionRequest,
  NewOutboxItem,
  NewRun,
  OutboxClaim,
  OutboxCompletion,
  OutboxFailure,
  OutboxFilter,
  OutboxItem,
  RunFilter,
  Store,
  TransitionRequest,
  TransitionResult,
} from '../../deploy/ports/index.js';
import type { Run, RunState, TransitionRecord } from '../../deploy/run.js';
import { SqliteActionRequests } from './action-requests.js';
import { SqliteApprovals } from './approvals.js';
import { SqliteOutbox } from './sqlite-outbox.js';
import { migrateSqlite } from './migrations.js';
import {
  StoreError,
  hasErrorCode,
  auditRowSchema,
  epochMs,
  jsonPatch,
  jsonText,
  lockRowSchema,
  parseRow,
  parseRows,
  runRowSchema,
  sqlLimit,
  sqliteDialect,
  stateCounts,
  transitionRowSchema,
} from './row-schemas.js';

export interface SqliteStoreOptions {
  /** The database file (its directory is created if missing), or ':memory:' for a private in-memory database. */
  readonly file: string;
  /** How long a write waits for another connection's write lock before failing; 5000 ms by default. */
  readonly busyTimeoutMs?: number;
}

const runRow = runRowSchema(sqliteDialect);
const transitionRow = transitionRowSchema(sqliteDialect);
const lockRow = lockRowSchema(sqliteDialect);
const auditRow = auditRowSchema(sqliteDialect);

/** Thrown inside a transaction to roll it back and hand a failure result to the caller. */
class Refusal extends Error {
  constructor(readonly result: TransitionResult) {
    super(`transition refused: ${result.ok ? 'ok' : result.reason}`);
  }
}

const UPSERT_LOCK = `
  INSERT INTO locks (service_key, owner_id, holder_id, reason, acquired_at, expires_at)
  VALUES (@service_key, @owner_id, @holder_id, @reason, @acquired_at, @expires_at)
  ON CONFLICT (service_key) DO UPDATE SET
    owner_id = excluded.owner_id,
    holder_id = excluded.holder_id,
    reason = excluded.reason,
    -- the same owner extending its live lease keeps the time it first took it
    acquired_at = CASE
      WHEN locks.owner_id = excluded.owner_id AND locks.expires_at > excluded.acquired_at THEN locks.acquired_at
      ELSE excluded.acquired_at
    END,
    expires_at = excluded.expires_at
  WHERE locks.owner_id = excluded.owner_id OR locks.expires_at <= excluded.acquired_at
  RETURNING *
`;

function lockParams(lease: LockLease) {
  return {
    service_key: lease.serviceKey,
    owner_id: lease.ownerId,
    holder_id: lease.holderId,
    reason: lease.reason,
    acquired_at: epochMs(lease.acquiredAt, 'lock acquiredAt'),
    expires_at: epochMs(lease.expiresAt, 'lock expiresAt'),
  };
}

function msOrNull(date: Date | null): number | null {
  return date === null ? null : epochMs(date, 'date');
}

/** By its code, not `instanceof`: a native module's error class is not always the one this module sees. */
function prepareStatements(db: Database.Database) {
  return {
    insertRun: db.prepare(`
      INSERT INTO runs (id, runbook, service_key, state, requester_id, channel_id, message_ts,
                        created_at, updated_at, expires_at, decided_by, decided_at, plan, data)
      VALUES (@id, @runbook, @service_key, 'requested', @requester_id, @channel_id, NULL,
              @created_at, @created_at, @expires_at, NULL, NULL, @plan, '{}')
      RETURNING *
    `),
    selectRun: db.prepare('SELECT * FROM runs WHERE id = ?'),
    listRuns: db.prepare(`
      SELECT * FROM runs
      WHERE (@states IS NULL OR state IN (SELECT value FROM json_each(@states)))
        AND (@runbook IS NULL OR runbook = @runbook)
        AND (@service_key IS NULL OR service_key = @service_key)
        AND (@requester_id IS NULL OR requester_id = @requester_id)
      ORDER BY created_at DESC, id DESC
      LIMIT @limit
    `),
    guardedUpdate: db.prepare(`
      UPDATE runs
      SET state = @to, updated_at = @at, decided_by = @decided_by, decided_at = @decided_at, data = @data
      WHERE id = @id AND state IN (SELECT value FROM json_each(@from))
      RETURNING *
    `),
    insertTransition: db.prepare(`
      INSERT INTO run_transitions (run_id, from_state, to_state, at, actor_id, detail)
      VALUES (@run_id, @from_state, @to_state, @at, @actor_id, @detail)
    `),
    journal: db.prepare(`
      SELECT run_id, from_state, to_state, at, actor_id, detail
      FROM run_transitions WHERE run_id = ? ORDER BY seq
    `),
    setMessageTs: db.prepare('UPDATE runs SET message_ts = ? WHERE id = ? AND message_ts IS NULL'),
    setData: db.prepare('UPDATE runs SET data = ? WHERE id = ? RETURNING *'),
    upsertLock: db.prepare(UPSERT_LOCK),
    selectLock: db.prepare('SELECT * FROM locks WHERE service_key = ?'),
    deleteLock: db.prepare('DELETE FROM locks WHERE service_key = ? AND owner_id = ?'),
    liveLock: db.prepare('SELECT * FROM locks WHERE service_key = ? AND expires_at > ?'),
    liveLocks: db.prepare('SELECT * FROM locks WHERE expires_at > ? ORDER BY service_key'),
    insertAudit: db.prepare(`
      INSERT INTO audit (at, actor_id, action, run_id, outcome)
      VALUES (@at, @actor_id, @action, @run_id, @outcome)
    `),
    listAudit: db.prepare(`
      SELECT at, actor_id, action, run_id, outcome FROM audit ORDER BY at DESC, id DESC LIMIT ?
    `),
    pruneKeys: db.prepare('DELETE FROM idempotency_keys WHERE expires_at <= ?'),
    claimKey: db.prepare(`
      INSERT INTO idempotency_keys (key, claimed_at, expires_at) VALUES (@key, @now, @expires_at)
      ON CONFLICT (key) DO UPDATE SET claimed_at = excluded.claimed_at, expires_at = excluded.expires_at
      WHERE idempotency_keys.expires_at <= excluded.claimed_at
    `),
    countByState: db.prepare('SELECT state, count(*) AS count FROM runs GROUP BY state'),
  };
}

type Statements = ReturnType<typeof prepareStatements>;

/**
 * Opens (creating and migrating if needed) the embedded store: one SQLite file through
 * better-sqlite3, in WAL mode so readers never block the writer. Every write runs in an
 * IMMEDIATE transaction, which takes the file's write lock before reading, so the guarded
 * writes also hold if another process opens the same file.
 */
export function openSqliteStore(options: SqliteStoreOptions): Promise<Store> {
  try {
    return Promise.resolve(new SqliteStore(options));
  } catch (error) {
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }
}

class SqliteStore implements Store {
  readonly #db: Database.Database;
  #closed = false;

  readonly #statements: Statements;
  readonly #actionRequests: SqliteActionRequests;
  readonly #approvals: SqliteApprovals;
  readonly #outbox: SqliteOutbox;
  readonly #transition;
  readonly #acquireLock;
  readonly #updateRunData;
  readonly #claimKey;

  constructor(options: SqliteStoreOptions) {
    const inMemory = options.file === ':memory:' || options.file === '';
    if (!inMemory) {
      mkdirSync(dirname(options.file), { recursive: true });
    }
    const db = new Database(options.file);
    try {
      if (!inMemory) {
        db.pragma('journal_mode = WAL');
      }
      db.pragma(`busy_timeout = ${Math.trunc(options.busyTimeoutMs ?? 5000)}`);
      db.pragma('foreign_keys = ON');
      migrateSqlite(db);
    } catch (error) {
      db.close();
      throw error;
    }
    this.#db = db;

    const s = prepareStatements(db);
    this.#statements = s;
    this.#actionRequests = new SqliteActionRequests(db);
    this.#approvals = new SqliteApprovals(db);
    this.#outbox = new SqliteOutbox(db);

    this.#transition = db.transaction((request: TransitionRequest): TransitionResult => {
      const current = s.selectRun.get(request.runId);
      if (current === undefined) {
        return { ok: false, reason: 'not_found' };
      }
      const run = parseRow(runRow, current, 'runs');
      if (!request.from.includes(run.state)) {
        return { ok: false, reason: 'wrong_state', run };
      }
      if (request.releaseLock === true) {
        s.deleteLock.run(run.serviceKey, run.id);
      }
      if (request.acquireLock !== undefined) {
        const taken = s.upsertLock.get(lockParams(request.acquireLock));
        if (taken === undefined) {
          const held = parseRow(lockRow, s.selectLock.get(request.acquireLock.serviceKey), 'locks');
          throw new Refusal({ ok: false, reason: 'locked', lock: held });
        }
      }
      const at = epochMs(request.at, 'transition at');
      const updated = s.guardedUpdate.get({
        id: run.id,
        from: JSON.stringify(request.from),
        to: request.to,
        at,
        decided_by: request.decision?.by ?? run.decidedBy,
        decided_at:
          request.decision === undefined ? msOrNull(run.decidedAt) : epochMs(request.decision.at, 'decision at'),
        data:
          request.data === undefined
            ? jsonText(run.data, 'data')
            : jsonText({ ...run.data, ...jsonPatch(request.data, 'data') }, 'data'),
      });
      if (updated === undefined) {
        // Unreachable while the IMMEDIATE transaction holds the write lock; kept as the guard itself.
        throw new Refusal({ ok: false, reason: 'wrong_state', run });
      }
      s.insertTransition.run({
        run_id: run.id,
        from_state: run.state,
        to_state: request.to,
        at,
        actor_id: request.actorId,
        detail: request.detail ?? null,
      });
      return { ok: true, run: parseRow(runRow, updated, 'runs') };
    });

    this.#acquireLock = db.transaction((lease: LockLease): LockResult => {
      const taken = s.upsertLock.get(lockParams(lease));
      if (taken !== undefined) {
        return { ok: true, lock: parseRow(lockRow, taken, 'locks') };
      }
      return { ok: false, lock: parseRow(lockRow, s.selectLock.get(lease.serviceKey), 'locks') };
    });

    this.#updateRunData = db.transaction((runId: string, patch: Record<string, unknown>): Run | undefined => {
      const current = s.selectRun.get(runId);
      if (current === undefined) {
        return undefined;
      }
      const run = parseRow(runRow, current, 'runs');
      return parseRow(runRow, s.setData.get(jsonText({ ...run.data, ...patch }, 'data'), runId), 'runs');
    });

    this.#claimKey = db.transaction((key: string, now: number, expiresAt: number): boolean => {
      s.pruneKeys.run(now);
      return s.claimKey.run({ key, now, expires_at: expiresAt }).changes === 1;
    });
  }

  /** Runs one synchronous operation as the port's promise: a throw becomes a rejection. */
  #call<T>(operation: (statements: Statements) => T): Promise<T> {
    try {
      if (this.#closed) {
        throw new StoreError('closed', 'the SQLite store is closed');
      }
      return Promise.resolve(operation(this.#statements));
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  createRun(run: NewRun): Promise<Run> {
    return this.#call((s) => {
      try {
        const row = s.insertRun.get({
          id: run.id,
          runbook: run.runbook,
          service_key: run.serviceKey,
          requester_id: run.requesterId,
          channel_id: run.channelId,
          created_at: epochMs(run.createdAt, 'createdAt'),
          expires_at: epochMs(run.expiresAt, 'expiresAt'),
          plan: jsonText(run.plan, 'plan'),
        });
        return parseRow(runRow, row, 'runs');
      } catch (error) {
        if (hasErrorCode(error, 'SQLITE_CONSTRAINT_PRIMARYKEY')) {
          throw new StoreError(
            'duplicate_run',
            `a run with id ${run.id} already exists`,
            { runId: run.id },
            { cause: error },
          );
        }
        throw error;
      }
    });
  }

  getRun(id: string): Promise<Run | undefined> {
    return this.#call((s) => {
      const row = s.selectRun.get(id);
      return row === undefined ? undefined : parseRow(runRow, row, 'runs');
    });
  }

  listRuns(filter: RunFilter): Promise<Run[]> {
    return this.#call((s) => {
      const rows = s.listRuns.all({
        states: filter.states === undefined ? null : JSON.stringify(filter.states),
        runbook: filter.runbook ?? null,
        service_key: filter.serviceKey ?? null,
        requester_id: filter.requesterId ?? null,
        // SQLite reads a negative LIMIT as no limit.
        limit: sqlLimit(filter.limit) ?? -1,
      });
      return parseRows(runRow, rows, 'runs');
    });
  }

  transition(request: TransitionRequest): Promise<TransitionResult> {
    return this.#call(() => {
      try {
        return this.#transition.immediate(request);
      } catch (error) {
        if (error instanceof Refusal) {
          return error.result;
        }
        throw error;
      }
    });
  }

  setMessageTs(runId: string, messageTs: string): Promise<boolean> {
    return this.#call((s) => s.setMessageTs.run(messageTs, runId).changes > 0);
  }

  updateRunData(runId: string, data: Readonly<Record<string, unknown>>): Promise<Run | undefined> {
    return this.#call(() => this.#updateRunData.immediate(runId, jsonPatch(data, 'data')));
  }

  journal(runId: string): Promise<TransitionRecord[]> {
    return this.#call((s) => parseRows(transitionRow, s.journal.all(runId), 'run_transitions'));
  }

  acquireLock(lease: LockLease): Promise<LockResult> {
    return this.#call(() => this.#acquireLock.immediate(lease));
  }

  releaseLock(serviceKey: string, ownerId: string): Promise<boolean> {
    return this.#call((s) => s.deleteLock.run(serviceKey, ownerId).changes > 0);
  }

  getLock(serviceKey: string, now: Date): Promise<LockLease | undefined> {
    return this.#call((s) => {
      const row = s.liveLock.get(serviceKey, epochMs(now, 'now'));
      return row === undefined ? undefined : parseRow(lockRow, row, 'locks');
    });
  }

  listLocks(now: Date): Promise<LockLease[]> {
    return this.#call((s) => parseRows(lockRow, s.liveLocks.all(epochMs(now, 'now')), 'locks'));
  }

  appendAudit(entry: AuditEntry): Promise<void> {
    return this.#call((s) => {
      s.insertAudit.run({
        at: epochMs(entry.at, 'audit at'),
        actor_id: entry.actorId,
        action: entry.action,
        run_id: entry.runId,
        outcome: entry.outcome,
      });
    });
  }

  listAudit(limit: number): Promise<AuditEntry[]> {
    return this.#call((s) => parseRows(auditRow, s.listAudit.all(sqlLimit(limit)), 'audit'));
  }

  claimIdempotencyKey(key: string, now: Date, expiresAt: Date): Promise<boolean> {
    return this.#call(() => this.#claimKey.immediate(key, epochMs(now, 'now'), epochMs(expiresAt, 'expiresAt')));
  }

  countRunsByState(): Promise<Partial<Record<RunState, number>>> {
    return this.#call((s) => stateCounts(s.countByState.all()));
  }

  createActionRequest(request: NewActionRequest): Promise<ActionRequest> {
    return this.#call(() => this.#actionRequests.create(request));
  }

  getActionRequest(id: string): Promise<ActionRequest | undefined> {
    return this.#call(() => this.#actionRequests.get(id));
  }

  decideActionRequest(id: string, by: string, at: Date): Promise<boolean> {
    return this.#call(() => this.#actionRequests.decide(id, by, at));
  }

  recordApproval(approval: Approval): Promise<readonly Approval[]> {
    return this.#call(() => this.#approvals.record(approval));
  }

  enqueueOutbox(item: NewOutboxItem): Promise<boolean> {
    return this.#call(() => this.#outbox.enqueue(item));
  }

  claimOutbox(claim: OutboxClaim): Promise<OutboxItem[]> {
    return this.#call(() => this.#outbox.claim(claim));
  }

  completeOutbox(completion: OutboxCompletion): Promise<boolean> {
    return this.#call(() => this.#outbox.complete(completion));
  }

  failOutbox(failure: OutboxFailure): Promise<boolean> {
    return this.#call(() => this.#outbox.fail(failure));
  }

  listOutbox(filter: OutboxFilter): Promise<OutboxItem[]> {
    return this.#call(() => this.#outbox.list(filter));
  }

  close(): Promise<void> {
    // better-sqlite3 is synchronous: no write is ever in flight between two calls.
    if (!this.#closed) {
      this.#closed = true;
      this.#db.close();
    }
    return Promise.resolve();
  }
}
