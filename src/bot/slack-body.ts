import { z } from 'zod';

const payloadObject = z.record(z.string(), z.unknown());

export type SlackBody =
  | { readonly kind: 'url_verification'; readonly challenge: string }
  | { readonly kind: 'ssl_check' }
  | { readonly kind: 'dispatch'; readonly body: Record<string, unknown> };

/**
 * Reads a verified request body into the object Bolt routes. Anything that is not an object Slack could
 * send (a JSON `null`, an interactivity payload that is not JSON) is refused here, before Bolt, whose
 * HTTP receiver has crashed on such bodies.
 */
export function parseSlackBody(
  rawBody: string,
  contentType: string | undefined,
): SlackBody | { kind: 'invalid'; why: string } {
  let candidate: unknown;
  if ((contentType ?? '').includes('application/json')) {
    try {
      candidate = JSON.parse(rawBody);
    } catch {
      return { kind: 'invalid', why: 'the JSON body does not parse' };
    }
  } else {
    const form = Object.fromEntries(new URLSearchParams(rawBody));
    if (typeof form.payload === 'string') {
      try {
        candidate = JSON.parse(form.payload);
      } catch {
        return { kind: 'invalid', why: 'the interactivity payload is not JSON' };
      }
    } else {
      candidate = form;
    }
  }
  const parsed = payloadObject.safeParse(candidate);
  if (!parsed.success) return { kind: 'invalid', why: 'the body is not an object' };
  const body = parsed.data;
  if (body.type === 'url_verification' && typeof body.challenge === 'string') {
    return { kind: 'url_verification', challenge: body.challenge };
  }
  if (body.ssl_check === '1') return { kind: 'ssl_check' };
  const isCommand = typeof body.command === 'string';
  const isInteraction = typeof body.type === 'string';
  if (!isCommand && !isInteraction)
    return { kind: 'invalid', why: 'the body is neither a command, an event nor an interaction' };
  return { kind: 'dispatch', body };
}
