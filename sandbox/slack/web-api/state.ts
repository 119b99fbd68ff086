/**
 * The emulated workspace every Web API family reads and changes: who the app is, the
 * users, channels and usergroups, the messages, views and files posted, the calls
 * recorded, and the limits and scripted failures the dispatcher applies.
 */
import { EventEmitter } from 'node:events';

import { TokenBuckets, type RateLimit } from '../rate-limiter.js';
import { formatTs } from './ids.js';
import type {
  Clock,
  EmulatedChannel,
  EmulatedEphemeral,
  EmulatedFile,
  EmulatedMessage,
  EmulatedUser,
  PublishedView,
  RecordedCall,
  ResponseDelivery,
  ResponseUrlContext,
  SlackEmulatorEventMap,
  SlackIdentity,
} from './types.js';

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
export const USER_ID_PATTERN = /^[UW][A-Z0-9]+$/;

export interface ResponseUrlRecord {
  readonly context: ResponseUrlContext;
  readonly createdAt: Date;
  uses: number;
}

/** A `failNext` script: the error to answer, and how many more calls answer it. */
export interface ScriptedFailure {
  readonly error: string;
  remaining: number;
}

/** The state one emulator's families share; the families hold no state of their own. */
export class EmulatorState {
  readonly events = new EventEmitter<SlackEmulatorEventMap>();
  readonly identity: SlackIdentity = DEFAULT_IDENTITY;
  readonly calls: RecordedCall[] = [];
  readonly messages: EmulatedMessage[] = [];
  readonly ephemerals: EmulatedEphemeral[] = [];
  readonly responses: ResponseDelivery[] = [];
  readonly views = new Map<string, PublishedView>();
  readonly files = new Map<string, EmulatedFile>();
  readonly uploadTickets = new Map<string, string>();
  readonly users = new Map<string, EmulatedUser>();
  readonly channels = new Map<string, EmulatedChannel>();
  readonly usergroups = new Map<string, readonly string[]>();
  readonly responseUrls = new Map<string, ResponseUrlRecord>();
  readonly failures = new Map<string, ScriptedFailure[]>();
  readonly rateLimits = new Map<string, RateLimit | null>();
  readonly buckets = new TokenBuckets();
  /** Set once the server listens. */
  port = 0;
  #lastTsMicros = 0;

  constructor(
    readonly botToken: string,
    readonly clock: Clock,
  ) {
    this.users.set(this.identity.botUserId, {
      id: this.identity.botUserId,
      name: this.identity.botName,
      realName: 'Liftoff',
      displayName: 'Liftoff',
      isBot: true,
      tz: 'America/Los_Angeles',
    });
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}/`;
  }

  /** Unique, increasing message timestamps like `1732450000.000100`, following the clock. */
  nextTs(): string {
    const nowMicros = this.clock.now().getTime() * 1000;
    const next = Math.max(nowMicros, this.#lastTsMicros) + 100;
    this.#lastTsMicros = next;
    return formatTs(next);
  }

  findMessage(channel: string, ts: string): EmulatedMessage | undefined {
    return this.messages.find((message) => message.channel === channel && message.ts === ts);
  }

  findEphemeral(channel: string, messageTs: string): EmulatedEphemeral | undefined {
    return this.ephemerals.find((message) => message.channel === channel && message.message_ts === messageTs);
  }

  /** Forgets what was posted and scripted; users, channels and usergroups stay. */
  reset(): void {
    this.calls.length = 0;
    this.messages.length = 0;
    this.ephemerals.length = 0;
    this.responses.length = 0;
    this.views.clear();
    this.files.clear();
    this.uploadTickets.clear();
    this.responseUrls.clear();
    this.failures.clear();
    this.rateLimits.clear();
    this.buckets.clear();
  }
}
