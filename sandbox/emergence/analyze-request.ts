/**
 * How the sample backend reads a `POST /api/memory/analyze` request, as FastAPI and router.py do: the body as
 * `Dict[str, Any]` (422 otherwise), then whose session it is for.
 */
import type { IncomingMessage } from 'node:http';

import { z } from 'zod';

import { pythonStr } from './python-format.js';

export interface ParsedRequest {
  readonly method: string;
  readonly url: URL;
  readonly headers: IncomingMessage['headers'];
  readonly body: Buffer;
}

const AnalyzePayload = z.record(z.string(), z.unknown());

export type PayloadResult =
  { ok: true; payload: Record<string, unknown> } | { ok: false; error: Record<string, unknown> };

/** FastAPI's `Body(default={})` typed `Dict[str, Any]`: 422 for bad JSON or a non-object. */
export function parseAnalyzePayload(request: ParsedRequest): PayloadResult {
  if (request.body.length === 0) return { ok: true, payload: {} };
  const text = request.body.toString('utf8');
  const contentType = request.headers['content-type'];
  const isJson = contentType === undefined || /^application\/(?:[\w.+-]+\+)?json\b/i.test(contentType);
  let value: unknown = text;
  if (isJson) {
    try {
      value = JSON.parse(text) as unknown;
    } catch {
      return {
        ok: false,
        error: {
          type: 'json_invalid',
          loc: ['body', 0],
          msg: 'JSON decode error',
          input: {},
          ctx: { error: 'Expecting value' },
        },
      };
    }
  }
  const parsed = AnalyzePayload.safeParse(value);
  if (!parsed.success) {
    return {
      ok: false,
      error: { type: 'dict_type', loc: ['body'], msg: 'Input should be a valid dictionary', input: value },
    };
  }
  return { ok: true, payload: parsed.data };
}

/** router.py's `_resolve_session_id`: the body, then `x-session-id`, then `?session_id=`. */
export function resolveSessionId(provided: unknown, request: ParsedRequest): string | undefined {
  const header = request.headers['x-session-id'];
  for (const candidate of [
    provided,
    Array.isArray(header) ? header[0] : header,
    request.url.searchParams.get('session_id'),
  ]) {
    if (candidate === undefined || candidate === null) continue;
    const value = pythonStr(candidate).trim();
    if (value) return value;
  }
  return undefined;
}
