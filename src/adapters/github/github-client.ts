/**
 * The one place an `Octokit` is built, with its retry and throttling plugins configured on purpose.
 *
 * The `octokit` package turns both plugins on by default, and their defaults do not suit a deploy bot:
 * - the retry plugin retries every status outside 400/401/403/404/410/422/451, so a 409 (a deployment whose
 *   commit checks failed, a contents update that lost a race) is retried three times and the conflict reaches us
 *   late or not at all; and it retries POSTs, so a lost answer can create a second deployment;
 * - the throttling plugin spaces every write at least a second apart, process-wide (its Bottleneck groups are
 *   module state), and retries rate-limited requests on its own schedule.
 *
 * Production keeps throttling (GitHub asks clients to honour primary and secondary limits: 80 content-creating
 * requests a minute, 500 an hour) with a bounded number of retries, and keeps the retry plugin only for outages
 * (5xx, network), never for 4xx answers: 409 and 422 are decisions Liftoff must see at once.
 *
 * Tests turn both off: the emulator answers immediately, a test must see each failure exactly once, and a
 * process-wide one-second spacing would make every write-heavy test slow and order-dependent.
 */
import { Octokit } from 'octokit';

export interface CreateOctokitOptions {
  /** A token (`ghp_…`, `github_pat_…` or an installation token). Without it requests are anonymous. */
  readonly token?: string;
  /** The REST API root: `https://api.github.com` by default; the emulator's `apiUrl` in tests. */
  readonly baseUrl?: string;
  readonly mode: 'production' | 'test';
  /** A fetch to send requests through (probot's `request.fetch`); Node's global fetch by default. */
  readonly fetch?: typeof fetch;
  /** Gives up on a request that has not answered in this time (default 30 s): octokit sets no timeout itself. */
  readonly requestTimeoutMs?: number;
  /** Where the throttling plugin's warnings go (default: octokit's console logger). */
  readonly log?: { warn(message: string): void; info(message: string): void };
}

/** Statuses the retry plugin must hand straight back: every client error, 409 and 429 included. */
const DO_NOT_RETRY = [400, 401, 403, 404, 409, 410, 422, 429, 451] as const;
/** Retries after a 5xx or a network error in production (the plugin waits 1 s, then 4 s). */
const OUTAGE_RETRIES = 2;
/** Retries after a rate-limit answer, and only when GitHub asks to wait no longer than this. */
const RATE_LIMIT_RETRIES = 2;
const MAX_RATE_LIMIT_WAIT_SECONDS = 60;
const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

/** Whether to wait `retryAfter` seconds and try again after a rate-limit answer (the throttling plugin asks). */
export function shouldRetryRateLimited(retryAfterSeconds: number, retryCount: number): boolean {
  return retryCount < RATE_LIMIT_RETRIES && retryAfterSeconds <= MAX_RATE_LIMIT_WAIT_SECONDS;
}

interface LimitedRequest {
  readonly method?: string;
  readonly url?: string;
}
interface LoggingOctokit {
  readonly log: { warn(message: string): void };
}

/** Says what happened (a wait is otherwise invisible) and whether to wait and retry. */
function onLimit(
  kind: string,
  retryAfter: number,
  request: LimitedRequest,
  octokit: LoggingOctokit,
  retryCount: number,
): boolean {
  const retry = shouldRetryRateLimited(retryAfter, retryCount);
  octokit.log.warn(
    `GitHub ${kind} on ${request.method ?? '?'} ${request.url ?? '?'}: ${retry ? `retrying in ${retryAfter} s` : `giving up (GitHub asks to wait ${retryAfter} s)`}`,
  );
  return retry;
}

/** A fetch that gives up after `timeoutMs` unless the caller brought its own signal. */
function fetchWithTimeout(base: typeof fetch, timeoutMs: number): typeof fetch {
  return (input, init) => base(input, { ...init, signal: init?.signal ?? AbortSignal.timeout(timeoutMs) });
}

function octokitLog(log: NonNullable<CreateOctokitOptions['log']>) {
  return {
    debug: () => undefined,
    info: (message: string) => log.info(message),
    warn: (message: string) => log.warn(message),
    error: (message: string) => log.warn(message),
  };
}

/** An Octokit for Liftoff: throttled and retried with care in production, neither in tests. */
export function createOctokit(options: CreateOctokitOptions): Octokit {
  const fetchImpl = fetchWithTimeout(
    options.fetch ?? globalThis.fetch,
    options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
  );
  const common = {
    ...(options.token === undefined ? {} : { auth: options.token }),
    ...(options.baseUrl === undefined ? {} : { baseUrl: options.baseUrl.replace(/\/+$/, '') }),
    ...(options.log === undefined ? {} : { log: octokitLog(options.log) }),
    userAgent: 'liftoff-deploy-bot',
    request: { fetch: fetchImpl },
  };
  if (options.mode === 'test') {
    return new Octokit({ ...common, throttle: { enabled: false }, retry: { enabled: false } });
  }
  return new Octokit({
    ...common,
    retry: { enabled: true, retries: OUTAGE_RETRIES, doNotRetry: [...DO_NOT_RETRY] },
    throttle: {
      enabled: true,
      onRateLimit: (retryAfter: number, request: LimitedRequest, octokit: LoggingOctokit, retryCount: number) =>
        onLimit('rate limit', retryAfter, request, octokit, retryCount),
      onSecondaryRateLimit: (
        retryAfter: number,
        request: LimitedRequest,
        octokit: LoggingOctokit,
        retryCount: number,
      ) => onLimit('SecondaryRateLimit', retryAfter, request, octokit, retryCount),
    },
  });
}
