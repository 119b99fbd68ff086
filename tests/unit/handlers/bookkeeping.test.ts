import type { AuditEntry } from '../../../src/deploy/ports/index.js';
import { outcomeKind, withBookkeeping, type Handled } from '../../../src/handlers/bookkeeping.js';
import type { HandlerContext } from '../../../src/handlers/handler-context.js';

/** A context that keeps what the wrapper counted and audited. */
function recordingContext(): Pick<HandlerContext, 'metrics' | 'audit'> & {
  counted: [string, string][];
  audited: Omit<AuditEntry, 'at'>[];
} {
  const counted: [string, string][] = [];
  const audited: Omit<AuditEntry, 'at'>[] = [];
  return {
    counted,
    audited,
    metrics: { countRequest: (surface, outcome) => counted.push([surface, outcome]) },
    audit: (entry) => {
      audited.push(entry);
      return Promise.resolve();
    },
  };
}

// The wrapper never reads Bolt's arguments, only the listener does: an empty stand-in is enough here.
const run = (ctx: Pick<HandlerContext, 'metrics' | 'audit'>, handled: Handled | undefined): Promise<void> =>
  withBookkeeping(ctx, '/deploy', () => Promise.resolve(handled))({} as never);

describe('withBookkeeping', () => {
  it.each([
    ['ok: help', 'ok'],
    ['refused: unknown option `--yolo`', 'refused'],
    ['error', 'error'],
    ['malformed', 'malformed'],
  ])('labels the metric of %s with its kind %s', (outcome, kind) => {
    expect(outcomeKind(outcome)).toBe(kind);
  });

  it('counts the outcome under the surface and writes the audit row with the whole outcome', async () => {
    const ctx = recordingContext();
    await run(ctx, { outcome: 'ok: requested', audit: { actorId: 'U1', action: '/deploy phase3', runId: 'r1' } });
    expect(ctx.counted).toEqual([['/deploy', 'ok']]);
    expect(ctx.audited).toEqual([{ actorId: 'U1', action: '/deploy phase3', runId: 'r1', outcome: 'ok: requested' }]);
  });

  it('audits with no run when the listener names none', async () => {
    const ctx = recordingContext();
    await run(ctx, { outcome: 'refused: locked', audit: { actorId: 'U1', action: '/deploy lock phase3' } });
    expect(ctx.audited).toEqual([
      { actorId: 'U1', action: '/deploy lock phase3', runId: null, outcome: 'refused: locked' },
    ]);
  });

  it('only counts an outcome with no one to audit, and records nothing for a payload the listener ignored', async () => {
    const ctx = recordingContext();
    await run(ctx, { outcome: 'malformed' });
    await run(ctx, undefined);
    expect(ctx.counted).toEqual([['/deploy', 'malformed']]);
    expect(ctx.audited).toEqual([]);
  });
});
