/** Web API arguments: the request body read by its Content-Type, and typed reads of what it held. */
import { z } from 'zod';

/** Arguments whose value Slack takes as a JSON-encoded string in form bodies. */
const JSON_ARGUMENTS = new Set(['blocks', 'attachments', 'view', 'files', 'metadata']);

export type JsonArgument =
  { readonly kind: 'absent' } | { readonly kind: 'malformed' } | { readonly kind: 'value'; readonly value: unknown };

/** Reads Web API arguments that arrived form-encoded (all strings) or as JSON (any type). */
export class Params {
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
export const unknownArraySchema = z.array(z.unknown());

/** Parses a request body the way Slack's Web API does, by its Content-Type. */
export async function parseBody(
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

/** The arguments as recorded: JSON-encoded ones decoded where they parse. */
export function decodeParams(params: Readonly<Record<string, unknown>>): Record<string, unknown> {
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
