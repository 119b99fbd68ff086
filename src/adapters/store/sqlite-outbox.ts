import type { Database } from 'better-sqlite3';
import { z } from 'zod';
import type {
  NewOutboxItem,
  OutboxClaim,
  OutboxCompletion,
  OutboxFailure,
  OutboxFilter,
  OutboxItem,
} from '../../deploy/ports/index.js';
import {
  epochMs,
  jsonText,
  leaseEnd,
  outboxRowSchema,
  parseRow,
  parseRows,
  sqlLimit,
  sqliteDialect,
} from './row-schemas.js';

const outboxRow = outboxRowSchema(sqliteDialect);
const outboxSeq = z.number().int();

/** The sequence numbers of the items a claim takes, in creation order. */
const DUE_OUTBOX = `
  SELECT seq FROM outbox
  WHERE delivered_at IS NULL
    AND next_attempt_at <= @now
    AND (claimed_until IS NULL OR claimed_until <= @now)
    AND (@kinds IS NULL OR kind IN (SELECT value FROM json_each(@kinds)))
  ORDER BY created_at, seq
  LIMIT @limit
`;

function prepareOutboxStatements(db: Database) {
  return {
    insertOutbox: db.prepare(`
      INSERT INTO outbox (id, run_id, kind, payload, created_at, attempts, next_attempt_at)
      VALUES (@id, @run_id, @kind, @payload, @at, 0, @at)
      ON CONFLICT (id) DO NOTHING
    `),
    dueOutbox: db.prepare(DUE_OUTBOX).pluck(),
    claimOutboxItem: db.prepare(
      'UPDATE outbox SET claimed_by = @owner, claimed_until = @until WHERE seq = @seq RETURNING *',
    ),
    completeOutbox: db.prepare(`
      UPDATE outbox
      SET delivered_at = @at, last_attempt_at = @at, result = @result, claimed_by = NULL, claimed_until = NULL
      WHERE id = @id AND claimed_by = @owner AND delivered_at IS NULL
    `),
    failOutbox: db.prepare(`
      UPDATE outbox
      SET attempts = attempts + 1, last_attempt_at = @at, last_error = @error, next_attempt_at = @next_attempt_at,
          claimed_by = NULL, claimed_until = NULL
      WHERE id = @id AND claimed_by = @owner AND delivered_at IS NULL
    `),
    listOutbox: db.prepare(`
      SELECT * FROM outbox
      WHERE (@run_id IS NULL OR run_id = @run_id)
        AND (@pending IS NULL OR (delivered_at IS NULL) = @pending)
      ORDER BY created_at, seq
    `),
  };
}

/** The outbox (migration 2) on SQLite: the store delegates its five outbox calls here. */
export class SqliteOutbox {
  readonly #s: ReturnType<typeof prepareOutboxStatements>;
  readonly #claim;

  constructor(db: Database) {
    const s = prepareOutboxStatements(db);
    this.#s = s;
    // One IMMEDIATE transaction: another connection on the same file claims before or after, never in between.
    this.#claim = db.transaction((claim: OutboxClaim): OutboxItem[] => {
      const now = epochMs(claim.now, 'now');
      const until = epochMs(leaseEnd(claim.now, claim.leaseMs), 'claim end');
      const due = parseRows(
        outboxSeq,
        s.dueOutbox.all({
          now,
          kinds: claim.kinds === undefined ? null : JSON.stringify(claim.kinds),
          limit: sqlLimit(claim.limit),
        }),
        'outbox',
      );
      return due.map((seq) => parseRow(outboxRow, s.claimOutboxItem.get({ seq, owner: claim.owner, until }), 'outbox'));
    });
  }

  claim(claim: OutboxClaim): OutboxItem[] {
    return this.#claim.immediate(claim);
  }

  enqueue(item: NewOutboxItem): boolean {
    return (
      this.#s.insertOutbox.run({
        id: item.id,
        run_id: item.runId,
        kind: item.kind,
        payload: jsonText(item.payload, 'payload'),
        at: epochMs(item.at, 'outbox at'),
      }).changes === 1
    );
  }

  complete(completion: OutboxCompletion): boolean {
    return (
      this.#s.completeOutbox.run({
        id: completion.id,
        owner: completion.owner,
        at: epochMs(completion.at, 'completion at'),
        result: jsonText(completion.result, 'result'),
      }).changes === 1
    );
  }

  fail(failure: OutboxFailure): boolean {
    return (
      this.#s.failOutbox.run({
        id: failure.id,
        owner: failure.owner,
        at: epochMs(failure.at, 'failure at'),
        error: failure.error,
        next_attempt_at: epochMs(failure.nextAttemptAt, 'nextAttemptAt'),
      }).changes === 1
    );
  }

  list(filter: OutboxFilter): OutboxItem[] {
    const rows = this.#s.listOutbox.all({
      run_id: filter.runId ?? null,
      // SQLite has no booleans: a comparison is 1 or 0.
      pending: filter.pending === undefined ? null : Number(filter.pending),
    });
    return parseRows(outboxRow, rows, 'outbox');
  }
}
