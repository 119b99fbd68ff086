/**
 * Messages as every family that posts them shares them: their content checked as
 * chat.postMessage checks it, their storage and edits, and their Web API shape and permalink.
 */
import { blocksTooLong, normalizeBlocks, validateBlocks } from '../block-kit.js';
import { makeBlockId } from './ids.js';
import { blockFailure, fail, type ApiAnswer } from './method.js';
import { unknownArraySchema, type Params } from './params.js';
import type { EmulatorState } from './state.js';
import type { EmulatedEphemeral, EmulatedMessage } from './types.js';

/** `chat.postMessage` and `chat.update` refuse text longer than this (`msg_too_long`). */
export const MAX_MESSAGE_TEXT = 40_000;
/** Slack documents up to 100 attachments a message (`too_many_attachments`). */
export const MAX_ATTACHMENTS = 100;

export type Content =
  | {
      readonly ok: true;
      readonly text: string | undefined;
      readonly blocks?: unknown[];
      readonly attachments?: unknown[];
    }
  | { readonly ok: false; readonly answer: ApiAnswer };

/** Text, blocks and attachments of a message, checked as chat.postMessage checks them. */
export function readContent(params: Params, surface: 'message'): Content {
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

/** A message as Slack's Web API returns it. */
export function apiMessage(state: EmulatorState, message: EmulatedMessage): Record<string, unknown> {
  const parent =
    message.thread_ts !== undefined && message.thread_ts !== message.ts
      ? state.findMessage(message.channel, message.thread_ts)
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
    team: state.identity.teamId,
    ...(message.bot_id === state.identity.botId
      ? {
          bot_profile: {
            id: state.identity.botId,
            deleted: false,
            name: state.identity.botName,
            updated: Math.floor(message.postedAt.getTime() / 1000),
            app_id: state.identity.appId,
            team_id: state.identity.teamId,
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
export function permalink(state: EmulatorState, message: EmulatedMessage): string {
  const base = `${state.baseUrl}archives/${message.channel}/p${message.ts.replace('.', '')}`;
  if (message.thread_ts === undefined || message.thread_ts === message.ts) return base;
  return `${base}?thread_ts=${message.thread_ts}&cid=${message.channel}`;
}

/** Who a message is from: the app itself unless said otherwise. */
export type MessageAuthor = Pick<EmulatedMessage, 'user' | 'bot_id' | 'app_id'>;

/** A message about to be posted; the emulator gives it its ts. */
export interface NewMessage {
  readonly channel: string;
  readonly thread_ts: string | undefined;
  readonly reply_broadcast?: boolean;
  readonly text: string;
  readonly blocks?: readonly unknown[] | undefined;
  readonly attachments?: readonly unknown[] | undefined;
  readonly files?: readonly string[];
  readonly via: EmulatedMessage['via'];
  readonly author?: MessageAuthor;
  /** The clock's time once the ts is drawn, unless given. */
  readonly postedAt?: Date;
}

/** Stores `message` in its channel with a new ts and tells listeners it was posted. */
export function storeMessage(state: EmulatorState, message: NewMessage): EmulatedMessage {
  const author = message.author ?? {
    user: state.identity.botUserId,
    bot_id: state.identity.botId,
    app_id: state.identity.appId,
  };
  const stored: EmulatedMessage = {
    channel: message.channel,
    ts: state.nextTs(),
    thread_ts: message.thread_ts,
    reply_broadcast: message.reply_broadcast ?? false,
    text: message.text,
    blocks: message.blocks,
    attachments: message.attachments,
    user: author.user,
    bot_id: author.bot_id,
    app_id: author.app_id,
    files: message.files ?? [],
    edited: undefined,
    history: [],
    deleted: false,
    postedAt: message.postedAt ?? state.clock.now(),
    via: message.via,
  };
  state.messages.push(stored);
  state.events.emit('message', stored);
  return stored;
}

/** Replaces the content of `message` as an edit by the app at `at`, keeping what it replaces in its history. */
export function editMessage(
  state: EmulatorState,
  message: EmulatedMessage,
  content: Extract<Content, { readonly ok: true }>,
  at: Date,
): void {
  message.history.push({
    text: message.text,
    blocks: message.blocks,
    attachments: message.attachments,
    replacedAt: at,
  });
  message.text = content.text ?? '';
  message.blocks = content.blocks;
  message.attachments = content.attachments;
  message.edited = { user: state.identity.botUserId, ts: state.nextTs() };
  state.events.emit('message_changed', message);
}

/** Stores an ephemeral message for `ephemeral.user` with a new message_ts and tells listeners. */
export function storeEphemeral(
  state: EmulatorState,
  ephemeral: Omit<EmulatedEphemeral, 'message_ts' | 'deleted'>,
): EmulatedEphemeral {
  const stored: EmulatedEphemeral = {
    channel: ephemeral.channel,
    user: ephemeral.user,
    message_ts: state.nextTs(),
    thread_ts: ephemeral.thread_ts,
    text: ephemeral.text,
    blocks: ephemeral.blocks,
    deleted: false,
    at: ephemeral.at,
    via: ephemeral.via,
  };
  state.ephemerals.push(stored);
  state.events.emit('ephemeral', stored);
  return stored;
}
