/**
 * `Prober` over Node's fetch (undici): one request, no retries (the checks decide what a failure means), a real
 * timeout covering the body too, the body read as text up to a limit, and the latency from the request's start to
 * the body's end; the caller's signal aborts it as the timeout does (a check past its deadline). Every failure is a
 * result (`ok: false`) with a sentence, never an exception.
 */
import { performance } from 'node:perf_hooks';

import { isAborted } from '../../deploy/checks/abortable.js';
import type { HttpProbe, HttpProbeResult, Prober } from '../../deploy/ports/index.js';

/** A monotonic clock in milliseconds (`performance` by default). */
export interface MonotonicClock {
  now(): number;
}

export interface HttpProberOptions {
  /** Node's global fetch by default. */
  readonly fetch?: typeof fetch;
  readonly clock?: MonotonicClock;
  /** Bytes of body kept; the rest is not read (default 1 MiB). */
  readonly maxBodyBytes?: number;
  readonly userAgent?: string;
}

export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
const DEFAULT_USER_AGENT = 'liftoff-probe';

type Joined = { readonly ok: true; readonly url: URL } | { readonly ok: false; readonly error: string };

/**
 * `path` under `baseUrl`: one slash between them whatever each ends or starts with, the base's own path kept
 * (`https://host/api` + `/health` → `https://host/api/health`), the path's query kept (after the base's, if any).
 * A path carrying its own scheme or host is refused: a probe stays on the service it verifies.
 */
export function joinProbeUrl(baseUrl: string, path: string): Joined {
  let base: URL;
  try {
    base = new URL(baseUrl);
  } catch {
    return { ok: false, error: `not a URL: ${JSON.stringify(baseUrl)}` };
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:') {
    return { ok: false, error: `refused ${base.protocol.replace(/:$/, '')}: only http and https are probed` };
  }
  // Leading slashes are dropped below, so `//other-host/x` stays on the base's host too.
  if (/^[a-z][a-z0-9+.-]*:/i.test(path)) {
    return { ok: false, error: `refused path ${JSON.stringify(path)}: a path, not a URL, is probed` };
  }
  const hashAt = path.indexOf('#');
  const withoutHash = hashAt === -1 ? path : path.slice(0, hashAt);
  const queryAt = withoutHash.indexOf('?');
  const pathPart = queryAt === -1 ? withoutHash : withoutHash.slice(0, queryAt);
  const query = queryAt === -1 ? '' : withoutHash.slice(queryAt + 1);

  const url = new URL(base.href);
  const prefix = url.pathname.replace(/\/+$/, '');
  const rest = pathPart.replace(/^\/+/, '');
  url.pathname = rest === '' && pathPart === '' ? url.pathname : `${prefix}/${rest}`;
  const baseQuery = url.search.replace(/^\?/, '');
  url.search = [baseQuery, query].filter((part) => part !== '').join('&');
  url.hash = '';
  return { ok: true, url };
}

/**
 * The fields of a thrown value that look like an error. Duck-typed on purpose: fetch's errors come from Node's own
 * realm, where `instanceof Error` can be false (under Jest's VM modules, say).
 */
function errorFields(
  value: unknown,
): { name?: unknown; code?: unknown; message?: unknown; cause?: unknown; errors?: unknown } | null {
  return typeof value === 'object' && value !== null ? value : null;
}

/**
 * The code and message of a failed fetch: undici throws `TypeError('fetch failed')` with the socket error as its
 * `cause` (an AggregateError with an empty message when every address of a name was refused).
 */
function describeFetchFailure(error: unknown): string {
  const outer = errorFields(error);
  const messages: string[] = [];
  let current = outer;
  for (let depth = 0; depth < 5 && current !== null; depth += 1) {
    let message = typeof current.message === 'string' ? current.message : '';
    if (message === '' && Array.isArray(current.errors)) {
      const first = errorFields(current.errors[0]);
      message = typeof first?.message === 'string' ? first.message : '';
    }
    if (typeof current.code === 'string')
      return message.includes(current.code) ? message : `${current.code}: ${message}`;
    if (message !== '' && message !== 'fetch failed') messages.push(message);
    current = errorFields(current.cause);
  }
  const outerMessage = typeof outer?.message === 'string' ? outer.message : String(error);
  const inner = messages.find((message) => message !== outerMessage);
  return inner === undefined ? outerMessage : `${outerMessage === 'fetch failed' ? 'fetch failed: ' : ''}${inner}`;
}

