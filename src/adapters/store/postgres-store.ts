import { Pool } from 'pg';
import type { PoolClient } from 'pg';
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
import {
  createPostgresActionRequest,
  decidePostgresActionRequest,
  getPostgresActionRequest,
} from './action-requests.js';
import { recordPostgresApproval } from './approvals.js';
import {
  claimPostgresOutbox,
  completePostgresOutbox,
  enqueuePostgresOutbox,
  failPostgresOutbox,
  listPostgresOutbox,
} from './postgres-outbox.js';
import { migratePostgres } from './migrations.js';
import { inTransaction, pgErrorCode, query } from './postgres-connection.js';
import {
  StoreError,
  auditRowSchema,
  jsonPatch,
  jsonText,
  lockRowSchema,
  parseRow,
  parseRows,
  postgresDialect,
  runRowSchema,
  sqlLimit,
  stateCounts,
  transitionRowSchema,
  validDate,
} from './row-schemas.js';

export interface PostgresStoreOptions {
  readonly connectionString: string;
  /** Most connections this instance opens; 10 by default. */
  readonly maxConnections?: number;
  /**
   * Told when an idle pooled connection fails (the server restarted, a proxy cut it). The pool
   * has already dropped that connection and the next query opens a new one, so by default
   * nothing else needs doing; without any listener `pg` would crash the process instead.
   */
  readonly onIdleConnectionError?: (error: Error) => void;
}

const runRow = runRowSchema(postgresDialect);
const transitionRow = transitionRowSchema(postgresDialect);
const lockRow = lockRowSchema(postgresDialect);
const auditRow = auditRowSchema(postgresDialect);

const UNIQUE_VIOLATION = '23505';
/** Expired idempotency keys are deleted at most this often per instance (they are dead weight, not wrong). */
const PRUNE_INTERVAL_MS = 10 * 60 * 1000;

/** Thrown inside a transaction to roll it back and hand a failure result to the caller. */
class Refusal extends Error {
  constructor(readonly result: TransitionResult) {
    super(`transition refused: ${result.ok ? 'ok' : result.reason}`);
  }
}

/**
 * Opens the shared store: PostgreSQL through a `pg` pool, migrated on open. Several instances
 * may share one database: each transition is one transaction that locks the run's row
 * (SELECT … FOR UPDATE) before its guarded UPDATE, and leases and idempotency keys are taken
 * with INSERT … ON CONFLICT DO UPDATE … WHERE, so concurrent writers serialise in the database.
 * Rows are always locked in the same order (run, then lease), so two transitions cannot deadlock.
 */
export async function openPostgresStore(options: PostgresStoreOptions): Promise<Store> {
  const pool = new Pool({
    connectionString: options.connectionString,
    max: options.maxConnections ?? 10,
    connectionTimeoutMillis: 10_000,
  });
  const onIdleError = options.onIdleConnectionError;
  pool.on('error', (error) => onIdleError?.(error));
  try {
    await inTransaction(pool, (client) => migratePostgres(client));
  } catch (error) {
    await pool.end();
    throw error;
  }
  return new PostgresStore(pool);
}

const LOCK_COLUMNS = 'service_key, owner_id, holder_id, reason, acquired_at, expires_at';

const UPSERT_LOCK = `
  INSERT INTO locks (${LOCK_COLUMNS})
  VALUES ($1, $2, $3, $4, $5, $6)
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
  RETURNING ${LOCK_COLUMNS}
`;

/**
 * Takes the lease inside the caller's transaction. When it is refused, ON CONFLICT has locked
 * the holder's row, so the SELECT that follows reads the lease that won and it cannot change
 * before the transaction ends.
 */
async function takeLease(client: PoolClient, lease: LockLease): Promise<LockResult> {
  const taken = await query(client, UPSERT_LOCK, [
    lease.serviceKey,
    lease.ownerId,
    lease.holderId,
    lease.reason,
    validDate(lease.acquiredAt, 'lock acquiredAt'),
    validDate(lease.expiresAt, 'lock expiresAt'),
  ]);
  const row = taken.rows[0];
  if (row !== undefined) {
    return { ok: true, lock: parseRow(lockRow, row, 'locks') };
  }
  const held = await query(client, `SELECT ${LOCK_COLUMNS} FROM locks WHERE service_key = $1`, [lease.serviceKey]);
  return { ok: false, lock: parseRow(lockRow, held.rows[0], 'locks') };
}

