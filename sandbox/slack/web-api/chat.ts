/** The `chat.*` methods, message injection for tests, and the permalink pages messages link to. */
import type { ServerResponse } from 'node:http';

import { writeJson, writeText } from './http.js';
import { apiMessage, editMessage, permalink, readContent, storeEphemeral, storeMessage } from './messages.js';
import { fail, ok, type ApiAnswer, type MethodContext, type MethodRegistry } from './method.js';
import { Params } from './params.js';
import { CHANNEL_ID_PATTERN, USER_ID_PATTERN, type EmulatorState } from './state.js';
import type { EmulatedMessage, SlackEmulator } from './types.js';

/** chat.postMessage, chat.update, chat.postEphemeral and chat.getPermalink. */
export function chatMethods(state: EmulatorState): MethodRegistry {
  const byChannel = (params: Params): string => params.string('channel') ?? '';
  return {
    'chat.postMessage': { acceptsJson: true, rateKey: byChannel, handle: (c) => postMessage(state, c) },
    'chat.update': { acceptsJson: true, handle: (c) => update(state, c) },
    'chat.postEphemeral': { acceptsJson: true, handle: (c) => postEphemeral(state, c) },
    'chat.getPermalink': { acceptsJson: false, handle: (c) => getPermalink(state, c) },
  };
}

function postMessage(state: EmulatorState, { params, now }: MethodContext): ApiAnswer {
  const channel = params.string('channel');
  if (channel === undefined || !CHANNEL_ID_PATTERN.test(channel)) return fail('channel_not_found');
  const content = readContent(params, 'message');
  if (!content.ok) return content.answer;
  const threadTs = params.string('thread_ts');
  const message = storeMessage(state, {
    channel,
    thread_ts: threadTs === '' ? undefined : threadTs,
    reply_broadcast: threadTs !== undefined && params.boolean('reply_broadcast'),
    text: content.text ?? '',
    blocks: content.blocks,
    attachments: content.attachments,
    postedAt: now,
    via: 'chat.postMessage',
  });
  return ok({ channel, ts: message.ts, message: apiMessage(state, message) });
}

function update(state: EmulatorState, { params, now }: MethodContext): ApiAnswer {
  const channel = params.string('channel');
  if (channel === undefined || !CHANNEL_ID_PATTERN.test(channel)) return fail('channel_not_found');
  const ts = params.string('ts');
  const message = ts === undefined ? undefined : state.findMessage(channel, ts);
  if (message === undefined || message.deleted) return fail('message_not_found');
  if (message.user !== state.identity.botUserId || message.bot_id !== state.identity.botId)
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
  const content = readContent(merged, 'message');
  if (!content.ok) return content.answer;
  editMessage(state, message, content, now);
  // chat.update answers the message without its ts (Slack's documented example).
  const answered = apiMessage(state, message);
  delete answered['ts'];
  return ok({ channel, ts: message.ts, text: message.text, message: answered });
}

function postEphemeral(state: EmulatorState, { params, now }: MethodContext): ApiAnswer {
  const channel = params.string('channel');
  if (channel === undefined || !CHANNEL_ID_PATTERN.test(channel)) return fail('channel_not_found');
  const user = params.string('user');
  if (user === undefined || !USER_ID_PATTERN.test(user)) return fail('user_not_in_channel');
  const content = readContent(params, 'message');
  if (!content.ok) return content.answer;
  const ephemeral = storeEphemeral(state, {
    channel,
    user,
    thread_ts: params.string('thread_ts'),
    text: content.text ?? '',
    blocks: content.blocks,
    at: now,
    via: 'chat.postEphemeral',
  });
  return ok({ message_ts: ephemeral.message_ts });
}

function getPermalink(state: EmulatorState, { params }: MethodContext): ApiAnswer {
  const channel = params.string('channel');
  if (channel === undefined || !CHANNEL_ID_PATTERN.test(channel)) return fail('channel_not_found');
  const ts = params.string('message_ts');
  const message = ts === undefined ? undefined : state.findMessage(channel, ts);
  if (message === undefined || message.deleted) return fail('message_not_found');
  return ok({ channel, permalink: permalink(state, message) });
}

/** Puts a message from someone else (a person, another app) in a channel, as if posted in Slack. */
export function injectMessage(
  state: EmulatorState,
  message: Parameters<SlackEmulator['injectMessage']>[0],
): EmulatedMessage {
  return storeMessage(state, {
    channel: message.channel,
    thread_ts: message.thread_ts,
    text: message.text,
    author: { user: message.user, bot_id: message.bot_id, app_id: undefined },
    via: 'injected',
  });
}

/** GET `/archives/<channel>/p<ts>`: the message a permalink leads to, as JSON. */
export function handlePermalink(state: EmulatorState, channel: string, pTs: string, response: ServerResponse): void {
  const match = /^p(\d+)(\d{6})$/.exec(pTs);
  const message = match === null ? undefined : state.findMessage(channel, `${match[1]}.${match[2]}`);
  if (message === undefined || message.deleted) {
    writeText(response, 404, 'message not found');
    return;
  }
  writeJson(response, 200, { channel, message: apiMessage(state, message) });
}
