/**
 * Sharing a file in Slack through the WebClient's own `filesUploadV2` (`files.upload` is retired): it asks for an
 * upload URL with `files.getUploadURLExternal`, POSTs the bytes there, then shares the file with
 * `files.completeUploadExternal`. Any failure throws a FileUploadError; the caller then posts its text alone.
 *
 * Measured against `@slack/web-api` 8.2 before dropping our own three calls: the library sends the bytes as
 * multipart form data (Slack takes raw bytes or multipart), carries the client's Authorization header to the upload
 * URL Slack returned, honours the client's retry and rate-limit settings, and names the image description
 * `alt_text`, which `files.getUploadURLExternal` documents as `alt_txt`: so no alt text is offered here until the
 * library sends the documented name.
 */
import type { WebClient } from '@slack/web-api';
import { z } from 'zod';

export interface FileToUpload {
  readonly bytes: Buffer;
  /** The file's name in Slack, extension included (`metrics.png`). */
  readonly filename: string;
  readonly title?: string;
  readonly channelId: string;
  /** Shares the file as a reply in this thread. */
  readonly threadTs?: string;
  /** The message that introduces the file. */
  readonly initialComment?: string;
}

/** Why an upload failed: Slack refused a call, an HTTP exchange failed (the bytes' POST included), or an answer made no sense. */
export class FileUploadError extends Error {
  constructor(
    readonly code: 'slack_error' | 'http_error' | 'bad_response' | 'empty_file',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'FileUploadError';
  }
}

/** `filesUploadV2` answers one `files.completeUploadExternal` result per message it shared. */
const uploadResponse = z.object({
  files: z.array(z.object({ files: z.array(z.object({ id: z.string().min(1) })).min(1) })).min(1),
});
/** What the WebClient throws for `{ ok: false, error }` (ErrorCode.PlatformError). */
const platformError = z.object({
  code: z.literal('slack_webapi_platform_error'),
  data: z.object({ error: z.string() }),
});
/** What it throws for a non-200 answer, the upload URL's included (ErrorCode.HTTPError). */
const httpError = z.object({ code: z.literal('slack_webapi_http_error'), statusCode: z.number() });

function uploadFailure(error: unknown): FileUploadError {
  const platform = platformError.safeParse(error);
  if (platform.success)
    return new FileUploadError('slack_error', `files.uploadV2 failed: ${platform.data.data.error}`, { cause: error });
  const http = httpError.safeParse(error);
  if (http.success)
    return new FileUploadError('http_error', `files.uploadV2 failed: HTTP ${http.data.statusCode}`, { cause: error });
  const message = error instanceof Error ? error.message : String(error);
  return new FileUploadError('http_error', `files.uploadV2 failed: ${message}`, { cause: error });
}

/**
 * Uploads `file` and shares it in its channel (in its thread, with its comment); returns the Slack file id. Throws a
 * {@link FileUploadError} when any step fails. Retries are the WebClient's (best off, as for posts).
 */
export async function uploadFile(client: Pick<WebClient, 'filesUploadV2'>, file: FileToUpload): Promise<string> {
  // The library would ask Slack for a zero-length upload, which Slack refuses with a vaguer `missing_argument`.
  if (file.bytes.length === 0)
    throw new FileUploadError('empty_file', `${file.filename} is empty: Slack takes no empty file`);
  const upload = {
    file: file.bytes,
    filename: file.filename,
    channel_id: file.channelId,
    ...(file.title === undefined ? {} : { title: file.title }),
    ...(file.initialComment === undefined ? {} : { initial_comment: file.initialComment }),
  };
  let response: unknown;
  try {
    response = await (file.threadTs === undefined
      ? client.filesUploadV2(upload)
      : client.filesUploadV2({ ...upload, thread_ts: file.threadTs }));
  } catch (error) {
    throw uploadFailure(error);
  }
  const parsed = uploadResponse.safeParse(response);
  const id = parsed.success ? parsed.data.files[0]?.files[0]?.id : undefined;
  if (id === undefined) throw new FileUploadError('bad_response', 'files.uploadV2 answered without a shared file');
  return id;
}
