/**
 * Sends Slack's requests to the bot as Slack sends them: slash commands and
 * `block_actions` form-encoded, Events API callbacks as JSON, each signed with
 * `v0` HMAC-SHA256 over `v0:{timestamp}:{raw body}` (Slack's "Verifying requests
 * from Slack"). Payload fields follow Slack's reference for slash commands,
 * the block_actions payload and the Events API envelope.
 *
 * Requests only ever go to 127.0.0.1 or localhost.
 */
import { createHmac, randomBytes, randomUUID } from 'node:crypto';

import { findActionElement } from './block-kit.js';
import { DEFAULT_IDENTITY, type Clock, type SlackEmulator } from './web-api-emulator.js';

export interface SlackRequestSenderOptions {
  /** The bot's request URL, e.g. `http://127.0.0.1:3000/slack/events`. Must be on the loopback interface. */
  readonly targetUrl: string;
  readonly signingSecret: string;
  /** For response URLs, user and channel names and the messages behind block actions. */
  readonly emulator?: SlackEmulator;
  readonly clock?: Clock;
  readonly teamId?: string;
  readonly apiAppId?: string;
  /** The deprecated verification token Slack still puts in payloads. */
  readonly verificationToken?: string;
}

export interface SendOptions {
  /** Sets `x-slack-retry-num` (and `x-slack-retry-reason`, default `http_timeout`), as Slack's retries do. */
  readonly retryNum?: number;
  readonly retryReason?: string;
  /** Shifts `X-Slack-Request-Timestamp` (and the signed timestamp) by this many seconds. */
  readonly timestampSkewSeconds?: number;
  /** Signs with this secret instead, to forge a request. */
  readonly signingSecret?: string;
  /** Leaves out `X-Slack-Signature` (the timestamp header is still sent). */
  readonly omitSignature?: boolean;
  readonly triggerId?: string;
  /**
   * Sends a click on someone else's ephemeral message, which Slack itself never delivers: a forged request, as
   * someone holding the signing secret could send, for tests of what Liftoff does with one.
   */
  readonly forgeEphemeralClick?: boolean;
}

export interface SentResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  json(): unknown;
}

export interface SlashCommandInput {
  readonly command: string;
  readonly text: string;
  readonly userId: string;
  readonly channelId?: string;
  readonly userName?: string;
}

export interface BlockActionInput {
  readonly actionId: string;
  /** The button's value; defaults to the value of the button in the emulated message. */
  readonly value?: string;
  readonly userId: string;
  readonly channelId: string;
  readonly messageTs: string;
  readonly blockId?: string;
}

export interface SlackRequestSender {
  slashCommand(input: SlashCommandInput, opts?: SendOptions): Promise<SentResponse>;
  blockAction(input: BlockActionInput, opts?: SendOptions): Promise<SentResponse>;
  appHomeOpened(input: { readonly userId: string }, opts?: SendOptions): Promise<SentResponse>;
  raw(body: string, contentType: string, opts?: SendOptions): Promise<SentResponse>;
  /** The last payload built by `slashCommand`, `blockAction` or `appHomeOpened`, decoded. */
  readonly lastPayload: Readonly<Record<string, unknown>> | undefined;
}

/** Headers Slack signs a request with. */
export interface SlackSignatureHeaders {
  readonly 'x-slack-request-timestamp': string;
  readonly 'x-slack-signature': string;
}

