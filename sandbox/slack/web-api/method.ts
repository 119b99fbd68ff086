/** What a Web API method is to the dispatcher, and the answers every method builds its replies from. */
import { describeBlockIssue, formatBlockIssue, type BlockIssue } from '../block-kit.js';
import type { Params } from './params.js';

export type ApiBody = Record<string, unknown>;
export interface ApiAnswer {
  readonly status: number;
  readonly body: ApiBody;
  readonly retryAfter?: number;
}

/** `{ ok: true, ...body }`. */
export const ok = (body: ApiBody = {}): ApiAnswer => ({ status: 200, body: { ok: true, ...body } });
/** `{ ok: false, error, ...extra }`, with HTTP 200 as Slack answers method errors. */
export const fail = (error: string, extra: ApiBody = {}): ApiAnswer => ({
  status: 200,
  body: { ok: false, error, ...extra },
});
/** Slack's answer to a missing required argument. */
export const missingField = (error: string, field: string): ApiAnswer =>
  fail(error, { response_metadata: { messages: [`[ERROR] missing required field: ${field}`] } });

/** Slack's answer to invalid blocks, each issue's pointer under `prefix`. */
export const blockFailure = (error: string, issues: readonly BlockIssue[], prefix = ''): ApiAnswer => {
  const shifted = issues.map((issue) => ({ ...issue, pointer: `${prefix}${issue.pointer}` }));
  return fail(error, {
    errors: shifted.map(describeBlockIssue),
    response_metadata: { messages: shifted.map(formatBlockIssue) },
  });
};

/** What a method reads: its arguments and the time the call arrived. */
export interface MethodContext {
  readonly params: Params;
  readonly now: Date;
}

export interface MethodSpec {
  /** Slack documents `application/json` bodies for this method; otherwise JSON arguments are not read. */
  readonly acceptsJson: boolean;
  /** The part of the arguments a rate limit is counted per (Slack: per channel for chat.postMessage). */
  readonly rateKey?: (params: Params) => string;
  readonly handle: (context: MethodContext) => ApiAnswer;
}

/** Web API methods by name, as each family registers its own. */
export type MethodRegistry = Readonly<Record<string, MethodSpec>>;
