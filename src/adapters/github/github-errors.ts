/**
 * Turns what octokit throws into `ExternalError('github', code, message)`: a stable code the pipeline acts on and a
 * sentence for people that says what was attempted and what GitHub said, never a credential.
 */
import { RequestError } from 'octokit';
import { z } from 'zod';

import { ExternalError } from '../../deploy/ports/index.js';

type Code = ExternalError['code'];

const errorBody = z.object({
  message: z.string(),
  errors: z
    .array(
      z.union([
        z.string(),
        z.looseObject({ message: z.string().optional(), code: z.string().optional(), field: z.string().optional() }),
      ]),
    )
    .optional(),
});

/** Tokens GitHub issues (classic and fine-grained PATs, OAuth, app and installation tokens). */
const TOKEN_PATTERN = /\b(?:gh[pousr]_[A-Za-z0-9_]{10,}|github_pat_[A-Za-z0-9_]{10,}|v1\.[0-9a-f]{40})\b/g;

/** Removes anything shaped like a GitHub token from a text that will be shown or logged. */
export function redactTokens(text: string): string {
  return text.replace(TOKEN_PATTERN, '[redacted]');
}

/** GitHub's own explanation: `message`, plus the `errors` details of a 422 when there are any. */
function githubMessage(error: RequestError): string {
  const parsed = errorBody.safeParse(error.response?.data);
  if (!parsed.success) {
    // No JSON body (network error, HTML from a proxy): octokit's message is the cause or the body text.
    return error.message.replace(/\s+/g, ' ').trim().slice(0, 300);
  }
  const details = (parsed.data.errors ?? [])
    .map((item) =>
      typeof item === 'string' ? item : (item.message ?? [item.field, item.code].filter(Boolean).join(' ')),
    )
    .filter((text) => text !== '');
  const text = details.length === 0 ? parsed.data.message : `${parsed.data.message} (${details.join('; ')})`;
  // One line: GitHub's messages can hold blank lines ("Invalid request.\n\nFor 'properties/state', …").
  return text.replace(/\s+/g, ' ').trim();
}

function header(error: RequestError, name: string): string | undefined {
  const value: unknown = error.response?.headers[name];
  return typeof value === 'string' || typeof value === 'number' ? String(value) : undefined;
}

/**
 * The fields of a thrown value that look like an error. Duck-typed on purpose: fetch's errors come from Node's own
 * realm, where `instanceof Error` can be false (under Jest's VM modules, say).
 */
function errorFields(value: unknown): { name?: unknown; code?: unknown; message?: unknown; cause?: unknown } | null {
  return typeof value === 'object' && value !== null ? value : null;
}

/** The code of a network-level failure (`ECONNREFUSED`, `UND_ERR_CONNECT_TIMEOUT`, `TimeoutError`), if any. */
function causeOf(error: unknown): { readonly code: string | undefined; readonly message: string | undefined } {
  let current = errorFields(error);
  for (let depth = 0; depth < 5 && current !== null; depth += 1) {
    const message = typeof current.message === 'string' ? current.message : undefined;
    if (current.name === 'TimeoutError') return { code: 'TimeoutError', message };
    if (typeof current.code === 'string') return { code: current.code, message };
    current = errorFields(current.cause);
  }
  return { code: undefined, message: undefined };
}

function isRateLimited(error: RequestError, message: string): boolean {
  return error.status === 429 || header(error, 'x-ratelimit-remaining') === '0' || /rate limit/i.test(message);
}

function codeOf(error: RequestError, message: string): Code {
  const status = error.status;
  if (status === 401) return 'unauthenticated';
  if ((status === 403 || status === 429) && isRateLimited(error, message)) return 'rate_limited';
  if (status === 403 && /bad credentials|requires authentication/i.test(message)) return 'unauthenticated';
  if (status === 404) return 'not_found';
  if (status === 409) return 'conflict';
  if (status >= 500) return 'unavailable';
  // 400, 403 (permissions), 410, 422 and the rest: GitHub understood and refused.
  return 'rejected';
}

/**
 * The `ExternalError` for a failed GitHub call. `attempted` completes "GitHub: could not …", e.g.
 * `create a deployment of main in emergence/emergence-app`.
 */
export function githubError(attempted: string, error: unknown): ExternalError {
  if (error instanceof ExternalError) return error;
  if (!(error instanceof RequestError)) {
    const cause = causeOf(error);
    const fields = errorFields(error);
    const text = typeof fields?.message === 'string' ? fields.message : String(error);
    return new ExternalError(
      'github',
      cause.code === 'TimeoutError' ? 'timeout' : 'unavailable',
      redactTokens(`GitHub: could not ${attempted}: ${text}`),
    );
  }
  if (error.response === undefined) {
    // octokit reports a failed fetch as a RequestError with status 500 and the fetch error as its cause.
    const cause = causeOf(error.cause);
    const detail = [cause.code, cause.message ?? error.message].filter(Boolean).join(' ');
    return new ExternalError(
      'github',
      cause.code === 'TimeoutError' ? 'timeout' : 'unavailable',
      redactTokens(`GitHub: could not ${attempted}: no answer (${detail})`),
    );
  }
  const message = githubMessage(error);
  const code = codeOf(error, message);
  const retryAfter = header(error, 'retry-after');
  const extra = [
    code === 'rate_limited' && retryAfter !== undefined ? `retry after ${retryAfter} s` : undefined,
    header(error, 'x-github-request-id') === undefined ? undefined : `request ${header(error, 'x-github-request-id')}`,
  ].filter((part): part is string => part !== undefined);
  return new ExternalError(
    'github',
    code,
    redactTokens(
      `GitHub: could not ${attempted}: HTTP ${error.status} ${message}${extra.length === 0 ? '' : ` [${extra.join(', ')}]`}`,
    ),
  );
}

/** The HTTP status of an octokit failure, or undefined for anything else. */
export function statusOf(error: unknown): number | undefined {
  return error instanceof RequestError && error.response !== undefined ? error.status : undefined;
}

/** GitHub's `message` of an octokit failure ('' when there is none). */
export function messageOf(error: unknown): string {
  if (!(error instanceof RequestError)) return '';
  const parsed = errorBody.safeParse(error.response?.data);
  return parsed.success ? parsed.data.message : '';
}
