/**
 * The faults of a sample revision that a canary exists to catch: an extra error rate, extra latency, and errors
 * that only users' requests meet (`EmergenceFaults.errorRate`, `extraLatencyMs`, `userErrorRate`).
 *
 * A fault that fires fails the request the way a Python bug does: an exception escapes the route, uvicorn logs
 * "Exception in ASGI application" with the traceback and answers 500 "Internal Server Error". Which requests it hits
 * is drawn from a stream seeded with the revision's name, so a run repeats exactly.
 */
import { seededRandom } from '../seeded-random.js';
import type { EmergenceFaults } from './faults.js';

/** An exception the faults raise inside a route; its stack is the traceback uvicorn prints. */
export class InjectedFaultError extends Error {
  constructor(traceback: readonly string[], last: string) {
    super(last);
    this.name = 'InjectedFaultError';
    this.stack = ['Traceback (most recent call last):', ...traceback, last].join('\n');
  }
}

const ROUTE_TRACEBACK = [
  '  File "/usr/local/lib/python3.11/site-packages/starlette/routing.py", line 74, in app',
  '    response = await func(request)',
  '  File "/app/backend/core/database/manager.py", line 188, in fetch_one',
  '    async with self._pool.acquire(timeout=self._timeout) as connection:',
];

const USER_SESSION_TRACEBACK = [
  '  File "/app/backend/features/memory/router.py", line 214, in analyze_session_endpoint',
  '    result = await analyzer.analyze_session_for_concepts(session_id, force=force)',
  '  File "/app/backend/features/memory/analyzer.py", line 402, in analyze_session_for_concepts',
  '    concepts = [c["label"] for c in metadata["concepts"]]',
];

export interface TrafficFaultsOptions {
  readonly faults: EmergenceFaults;
  readonly revision: string;
  /** The session synthetic checks use (`EMERGENCE_TEST_SESSION`); every other session is a user's. */
  readonly testSession: string | undefined;
  readonly sleep: (ms: number) => Promise<void>;
}

export class TrafficFaults {
  readonly #options: TrafficFaultsOptions;
  readonly #random: () => number;

  constructor(options: TrafficFaultsOptions) {
    this.#options = options;
    this.#random = seededRandom(`traffic-faults:${options.revision}`);
  }

  /** Before a route answers: the extra latency, then the extra error rate (throws the request's exception). */
  async beforeRoute(): Promise<void> {
    const { extraLatencyMs, errorRate } = this.#options.faults;
    if (extraLatencyMs !== undefined && extraLatencyMs > 0) await this.#options.sleep(extraLatencyMs);
    if (this.#hits(errorRate)) {
      throw new InjectedFaultError(
        ROUTE_TRACEBACK,
        'asyncpg.exceptions.TooManyConnectionsError: sorry, too many clients already',
      );
    }
  }

  /** Before the analysis of `sessionId`: a user's session may meet the real-traffic-only error (throws it). */
  beforeAnalysis(sessionId: string): void {
    if (sessionId === this.#options.testSession) return;
    if (this.#hits(this.#options.faults.userErrorRate)) {
      throw new InjectedFaultError(USER_SESSION_TRACEBACK, "TypeError: string indices must be integers, not 'str'");
    }
  }

  #hits(rate: number | undefined): boolean {
    return rate !== undefined && rate > 0 && this.#random() < rate;
  }
}
