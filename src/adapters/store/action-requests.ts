import type { Database } from 'better-sqlite3';
import type { Pool } from 'pg';
import { z } from 'zod';
import type { ActionRequest, NewActionRequest } from '../../deploy/ports/index.js';
import {
  type Dialect,
  StoreError,
  epochMs,
  hasErrorCode,
  parseRow,
  postgresDialect,
  sqliteDialect,
  validDate,
} from './row-schemas.js';
import { query } from './postgres-connection.js';

/** The `action_requests` table (migration 3) for both dialects: kept apart from the run and outbox tables. */
function actionRequestRowSchema(dialect: Dialect) {
  return z
    .object({
      id: z.string(),
      kind: z.literal('rollback'),
      runbook: z.string(),
      subject: z.string(),
      requested_by: z.string(),
      created_at: dialect.time,
      expires_at: dialect.time,
      decided_by: z.string().nullable(),
      decided_at: dialect.time.nullable(),
    })
    .transform((row): ActionRequest => ({
      id: row.id,
      kind: row.kind,
      runbook: row.runbook,
      subject: row.subject,
      requestedBy: row.requested_by,
      createdAt: row.created_at,
      expiresAt: row.expires_at,
      decidedBy: row.decided_by,
      decidedAt: row.decided_at,
    }));
}

const sqliteRow = actionRequestRowSchema(sqliteDialect);
const postgresRow = actionRequestRowSchema(postgresDialect);

const duplicate = (id: string, cause: unknown): StoreError =>
  new StoreError('invalid_input', `an action request with id ${id} already exists`, { id }, { cause });

export class SqliteActionRequests {
  readonly #insert;
  readonly #select;
  readonly #decide;

  constructor(db: Database) {
    this.#insert = db.prepare(
      `INSERT INTO action_requests (id, kind, runbook, subject, requested_by, created_at, expires_at)
       VALUES (@id, @kind, @runbook, @subject, @requested_by, @created_at, @expires_at) RETURNING *`,
    );
    this.#select = db.prepare('SELECT * FROM action_requests WHERE id = ?');
    this.#decide = db.prepare(
      `UPDATE action_requests SET decided_by = @by, decided_at = @at
       WHERE id = @id AND decided_by IS NULL AND expires_at > @at`,
    );
  }

  create(request: NewActionRequest): ActionRequest {
    try {
      const row = this.#insert.get({
        id: request.id,
        kind: request.kind,
        runbook: request.runbook,
        subject: request.subject,
        requested_by: request.requestedBy,
        created_at: epochMs(request.createdAt, 'createdAt'),
        expires_at: epochMs(request.expiresAt, 'expiresAt'),
      });
      return parseRow(sqliteRow, row, 'action_requests');
    } catch (error) {
      if (hasErrorCode(error, 'SQLITE_CONSTRAINT_PRIMARYKEY')) throw duplicate(request.id, error);
      throw error;
    }
  }

  get(id: string): ActionRequest | undefined {
    const row = this.#select.get(id);
    return row === undefined ? undefined : parseRow(sqliteRow, row, 'action_requests');
  }

  decide(id: string, by: string, at: Date): boolean {
    return this.#decide.run({ id, by, at: epochMs(at, 'at') }).changes === 1;
  }
}

export async function createPostgresActionRequest(pool: Pool, request: NewActionRequest): Promise<ActionRequest> {
  try {
    const inserted = await query(
      pool,
      `INSERT INTO action_requests (id, kind, runbook, subject, requested_by, created_at, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *`,
      [
        request.id,
        request.kind,
        request.runbook,
        request.subject,
        request.requestedBy,
        validDate(request.createdAt, 'createdAt'),
        validDate(request.expiresAt, 'expiresAt'),
      ],
    );
    return parseRow(postgresRow, inserted.rows[0], 'action_requests');
  } catch (error) {
    if (hasErrorCode(error, '23505')) throw duplicate(request.id, error);
    throw error;
  }
}

export async function getPostgresActionRequest(pool: Pool, id: string): Promise<ActionRequest | undefined> {
  const selected = await query(pool, 'SELECT * FROM action_requests WHERE id = $1', [id]);
  const [row] = selected.rows;
  return row === undefined ? undefined : parseRow(postgresRow, row, 'action_requests');
}

export async function decidePostgresActionRequest(pool: Pool, id: string, by: string, at: Date): Promise<boolean> {
  // One guarded UPDATE: two approvers clicking at once both run it, and only one row count is 1.
  const updated = await query(
    pool,
    `UPDATE action_requests SET decided_by = $2, decided_at = $3
     WHERE id = $1 AND decided_by IS NULL AND expires_at > $3`,
    [id, by, validDate(at, 'at')],
  );
  return updated.rowCount === 1;
}
