/**
 * Users for the sandbox: a steady rate of real HTTP requests to a service URL, so a canary is judged on traffic the
 * emulated front door really split between revisions and the sample service really answered.
 *
 * The rate is open-loop, as users are: requests leave on schedule whether or not earlier ones have been answered
 * (a slow revision does not slow its own traffic down), up to `maxInFlight` outstanding; a request that would
 * exceed it is counted as `skipped`, never sent late in a burst.
 *
 * Usage: `const users = startTrafficGenerator({ url: service.uri, requestsPerSecond: 10 }); … await users.stop();`
 * The sample service limits each client IP to 100 requests a minute and every request through the emulated front
 * door comes from 127.0.0.1: above about 1.6 requests a second start its runtime with a higher `rateLimitPerMinute`,
 * or the users get 429s (counted in `byStatus`).
 */
import { USER_SESSION_IDS } from '../emergence/sessions.js';
import { seededRandom } from '../seeded-random.js';

/** One kind of request users send, drawn with probability `weight / Σ weights`. */
export interface TrafficRoute {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly weight: number;
  /** The JSON body, given a session drawn from `sessions`. */
  readonly body?: (session: string) => unknown;
}

/**
 * What ÉMERGENCE's users do: ask for the analysis of their own session (`POST /api/memory/analyze`, not forced).
 * `/api/health` and `/api/metrics` are for probes and scrapers, not users.
 */
export const USER_ROUTES: readonly TrafficRoute[] = Object.freeze([
  { method: 'POST', path: '/api/memory/analyze', weight: 1, body: (session: string) => ({ session_id: session }) },
]);

export interface TrafficGeneratorOptions {
  /** The service URL (the Service's `uri`), never a tag URL: users reach revisions through the split. */
  readonly url: string;
  readonly requestsPerSecond: number;
  readonly routes?: readonly TrafficRoute[];
  /** Sessions users ask about (default the sample service's users' sessions, never the runbook's test session). */
  readonly sessions?: readonly string[];
  /** Draws the route and the session of each request (default seeded, so a run repeats). */
  readonly random?: () => number;
  /** Requests outstanding at most (default 64). */
  readonly maxInFlight?: number;
  /** A request not answered in this time is aborted and counted as failed (default 30 s). */
  readonly timeoutMs?: number;
}

export interface TrafficStats {
  /** Requests sent (answered, failed or still outstanding). */
  readonly sent: number;
  readonly answered: number;
  /** No HTTP answer: connection refused or reset, or aborted at `timeoutMs`. */
  readonly failed: number;
  /** Due but not sent because `maxInFlight` requests were outstanding. */
  readonly skipped: number;
  /** Answers by status code, e.g. `{ "200": 96, "500": 4 }`. */
  readonly byStatus: Readonly<Record<string, number>>;
}

export interface TrafficGenerator {
  /** Changes the rate from now on (0 pauses). */
  setRate(requestsPerSecond: number): void;
  stats(): TrafficStats;
  /** Stops sending and waits for the requests still outstanding. */
  stop(): Promise<void>;
}

/** How often the schedule is checked: requests due since the last tick leave together, at most this late. */
const TICK_MS = 10;

/** Starts sending at once. */
export function startTrafficGenerator(options: TrafficGeneratorOptions): TrafficGenerator {
  const routes = options.routes ?? USER_ROUTES;
  const sessions = options.sessions ?? USER_SESSION_IDS;
  const random = options.random ?? seededRandom('sandbox-traffic');
  const maxInFlight = options.maxInFlight ?? 64;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const totalWeight = routes.reduce((sum, route) => sum + Math.max(0, route.weight), 0);
  if (routes.length === 0 || totalWeight <= 0) throw new Error('the traffic generator needs a route with a weight');
  if (sessions.length === 0) throw new Error('the traffic generator needs at least one session');
  validateRate(options.requestsPerSecond);

  const byStatus: Record<string, number> = {};
  const outstanding = new Set<Promise<void>>();
  let sent = 0;
  let answered = 0;
  let failed = 0;
  let skipped = 0;
  // The schedule: `due` requests since `since` at `rate` a second, of which `scheduled` have been taken.
  let rate = options.requestsPerSecond;
  let since = performance.now();
  let scheduled = 0;

  const pick = <T>(items: readonly T[]): T =>
    items[Math.min(items.length - 1, Math.floor(random() * items.length))] as T;
  const pickRoute = (): TrafficRoute => {
    let left = random() * totalWeight;
    return (
      routes.find((route) => (left -= Math.max(0, route.weight)) < 0) ?? (routes[routes.length - 1] as TrafficRoute)
    );
  };

  const send = (): void => {
    const route = pickRoute();
    const session = pick(sessions);
    sent += 1;
    const request = fetch(new URL(route.path, options.url), {
      method: route.method,
      ...(route.body === undefined
        ? {}
        : { body: JSON.stringify(route.body(session)), headers: { 'content-type': 'application/json' } }),
      signal: AbortSignal.timeout(timeoutMs),
    })
      .then(async (response) => {
        await response.arrayBuffer();
        answered += 1;
        byStatus[String(response.status)] = (byStatus[String(response.status)] ?? 0) + 1;
      })
      .catch(() => {
        failed += 1;
      })
      .finally(() => outstanding.delete(request));
    outstanding.add(request);
  };

  const tick = (): void => {
    const due = Math.floor(((performance.now() - since) / 1000) * rate);
    for (; scheduled < due; scheduled += 1) {
      if (outstanding.size >= maxInFlight) skipped += 1;
      else send();
    }
  };
  const timer = setInterval(tick, TICK_MS);
  let stopping: Promise<void> | undefined;

  return {
    setRate(requestsPerSecond) {
      validateRate(requestsPerSecond);
      tick();
      rate = requestsPerSecond;
      since = performance.now();
      scheduled = 0;
    },
    stats: () => ({ sent, answered, failed, skipped, byStatus: { ...byStatus } }),
    stop() {
      stopping ??= (async () => {
        clearInterval(timer);
        await Promise.allSettled([...outstanding]);
      })();
      return stopping;
    },
  };
}

function validateRate(requestsPerSecond: number): void {
  if (!Number.isFinite(requestsPerSecond) || requestsPerSecond < 0) {
    throw new Error(`requestsPerSecond must be a finite number ≥ 0, got ${requestsPerSecond}`);
  }
}
