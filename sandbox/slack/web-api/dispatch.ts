/**
 * One Web API call from request to record: arguments and token read as Slack reads them,
 * authentication, the rate limit, scripted failures, the method itself, and the answer
 * recorded for tests to wait on.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

import { readBody, writeJson } from './http.js';
import { fail, type ApiAnswer, type MethodRegistry, type MethodSpec } from './method.js';
import { decodeParams, Params, parseBody } from './params.js';
import { takeRateLimit } from './rate-limits.js';
import type { EmulatorState } from './state.js';
import type { RecordedCall } from './types.js';

/** POST or GET `/api/<method>`. */
export async function handleApi(
  state: EmulatorState,
  methods: MethodRegistry,
  method: string,
  url: URL,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const at = state.clock.now();
  const contentType = request.headers['content-type'];
  const body = await readBody(request, 10 * 1024 * 1024);
  const query = Object.fromEntries(url.searchParams);
  const parsed = await parseBody(body, contentType);
  const spec = methods[method];
  const params: Record<string, unknown> = { ...query };
  if (parsed.ok && (!parsed.fromJson || spec?.acceptsJson === true)) Object.assign(params, parsed.params);
  const headerToken = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '')?.[1];
  // Slack reads a token from the Authorization header, or from a form or query parameter, never from a JSON body.
  const paramToken = parsed.ok && parsed.fromJson ? query['token'] : params['token'];
  const token = headerToken ?? (typeof paramToken === 'string' && paramToken !== '' ? paramToken : undefined);
  delete params['token'];

  let answer: ApiAnswer;
  if (spec === undefined) answer = fail('unknown_method', { req_method: method });
  else if (!parsed.ok) answer = fail(parsed.error);
  else if (token === undefined) answer = fail('not_authed');
  else if (token !== state.botToken) answer = fail('invalid_auth');
  else answer = dispatch(state, method, spec, new Params(params), at);

  const headers: Record<string, string> = {};
  if (answer.retryAfter !== undefined) headers['retry-after'] = String(answer.retryAfter);
  writeJson(response, answer.status, answer.body, headers);
  const call: RecordedCall = {
    method,
    params: decodeParams(params),
    token,
    contentType,
    at,
    response: {
      status: answer.status,
      body: answer.body,
      ...(answer.retryAfter === undefined ? {} : { retryAfter: answer.retryAfter }),
    },
  };
  state.calls.push(call);
  state.events.emit('call', call);
}

function dispatch(state: EmulatorState, method: string, spec: MethodSpec, params: Params, now: Date): ApiAnswer {
  const limited = takeRateLimit(state, method, spec, params, now);
  if (limited !== undefined) return limited;
  const queue = state.failures.get(method);
  const scripted = queue?.[0];
  if (queue !== undefined && scripted !== undefined) {
    scripted.remaining -= 1;
    if (scripted.remaining <= 0) queue.shift();
    return fail(scripted.error);
  }
  return spec.handle({ params, now });
}

/** The next `times` calls of `method` (after authentication) answer `{ ok: false, error }`. */
export function failNext(state: EmulatorState, method: string, error: string, times: number): void {
  const queue = state.failures.get(method) ?? [];
  queue.push({ error, remaining: times });
  state.failures.set(method, queue);
}

/** The first recorded call of `method` matching `predicate`, waiting up to `timeoutMs` for it. */
export function waitForCall(
  state: EmulatorState,
  method: string,
  predicate: (call: RecordedCall) => boolean,
  timeoutMs: number,
): Promise<RecordedCall> {
  const matches = (call: RecordedCall): boolean => call.method === method && predicate(call);
  const existing = state.calls.find(matches);
  if (existing !== undefined) return Promise.resolve(existing);
  return new Promise((resolve, reject) => {
    const onCall = (call: RecordedCall): void => {
      if (!matches(call)) return;
      clearTimeout(timer);
      state.events.off('call', onCall);
      resolve(call);
    };
    const timer = setTimeout(() => {
      state.events.off('call', onCall);
      reject(new Error(`no ${method} call within ${timeoutMs} ms`));
    }, timeoutMs);
    state.events.on('call', onCall);
  });
}
