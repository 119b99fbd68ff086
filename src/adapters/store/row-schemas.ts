import { z } from 'zod';
import type { AuditEntry, LockLease, OutboxItem } from '../../deploy/ports/index.js';
import { RUN_STATES } from '../../deploy/run.js';
import type { Run, RunState, TransitionRecord } from '../../deploy/run.js';

export type StoreErrorCode =
  /** The store was closed; open a new one. */
  | 'closed'
  /** createRun with an id that already exists. */
  | 'duplicate_run'
  /** A row the database returned does not have the shape this code wrote. */
  | 'corrupt_row'
  /** A value given to the store cannot be stored (an invalid Date, a non-integer limit, ...). */
  | 'invalid_input'
  /** The database kept aborting the transaction (deadlock or serialization failure) after retries. */
  | 'conflict'
  /** The database holds migrations this code does not know, or applied ones changed. */
  | 'migration';

/** A failure of the store itself (not of a guarded write, which returns a result). */
export class StoreError extends Error {
  override readonly name = 'StoreError';

  constructor(
    readonly code: StoreErrorCode,
    message: string,
    readonly context: Readonly<Record<string, unknown>> = {},
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** Whether a driver's error (better-sqlite3's or pg's) carries this code, e.g. `SQLITE_CONSTRAINT_PRIMARYKEY`. */
export function hasErrorCode(error: unknown, code: string): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && error.code === code;
}

const runState = z.enum(RUN_STATES);

const jsonObject = z.record(z.string(), z.unknown());

/**
 * Each dialect stores time its own way (SQLite: integer epoch ms; PostgreSQL: timestamptz,
 * which `pg` returns as a Date), and JSON its own way (SQLite: text; PostgreSQL: jsonb,
 * which `pg` returns parsed). The row shapes are otherwise the same.
 */
export interface Dialect {
  readonly time: z.ZodType<Date>;
  readonly json: z.ZodType<unknown>;
}

/** SQLite: epoch milliseconds and JSON text. */
export const sqliteDialect: Dialect = {
  time: z
    .number()
    .int()
    .transform((ms) => new Date(ms))
    .pipe(z.date()),
  json: z.string().transform((text, ctx): unknown => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'not JSON' });
      return z.NEVER;
    }
  }),
};

/** PostgreSQL through `pg`: Date objects and already-parsed jsonb. */
export const postgresDialect: Dialect = {
  time: z.date(),
  json: z.unknown(),
};

export function runRowSchema(dialect: Dialect) {
  return z
    .object({
      id: z.string(),
      runbook: z.string(),
      service_key: z.string(),
      state: runState,
      requester_id: z.string(),
      channel_id: z.string(),
      message_ts: z.string().nullable(),
      created_at: dialect.time,
      updated_at: dialect.time,
      expires_at: dialect.time,
      decided_by: z.string().nullable(),
      decided_at: dialect.time.nullable(),
      plan: dialect.json,
      data: dialect.json.pipe(jsonObject),
    })
    .transform((row): Run => ({
      id: row.id,
      runbook: row.runbook,
      serviceKey: row.service_key,
      state: row.state,
      requesterId: row.requester_id,
      channelId: row.channel_id,
      messageTs: row.message_ts,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
      expiresAt: row.expires_at,
      decidedBy: row.decided_by,
      decidedAt: row.decided_at,
      plan: row.plan,
      data: row.data,
    }));
}

export function transitionRowSchema(dialect: Dialect) {
  return z
    .object({
      run_id: z.string(),
      from_state: runState,
      to_state: runState,
      at: dialect.time,
      actor_id: z.string().nullable(),
      detail: z.string().nullable(),
    })
    .transform((row): TransitionRecord => ({
      runId: row.run_id,
      from: row.from_state,
      to: row.to_state,
      at: row.at,
      actorId: row.actor_id,
      detail: row.detail,
    }));
}

export function lockRowSchema(dialect: Dialect) {
  return z
    .object({
      service_key: z.string(),
      owner_id: z.string(),
      holder_id: z.string(),
      reason: z.string(),
      acquired_at: dialect.time,
      expires_at: dialect.time,
    })
    .transform((row): LockLease => ({
      serviceKey: row.service_key,
      ownerId: row.owner_id,
      holderId: row.holder_id,
      reason: row.reason,
      acquiredAt: row.acquired_at,
      expiresAt: row.expires_at,
    }));
}

export function auditRowSchema(dialect: Dialect) {
  return z
    .object({
      at: dialect.time,
      actor_id: z.string(),
      action: z.string(),
      run_id: z.string().nullable(),
      outcome: z.string(),
    })
    .transform((row): AuditEntry => ({
      at: row.at,
      actorId: row.actor_id,
      action: row.action,
      runId: row.run_id,
      outcome: row.outcome,
    }));
}

