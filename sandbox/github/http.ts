/**
 * The HTTP vocabulary of the GitHub emulator: what a route answers, the errors it
 * throws (rendered as GitHub renders them: `message`, optional `errors`,
 * `documentation_url`, and `status` as a string), and list pagination with GitHub's
 * `Link` header.
 */
import { randomBytes } from 'node:crypto';

/** A JSON answer, or raw bytes for the `raw` media type. */
export interface ApiResponse {
  readonly status: number;
  readonly body?: unknown;
  readonly raw?: { readonly contentType: string; readonly bytes: Buffer };
  readonly headers?: Readonly<Record<string, string>>;
}

/** One element of a 422's `errors` array, as GitHub writes them. */
export interface ValidationErrorItem {
  readonly resource: string;
  readonly code: string;
  readonly field?: string;
  readonly message?: string;
  readonly [extra: string]: unknown;
}

/** An error answer. The documentation URL is the route's unless given. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly extra: {
      readonly errors?: readonly ValidationErrorItem[];
      readonly headers?: Readonly<Record<string, string>>;
      readonly documentationUrl?: string;
    } = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export const DOCS = 'https://docs.github.com/rest';

/** The body GitHub sends with an error. */
export function errorBody(
  status: number,
  message: string,
  documentationUrl: string,
  errors?: readonly ValidationErrorItem[],
): Record<string, unknown> {
  return {
    message,
    ...(errors === undefined ? {} : { errors }),
    documentation_url: documentationUrl,
    status: String(status),
  };
}

/** A 422 "Validation Failed" with GitHub's `errors` array. */
export const validationFailed = (...errors: ValidationErrorItem[]): ApiError =>
  new ApiError(422, 'Validation Failed', { errors });

/** A request id shaped like GitHub's `x-github-request-id` (`C0DE:1A2B:3C4D5E:4D5E6F:6601AB2C`). */
export function requestId(nowMs: number): string {
  const hex = (bytes: number): string => randomBytes(bytes).toString('hex').toUpperCase();
  return `${hex(2)}:${hex(2)}:${hex(3)}:${hex(3)}:${Math.floor(nowMs / 1000)
    .toString(16)
    .toUpperCase()}`;
}

/** GitHub's timestamps: ISO 8601 in UTC, to the second. */
export const isoSeconds = (date: Date): string => date.toISOString().replace(/\.\d{3}Z$/, 'Z');

/**
 * One page of `items` by `per_page` (default 30, at most 100) and `page` (from 1), with
 * the `Link` header GitHub sends (`next`, `last`, `first`, `prev` as they apply).
 */
export function paginate<T>(items: readonly T[], requestUrl: URL): { page: T[]; headers: Record<string, string> } {
  const perPageParam = Number(requestUrl.searchParams.get('per_page') ?? '30');
  const perPage = Number.isInteger(perPageParam) && perPageParam > 0 ? Math.min(perPageParam, 100) : 30;
  const pageParam = Number(requestUrl.searchParams.get('page') ?? '1');
  const page = Number.isInteger(pageParam) && pageParam > 0 ? pageParam : 1;
  const last = Math.max(1, Math.ceil(items.length / perPage));
  const link = (target: number, rel: string): string => {
    const url = new URL(requestUrl.href);
    url.searchParams.set('per_page', String(perPage));
    url.searchParams.set('page', String(target));
    return `<${url.href}>; rel="${rel}"`;
  };
  const links: string[] = [];
  if (page > 1) links.push(link(page - 1, 'prev'));
  if (page < last) links.push(link(page + 1, 'next'), link(last, 'last'));
  if (page > 1) links.push(link(1, 'first'));
  return {
    page: items.slice((page - 1) * perPage, page * perPage),
    headers: links.length === 0 ? {} : { link: links.join(', ') },
  };
}