function isTimeout(error: unknown): boolean {
  const fields = errorFields(error);
  return fields?.name === 'TimeoutError' || errorFields(fields?.cause)?.name === 'TimeoutError';
}

function describeAbort(signal: AbortSignal | undefined): string {
  const message = errorFields(signal?.reason)?.message;
  return typeof message === 'string' && message !== '' ? message : 'the request was cancelled';
}

function hasHeader(headers: Readonly<Record<string, string>>, name: string): boolean {
  return Object.keys(headers).some((key) => key.toLowerCase() === name);
}

/** The body as text, at most `limit` bytes of it; the rest is left unread and the connection released. */
async function readLimited(
  response: Response,
  limit: number,
): Promise<{ readonly text: string; readonly cut: boolean }> {
  if (response.body === null) return { text: '', cut: false };
  const reader: ReadableStreamDefaultReader<Uint8Array> = response.body.getReader();
  const decoder = new TextDecoder('utf-8');
  let text = '';
  let bytes = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return { text: text + decoder.decode(), cut: false };
    const room = limit - bytes;
    if (value.byteLength > room) {
      // A character cut in half at the limit is dropped, not turned into U+FFFD.
      text += decoder.decode(value.subarray(0, room), { stream: true });
      await reader.cancel().catch(() => undefined);
      return { text, cut: true };
    }
    bytes += value.byteLength;
    text += decoder.decode(value, { stream: true });
  }
}

/** A `Prober` sending one real HTTP request for each probe. */
export function httpProber(options: HttpProberOptions = {}): Prober {
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const clock = options.clock ?? performance;
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const userAgent = options.userAgent ?? DEFAULT_USER_AGENT;
  if (!Number.isInteger(maxBodyBytes) || maxBodyBytes < 0) throw new RangeError(`maxBodyBytes: ${maxBodyBytes}`);

  return {
    async request(probe: HttpProbe, signal?: AbortSignal): Promise<HttpProbeResult> {
      const started = clock.now();
      const elapsed = (): number => clock.now() - started;
      const fail = (error: string): HttpProbeResult => ({ ok: false, error, latencyMs: elapsed() });

      const joined = joinProbeUrl(probe.baseUrl, probe.path);
      if (!joined.ok) return fail(joined.error);
      if (!Number.isFinite(probe.timeoutMs) || probe.timeoutMs <= 0)
        return fail(`invalid timeout ${probe.timeoutMs} ms`);
      const aborted = (): HttpProbeResult => fail(`aborted: ${describeAbort(signal)}`);
      if (isAborted(signal)) return aborted();
      const timeout = AbortSignal.timeout(probe.timeoutMs);

      const headers: Record<string, string> = { 'user-agent': userAgent, ...probe.headers };
      let body: string | undefined;
      if (probe.body !== undefined) {
        body = JSON.stringify(probe.body);
        if (!hasHeader(headers, 'content-type')) headers['content-type'] = 'application/json';
      }

      try {
        const response = await fetchImpl(joined.url, {
          method: probe.method.toUpperCase(),
          headers,
          ...(body === undefined ? {} : { body }),
          // The checks judge what the service itself answered: a redirect (to a login page, say) is not followed.
          redirect: 'manual',
          signal: signal === undefined ? timeout : AbortSignal.any([timeout, signal]),
        });
        const read = await readLimited(response, maxBodyBytes);
        const latencyMs = elapsed();
        return {
          ok: true,
          status: response.status,
          contentType: response.headers.get('content-type'),
          body: read.cut ? `${read.text}\n[… body cut by Liftoff at ${maxBodyBytes} bytes]` : read.text,
          latencyMs,
        };
      } catch (error) {
        if (isAborted(signal) && !timeout.aborted) return aborted();
        if (isTimeout(error)) return fail(`timed out after ${probe.timeoutMs} ms`);
        return fail(describeFetchFailure(error));
      }
    },
  };
}
