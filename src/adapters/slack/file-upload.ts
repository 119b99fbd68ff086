/**
 * Sharing a file in Slack the way Slack now requires (`files.upload` is retired): ask for an upload URL with
 * `files.getUploadURLExternal`, POST the bytes there, then share the file with `files.completeUploadExternal`.
 * Any failure throws a FileUploadError; the caller then posts its text alone.
 */
import type { WebClient } from '@slack/web-api';
import { z } from 'zod';

export interface FileToUpload {
  readonly bytes: Buffer;
  /** The file's name in Slack, extension included (`metrics.png`). */
  readonly filename: string;
  readonly title?: string;
  /** A description for screen readers (images). */
  readonly altText?: string;
  readonly channelId: string;
  /** Shares the file as a reply in this thread. */
  readonly threadTs?: string;
  /** The message that introduces the file. */
  readonly initialComment?: string;
}

export type FileUploadStep = 'files.getUploadURLExternal' | 'upload' | 'files.completeUploadExternal';

/** Why an upload failed: Slack refused a call, the upload URL refused the bytes, or an answer made no sense. */
export class FileUploadError extends Error {
  constructor(
    readonly step: FileUploadStep,
    readonly code: 'slack_error' | 'upload_rejected' | 'unsafe_upload_url' | 'bad_response' | 'empty_file',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'FileUploadError';
  }
}

export interface UploadOptions {
  /** For tests; the global fetch otherwise. */
  readonly fetch?: typeof fetch;
  /** How long the POST of the bytes may take. */
  readonly timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 30_000;

const uploadUrlResponse = z.object({
  ok: z.literal(true),
  upload_url: z.string().min(1),
  file_id: z.string().min(1),
});
const completeResponse = z.object({
  ok: z.literal(true),
  files: z.array(z.object({ id: z.string() })).min(1),
});
/** What the WebClient throws for `{ ok: false, error }` (ErrorCode.PlatformError). */
const platformError = z.object({ data: z.object({ error: z.string() }) });

function describeFailure(error: unknown): string {
  const platform = platformError.safeParse(error);
  if (platform.success) return platform.data.data.error;
  return error instanceof Error ? error.message : String(error);
}

async function calling<T>(step: FileUploadStep, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw new FileUploadError(step, 'slack_error', `${step} failed: ${describeFailure(error)}`, { cause: error });
  }
}

function parsed<T>(step: FileUploadStep, schema: z.ZodType<T>, response: unknown): T {
  const result = schema.safeParse(response);
  if (!result.success) {
    throw new FileUploadError(
      step,
      'bad_response',
      `${step} answered something unexpected: ${z.prettifyError(result.error)}`,
    );
  }
  return result.data;
}

const LOOPBACK_HOSTS = /^(?:localhost|127(?:\.\d{1,3}){3}|\[::1\])$/;

/** Whether file bytes may be sent to `url`: https, or plain http to this machine (the sandbox emulator). */
export function isAllowedUploadUrl(url: URL): boolean {
  if (url.username !== '' || url.password !== '') return false;
  return url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK_HOSTS.test(url.hostname));
}

function safeUploadUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new FileUploadError('files.getUploadURLExternal', 'bad_response', `the upload URL is not a URL: ${raw}`);
  }
  if (!isAllowedUploadUrl(url)) {
    throw new FileUploadError(
      'files.getUploadURLExternal',
      'unsafe_upload_url',
      `refusing to send the file to ${url.protocol}//${url.host}: only https (or loopback http) upload URLs are used`,
    );
  }
  return url;
}

async function postBytes(url: URL, bytes: Buffer, options: UploadOptions): Promise<void> {
  const send = options.fetch ?? fetch;
  let response: Response;
  try {
    response = await send(url, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: new Uint8Array(bytes),
      redirect: 'error',
      signal: AbortSignal.timeout(options.timeoutMs ?? DEFAULT_TIMEOUT_MS),
    });
  } catch (error) {
    throw new FileUploadError(
      'upload',
      'upload_rejected',
      `the upload of the bytes failed: ${describeFailure(error)}`,
      {
        cause: error,
      },
    );
  }
  const answer = await response.text().catch(() => '');
  if (response.status !== 200) {
    const excerpt = answer.trim().slice(0, 200);
    throw new FileUploadError(
      'upload',
      'upload_rejected',
      `the upload URL answered HTTP ${response.status}${excerpt === '' ? '' : `: ${excerpt}`}`,
    );
  }
}

/**
 * Uploads `file` and shares it in its channel (in its thread, with its comment); returns the Slack file id. Throws a
 * {@link FileUploadError} naming the step that failed, after which nothing was shared. Retries are the WebClient's
 * (best off, as for posts).
 */
export async function uploadFile(
  client: Pick<WebClient, 'files' | 'apiCall'>,
  file: FileToUpload,
  options: UploadOptions = {},
): Promise<string> {
  if (file.bytes.length === 0) {
    throw new FileUploadError(
      'files.getUploadURLExternal',
      'empty_file',
      `${file.filename} is empty: Slack takes no empty file`,
    );
  }
  const step = 'files.getUploadURLExternal';
  const ticket = parsed(
    step,
    uploadUrlResponse,
    await calling(step, () =>
      file.altText === undefined
        ? client.files.getUploadURLExternal({ filename: file.filename, length: file.bytes.length })
        : // Slack reads `alt_txt`; the SDK's typed method only knows `alt_text`, which Slack ignores.
          client.apiCall(step, { filename: file.filename, length: file.bytes.length, alt_txt: file.altText }),
    ),
  );

  await postBytes(safeUploadUrl(ticket.upload_url), file.bytes, options);

  const complete = 'files.completeUploadExternal';
  const entry = { id: ticket.file_id, ...(file.title === undefined ? {} : { title: file.title }) };
  const comment = file.initialComment === undefined ? {} : { initial_comment: file.initialComment };
  const shared = parsed(
    complete,
    completeResponse,
    await calling(complete, () =>
      file.threadTs === undefined
        ? client.files.completeUploadExternal({ files: [entry], channel_id: file.channelId, ...comment })
        : client.files.completeUploadExternal({
            files: [entry],
            channel_id: file.channelId,
            thread_ts: file.threadTs,
            ...comment,
          }),
    ),
  );
  if (!shared.files.some((sharedFile) => sharedFile.id === ticket.file_id)) {
    throw new FileUploadError(complete, 'bad_response', `${complete} did not list ${ticket.file_id} as shared`);
  }
  return ticket.file_id;
}
