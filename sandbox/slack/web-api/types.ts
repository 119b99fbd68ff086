/** The Slack emulator's interface, the records it keeps and emits, and what it is started with. */
import type { EventEmitter } from 'node:events';

import type { RateLimit } from '../rate-limiter.js';

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
