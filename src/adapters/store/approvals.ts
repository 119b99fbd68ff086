import type { Database } from 'better-sqlite3';
import type { Pool } from 'pg';
import { z } from 'zod';
import type { Approval } from '../../deploy/ports/index.js';
import { type Dialect, epochMs, parseRows, postgresDialect, sqliteDialect, validDate } from './row-schemas.js';
import { query } from './postgres-connection.js';

/** The `approvals` table (migration 4) for both dialects: one row per run and approver. */
function approvalRowSchema(dialect: Dialect) {
  return z
    .object({ run_id: z.string(), user_id: z.string(), at: dialect.time })
    .transform((row): Approval => ({ runId: row.run_id, userId: row.user_id, at: row.at }));
}

const sqliteRow = approvalRowSchema(sqliteDialect);
const postgresRow = approvalRowSchema(postgresDialect);

export class SqliteApprovals {
  readonly #record;

  constructor(db: Database) {
    const insert = db.prepare('INSERT INTO approvals (run_id, user_id, at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING');
    const select = db.prepare('SELECT * FROM approvals WHERE run_id = ? ORDER BY at, user_id');
    this.#record = db.transaction((approval: Approval): Approval[] => {
      insert.run(approval.runId, approval.userId, epochMs(approval.at, 'at'));
      return parseRows(sqliteRow, select.all(approval.runId), 'approvals');
    });
  }

  record(approval: Approval): Approval[] {
    return this.#record.immediate(approval);
  }
}

export async function recordPostgresApproval(pool: Pool, approval: Approval): Promise<Approval[]> {
  // ON CONFLICT waits for a concurrent insert of the same person, then keeps theirs: one person counts once.
  await query(pool, 'INSERT INTO approvals (run_id, user_id, at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [
    approval.runId,
    approval.userId,
    validDate(approval.at, 'at'),
  ]);
  const selected = await query(pool, 'SELECT * FROM approvals WHERE run_id = $1 ORDER BY at, user_id', [
    approval.runId,
  ]);
  return parseRows(postgresRow, selected.rows, 'approvals');
}
