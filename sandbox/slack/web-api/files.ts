/** File uploads: `files.getUploadURLExternal`, the upload URL it hands out, and `files.completeUploadExternal`. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';

import { readBody, writeText } from './http.js';
import { randomId } from './ids.js';
import { storeMessage } from './messages.js';
import { fail, missingField, ok, type ApiAnswer, type MethodContext, type MethodRegistry } from './method.js';
import { CHANNEL_ID_PATTERN, type EmulatorState } from './state.js';
import type { EmulatedFile } from './types.js';

const completeFilesSchema = z
  .array(z.object({ id: z.string().min(1), title: z.string().optional(), highlight_type: z.string().optional() }))
  .min(1);

/** files.getUploadURLExternal and files.completeUploadExternal. */
export function fileMethods(state: EmulatorState): MethodRegistry {
  return {
    'files.getUploadURLExternal': { acceptsJson: true, handle: (c) => getUploadUrl(state, c) },
    'files.completeUploadExternal': { acceptsJson: true, handle: (c) => completeUpload(state, c) },
  };
}

function getUploadUrl(state: EmulatorState, { params }: MethodContext): ApiAnswer {
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
  const uploadUrl = `${state.baseUrl}upload/v1/${ticket}`;
  state.files.set(id, {
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
  state.uploadTickets.set(ticket, id);
  return ok({ upload_url: uploadUrl, file_id: id });
}

function completeUpload(state: EmulatorState, { params, now }: MethodContext): ApiAnswer {
  const filesArg = params.json('files');
  if (filesArg.kind === 'absent') return missingField('invalid_arguments', 'files');
  const parsed = filesArg.kind === 'value' ? completeFilesSchema.safeParse(filesArg.value) : undefined;
  if (parsed === undefined || !parsed.success) return fail('invalid_arguments');
  const files: EmulatedFile[] = [];
  for (const entry of parsed.data) {
    const file = state.files.get(entry.id);
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
  for (const channel of channels)
    storeMessage(state, {
      channel,
      thread_ts: threadTs,
      text: initialComment ?? '',
      files: files.map((file) => file.id),
      postedAt: now,
      via: 'files.completeUploadExternal',
    });
  return ok({ files: files.map((file) => ({ id: file.id, title: file.title ?? file.filename })) });
}

/** POST `/upload/v1/<ticket>`: the bytes of a file, raw or as multipart form data. */
export async function handleUpload(
  state: EmulatorState,
  ticket: string,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const raw = await readBody(request, 100 * 1024 * 1024);
  const fileId = state.uploadTickets.get(ticket);
  const file = fileId === undefined ? undefined : state.files.get(fileId);
  if (file === undefined || file.completed) {
    writeText(response, 404, 'not found');
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
      writeText(response, 400, 'invalid_form_data');
      return;
    }
  }
  file.bytes = bytes;
  writeText(response, 200, `OK - ${bytes.length}`);
}