class PostgresStore implements Store {
  readonly #pool: Pool;
  readonly #inFlight = new Set<Promise<unknown>>();
  #closing: Promise<void> | undefined;
  #lastPruneMs = Number.NEGATIVE_INFINITY;

  constructor(pool: Pool) {
    this.#pool = pool;
  }

  /** Runs one operation, refusing it once close() began, and remembers it until it settles so close() can wait. */
  #call<T>(operation: (pool: Pool) => Promise<T>): Promise<T> {
    if (this.#closing !== undefined) {
      return Promise.reject(new StoreError('closed', 'the PostgreSQL store is closed'));
    }
    const pending = operation(this.#pool);
    const settled = pending.then(
      () => undefined,
      () => undefined,
    );
    this.#inFlight.add(settled);
    void settled.then(() => this.#inFlight.delete(settled));
    return pending;
  }

  createRun(run: NewRun): Promise<Run> {
    return this.#call(async (pool) => {
      try {
        const inserted = await query(
          pool,
          `INSERT INTO runs (id, runbook, service_key, state, requester_id, channel_id, message_ts,
                             created_at, updated_at, expires_at, decided_by, decided_at, plan, data)
           VALUES ($1, $2, $3, 'requested', $4, $5, NULL, $6, $6, $7, NULL, NULL, $8::jsonb, '{}'::jsonb)
           RETURNING *`,
          [
            run.id,
            run.runbook,
            run.serviceKey,
            run.requesterId,
            run.channelId,
            validDate(run.createdAt, 'createdAt'),
            validDate(run.expiresAt, 'expiresAt'),
            jsonText(run.plan, 'plan'),
          ],
        );
        return parseRow(runRow, inserted.rows[0], 'runs');
      } catch (error) {
        if (pgErrorCode(error) === UNIQUE_VIOLATION) {
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
    return this.#call(async (pool) => {
      const row = (await query(pool, 'SELECT * FROM runs WHERE id = $1', [id])).rows[0];
      return row === undefined ? undefined : parseRow(runRow, row, 'runs');
    });
  }

  listRuns(filter: RunFilter): Promise<Run[]> {
    return this.#call(async (pool) => {
      const { rows } = await query(
        pool,
        `SELECT * FROM runs
         WHERE ($1::text[] IS NULL OR state = ANY ($1::text[]))
           AND ($2::text IS NULL OR runbook = $2)
           AND ($3::text IS NULL OR service_key = $3)
           AND ($4::text IS NULL OR requester_id = $4)
         ORDER BY created_at DESC, id DESC
         LIMIT $5`,
        [
          filter.states === undefined ? null : [...filter.states],
          filter.runbook ?? null,
          filter.serviceKey ?? null,
          filter.requesterId ?? null,
          // LIMIT NULL is no limit.
          sqlLimit(filter.limit),
        ],
      );
      return parseRows(runRow, rows, 'runs');
    });
  }

  transition(request: TransitionRequest): Promise<TransitionResult> {
    return this.#call(async (pool) => {
      const at = validDate(request.at, 'transition at');
      const decidedAt = request.decision === undefined ? undefined : validDate(request.decision.at, 'decision at');
      const patch = jsonText(request.data === undefined ? {} : jsonPatch(request.data, 'data'), 'data');
      try {
        return await inTransaction(pool, async (client): Promise<TransitionResult> => {
          // The row lock makes every other transition of this run wait here, then read the state this one wrote.
          const current = (await query(client, 'SELECT * FROM runs WHERE id = $1 FOR UPDATE', [request.runId])).rows[0];
          if (current === undefined) {
            return { ok: false, reason: 'not_found' };
          }
          const run = parseRow(runRow, current, 'runs');
          if (!request.from.includes(run.state)) {
            return { ok: false, reason: 'wrong_state', run };
          }
          if (request.releaseLock === true) {
            await query(client, 'DELETE FROM locks WHERE service_key = $1 AND owner_id = $2', [run.serviceKey, run.id]);
          }
          if (request.acquireLock !== undefined) {
            const lease = await takeLease(client, request.acquireLock);
            if (!lease.ok) {
              throw new Refusal({ ok: false, reason: 'locked', lock: lease.lock });
            }
          }
          const updated = (
            await query(
              client,
              `UPDATE runs
               SET state = $2, updated_at = $3, decided_by = $4, decided_at = $5, data = data || $6::jsonb
               WHERE id = $1 AND state = ANY ($7::text[])
               RETURNING *`,
              [
                run.id,
                request.to,
                at,
                request.decision?.by ?? run.decidedBy,
                decidedAt ?? run.decidedAt,
                patch,
                [...request.from],
              ],
            )
          ).rows[0];
          if (updated === undefined) {
            // Unreachable while this transaction holds the row lock; kept as the guard itself.
            throw new Refusal({ ok: false, reason: 'wrong_state', run });
          }
          await query(
            client,
            `INSERT INTO run_transitions (run_id, from_state, to_state, at, actor_id, detail)
             VALUES ($1, $2, $3, $4, $5, $6)`,
            [run.id, run.state, request.to, at, request.actorId, request.detail ?? null],
          );
          return { ok: true, run: parseRow(runRow, updated, 'runs') };
        });
      } catch (error) {
        if (error instanceof Refusal) {
          return error.result;
        }
        throw error;
      }
    });
  }

  setMessageTs(runId: string, messageTs: string): Promise<boolean> {
    return this.#call(async (pool) => {
      const updated = await query(pool, 'UPDATE runs SET message_ts = $2 WHERE id = $1 AND message_ts IS NULL', [
        runId,
        messageTs,
      ]);
      return updated.rowCount > 0;
    });
  }

  updateRunData(runId: string, data: Readonly<Record<string, unknown>>): Promise<Run | undefined> {
    return this.#call(async (pool) => {
      // jsonb || jsonb merges the top-level keys in one statement, so concurrent patches never lose each other's keys.
      const row = (
        await query(pool, 'UPDATE runs SET data = data || $2::jsonb WHERE id = $1 RETURNING *', [
          runId,
          jsonText(jsonPatch(data, 'data'), 'data'),
        ])
      ).rows[0];
      return row === undefined ? undefined : parseRow(runRow, row, 'runs');
    });
  }

  journal(runId: string): Promise<TransitionRecord[]> {
    return this.#call(async (pool) => {
      const { rows } = await query(
        pool,
        `SELECT run_id, from_state, to_state, at, actor_id, detail
         FROM run_transitions WHERE run_id = $1 ORDER BY seq`,
        [runId],
      );
      return parseRows(transitionRow, rows, 'run_transitions');
    });
  }

  acquireLock(lease: LockLease): Promise<LockResult> {
    return this.#call((pool) => inTransaction(pool, (client) => takeLease(client, lease)));
  }

  releaseLock(serviceKey: string, ownerId: string): Promise<boolean> {
    return this.#call(async (pool) => {
      const deleted = await query(pool, 'DELETE FROM locks WHERE service_key = $1 AND owner_id = $2', [
        serviceKey,
        ownerId,
      ]);
      return deleted.rowCount > 0;
    });
  }

  getLock(serviceKey: string, now: Date): Promise<LockLease | undefined> {
    return this.#call(async (pool) => {
      const row = (
        await query(pool, `SELECT ${LOCK_COLUMNS} FROM locks WHERE service_key = $1 AND expires_at > $2`, [
          serviceKey,
          validDate(now, 'now'),
        ])
      ).rows[0];
      return row === undefined ? undefined : parseRow(lockRow, row, 'locks');
    });
  }

  listLocks(now: Date): Promise<LockLease[]> {
    return this.#call(async (pool) => {
      const { rows } = await query(
        pool,
        `SELECT ${LOCK_COLUMNS} FROM locks WHERE expires_at > $1 ORDER BY service_key`,
        [validDate(now, 'now')],
      );
      return parseRows(lockRow, rows, 'locks');
    });
  }

  appendAudit(entry: AuditEntry): Promise<void> {
    return this.#call(async (pool) => {
      await query(pool, 'INSERT INTO audit (at, actor_id, action, run_id, outcome) VALUES ($1, $2, $3, $4, $5)', [
        validDate(entry.at, 'audit at'),
        entry.actorId,
        entry.action,
        entry.runId,
        entry.outcome,
      ]);
    });
  }

  listAudit(limit: number): Promise<AuditEntry[]> {
    return this.#call(async (pool) => {
      const { rows } = await query(
        pool,
        'SELECT at, actor_id, action, run_id, outcome FROM audit ORDER BY at DESC, id DESC LIMIT $1',
        [sqlLimit(limit)],
      );
      return parseRows(auditRow, rows, 'audit');
    });
  }

  claimIdempotencyKey(key: string, now: Date, expiresAt: Date): Promise<boolean> {
    return this.#call(async (pool) => {
      // A concurrent claim of the same key waits on ON CONFLICT, then sees the winner's unexpired row: false.
      const claimed = await query(
        pool,
        `INSERT INTO idempotency_keys (key, claimed_at, expires_at) VALUES ($1, $2, $3)
         ON CONFLICT (key) DO UPDATE SET claimed_at = excluded.claimed_at, expires_at = excluded.expires_at
         WHERE idempotency_keys.expires_at <= excluded.claimed_at`,
        [key, validDate(now, 'now'), validDate(expiresAt, 'expiresAt')],
      );
      await this.#pruneKeys(pool, now);
      return claimed.rowCount === 1;
    });
  }

  /**
   * Deletes expired keys now and then. SKIP LOCKED leaves rows another transaction is claiming
   * alone, so pruning never waits on, or deadlocks with, a concurrent claim.
   */
  async #pruneKeys(pool: Pool, now: Date): Promise<void> {
    if (now.getTime() - this.#lastPruneMs < PRUNE_INTERVAL_MS) {
      return;
    }
    this.#lastPruneMs = now.getTime();
    await query(
      pool,
      `DELETE FROM idempotency_keys WHERE key IN (
         SELECT key FROM idempotency_keys WHERE expires_at <= $1 ORDER BY expires_at LIMIT 1000 FOR UPDATE SKIP LOCKED
       )`,
      [now],
    );
  }

  countRunsByState(): Promise<Partial<Record<RunState, number>>> {
    return this.#call(async (pool) => {
      const { rows } = await query(pool, 'SELECT state, count(*) AS count FROM runs GROUP BY state');
      return stateCounts(rows);
    });
  }

  createActionRequest(request: NewActionRequest): Promise<ActionRequest> {
    return this.#call((pool) => createPostgresActionRequest(pool, request));
  }

  getActionRequest(id: string): Promise<ActionRequest | undefined> {
    return this.#call((pool) => getPostgresActionRequest(pool, id));
  }

  decideActionRequest(id: string, by: string, at: Date): Promise<boolean> {
    return this.#call((pool) => decidePostgresActionRequest(pool, id, by, at));
  }

  recordApproval(approval: Approval): Promise<readonly Approval[]> {
    return this.#call((pool) => recordPostgresApproval(pool, approval));
  }

  enqueueOutbox(item: NewOutboxItem): Promise<boolean> {
    return this.#call((pool) => enqueuePostgresOutbox(pool, item));
  }

  claimOutbox(claim: OutboxClaim): Promise<OutboxItem[]> {
    return this.#call((pool) => claimPostgresOutbox(pool, claim));
  }

  completeOutbox(completion: OutboxCompletion): Promise<boolean> {
    return this.#call((pool) => completePostgresOutbox(pool, completion));
  }

  failOutbox(failure: OutboxFailure): Promise<boolean> {
    return this.#call((pool) => failPostgresOutbox(pool, failure));
  }

  listOutbox(filter: OutboxFilter): Promise<OutboxItem[]> {
    return this.#call((pool) => listPostgresOutbox(pool, filter));
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      await Promise.all([...this.#inFlight]);
      await this.#pool.end();
    })();
    return this.#closing;
  }
}
