/**
 * A Slack Web API emulator on 127.0.0.1 for the real `@slack/web-api` WebClient and Bolt.
 *
 * It answers the methods Liftoff uses with the request arguments, response shapes and
 * error codes Slack documents (docs.slack.dev/reference/methods/*), records every call,
 * and also serves what surrounds the Web API: `response_url` endpoints, the upload URLs
 * of `files.getUploadURLExternal` and message permalinks. It is meant to be as strict
 * as Slack, never kinder; where Slack documents no number, the choice is stated where
 * it is made.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

import { injectMessage } from './web-api/chat.js';
import { addChannel, addUser, channelName, setUsergroup } from './web-api/directory.js';
import { failNext, waitForCall } from './web-api/dispatch.js';
import { writeJson } from './web-api/http.js';
import { apiMessage, permalink } from './web-api/messages.js';
import { setRateLimit } from './web-api/rate-limits.js';
import { createResponseUrl } from './web-api/response-url.js';
import { createRouter, type RequestHandler } from './web-api/router.js';
import { DEFAULT_BOT_TOKEN, EmulatorState } from './web-api/state.js';
import type { Clock, EmulatedMessage, RecordedCall, SlackEmulator, SlackEmulatorOptions } from './web-api/types.js';

export type { RateLimit } from './rate-limiter.js';
export { MAX_ATTACHMENTS, MAX_MESSAGE_TEXT } from './web-api/messages.js';
export { DEFAULT_RATE_LIMITS } from './web-api/rate-limits.js';
export { RESPONSE_URL_LIFETIME_MS, RESPONSE_URL_MAX_USES } from './web-api/response-url.js';
export { CHANNEL_ID_PATTERN, DEFAULT_BOT_TOKEN, DEFAULT_IDENTITY } from './web-api/state.js';
export type * from './web-api/types.js';

/** The emulator's test-facing face over the state its Web API families share (`./web-api/`). */
class SlackWebApiEmulator implements SlackEmulator {
  readonly events: SlackEmulator['events'];
  readonly identity: SlackEmulator['identity'];
  readonly botToken: string;
  readonly #server: Server;
  readonly #state: EmulatorState;
  readonly #route: RequestHandler;

  constructor(server: Server, botToken: string, clock: Clock) {
    this.#server = server;
    this.#state = new EmulatorState(botToken, clock);
    this.events = this.#state.events;
    this.identity = this.#state.identity;
    this.botToken = botToken;
    this.#route = createRouter(this.#state);
  }

  get port(): number {
    return this.#state.port;
  }
  get baseUrl(): string {
    return this.#state.baseUrl;
  }
  get apiUrl(): string {
    return `${this.baseUrl}api/`;
  }
  get calls(): SlackEmulator['calls'] {
    return this.#state.calls;
  }
  get messages(): SlackEmulator['messages'] {
    return this.#state.messages;
  }
  get ephemerals(): SlackEmulator['ephemerals'] {
    return this.#state.ephemerals;
  }
  get responses(): SlackEmulator['responses'] {
    return this.#state.responses;
  }
  get views(): SlackEmulator['views'] {
    return this.#state.views;
  }
  get files(): SlackEmulator['files'] {
    return this.#state.files;
  }

  listen(port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(port, '127.0.0.1', () => {
        this.#server.off('error', reject);
        const address = this.#server.address();
        if (address === null || typeof address === 'string') {
          reject(new Error('the emulator is not listening on a TCP port'));
          return;
        }
        this.#state.port = address.port;
        resolve();
      });
    });
  }

  // ---- test-facing controls -------------------------------------------------------

  addUser(user: Parameters<SlackEmulator['addUser']>[0]): void {
    addUser(this.#state, user);
  }

  addChannel(channel: Parameters<SlackEmulator['addChannel']>[0]): void {
    addChannel(this.#state, channel);
  }

  setUsergroup(id: string, userIds: readonly string[]): void {
    setUsergroup(this.#state, id, userIds);
  }

  user(id: string): ReturnType<SlackEmulator['user']> {
    return this.#state.users.get(id);
  }

  channelName(id: string): string {
    return channelName(this.#state, id);
  }

  findMessage(channel: string, ts: string): EmulatedMessage | undefined {
    return this.#state.findMessage(channel, ts);
  }

  findEphemeral(channel: string, messageTs: string): ReturnType<SlackEmulator['findEphemeral']> {
    return this.#state.findEphemeral(channel, messageTs);
  }

  injectMessage(message: Parameters<SlackEmulator['injectMessage']>[0]): EmulatedMessage {
    return injectMessage(this.#state, message);
  }

  apiMessage(message: EmulatedMessage): Record<string, unknown> {
    return apiMessage(this.#state, message);
  }

  permalink(message: EmulatedMessage): string {
    return permalink(this.#state, message);
  }

  createResponseUrl(context: Parameters<SlackEmulator['createResponseUrl']>[0]): string {
    return createResponseUrl(this.#state, context);
  }

  failNext(method: string, error: string, times = 1): void {
    failNext(this.#state, method, error, times);
  }

  setRateLimit(method: string, limit: Parameters<SlackEmulator['setRateLimit']>[1]): void {
    setRateLimit(this.#state, method, limit);
  }

  waitForCall(
    method: string,
    predicate: (call: RecordedCall) => boolean = () => true,
    timeoutMs = 5000,
  ): Promise<RecordedCall> {
    return waitForCall(this.#state, method, predicate, timeoutMs);
  }

  reset(): void {
    this.#state.reset();
  }

  close(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#server.close((error) => (error === undefined ? resolve() : reject(error)));
      this.#server.closeAllConnections();
    });
  }

  /** Answers one HTTP request to the emulator. */
  handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    return this.#route(request, response);
  }
}

/**
 * Starts a Slack Web API emulator on 127.0.0.1 and resolves once it listens.
 * Point a WebClient at it with `new WebClient(token, { slackApiUrl: emulator.apiUrl })`.
 */
export async function startSlackEmulator(options: SlackEmulatorOptions = {}): Promise<SlackEmulator> {
  const clock = options.clock ?? { now: () => new Date() };
  const server = createServer();
  const emulator = new SlackWebApiEmulator(server, options.botToken ?? DEFAULT_BOT_TOKEN, clock);
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    emulator.handle(request, response).catch(() => {
      // A failure of the emulator itself (not a Slack error): answer as Slack's servers would.
      if (!response.headersSent) writeJson(response, 500, { ok: false, error: 'internal_error' });
      else response.end();
    });
  });
  await emulator.listen(options.port ?? 0);
  return emulator;
}
