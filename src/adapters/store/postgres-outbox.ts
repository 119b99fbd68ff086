import type { Pool } from 'pg';
import type {
  NewOutboxItem,
  OutboxClaim,
  OutboxCompletion,
  OutboxFailure,
  OutboxFilter,
  OutboxItem,
} from '../../deploy/ports/index.js';
import { jsonText, leaseEnd, outboxRowSchema, parseRows, postgresDialect, sqlLimit, validDate } from './row-schemas.js';
import { query } from './postgres-connection.js';

/** The outbox (migration 2) on PostgreSQL: the store delegates its five outbox calls here. */
const outboxRow = outboxRowSchema(postgresDialect);

const OUTBOX_COLUMNS =
  'id, run_id, kind, payload, created_at, attempts, next_attempt_at, delivered_at, last_error, result';

/**
 * One statement that picks the due items and claims them. FOR UPDATE SKIP LOCKED passes over the
 * rows a concurrent claim (from any replica) has locked instead of waiting for them; a row that
 * claim has already committed is locked in its new version and its WHERE checked again (READ
 * COMMITTED re-evaluation), where the new claimed_until fails it. So two claims never share an item.
 */
const CLAIM_OUTBOX = `
  WITH due AS (
    SELECT seq FROM outbox
    WHERE delivered_at IS NULL
      AND next_attempt_at <= $1
      AND (claimed_until IS NULL OR claimed_until <= $1)
      AND ($2::text[] IS NULL OR kind = ANY ($2::text[]))
    ORDER BY created_at, seq
    LIMIT $3
    FOR UPDATE SKIP LOCKED
  ), claimed AS (
    UPDATE outbox SET claimed_by = $4, claimed_until = $5
    FROM due WHERE outbox.seq = due.seq
    RETURNING outbox.*
  )
  SELECT ${OUTBOX_COLUMNS} FROM claimed ORDER BY created_at, seq
`;

export async function enqueuePostgresOutbox(pool: Pool, item: NewOutboxItem): Promise<boolean> {
  const at = validDate(item.at, 'outbox at');
  // A concurrent enqueue of the same id waits on the unique index, then does nothing: false.
  const inserted = await query(
    pool,
    `INSERT INTO outbox (id, run_id, kind, payload, created_at, attempts, next_attempt_at)
     VALUES ($1, $2, $3, $4::jsonb, $5, 0, $5)
     ON CONFLICT (id) DO NOTHING`,
    [item.id, item.runId, item.kind, jsonText(item.payload, 'payload'), at],
  );
  return inserted.rowCount === 1;
}

export async function claimPostgresOutbox(pool: Pool, claim: OutboxClaim): Promise<OutboxItem[]> {
  const until = leaseEnd(claim.now, claim.leaseMs);
  const claimed = await query(pool, CLAIM_OUTBOX, [
    claim.now,
    claim.kinds === undefined ? null : [...claim.kinds],
    sqlLimit(claim.limit),
    claim.owner,
    until,
  ]);
  return parseRows(outboxRow, claimed.rows, 'outbox');
}

export async function completePostgresOutbox(pool: Pool, completion: OutboxCompletion): Promise<boolean> {
  const updated = await query(
    pool,
    `UPDATE outbox
     SET delivered_at = $3, last_attempt_at = $3, result = $4::jsonb, claimed_by = NULL, claimed_until = NULL
     WHERE id = $1 AND claimed_by = $2 AND delivered_at IS NULL`,
    [completion.id, completion.owner, validDate(completion.at, 'completion at'), jsonText(completion.result, 'result')],
  );
  return updated.rowCount === 1;
}

export async function failPostgresOutbox(pool: Pool, failure: OutboxFailure): Promise<boolean> {
  const updated = await query(
    pool,
    `UPDATE outbox
     SET attempts = attempts + 1, last_attempt_at = $3, last_error = $4, next_attempt_at = $5,
         claimed_by = NULL, claimed_until = NULL
     WHERE id = $1 AND claimed_by = $2 AND delivered_at IS NULL`,
    [
      failure.id,
      failure.owner,
      validDate(failure.at, 'failure at'),
      failure.error,
      validDate(failure.nextAttemptAt, 'nextAttemptAt'),
    ],
  );
  return updated.rowCount === 1;
}

export async function listPostgresOutbox(pool: Pool, filter: OutboxFilter): Promise<OutboxItem[]> {
  const listed = await query(
    pool,
    `SELECT ${OUTBOX_COLUMNS} FROM outbox
     WHERE ($1::text IS NULL OR run_id = $1)
       AND ($2::boolean IS NULL OR (delivered_at IS NULL) = $2)
     ORDER BY created_at, seq`,
    [filter.runId ?? null, filter.pending ?? null],
  );
  return parseRows(outboxRow, listed.rows, 'outbox');
}
