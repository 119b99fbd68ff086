/** `response_url`s: the URLs interactions carry, and what a POST to one does to the conversation. */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';

import { readBody, writeJson } from './http.js';
import { editMessage, readContent, storeEphemeral, storeMessage } from './messages.js';
import { Params, unknownArraySchema } from './params.js';
import type { EmulatorState } from './state.js';
import type { ResponseDelivery, ResponseUrlContext } from './types.js';

/** A response_url takes up to 5 responses within 30 minutes of the interaction (Slack's "Handling user interaction"). */
export const RESPONSE_URL_MAX_USES = 5;
export const RESPONSE_URL_LIFETIME_MS = 30 * 60 * 1000;

const responseBodySchema = z.looseObject({
  text: z.string().optional(),
  blocks: unknownArraySchema.optional(),
  attachments: unknownArraySchema.optional(),
  response_type: z.enum(['ephemeral', 'in_channel']).optional(),
  replace_original: z.union([z.boolean(), z.enum(['true', 'false'])]).optional(),
  delete_original: z.union([z.boolean(), z.enum(['true', 'false'])]).optional(),
  thread_ts: z.string().optional(),
});

/** Registers a response_url leading back to `context` and returns it. */
export function createResponseUrl(state: EmulatorState, context: ResponseUrlContext): string {
  const id = randomUUID();
  state.responseUrls.set(id, { context, createdAt: state.clock.now(), uses: 0 });
  return `${state.baseUrl}response/${id}`;
}

/** POST `/response/<id>`: a response to an interaction, refused once the URL is expired or used up. */
export async function handleResponseUrl(
  state: EmulatorState,
  id: string,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const at = state.clock.now();
  const raw = await readBody(request, 1024 * 1024);
  const record = state.responseUrls.get(id);
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
    state.responses.push(delivery);
    writeJson(response, status, error === undefined ? { ok: true } : { ok: false, error });
    state.events.emit('response', delivery);
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
        ? state.findEphemeral(context.channelId, context.messageTs)
        : state.findMessage(context.channelId, context.messageTs);

  if (fields.delete_original === true) {
    if (original !== undefined && !original.deleted) {
      original.deleted = true;
      if ('ts' in original) state.events.emit('message_deleted', original);
    }
    deliver(200, undefined, body, fields);
    return;
  }
  const content = readContent(
    new Params({ text: payload.text, blocks: payload.blocks, attachments: payload.attachments }),
    'message',
  );
  if (!content.ok) {
    deliver(400, String(content.answer.body['error']), body, fields);
    return;
  }
  if (fields.replace_original === true && original !== undefined && !original.deleted) {
    if ('ts' in original) {
      editMessage(state, original, content, at);
    } else {
      original.text = content.text ?? '';
      original.blocks = content.blocks;
      state.events.emit('ephemeral', original);
    }
    deliver(200, undefined, body, fields);
    return;
  }
  if (payload.response_type === 'in_channel') {
    storeMessage(state, {
      channel: context.channelId,
      thread_ts: payload.thread_ts,
      text: content.text ?? '',
      blocks: content.blocks,
      attachments: content.attachments,
      postedAt: at,
      via: 'response_url',
    });
  } else {
    storeEphemeral(state, {
      channel: context.channelId,
      user: context.userId,
      thread_ts: payload.thread_ts,
      text: content.text ?? '',
      blocks: content.blocks,
      at,
      via: 'response_url',
    });
  }
  deliver(200, undefined, body, fields);
}
