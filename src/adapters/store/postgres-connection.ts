import type { Pool, PoolClient, QueryConfigValues } from 'pg';
import { z } from 'zod';
import { StoreError } from './row-schemas.js';

/** How the PostgreSQL store and its table modules talk to the pool: one query shape, one transaction runner. */
/** Deadlock and serialization failures abort a transaction that would succeed if run again. */
const RETRYABLE_CODES: ReadonlySet<string> = new Set(['40001', '40P01']);
const MAX_ATTEMPTS = 5;

const pgErrorSchema = z.object({ code: z.string(), constraint: z.string().optional() });

export function pgErrorCode(error: unknown): string | undefined {
  const parsed = pgErrorSchema.safeParse(error);
  return parsed.success ? parsed.data.code : undefined;
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

export async function query(client: Pool | PoolClient, text: string, values: QueryConfigValues<unknown[]> = []) {
  const result = await client.query(text, values);
  const rows: unknown[] = result.rows;
  return { rows, rowCount: result.rowCount ?? 0 };
}

/**
 * Runs `work` in one READ COMMITTED transaction on its own connection, retrying it from the
 * start after a deadlock or serialization failure. Any throw rolls back; a connection that
 * failed (or whose rollback failed) is destroyed rather than returned to the pool.
 */
export async function inTransaction<T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    const client = await pool.connect();
    let broken: Error | undefined;
    // A connection that dies between two statements of the transaction is reported as an 'error'
    // event, not as a rejected query; unheard, that event would crash the process.
    const onError = (error: Error): void => {
      broken = error;
    };
    client.on('error', onError);
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      try {
        await client.query('ROLLBACK');
      } catch (rollbackError) {
        broken = asError(rollbackError);
      }
      const code = pgErrorCode(error);
      if (code === undefined || !RETRYABLE_CODES.has(code)) {
        throw error;
      }
      if (attempt >= MAX_ATTEMPTS) {
        throw new StoreError(
          'conflict',
          `the transaction was aborted ${attempt} times (${code})`,
          { code },
          { cause: error },
        );
      }
    } finally {
      client.off('error', onError);
      client.release(broken);
    }
  }
}
