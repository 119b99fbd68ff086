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
import { randomBytes, randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { z } from 'zod';

import {
  blocksTooLong,
  describeBlockIssue,
  formatBlockIssue,
  normalizeBlocks,
  validateBlocks,
  type BlockIssue,
} from './block-kit.js';
import { TokenBuckets, type RateLimit } from './rate-limiter.js';

export type { RateLimit } from './rate-limiter.js';

/** The source of time for timestamps, rate limits and response URL expiry. */
export interface Clock {
  now(): Date;
}

export interface SlackEmulatorOptions {
  /** Port on 127.0.0.1; 0 (the default) picks a free one. */
  readonly port?: number;
  /** The only token the emulator accepts. */
  readonly botToken?: string;
  readonly clock?: Clock;
}

/** Who the emulated workspace and app are. */
export interface SlackIdentity {
  readonly teamId: string;
  readonly teamName: string;
  readonly teamDomain: string;
  readonly botUserId: string;
  readonly botId: string;
  readonly botName: string;
  readonly appId: string;
}

export const DEFAULT_BOT_TOKEN = 'xoxb-liftoff-sandbox-token';

export const DEFAULT_IDENTITY: SlackIdentity = Object.freeze({
  teamId: 'T0LIFTOFF',
  teamName: 'Liftoff Sandbox',
  teamDomain: 'liftoff-sandbox',
  botUserId: 'U0LIFTOFFBOT',
  botId: 'B0LIFTOFFBOT',
  botName: 'liftoff',
  appId: 'A0LIFTOFFAPP',
});

/** Channel ids the emulator treats as existing conversations (public, private, DM). */
export const CHANNEL_ID_PATTERN = /^[CGD][A-Z0-9]+$/;
const USER_ID_PATTERN = /^[UW][A-Z0-9]+$/;

/** `chat.postMessage` and `chat.update` refuse text longer than this (`msg_too_long`). */
export const MAX_MESSAGE_TEXT = 40_000;
/** Slack documents up to 100 attachments a message (`too_many_attachments`). */
export const MAX_ATTACHMENTS = 100;
/** A response_url takes up to 5 responses within 30 minutes of the interaction (Slack's "Handling user interaction"). */
export const RESPONSE_URL_MAX_USES = 5;
export const RESPONSE_URL_LIFETIME_MS = 30 * 60 * 1000;

/**
 * Rate limits applied unless `setRateLimit` changes them. Slack lets chat.postMessage
 * post about one message a second a channel "with short bursts allowed" and publishes
 * no burst size: the emulator allows a burst of 10 per channel, then 1 a second, so a
 * test of the bot can post a few messages at once. The other methods get their tier's
 * documented minimum as a hard cap (Tier 2: 20, Tier 3: 50, Tier 4: 100 a minute),
 * with the whole minute's worth available as a burst.
 */
export const DEFAULT_RATE_LIMITS: Readonly<Record<string, RateLimit>> = Object.freeze({
  'chat.postMessage': { limit: 10, perSeconds: 10 },
  'chat.update': { limit: 50, perSeconds: 60 },
  'chat.postEphemeral': { limit: 100, perSeconds: 60 },
  'chat.getPermalink': { limit: 100, perSeconds: 60 },
  'views.publish': { limit: 100, perSeconds: 60 },
  'users.info': { limit: 100, perSeconds: 60 },
  'usergroups.users.list': { limit: 20, perSeconds: 60 },
  'conversations.info': { limit: 50, perSeconds: 60 },
  'auth.test': { limit: 100, perSeconds: 60 },
  'files.getUploadURLExternal': { limit: 100, perSeconds: 60 },
  'files.completeUploadExternal': { limit: 100, perSeconds: 60 },
});

/** One Web API call as the emulator received and answered it. */
export interface RecordedCall {
  readonly method: string;
  /** Arguments, with JSON-encoded `blocks`, `attachments`, `view`, `files` and `metadata` decoded. */
  readonly params: Readonly<Record<string, unknown>>;
  readonly token: string | undefined;
  readonly contentType: string | undefined;
  readonly at: Date;
  readonly response: {
    readonly status: number;
    readonly body: Readonly<Record<string, unknown>>;
    readonly retryAfter?: number;
  };
}

export interface MessageRevision {
  readonly text: string;
  readonly blocks: readonly unknown[] | undefined;
  readonly attachments: readonly unknown[] | undefined;
  readonly replacedAt: Date;
}

/** A message in a channel, as the emulator holds it. */
export interface EmulatedMessage {
  readonly channel: string;
  readonly ts: string;
  readonly thread_ts: string | undefined;
  readonly reply_broadcast: boolean;
  text: string;
  blocks: readonly unknown[] | undefined;
  attachments: readonly unknown[] | undefined;
  readonly user: string;
  readonly bot_id: string | undefined;
  readonly app_id: string | undefined;
  readonly files: readonly string[];
  edited: { readonly user: string; readonly ts: string } | undefined;
  /** Earlier versions, oldest first. */
  readonly history: MessageRevision[];
  deleted: boolean;
  readonly postedAt: Date;
  readonly via: 'chat.postMessage' | 'response_url' | 'files.completeUploadExternal' | 'injected';
}

/** An ephemeral message shown to one user. */
export interface EmulatedEphemeral {
  readonly channel: string;
  readonly user: string;
  readonly message_ts: string;
  readonly thread_ts: string | undefined;
  text: string;
  blocks: readonly unknown[] | undefined;
  deleted: boolean;
  readonly at: Date;
  readonly via: 'chat.postEphemeral' | 'response_url';
}

/** Where a response_url leads back to: the conversation, the user and, for messages, the original message. */
export interface ResponseUrlContext {
  readonly channelId: string;
  readonly userId: string;
  readonly messageTs?: string;
  readonly isEphemeral?: boolean;
}

/** One POST to a response_url. */
export interface ResponseDelivery {
  readonly id: string;
  readonly at: Date;
  readonly context: ResponseUrlContext | undefined;
  readonly status: number;
  readonly error: string | undefined;
  readonly body: unknown;
  readonly response_type: 'ephemeral' | 'in_channel' | undefined;
  readonly replace_original: boolean;
  readonly delete_original: boolean;
  readonly text: string | undefined;
  readonly blocks: readonly unknown[] | undefined;
  readonly thread_ts: string | undefined;
}

export interface PublishedView {
  readonly id: string;
  readonly userId: string;
  readonly view: Readonly<Record<string, unknown>>;
  readonly hash: string;
  readonly publishedAt: Date;
  /** Every version published for the user, oldest first (the last is `view`). */
  readonly history: readonly Readonly<Record<string, unknown>>[];
}

export interface EmulatedFile {
  readonly id: string;
  readonly filename: string;
  readonly length: number;
  readonly uploadUrl: string;
  readonly altText: string | undefined;
  readonly snippetType: string | undefined;
  bytes: Buffer | undefined;
  title: string | undefined;
  completed: boolean;
  channels: readonly string[];
  threadTs: string | undefined;
  initialComment: string | undefined;
}

export interface EmulatedUser {
  readonly id: string;
  readonly name: string;
  readonly realName: string;
  readonly displayName: string;
  readonly isBot: boolean;
  readonly tz: string;
}

export interface EmulatedChannel {
  readonly id: string;
  readonly name: string;
  readonly isPrivate: boolean;
}

export type SlackEmulatorEventMap = {
  call: [RecordedCall];
  message: [EmulatedMessage];
  message_changed: [EmulatedMessage];
  message_deleted: [EmulatedMessage];
  ephemeral: [EmulatedEphemeral];
  response: [ResponseDelivery];
  view_published: [PublishedView];
};

export interface SlackEmulator {
  /** `http://127.0.0.1:PORT/api/`, for the WebClient's `slackApiUrl`. */
  readonly apiUrl: string;
  /** `http://127.0.0.1:PORT/`. */
  readonly baseUrl: string;
  readonly port: number;
  readonly botToken: string;
  readonly identity: SlackIdentity;
  readonly calls: readonly RecordedCall[];
  readonly messages: readonly EmulatedMessage[];
  readonly ephemerals: readonly EmulatedEphemeral[];
  readonly responses: readonly ResponseDelivery[];
  /** The Home tab published for each user, by user id. */
  readonly views: ReadonlyMap<string, PublishedView>;
  readonly files: ReadonlyMap<string, EmulatedFile>;
  readonly events: EventEmitter<SlackEmulatorEventMap>;
  addUser(user: {
    id: string;
    name: string;
    realName: string;
    displayName?: string;
    isBot?: boolean;
    tz?: string;
  }): void;
  addChannel(channel: { id: string; name: string; isPrivate?: boolean }): void;
  setUsergroup(id: string, userIds: readonly string[]): void;
  user(id: string): EmulatedUser | undefined;
  channelName(id: string): string;
  /** The message `ts` of `channel`, deleted or not. */
  findMessage(channel: string, ts: string): EmulatedMessage | undefined;
  findEphemeral(channel: string, messageTs: string): EmulatedEphemeral | undefined;
  /** Puts a message from someone else (a person, another app) in a channel, as if posted in Slack. */
  injectMessage(message: {
    channel: string;
    user: string;
    text: string;
    thread_ts?: string;
    bot_id?: string;
  }): EmulatedMessage;
  /** A stored message as Slack's Web API returns it (in chat.postMessage answers and block_actions payloads). */
  apiMessage(message: EmulatedMessage): Record<string, unknown>;
  /** The message's permalink, as chat.getPermalink answers it. */
  permalink(message: EmulatedMessage): string;
  /** Registers a response_url leading back to `context` and returns it. */
  createResponseUrl(context: ResponseUrlContext): string;
  /** The next `times` calls of `method` (after authentication) answer `{ ok: false, error }`. */
  failNext(method: string, error: string, times?: number): void;
  /** Replaces the rate limit of `method`; `null` removes it. */
  setRateLimit(method: string, limit: RateLimit | null): void;
  /** The first recorded call of `method` matching `predicate`, waiting for it if needed. */
  waitForCall(method: string, predicate?: (call: RecordedCall) => boolean, timeoutMs?: number): Promise<RecordedCall>;
  /** Clears recorded calls, messages, ephemerals, responses, views and files, scripted failures and rate-limit state; users, channels and usergroups stay. */
  reset(): void;
  close(): Promise<void>;
}

type ApiBody = Record<string, unknown>;
interface ApiAnswer {
  readonly status: number;
  readonly body: ApiBody;
  readonly retryAfter?: number;
}

const ok = (body: ApiBody = {}): ApiAnswer => ({ status: 200, body: { ok: true, ...body } });
const fail = (error: string, extra: ApiBody = {}): ApiAnswer => ({ status: 200, body: { ok: false, error, ...extra } });
const missingField = (error: string, field: string): ApiAnswer =>
  fail(error, { response_metadata: { messages: [`[ERROR] missing required field: ${field}`] } });

const blockFailure = (error: string, issues: readonly BlockIssue[], prefix = ''): ApiAnswer => {
  const shifted = issues.map((issue) => ({ ...issue, pointer: `${prefix}${issue.pointer}` }));
  return fail(error, {
    errors: shifted.map(describeBlockIssue),
    response_metadata: { messages: shifted.map(formatBlockIssue) },
  });
};

/** Arguments whose value Slack takes as a JSON-encoded string in form bodies. */
const JSON_ARGUMENTS = new Set(['blocks', 'attachments', 'view', 'files', 'metadata']);

type JsonArgument =
  { readonly kind: 'absent' } | { readonly kind: 'malformed' } | { readonly kind: 'value'; readonly value: unknown };

/** Reads Web API arguments that arrived form-encoded (all strings) or as JSON (any type). */
class Params {
  constructor(readonly raw: Readonly<Record<string, unknown>>) {}

  string(key: string): string | undefined {
    const value = this.raw[key];
    if (typeof value === 'string') return value;
    if (typeof value === 'number' || typeof value === 'boolean') return String(value);
    return undefined;
  }

  boolean(key: string): boolean {
    const value = this.raw[key];
    return value === true || value === 1 || value === 'true' || value === '1';
  }

  json(key: string): JsonArgument {
    const value = this.raw[key];
    if (value === undefined || value === null || value === '') return { kind: 'absent' };
    if (typeof value !== 'string') return { kind: 'value', value };
    try {
      return { kind: 'value', value: JSON.parse(value) as unknown };
    } catch {
      return { kind: 'malformed' };
    }
  }
}

const jsonObjectSchema = z.record(z.string(), z.unknown());
const unknownArraySchema = z.array(z.unknown());
const completeFilesSchema = z
  .array(z.object({ id: z.string().min(1), title: z.string().optional(), highlight_type: z.string().optional() }))
  .min(1);
const homeViewSchema = z.strictObject({
  type: z.string(),
  blocks: unknownArraySchema,
  private_metadata: z.string().max(3000).optional(),
  callback_id: z.string().max(255).optional(),
  external_id: z.string().optional(),
});
const responseBodySchema = z.looseObject({
  text: z.string().optional(),
  blocks: unknownArraySchema.optional(),
  attachments: unknownArraySchema.optional(),
  response_type: z.enum(['ephemeral', 'in_channel']).optional(),
  replace_original: z.union([z.boolean(), z.enum(['true', 'false'])]).optional(),
  delete_original: z.union([z.boolean(), z.enum(['true', 'false'])]).optional(),
  thread_ts: z.string().optional(),
});

type Content =
  | {
      readonly ok: true;
      readonly text: string | undefined;
      readonly blocks?: unknown[];
      readonly attachments?: unknown[];
    }
  | { readonly ok: false; readonly answer: ApiAnswer };

/** Parses a request body the way Slack's Web API does, by its Content-Type. */
async function parseBody(
  body: Buffer,
  contentTypeHeader: string | undefined,
): Promise<{ ok: true; params: Record<string, unknown>; fromJson: boolean } | { ok: false; error: string }> {
  if (body.length === 0) return { ok: true, params: {}, fromJson: false };
  if (contentTypeHeader === undefined) return { ok: false, error: 'missing_post_type' };
  const [mediaTypeRaw, ...parameters] = contentTypeHeader.split(';');
  const mediaType = (mediaTypeRaw ?? '').trim().toLowerCase();
  const charset = parameters
    .map((parameter) => parameter.trim().split('='))
    .find(([name]) => name?.toLowerCase() === 'charset')?.[1]
    ?.replace(/"/g, '')
    .toLowerCase();
  if (charset !== undefined && !['utf-8', 'utf8', 'iso-8859-1'].includes(charset))
    return { ok: false, error: 'invalid_charset' };
  const text = body.toString(charset === 'iso-8859-1' ? 'latin1' : 'utf8');
  switch (mediaType) {
    case 'application/x-www-form-urlencoded':
    case 'text/plain':
      return { ok: true, params: Object.fromEntries(new URLSearchParams(text)), fromJson: false };
    case 'application/json': {
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        return { ok: false, error: 'invalid_json' };
      }
      const object = jsonObjectSchema.safeParse(parsed);
      return object.success ? { ok: true, params: object.data, fromJson: true } : { ok: false, error: 'invalid_json' };
    }
    case 'multipart/form-data': {
      try {
        const form = await new Response(new Uint8Array(body), {
          headers: { 'content-type': contentTypeHeader },
        }).formData();
        const params: Record<string, unknown> = {};
        form.forEach((value, key) => {
          if (typeof value === 'string') params[key] = value;
        });
        return { ok: true, params, fromJson: false };
      } catch {
        return { ok: false, error: 'invalid_form_data' };
      }
    }
    default:
      return { ok: false, error: 'invalid_post_type' };
  }
}

function readBody(request: IncomingMessage, limitBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limitBytes) {
        reject(new Error('request body too large'));
        request.destroy();
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

function writeJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  response.end(JSON.stringify(body));
}

function formatTs(micros: number): string {
  return `${Math.floor(micros / 1_000_000)}.${String(micros % 1_000_000).padStart(6, '0')}`;
}

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
function randomId(prefix: string, length = 10, alphabet = ALPHANUMERIC): string {
  const bytes = randomBytes(length);
  let id = prefix;
  for (const byte of bytes) id += alphabet[byte % alphabet.length];
  return id;
}

/** Slack's generated block and action ids look like `Ab1Cd`. */
const makeBlockId = (): string => randomId('', 5, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789');

function tzOffsetSeconds(tz: string, at: Date): number {
  const name =
    new Intl.DateTimeFormat('en-US', { timeZone: tz, timeZoneName: 'longOffset' })
      .formatToParts(at)
      .find((part) => part.type === 'timeZoneName')?.value ?? 'GMT';
  const match = /GMT([+-])(\d{2}):(\d{2})/.exec(name);
  if (match === null) return 0;
  const sign = match[1] === '-' ? -1 : 1;
  return sign * (Number(match[2]) * 3600 + Number(match[3]) * 60);
}

interface MethodContext {
  readonly params: Params;
  readonly now: Date;
}

interface MethodSpec {
  /** Slack documents `application/json` bodies for this method; otherwise JSON arguments are not read. */
  readonly acceptsJson: boolean;
  /** The part of the arguments a rate limit is counted per (Slack: per channel for chat.postMessage). */
  readonly rateKey?: (params: Params) => string;
  readonly handle: (context: MethodContext) => ApiAnswer;
}

interface ResponseUrlRecord {
  readonly context: ResponseUrlContext;
  readonly createdAt: Date;
  uses: number;
}

class SlackWebApiEmulator implements SlackEmulator {
  readonly events = new EventEmitter<SlackEmulatorEventMap>();
  readonly identity: SlackIdentity = DEFAULT_IDENTITY;
  readonly botToken: string;
  readonly #server: Server;
  readonly #clock: Clock;
  readonly #calls: RecordedCall[] = [];
  readonly #messages: EmulatedMessage[] = [];
  readonly #ephemerals: EmulatedEphemeral[] = [];
  readonly #responses: ResponseDelivery[] = [];
  readonly #views = new Map<string, PublishedView>();
  readonly #files = new Map<string, EmulatedFile>();
  readonly #uploadTickets = new Map<string, string>();
  readonly #users = new Map<string, EmulatedUser>();
  readonly #channels = new Map<string, EmulatedChannel>();
  readonly #usergroups = new Map<string, readonly string[]>();
  readonly #responseUrls = new Map<string, ResponseUrlRecord>();
  readonly #failures = new Map<string, { error: string; remaining: number }[]>();
  readonly #rateLimits = new Map<string, RateLimit | null>();
  readonly #buckets = new TokenBuckets();
  readonly #methods: Readonly<Record<string, MethodSpec>>;
  #lastTsMicros = 0;
  #port = 0;

  constructor(server: Server, botToken: string, clock: Clock) {
    this.#server = server;
    this.botToken = botToken;
    this.#clock = clock;
    this.#users.set(this.identity.botUserId, {
      id: this.identity.botUserId,
      name: this.identity.botName,
      realName: 'Liftoff',
      displayName: 'Liftoff',
      isBot: true,
      tz: 'America/Los_Angeles',
    });
    const byChannel = (params: Params): string => params.string('channel') ?? '';
    this.#methods = {
      'auth.test': { acceptsJson: true, handle: () => this.#authTest() },
      'chat.postMessage': { acceptsJson: true, rateKey: byChannel, handle: (c) => this.#postMessage(c) },
      'chat.update': { acceptsJson: true, handle: (c) => this.#update(c) },
      'chat.postEphemeral': { acceptsJson: true, handle: (c) => this.#postEphemeral(c) },
      'chat.getPermalink': { acceptsJson: false, handle: (c) => this.#getPermalink(c) },
      'views.publish': { acceptsJson: true, handle: (c) => this.#publishView(c) },
      'users.info': { acceptsJson: false, handle: (c) => this.#usersInfo(c) },
      'usergroups.users.list': { acceptsJson: false, handle: (c) => this.#usergroupUsers(c) },
      'conversations.info': { acceptsJson: false, handle: (c) => this.#conversationsInfo(c) },
      'files.getUploadURLExternal': { acceptsJson: true, handle: (c) => this.#getUploadUrl(c) },
      'files.completeUploadExternal': { acceptsJson: true, handle: (c) => this.#completeUpload(c) },
    };
  }

  get port(): number {
    return this.#port;
  }
  get baseUrl(): string {
    return `http://127.0.0.1:${this.#port}/`;
  }
  get apiUrl(): string {
    return `${this.baseUrl}api/`;
  }
  get calls(): readonly RecordedCall[] {
    return this.#calls;
  }
  get messages(): readonly EmulatedMessage[] {
    return this.#messages;
  }
  get ephemerals(): readonly EmulatedEphemeral[] {
    return this.#ephemerals;
  }
  get responses(): readonly ResponseDelivery[] {
    return this.#responses;
  }
  get views(): ReadonlyMap<string, PublishedView> {
    return this.#views;
  }
  get files(): ReadonlyMap<string, EmulatedFile> {
    return this.#files;
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
        this.#port = address.port;
        resolve();
      });
    });
  }

  // ---- test-facing controls -------------------------------------------------------

  addUser(user: {
    id: string;
    name: string;
    realName: string;
    displayName?: string;
    isBot?: boolean;
    tz?: string;
  }): void {
    // Throws a RangeError now for an unknown IANA zone, rather than failing users.info later.
    new Intl.DateTimeFormat('en-US', { timeZone: user.tz ?? 'UTC' });
    this.#users.set(user.id, {
      id: user.id,
      name: user.name,
      realName: user.realName,
      displayName: user.displayName ?? user.realName,
      isBot: user.isBot ?? false,
      tz: user.tz ?? 'America/Los_Angeles',
    });
  }

  addChannel(channel: { id: string; name: string; isPrivate?: boolean }): void {
    if (!CHANNEL_ID_PATTERN.test(channel.id)) throw new Error(`not a Slack channel id: ${channel.id}`);
    this.#channels.set(channel.id, { id: channel.id, name: channel.name, isPrivate: channel.isPrivate ?? false });
  }

  setUsergroup(id: string, userIds: readonly string[]): void {
    this.#usergroups.set(id, [...userIds]);
  }

  user(id: string): EmulatedUser | undefined {
    return this.#users.get(id);
  }

  channelName(id: string): string {
    const known = this.#channels.get(id);
    if (known !== undefined) return known.name;
    if (id.startsWith('D')) return 'directmessage';
    return id.startsWith('G') ? 'privategroup' : `channel-${id.toLowerCase()}`;
  }

  findMessage(channel: string, ts: string): EmulatedMessage | undefined {
    return this.#messages.find((message) => message.channel === channel && message.ts === ts);
  }

  findEphemeral(channel: string, messageTs: string): EmulatedEphemeral | undefined {
    return this.#ephemerals.find((message) => message.channel === channel && message.message_ts === messageTs);
  }

  injectMessage(message: {
    channel: string;
    user: string;
    text: string;
    thread_ts?: string;
    bot_id?: string;
  }): EmulatedMessage {
    const record: EmulatedMessage = {
      channel: message.channel,
      ts: this.#nextTs(),
      thread_ts: message.thread_ts,
      reply_broadcast: false,
      text: message.text,
      blocks: undefined,
      attachments: undefined,
      user: message.user,
      bot_id: message.bot_id,
      app_id: undefined,
      files: [],
      edited: undefined,
      history: [],
      deleted: false,
      postedAt: this.#clock.now(),
      via: 'injected',
    };
    this.#messages.push(record);
    this.events.emit('message', record);
    return record;
  }

  createResponseUrl(context: ResponseUrlContext): string {
    const id = randomUUID();
    this.#responseUrls.set(id, { context, createdAt: this.#clock.now(), uses: 0 });
    return `${this.baseUrl}response/${id}`;
  }

  failNext(method: string, error: string, times = 1): void {
    const queue = this.#failures.get(method) ?? [];
    queue.push({ error, remaining: times });
    this.#failures.set(method, queue);
  }

  setRateLimit(method: string, limit: RateLimit | null): void {
    if (limit !== null && (!(limit.limit >= 1) || !(limit.perSeconds > 0)))
      throw new Error('a rate limit needs limit >= 1 and perSeconds > 0');
    this.#rateLimits.set(method, limit);
    this.#buckets.clear(`${method}|`);
  }

  waitForCall(
    method: string,
    predicate: (call: RecordedCall) => boolean = () => true,
    timeoutMs = 5000,
  ): Promise<RecordedCall> {
    const matches = (call: RecordedCall): boolean => call.method === method && predicate(call);
    const existing = this.#calls.find(matches);
    if (existing !== undefined) return Promise.resolve(existing);
    return new Promise((resolve, reject) => {
      const onCall = (call: RecordedCall): void => {
        if (!matches(call)) return;
        clearTimeout(timer);
        this.events.off('call', onCall);
        resolve(call);
      };
      const timer = setTimeout(() => {
        this.events.off('call', onCall);
        reject(new Error(`no ${method} call within ${timeoutMs} ms`));
      }, timeoutMs);
      this.events.on('call', onCall);
    });
  }

  reset(): void {
    this.#calls.length = 0;
    this.#messages.length = 0;
    this.#ephemerals.length = 0;
    this.#responses.length = 0;
    this.#views.clear();
    this.#files.clear();
    this.#uploadTickets.clear();
    this.#responseUrls.clear();
    this.#failures.clear();
    this.#rateLimits.clear();
    this.#buckets.clear();
  }

  close(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#server.close((error) => (error === undefined ? resolve() : reject(error)));
      this.#server.closeAllConnections();
    });
  }

  // ---- HTTP --------------------------------------------------------------------------

  async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', this.baseUrl);
    const segments = url.pathname.split('/').filter((segment) => segment.length > 0);
    const [root, second, third] = segments;
    if (root === 'api' && second !== undefined && segments.length === 2) {
      await this.#handleApi(second, url, request, response);
      return;
    }
    if (root === 'response' && second !== undefined && segments.length === 2 && request.method === 'POST') {
      await this.#handleResponseUrl(second, request, response);
      return;
    }
    if (
      root === 'upload' &&
      second === 'v1' &&
      third !== undefined &&
      segments.length === 3 &&
      request.method === 'POST'
    ) {
      await this.#handleUpload(third, request, response);
      return;
    }
    if (root === 'archives' && second !== undefined && third !== undefined && request.method === 'GET') {
      this.#handlePermalink(second, third, response);
      return;
    }
    response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
    response.end('not found');
  }

  async #handleApi(method: string, url: URL, request: IncomingMessage, response: ServerResponse): Promise<void> {
    const at = this.#clock.now();
    const contentType = request.headers['content-type'];
    const body = await readBody(request, 10 * 1024 * 1024);
    const query = Object.fromEntries(url.searchParams);
    const parsed = await parseBody(body, contentType);
    const spec = this.#methods[method];
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
    else if (token !== this.botToken) answer = fail('invalid_auth');
    else answer = this.#dispatch(method, spec, new Params(params), at);

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
    this.#calls.push(call);
    this.events.emit('call', call);
  }

  #dispatch(method: string, spec: MethodSpec, params: Params, now: Date): ApiAnswer {
    const limit = this.#rateLimits.has(method) ? this.#rateLimits.get(method) : DEFAULT_RATE_LIMITS[method];
    if (limit !== undefined && limit !== null) {
      const key = `${method}|${spec.rateKey?.(params) ?? 'workspace'}`;
      const decision = this.#buckets.take(key, limit, now.getTime());
      if (!decision.allowed)
        return { status: 429, body: { ok: false, error: 'ratelimited' }, retryAfter: decision.retryAfterSeconds };
    }
    const queue = this.#failures.get(method);
    const scripted = queue?.[0];
    if (queue !== undefined && scripted !== undefined) {
      scripted.remaining -= 1;
      if (scripted.remaining <= 0) queue.shift();
      return fail(scripted.error);
    }
    return spec.handle({ params, now });
  }

  // ---- Web API methods -----------------------------------------------------------------

  #authTest(): ApiAnswer {
    return ok({
      url: this.baseUrl,
      team: this.identity.teamName,
      user: this.identity.botName,
      team_id: this.identity.teamId,
      user_id: this.identity.botUserId,
      bot_id: this.identity.botId,
      is_enterprise_install: false,
    });
  }

  /** Text, blocks and attachments of a message, checked as chat.postMessage checks them. */
  #readContent(params: Params, surface: 'message'): Content {
    const text = params.string('text');
    const blocksArg = params.json('blocks');
    const attachmentsArg = params.json('attachments');
    let blocks: unknown[] | undefined;
    let attachments: unknown[] | undefined;
    if (blocksArg.kind === 'malformed') return { ok: false, answer: fail('invalid_blocks_format') };
    if (blocksArg.kind === 'value') {
      const array = unknownArraySchema.safeParse(blocksArg.value);
      if (!array.success) return { ok: false, answer: fail('invalid_blocks_format') };
      blocks = array.data;
    }
    if (attachmentsArg.kind === 'malformed') return { ok: false, answer: fail('invalid_attachments') };
    if (attachmentsArg.kind === 'value') {
      const array = unknownArraySchema.safeParse(attachmentsArg.value);
      if (!array.success) return { ok: false, answer: fail('invalid_attachments') };
      attachments = array.data;
    }
    const hasText = text !== undefined && text.trim().length > 0;
    if (!hasText && (blocks?.length ?? 0) === 0 && (attachments?.length ?? 0) === 0)
      return { ok: false, answer: fail('no_text') };
    if (text !== undefined && text.length > MAX_MESSAGE_TEXT) return { ok: false, answer: fail('msg_too_long') };
    if ((attachments?.length ?? 0) > MAX_ATTACHMENTS) return { ok: false, answer: fail('too_many_attachments') };
    if (blocks !== undefined) {
      const issues = validateBlocks(blocks, surface);
      if (issues.length > 0) return { ok: false, answer: blockFailure('invalid_blocks', issues) };
      if (blocksTooLong(blocks)) return { ok: false, answer: fail('msg_blocks_too_long') };
      blocks = normalizeBlocks(blocks, makeBlockId);
    }
    // An empty array stores nothing (and, in chat.update, removes what was there).
    return {
      ok: true,
      text,
      ...(blocks === undefined || blocks.length === 0 ? {} : { blocks }),
      ...(attachments === undefined || attachments.length === 0 ? {} : { attachments }),
    };
  }

  #postMessage({ params, now }: MethodContext): ApiAnswer {
    const channel = params.string('channel');
    if (channel === undefined || !CHANNEL_ID_PATTERN.test(channel)) return fail('channel_not_found');
    const content = this.#readContent(params, 'message');
    if (!content.ok) return content.answer;
    const threadTs = params.string('thread_ts');
    const message: EmulatedMessage = {
      channel,
      ts: this.#nextTs(),
      thread_ts: threadTs === '' ? undefined : threadTs,
      reply_broadcast: threadTs !== undefined && params.boolean('reply_broadcast'),
      text: content.text ?? '',
      blocks: content.blocks,
      attachments: content.attachments,
      user: this.identity.botUserId,
      bot_id: this.identity.botId,
      app_id: this.identity.appId,
      files: [],
      edited: undefined,
      history: [],
      deleted: false,
      postedAt: now,
      via: 'chat.postMessage',
    };
    this.#messages.push(message);
    this.events.emit('message', message);
    return ok({ channel, ts: message.ts, message: this.apiMessage(message) });
  }

  #update({ params, now }: MethodContext): ApiAnswer {
    const channel = params.string('channel');
    if (channel === undefined || !CHANNEL_ID_PATTERN.test(channel)) return fail('channel_not_found');
    const ts = params.string('ts');
    const message = ts === undefined ? undefined : this.findMessage(channel, ts);
    if (message === undefined || message.deleted) return fail('message_not_found');
    if (message.user !== this.identity.botUserId || message.bot_id !== this.identity.botId)
      return fail('cant_update_message');
    const textGiven = params.string('text');
    const blocksGiven = params.json('blocks');
    const attachmentsGiven = params.json('attachments');
    if (textGiven === undefined && blocksGiven.kind === 'absent' && attachmentsGiven.kind === 'absent')
      return fail('no_text');
    // Omitted blocks or attachments are kept, as Slack documents for chat.update; an empty array removes them.
    const merged = new Params({
      text: textGiven ?? message.text,
      blocks: blocksGiven.kind === 'absent' ? message.blocks : params.raw['blocks'],
      attachments: attachmentsGiven.kind === 'absent' ? message.attachments : params.raw['attachments'],
    });
    const content = this.#readContent(merged, 'message');
    if (!content.ok) return content.answer;
    message.history.push({
      text: message.text,
      blocks: message.blocks,
      attachments: message.attachments,
      replacedAt: now,
    });
    message.text = content.text ?? '';
    message.blocks = content.blocks;
    message.attachments = content.attachments;
    message.edited = { user: this.identity.botUserId, ts: this.#nextTs() };
    this.events.emit('message_changed', message);
    // chat.update answers the message without its ts (Slack's documented example).
    const apiMessage = this.apiMessage(message);
    delete apiMessage['ts'];
    return ok({ channel, ts: message.ts, text: message.text, message: apiMessage });
  }

  #postEphemeral({ params, now }: MethodContext): ApiAnswer {
    const channel = params.string('channel');
    if (channel === undefined || !CHANNEL_ID_PATTERN.test(channel)) return fail('channel_not_found');
    const user = params.string('user');
    if (user === undefined || !USER_ID_PATTERN.test(user)) return fail('user_not_in_channel');
    const content = this.#readContent(params, 'message');
    if (!content.ok) return content.answer;
    const ephemeral: EmulatedEphemeral = {
      channel,
      user,
      message_ts: this.#nextTs(),
      thread_ts: params.string('thread_ts'),
      text: content.text ?? '',
      blocks: content.blocks,
      deleted: false,
      at: now,
      via: 'chat.postEphemeral',
    };
    this.#ephemerals.push(ephemeral);
    this.events.emit('ephemeral', ephemeral);
    return ok({ message_ts: ephemeral.message_ts });
  }

  #getPermalink({ params }: MethodContext): ApiAnswer {
    const channel = params.string('channel');
    if (channel === undefined || !CHANNEL_ID_PATTERN.test(channel)) return fail('channel_not_found');
    const ts = params.string('message_ts');
    const message = ts === undefined ? undefined : this.findMessage(channel, ts);
    if (message === undefined || message.deleted) return fail('message_not_found');
    return ok({ channel, permalink: this.permalink(message) });
  }

  #publishView({ params, now }: MethodContext): ApiAnswer {
    const userId = params.string('user_id');
    if (userId === undefined || userId === '') return missingField('invalid_arguments', 'user_id');
    if (!USER_ID_PATTERN.test(userId)) return fail('user_not_found');
    const viewArg = params.json('view');
    if (viewArg.kind === 'absent') return missingField('invalid_arguments', 'view');
    if (viewArg.kind === 'malformed')
      return fail('invalid_arguments', {
        response_metadata: { messages: ['[ERROR] failed to parse json [json-pointer:/view]'] },
      });
    const parsed = homeViewSchema.safeParse(viewArg.value);
    if (!parsed.success) {
      const messages = parsed.error.issues.map(
        (issue) =>
          `[ERROR] ${issue.message} [json-pointer:/view${issue.path.map((part) => `/${String(part)}`).join('')}]`,
      );
      return fail('invalid_arguments', { response_metadata: { messages } });
    }
    const view = parsed.data;
    // views.publish is for Home tabs only: a modal view here is refused.
    if (view.type !== 'home')
      return fail('invalid_arguments', {
        response_metadata: { messages: ['[ERROR] must be home [json-pointer:/view/type]'] },
      });
    const issues = validateBlocks(view.blocks, 'home');
    if (issues.length > 0) return blockFailure('invalid_arguments', issues, '/view');
    const previous = this.#views.get(userId);
    const hash = params.string('hash');
    if (hash !== undefined && hash !== '' && previous !== undefined && hash !== previous.hash)
      return fail('hash_conflict');
    const id = previous?.id ?? randomId('V');
    const stored: Record<string, unknown> = {
      id,
      team_id: this.identity.teamId,
      type: 'home',
      blocks: normalizeBlocks(view.blocks, makeBlockId),
      private_metadata: view.private_metadata ?? '',
      callback_id: view.callback_id ?? '',
      state: { values: {} },
      hash: `${Math.floor(now.getTime() / 1000)}.${randomId('', 8, '0123456789abcdef')}`,
      title: { type: 'plain_text', text: 'View Title', emoji: true },
      clear_on_close: false,
      notify_on_close: false,
      close: null,
      submit: null,
      previous_view_id: null,
      root_view_id: id,
      app_id: this.identity.appId,
      external_id: view.external_id ?? '',
      app_installed_team_id: this.identity.teamId,
      bot_id: this.identity.botId,
    };
    const published: PublishedView = {
      id,
      userId,
      view: stored,
      hash: String(stored['hash']),
      publishedAt: now,
      history: [...(previous?.history ?? []), stored],
    };
    this.#views.set(userId, published);
    this.events.emit('view_published', published);
    return ok({ view: stored });
  }

  #usersInfo({ params, now }: MethodContext): ApiAnswer {
    const id = params.string('user');
    const user = id === undefined ? undefined : this.#users.get(id);
    if (user === undefined) return fail('user_not_found');
    return ok({ user: this.#apiUser(user, now) });
  }

  #usergroupUsers({ params }: MethodContext): ApiAnswer {
    const id = params.string('usergroup');
    const users = id === undefined ? undefined : this.#usergroups.get(id);
    if (users === undefined) return fail('no_such_subteam');
    return ok({ users: [...users] });
  }

  #conversationsInfo({ params, now }: MethodContext): ApiAnswer {
    const id = params.string('channel');
    if (id === undefined || !CHANNEL_ID_PATTERN.test(id)) return fail('channel_not_found');
    const name = this.channelName(id);
    const isIm = id.startsWith('D');
    const isPrivate = this.#channels.get(id)?.isPrivate ?? id.startsWith('G');
    const created = Math.floor(now.getTime() / 1000) - 86_400;
    if (isIm)
      return ok({
        channel: { id, created, is_im: true, is_org_shared: false, user: '', is_open: true, locale: 'en-US' },
      });
    return ok({
      channel: {
        id,
        name,
        is_channel: !isPrivate,
        is_group: isPrivate,
        is_im: false,
        is_mpim: false,
        is_private: isPrivate,
        created,
        creator: this.identity.botUserId,
        is_archived: false,
        is_general: false,
        unlinked: 0,
        name_normalized: name,
        is_shared: false,
        is_ext_shared: false,
        is_org_shared: false,
        pending_shared: [],
        is_pending_ext_shared: false,
        is_member: true,
        topic: { value: '', creator: '', last_set: 0 },
        purpose: { value: '', creator: '', last_set: 0 },
        previous_names: [],
      },
    });
  }

  #getUploadUrl({ params }: MethodContext): ApiAnswer {
    const filename = params.string('filename');
    if (filename === undefined || filename === '') return missingField('invalid_arguments', 'filename');
    const lengthArg = params.string('length');
    if (lengthArg === undefined || lengthArg === '') return missingField('invalid_arguments', 'length');
    if (!/^\d+$/.test(lengthArg)) return fail('invalid_arguments');
    const length = Number(lengthArg);
    // Slack: "missing_argument ... Typically only occurs when the length provided is 0."
    if (length === 0) return fail('missing_argument');
    const altText = params.string('alt_txt');
    if (altText !== undefined && altText.length > 1000) return fail('alt_txt_too_large');
    const id = randomId('F');
    const ticket = randomId('', 24, 'abcdefghijklmnopqrstuvwxyz0123456789');
    const uploadUrl = `${this.baseUrl}upload/v1/${ticket}`;
    this.#files.set(id, {
      id,
      filename,
      length,
      uploadUrl,
      altText,
      snippetType: params.string('snippet_type'),
      bytes: undefined,
      title: undefined,
      completed: false,
      channels: [],
      threadTs: undefined,
      initialComment: undefined,
    });
    this.#uploadTickets.set(ticket, id);
    return ok({ upload_url: uploadUrl, file_id: id });
  }

  #completeUpload({ params, now }: MethodContext): ApiAnswer {
    const filesArg = params.json('files');
    if (filesArg.kind === 'absent') return missingField('invalid_arguments', 'files');
    const parsed = filesArg.kind === 'value' ? completeFilesSchema.safeParse(filesArg.value) : undefined;
    if (parsed === undefined || !parsed.success) return fail('invalid_arguments');
    const files: EmulatedFile[] = [];
    for (const entry of parsed.data) {
      const file = this.#files.get(entry.id);
      // Slack: "file_not_found: Could not find the file from the upload ticket." The bytes must be uploaded first.
      if (file === undefined || file.bytes === undefined || file.completed) return fail('file_not_found');
      files.push(file);
    }
    const channelId = params.string('channel_id');
    const channelsCsv = params.string('channels');
    const channels = [
      ...(channelId === undefined || channelId === '' ? [] : [channelId]),
      ...(channelsCsv === undefined || channelsCsv === '' ? [] : channelsCsv.split(',').map((part) => part.trim())),
    ];
    if (channels.some((channel) => !CHANNEL_ID_PATTERN.test(channel))) return fail('invalid_channel');
    const threadTs = params.string('thread_ts');
    const initialComment = params.string('initial_comment');
    parsed.data.forEach((entry, index) => {
      const file = files[index];
      if (file === undefined) return;
      file.completed = true;
      file.title = entry.title ?? file.filename;
      file.channels = channels;
      file.threadTs = threadTs;
      file.initialComment = initialComment;
    });
    for (const channel of channels) {
      const message: EmulatedMessage = {
        channel,
        ts: this.#nextTs(),
        thread_ts: threadTs,
        reply_broadcast: false,
        text: initialComment ?? '',
        blocks: undefined,
        attachments: undefined,
        user: this.identity.botUserId,
        bot_id: this.identity.botId,
        app_id: this.identity.appId,
        files: files.map((file) => file.id),
        edited: undefined,
        history: [],
        deleted: false,
        postedAt: now,
        via: 'files.completeUploadExternal',
      };
      this.#messages.push(message);
      this.events.emit('message', message);
    }
    return ok({ files: files.map((file) => ({ id: file.id, title: file.title ?? file.filename })) });
  }

  // ---- response_url, uploads, permalinks -------------------------------------------------

  async #handleResponseUrl(id: string, request: IncomingMessage, response: ServerResponse): Promise<void> {
    const at = this.#clock.now();
    const raw = await readBody(request, 1024 * 1024);
    const record = this.#responseUrls.get(id);
    const deliver = (
      status: number,
      error: string | undefined,
      body: unknown,
      fields: Partial<ResponseDelivery> = {},
    ): void => {
      const delivery: ResponseDelivery = {
        id,
        at,
        context: record?.context,
        status,
        error,
        body,
        response_type: undefined,
        replace_original: false,
        delete_original: false,
        text: undefined,
        blocks: undefined,
        thread_ts: undefined,
        ...fields,
      };
      this.#responses.push(delivery);
      writeJson(response, status, error === undefined ? { ok: true } : { ok: false, error });
      this.events.emit('response', delivery);
    };
    let body: unknown;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      deliver(400, 'invalid_payload', raw.toString('utf8'));
      return;
    }
    if (record === undefined) {
      deliver(404, 'no_service', body);
      return;
    }
    if (at.getTime() - record.createdAt.getTime() > RESPONSE_URL_LIFETIME_MS) {
      deliver(404, 'expired_url', body);
      return;
    }
    if (record.uses >= RESPONSE_URL_MAX_USES) {
      deliver(404, 'used_url', body);
      return;
    }
    const parsed = responseBodySchema.safeParse(body);
    if (!parsed.success) {
      deliver(400, 'invalid_payload', body);
      return;
    }
    const payload = parsed.data;
    const fields: Partial<ResponseDelivery> = {
      response_type: payload.response_type,
      replace_original: payload.replace_original === true || payload.replace_original === 'true',
      delete_original: payload.delete_original === true || payload.delete_original === 'true',
      text: payload.text,
      blocks: payload.blocks,
      thread_ts: payload.thread_ts,
    };
    record.uses += 1;
    const { context } = record;
    const original =
      context.messageTs === undefined
        ? undefined
        : context.isEphemeral === true
          ? this.findEphemeral(context.channelId, context.messageTs)
          : this.findMessage(context.channelId, context.messageTs);

    if (fields.delete_original === true) {
      if (original !== undefined && !original.deleted) {
        original.deleted = true;
        if ('ts' in original) this.events.emit('message_deleted', original);
      }
      deliver(200, undefined, body, fields);
      return;
    }
    const content = this.#readContent(
      new Params({ text: payload.text, blocks: payload.blocks, attachments: payload.attachments }),
      'message',
    );
    if (!content.ok) {
      deliver(400, String(content.answer.body['error']), body, fields);
      return;
    }
    if (fields.replace_original === true && original !== undefined && !original.deleted) {
      if ('ts' in original) {
        original.history.push({
          text: original.text,
          blocks: original.blocks,
          attachments: original.attachments,
          replacedAt: at,
        });
        original.text = content.text ?? '';
        original.blocks = content.blocks;
        original.attachments = content.attachments;
        original.edited = { user: this.identity.botUserId, ts: this.#nextTs() };
        this.events.emit('message_changed', original);
      } else {
        original.text = content.text ?? '';
        original.blocks = content.blocks;
        this.events.emit('ephemeral', original);
      }
      deliver(200, undefined, body, fields);
      return;
    }
    if (payload.response_type === 'in_channel') {
      const message: EmulatedMessage = {
        channel: context.channelId,
        ts: this.#nextTs(),
        thread_ts: payload.thread_ts,
        reply_broadcast: false,
        text: content.text ?? '',
        blocks: content.blocks,
        attachments: content.attachments,
        user: this.identity.botUserId,
        bot_id: this.identity.botId,
        app_id: this.identity.appId,
        files: [],
        edited: undefined,
        history: [],
        deleted: false,
        postedAt: at,
        via: 'response_url',
      };
      this.#messages.push(message);
      this.events.emit('message', message);
    } else {
      const ephemeral: EmulatedEphemeral = {
        channel: context.channelId,
        user: context.userId,
        message_ts: this.#nextTs(),
        thread_ts: payload.thread_ts,
        text: content.text ?? '',
        blocks: content.blocks,
        deleted: false,
        at,
        via: 'response_url',
      };
      this.#ephemerals.push(ephemeral);
      this.events.emit('ephemeral', ephemeral);
    }
    deliver(200, undefined, body, fields);
  }

  async #handleUpload(ticket: string, request: IncomingMessage, response: ServerResponse): Promise<void> {
    const raw = await readBody(request, 100 * 1024 * 1024);
    const fileId = this.#uploadTickets.get(ticket);
    const file = fileId === undefined ? undefined : this.#files.get(fileId);
    if (file === undefined || file.completed) {
      response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
      response.end('not found');
      return;
    }
    let bytes = raw;
    const contentType = request.headers['content-type'];
    // Slack takes the file as raw bytes or multipart form-encoded (files.getUploadURLExternal usage info).
    if (contentType?.toLowerCase().startsWith('multipart/form-data') === true) {
      try {
        const form = await new Response(new Uint8Array(raw), { headers: { 'content-type': contentType } }).formData();
        let part: ArrayBuffer | undefined;
        for (const value of form.values()) {
          if (typeof value === 'string') continue;
          part = await value.arrayBuffer();
          break;
        }
        if (part === undefined) throw new Error('no file part');
        bytes = Buffer.from(part);
      } catch {
        response.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' });
        response.end('invalid_form_data');
        return;
      }
    }
    file.bytes = bytes;
    response.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
    response.end(`OK - ${bytes.length}`);
  }

  #handlePermalink(channel: string, pTs: string, response: ServerResponse): void {
    const match = /^p(\d+)(\d{6})$/.exec(pTs);
    const message = match === null ? undefined : this.findMessage(channel, `${match[1]}.${match[2]}`);
    if (message === undefined || message.deleted) {
      response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
      response.end('message not found');
      return;
    }
    writeJson(response, 200, { channel, message: this.apiMessage(message) });
  }

  // ---- shapes ----------------------------------------------------------------------------

  /** A message as Slack's Web API returns it. */
  apiMessage(message: EmulatedMessage): Record<string, unknown> {
    const parent =
      message.thread_ts !== undefined && message.thread_ts !== message.ts
        ? this.findMessage(message.channel, message.thread_ts)
        : undefined;
    const isBot = message.bot_id !== undefined;
    return {
      ...(isBot ? { bot_id: message.bot_id } : {}),
      type: 'message',
      text: message.text,
      user: message.user,
      ts: message.ts,
      ...(message.app_id === undefined ? {} : { app_id: message.app_id }),
      ...(message.blocks === undefined ? {} : { blocks: message.blocks }),
      ...(message.attachments === undefined ? {} : { attachments: message.attachments }),
      team: this.identity.teamId,
      ...(message.bot_id === this.identity.botId
        ? {
            bot_profile: {
              id: this.identity.botId,
              deleted: false,
              name: this.identity.botName,
              updated: Math.floor(message.postedAt.getTime() / 1000),
              app_id: this.identity.appId,
              team_id: this.identity.teamId,
            },
          }
        : {}),
      ...(message.thread_ts === undefined ? {} : { thread_ts: message.thread_ts }),
      ...(parent === undefined ? {} : { parent_user_id: parent.user }),
      ...(message.edited === undefined ? {} : { edited: message.edited }),
      ...(message.files.length === 0 ? {} : { files: message.files.map((id) => ({ id })), upload: true }),
    };
  }

  /** Slack's permalink: `/archives/<channel>/p<ts without the dot>`, with the thread for replies. */
  permalink(message: EmulatedMessage): string {
    const base = `${this.baseUrl}archives/${message.channel}/p${message.ts.replace('.', '')}`;
    if (message.thread_ts === undefined || message.thread_ts === message.ts) return base;
    return `${base}?thread_ts=${message.thread_ts}&cid=${message.channel}`;
  }

  #apiUser(user: EmulatedUser, now: Date): Record<string, unknown> {
    const offset = tzOffsetSeconds(user.tz, now);
    return {
      id: user.id,
      team_id: this.identity.teamId,
      name: user.name,
      deleted: false,
      real_name: user.realName,
      tz: user.tz,
      tz_label: user.tz,
      tz_offset: offset,
      profile: {
        real_name: user.realName,
        real_name_normalized: user.realName,
        display_name: user.displayName,
        display_name_normalized: user.displayName,
        team: this.identity.teamId,
        ...(user.isBot && user.id === this.identity.botUserId
          ? { bot_id: this.identity.botId, api_app_id: this.identity.appId }
          : {}),
      },
      is_admin: false,
      is_owner: false,
      is_primary_owner: false,
      is_restricted: false,
      is_ultra_restricted: false,
      is_bot: user.isBot,
      is_app_user: false,
      updated: Math.floor(now.getTime() / 1000),
    };
  }

  /** Unique, increasing message timestamps like `1732450000.000100`, following the clock. */
  #nextTs(): string {
    const nowMicros = this.#clock.now().getTime() * 1000;
    const next = Math.max(nowMicros, this.#lastTsMicros) + 100;
    this.#lastTsMicros = next;
    return formatTs(next);
  }
}

function decodeParams(params: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const decoded: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(params)) {
    if (JSON_ARGUMENTS.has(key) && typeof value === 'string') {
      try {
        decoded[key] = JSON.parse(value) as unknown;
        continue;
      } catch {
        // Left as sent: the method answers the malformed JSON itself.
      }
    }
    decoded[key] = value;
  }
  return decoded;
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