export function outboxRowSchema(dialect: Dialect) {
  return z
    .object({
      id: z.string(),
      run_id: z.string().nullable(),
      kind: z.string(),
      payload: dialect.json,
      created_at: dialect.time,
      attempts: z.number().int().nonnegative(),
      next_attempt_at: dialect.time,
      delivered_at: dialect.time.nullable(),
      last_error: z.string().nullable(),
      result: dialect.json.nullable(),
    })
    .transform((row): OutboxItem => ({
      id: row.id,
      runId: row.run_id,
      kind: row.kind,
      payload: row.payload,
      createdAt: row.created_at,
      attempts: row.attempts,
      nextAttemptAt: row.next_attempt_at,
      deliveredAt: row.delivered_at,
      lastError: row.last_error,
      result: row.result,
    }));
}

/** `pg` returns count(*) (bigint) as a string; SQLite as a number. */
export const stateCountRowSchema = z.object({
  state: runState,
  count: z.union([z.number().int(), z.string().regex(/^\d+$/).transform(Number)]),
});

export function stateCounts(rows: readonly unknown[]): Partial<Record<RunState, number>> {
  const counts: Partial<Record<RunState, number>> = {};
  for (const row of parseRows(stateCountRowSchema, rows, 'runs')) {
    counts[row.state] = row.count;
  }
  return counts;
}

/** Parses one row or throws a StoreError that names the table; the driver's output is outside data. */
export function parseRow<T>(schema: z.ZodType<T>, row: unknown, table: string): T {
  const parsed = schema.safeParse(row);
  if (!parsed.success) {
    throw new StoreError(
      'corrupt_row',
      `a row of ${table} does not match its schema: ${z.prettifyError(parsed.error)}`,
      {
        table,
      },
    );
  }
  return parsed.data;
}

export function parseRows<T>(schema: z.ZodType<T>, rows: readonly unknown[], table: string): T[] {
  return rows.map((row) => parseRow(schema, row, table));
}

/** The epoch milliseconds of a Date, refusing an invalid one (it would be stored as NULL or NaN). */
export function epochMs(date: Date, field: string): number {
  const ms = date.getTime();
  if (!Number.isFinite(ms)) {
    throw new StoreError('invalid_input', `${field} is an invalid Date`, { field });
  }
  return ms;
}

/** A Date checked as epochMs does, for drivers that take Date objects. */
export function validDate(date: Date, field: string): Date {
  epochMs(date, field);
  return date;
}

/**
 * The JSON text of a value. `undefined` (which JSON cannot hold) is stored as null, and a
 * value JSON.stringify cannot serialise (a BigInt, a cycle) is refused here rather than
 * half-written.
 */
export function jsonText(value: unknown, field: string): string {
  try {
    return JSON.stringify(value) ?? 'null';
  } catch (error) {
    throw new StoreError('invalid_input', `${field} is not JSON-serialisable`, { field }, { cause: error });
  }
}

/**
 * A data patch as it will be stored: through JSON, so that a key whose value is undefined is
 * dropped (not merged as a deletion) in both adapters, exactly like PostgreSQL's `jsonb || jsonb`.
 */
export function jsonPatch(data: Readonly<Record<string, unknown>>, field: string): Record<string, unknown> {
  const parsed = jsonObject.safeParse(JSON.parse(jsonText(data, field)));
  if (!parsed.success) {
    throw new StoreError('invalid_input', `${field} must be a JSON object`, { field });
  }
  return parsed.data;
}

/** A `limit` for SQL, refusing a negative or fractional one; null means no limit. */
export function sqlLimit(limit: number | undefined): number | null {
  if (limit === undefined) {
    return null;
  }
  if (!Number.isSafeInteger(limit) || limit < 0) {
    throw new StoreError('invalid_input', `limit must be a non-negative integer, got ${limit}`, { limit });
  }
  return limit;
}

/** A duration in milliseconds that must be a positive integer (a lease of 0 would lapse as it is taken). */
export function positiveMs(ms: number, field: string): number {
  if (!Number.isSafeInteger(ms) || ms <= 0) {
    throw new StoreError('invalid_input', `${field} must be a positive integer of milliseconds, got ${ms}`, {
      field,
      value: ms,
    });
  }
  return ms;
}

/** The end of a lease taken at `now` for `leaseMs`, refusing an invalid start or length. */
export function leaseEnd(now: Date, leaseMs: number): Date {
  return new Date(epochMs(now, 'now') + positiveMs(leaseMs, 'leaseMs'));
}