/** Slack's `v0` signature of `body` at `timestampSeconds`. */
export function signSlackRequest(signingSecret: string, timestampSeconds: number, body: string): SlackSignatureHeaders {
  const digest = createHmac('sha256', signingSecret).update(`v0:${timestampSeconds}:${body}`).digest('hex');
  return { 'x-slack-request-timestamp': String(timestampSeconds), 'x-slack-signature': `v0=${digest}` };
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** Where response URLs point when no emulator is given: the discard port on loopback, so nothing leaves the machine. */
const NO_EMULATOR_RESPONSE_BASE = 'http://127.0.0.1:9/response/';

function randomDigits(length: number): string {
  let digits = '';
  for (const byte of randomBytes(length)) digits += String(byte % 10);
  return digits;
}

/** Slack's trigger ids look like `13345224609.738474920.8088930838d88f008e0`. */
function makeTriggerId(): string {
  return `${randomDigits(11)}.${randomDigits(9)}.${randomBytes(16).toString('hex')}`;
}

function slackTs(date: Date): string {
  const micros = date.getTime() * 1000;
  return `${Math.floor(micros / 1_000_000)}.${String(micros % 1_000_000).padStart(6, '0')}`;
}

/**
 * Builds and sends signed Slack requests to the bot at `targetUrl`.
 */
export function createSlackRequestSender(options: SlackRequestSenderOptions): SlackRequestSender {
  const target = new URL(options.targetUrl);
  if (!LOOPBACK_HOSTS.has(target.hostname))
    throw new Error(`the request sender only sends to 127.0.0.1 or localhost, not ${target.hostname}`);
  const clock = options.clock ?? { now: () => new Date() };
  const emulator = options.emulator;
  const teamId = options.teamId ?? emulator?.identity.teamId ?? DEFAULT_IDENTITY.teamId;
  const teamDomain = emulator?.identity.teamDomain ?? DEFAULT_IDENTITY.teamDomain;
  const apiAppId = options.apiAppId ?? emulator?.identity.appId ?? DEFAULT_IDENTITY.appId;
  const botUserId = emulator?.identity.botUserId ?? DEFAULT_IDENTITY.botUserId;
  const verificationToken = options.verificationToken ?? 'sandboxverificationtoken';
  let lastPayload: Record<string, unknown> | undefined;

  const userName = (userId: string, given?: string): string =>
    given ?? emulator?.user(userId)?.name ?? userId.toLowerCase();
  const channelName = (channelId: string): string => {
    if (emulator !== undefined) return emulator.channelName(channelId);
    if (channelId.startsWith('D')) return 'directmessage';
    return channelId.startsWith('G') ? 'privategroup' : channelId.toLowerCase();
  };
  const responseUrl = (context: {
    channelId: string;
    userId: string;
    messageTs?: string;
    isEphemeral?: boolean;
  }): string => emulator?.createResponseUrl(context) ?? `${NO_EMULATOR_RESPONSE_BASE}${randomUUID()}`;

  async function send(body: string, contentType: string, opts: SendOptions = {}): Promise<SentResponse> {
    const timestamp = Math.floor(clock.now().getTime() / 1000) + (opts.timestampSkewSeconds ?? 0);
    const signature = signSlackRequest(opts.signingSecret ?? options.signingSecret, timestamp, body);
    const headers: Record<string, string> = {
      'content-type': contentType,
      'user-agent': 'Slackbot 1.0 (+https://api.slack.com/robots)',
      'x-slack-request-timestamp': signature['x-slack-request-timestamp'],
    };
    if (opts.omitSignature !== true) headers['x-slack-signature'] = signature['x-slack-signature'];
    if (opts.retryNum !== undefined) {
      headers['x-slack-retry-num'] = String(opts.retryNum);
      headers['x-slack-retry-reason'] = opts.retryReason ?? 'http_timeout';
    } else if (opts.retryReason !== undefined) headers['x-slack-retry-reason'] = opts.retryReason;
    const response = await fetch(target, { method: 'POST', headers, body, redirect: 'error' });
    const text = await response.text();
    return {
      status: response.status,
      headers: Object.fromEntries(response.headers.entries()),
      body: text,
      json: () => JSON.parse(text) as unknown,
    };
  }

  return {
    get lastPayload() {
      return lastPayload;
    },

    async slashCommand(input, opts = {}) {
      const channelId = input.channelId ?? 'C0LIFTOFF01';
      const fields: Record<string, string> = {
        token: verificationToken,
        team_id: teamId,
        team_domain: teamDomain,
        channel_id: channelId,
        channel_name: channelName(channelId),
        user_id: input.userId,
        user_name: userName(input.userId, input.userName),
        command: input.command,
        text: input.text,
        api_app_id: apiAppId,
        is_enterprise_install: 'false',
        response_url: responseUrl({ channelId, userId: input.userId }),
        trigger_id: opts.triggerId ?? makeTriggerId(),
      };
      lastPayload = fields;
      return send(new URLSearchParams(fields).toString(), 'application/x-www-form-urlencoded', opts);
    },

    async blockAction(input, opts = {}) {
      const ephemeral = emulator?.findEphemeral(input.channelId, input.messageTs);
      const message = ephemeral === undefined ? emulator?.findMessage(input.channelId, input.messageTs) : undefined;
      if (emulator !== undefined && ephemeral === undefined && (message === undefined || message.deleted))
        throw new Error(`no message ${input.messageTs} in ${input.channelId}: Slack cannot send an action from it`);
      // Slack shows an ephemeral message to its one recipient only: nobody else can click it.
      if (
        ephemeral !== undefined &&
        opts.forgeEphemeralClick !== true &&
        (ephemeral.user !== input.userId || ephemeral.deleted)
      )
        throw new Error(
          `${input.userId} cannot click the ephemeral message ${input.messageTs}: Slack shows it to ${ephemeral.user} alone${ephemeral.deleted ? ', and it was deleted' : ''}`,
        );
      const blocks = ephemeral?.blocks ?? message?.blocks;
      const found = blocks === undefined ? undefined : findActionElement(blocks, input.actionId);
      if (emulator !== undefined && found === undefined)
        throw new Error(`the message ${input.messageTs} has no element with action_id ${input.actionId}`);
      const element = found?.element;
      const elementText = element?.['text'];
      const elementValue = element?.['value'];
      const value = input.value ?? (typeof elementValue === 'string' ? elementValue : undefined);
      const action: Record<string, unknown> = {
        action_id: input.actionId,
        block_id: input.blockId ?? found?.blockId ?? 'liftoff',
        text:
          typeof elementText === 'object' && elementText !== null
            ? elementText
            : { type: 'plain_text', text: input.actionId, emoji: true },
        ...(value === undefined ? {} : { value }),
        ...(typeof element?.['style'] === 'string' ? { style: element['style'] } : {}),
        type: typeof element?.['type'] === 'string' ? element['type'] : 'button',
        action_ts: slackTs(clock.now()),
      };
      const payload: Record<string, unknown> = {
        type: 'block_actions',
        user: { id: input.userId, username: userName(input.userId), name: userName(input.userId), team_id: teamId },
        api_app_id: apiAppId,
        token: verificationToken,
        container: {
          type: 'message',
          message_ts: input.messageTs,
          channel_id: input.channelId,
          is_ephemeral: ephemeral !== undefined,
        },
        trigger_id: opts.triggerId ?? makeTriggerId(),
        team: { id: teamId, domain: teamDomain },
        enterprise: null,
        is_enterprise_install: false,
        channel: { id: input.channelId, name: channelName(input.channelId) },
        // Slack sends the message an action came from, except for ephemeral messages.
        ...(ephemeral !== undefined
          ? {}
          : {
              message:
                message === undefined || emulator === undefined
                  ? { type: 'message', ts: input.messageTs, user: botUserId, text: '' }
                  : emulator.apiMessage(message),
            }),
        state: { values: {} },
        response_url: responseUrl({
          channelId: input.channelId,
          userId: input.userId,
          messageTs: input.messageTs,
          isEphemeral: ephemeral !== undefined,
        }),
        actions: [action],
      };
      lastPayload = payload;
      const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
      return send(body, 'application/x-www-form-urlencoded', opts);
    },

    async appHomeOpened(input, opts = {}) {
      const now = clock.now();
      const view = emulator?.views.get(input.userId)?.view;
      const payload: Record<string, unknown> = {
        token: verificationToken,
        team_id: teamId,
        api_app_id: apiAppId,
        event: {
          type: 'app_home_opened',
          user: input.userId,
          channel: `D${input.userId.slice(1)}`,
          tab: 'home',
          ...(view === undefined ? {} : { view }),
          event_ts: slackTs(now),
        },
        type: 'event_callback',
        event_id: `Ev${randomBytes(5).toString('hex').toUpperCase()}`,
        event_time: Math.floor(now.getTime() / 1000),
        authorizations: [
          { enterprise_id: null, team_id: teamId, user_id: botUserId, is_bot: true, is_enterprise_install: false },
        ],
        is_ext_shared_channel: false,
      };
      lastPayload = payload;
      return send(JSON.stringify(payload), 'application/json', opts);
    },

    raw(body, contentType, opts = {}) {
      return send(body, contentType, opts);
    },
  };
}
